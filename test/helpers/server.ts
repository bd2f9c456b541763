// The HTTP service under test: a small synthetic model (trained once per test file, in
// beforeAll), a durable index in a temporary folder, and the app built by buildServer.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { ASCMH, datasets } from '../../src/index.js';
import type { Codes } from '../../src/index.js';
import { buildServer, type AscmhServer, type ServerOptions } from '../../src/server/index.js';

export interface ServerFixture {
  /** The trained model (64 bits; image features 12-D, text features 10-D). */
  model: ASCMH;
  /** The model saved to a file. */
  modelPath: string;
  /** The training set the model came from (300 pairs). */
  data: ReturnType<typeof datasets.synthetic>;
  /** A fresh folder inside this file's temporary folder. */
  folder(name?: string): string;
}

/**
 * Trains the model in beforeAll and removes the temporary folder in afterAll. Returns an object
 * whose fields are filled once beforeAll has run.
 */
export function useServerFixture(): ServerFixture {
  const fixture = {} as ServerFixture;
  let root = '';
  let n = 0;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'ascmh-serve-'));
    fixture.data = datasets.synthetic({ n: 300, imageDim: 12, textDim: 10, seed: 1 });
    fixture.model = await ASCMH.fit(fixture.data, { bits: 64, imageAnchors: 40, textAnchors: 40 });
    fixture.modelPath = join(root, 'model.ascmh');
    await fixture.model.save(fixture.modelPath);
    fixture.folder = (name = 'dir') => join(root, `${name}-${n++}`);
  });
  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });
  return fixture;
}

/** A server on a fresh index, opened (ready); closed by the caller (or by `using`). */
export async function openServer(fixture: ServerFixture, options: Partial<ServerOptions> = {}): Promise<AscmhServer> {
  const server = await buildServer({ model: fixture.model, index: fixture.folder('idx'), durability: 'os', pressure: { maxEventLoopDelay: 0 }, ...options });
  await server.open();
  return server;
}

/** Feature rows of a matrix as number[][] (what a JSON client sends). */
export function rowsOf(m: { rows: number; cols: number; data: ArrayLike<number> }, from = 0, to = m.rows): number[][] {
  const out: number[][] = [];
  for (let r = from; r < to; r++) out.push(Array.from({ length: m.cols }, (_, c) => m.data[r * m.cols + c]));
  return out;
}

/** Packed codes (8-byte words) -> base64 of the code file layout (ceil(bits/8) bytes per code). */
export function base64Of(codes: Codes): string {
  const row = Math.ceil(codes.bits / 8), stride = Math.ceil(codes.bits / 64) * 8;
  const out = Buffer.alloc(codes.count * row);
  for (let i = 0; i < codes.count; i++) out.set(codes.data.subarray(i * stride, i * stride + row), i * row);
  return out.toString('base64');
}

/** Random 64-bit codes from a seed (xorshift). */
export function randomCodes(count: number, seed: number): Codes {
  const data = new Uint8Array(count * 8);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    data[i] = s & 0xff;
  }
  return { count, bits: 64, data };
}

export const json = (body: unknown) => ({ headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });

/** `node dist/cli.js serve ...` in a child process (needs dist/, which `npm test` builds first). */
export interface ServeChild {
  child: import('node:child_process').ChildProcess;
  /** http://127.0.0.1:PORT once the startup line was printed. */
  url: Promise<string>;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function spawnServe(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ServeChild> {
  const { spawn } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
  const child = spawn(process.execPath, [cli, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '', err = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const url = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/[^,\s]+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.stderr!.on('data', (d) => (err += d));
    void exited.then(() => reject(new Error(`serve exited before it was ready: ${err}`)));
  });
  url.catch(() => undefined);
  return { child, url, stdout: () => out, stderr: () => err, exited };
}
