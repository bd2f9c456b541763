// Output files appear whole or not at all: data goes to a temporary file beside the target, which
// is flushed and renamed over it only when complete. A failed, cancelled or interrupted run
// leaves the target as it was and removes the temporary file.
import { closeSync, openSync, rmSync } from 'node:fs';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fail } from '../core/errors.js';
import { checkPath } from '../core/paths.js';

const pending = new Set<string>();
let exitHookInstalled = false;

/** Removes temporary files still open when the process exits (process.exit, a signal handler). */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const path of pending) rmSync(path, { force: true });
  });
}

function cannotWrite(path: string, err: unknown): never {
  fail('ERR_ASCMH_WRITE', `cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
}

export class AtomicFile {
  private position = 0;
  private settled = false;

  private constructor(
    readonly path: string,
    private readonly temporary: string,
    private readonly file: FileHandle,
  ) {}

  static async create(path: string): Promise<AtomicFile> {
    checkPath(path);
    installExitHook();
    const temporary = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`);
    // Created synchronously and registered at once: an exit while an asynchronous open was still
    // in flight on the thread pool would create the file after the exit hook had run.
    pending.add(temporary);
    let file: FileHandle;
    try {
      closeSync(openSync(temporary, 'wx'));
      file = await open(temporary, 'r+');
    } catch (err) {
      pending.delete(temporary);
      rmSync(temporary, { force: true });
      cannotWrite(path, err);
    }
    return new AtomicFile(path, temporary, file);
  }

  async write(chunk: Uint8Array): Promise<void> {
    try {
      for (let done = 0; done < chunk.length; ) {
        const { bytesWritten } = await this.file.write(chunk, done, chunk.length - done, this.position);
        done += bytesWritten;
        this.position += bytesWritten;
      }
    } catch (err) {
      await this.abort();
      cannotWrite(this.path, err);
    }
  }

  /** Flushes the data to disk and renames the file into place. */
  async commit(): Promise<void> {
    if (this.settled) return;
    try {
      await this.file.sync();
      await this.file.close();
      await rename(this.temporary, this.path);
      this.settled = true;
      pending.delete(this.temporary);
    } catch (err) {
      await this.abort();
      cannotWrite(this.path, err);
    }
  }

  /** Discards the temporary file; the target is untouched. */
  async abort(): Promise<void> {
    if (this.settled) return;
    this.settled = true;
    await this.file.close().catch(() => undefined);
    await rm(this.temporary, { force: true });
    pending.delete(this.temporary);
  }
}

/** Writes chunks to `path` atomically. */
export async function writeFileAtomic(path: string, ...chunks: Uint8Array[]): Promise<void> {
  const out = await AtomicFile.create(path);
  for (const chunk of chunks) await out.write(chunk);
  await out.commit();
}

/** Runs `body` with an atomic output file: committed when body resolves, discarded when it throws. */
export async function withAtomicFile<T>(path: string, body: (out: AtomicFile) => Promise<T>): Promise<T> {
  const out = await AtomicFile.create(path);
  try {
    const result = await body(out);
    await out.commit();
    return result;
  } catch (err) {
    await out.abort();
    throw err;
  }
}
