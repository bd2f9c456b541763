// A scratch consumer project with the packed package installed (`npm pack`, then `npm install` of
// the tarball), as a user gets it. Built once per test run in the run's temporary folder and shared
// by the test files that need it (the first to ask builds it, the others wait for it).
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SERVER_PACKAGES } from '../../src/server/dependencies.js';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** ../shared beside the repository: the data sets some README blocks use. */
export const sharedDir = join(repoRoot, '..', 'shared');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program; never throws for a non-zero exit (the result says it). */
export async function runProgram(file: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number }): Promise<RunResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(file, args, { cwd: options.cwd, env: options.env ?? process.env, encoding: 'utf8', maxBuffer: 64 << 20, timeout: options.timeout ?? 600_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string; message: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: (e.stderr ?? '') + (typeof e.code === 'number' ? '' : e.message) };
  }
}

export interface Consumer {
  /** The consumer project: package.json, node_modules/ascmh, and `../shared` beside it when it exists. */
  dir: string;
  /** The tarball `npm pack` wrote. */
  tarball: string;
}

function runDir(): string {
  const dir = process.env.ASCMH_TEST_RUN_DIR;
  if (!dir) throw new Error('ASCMH_TEST_RUN_DIR is not set: run the tests through vitest (test/helpers/global-setup.ts)');
  return dir;
}

/** The addon the tests run against (ASCMH_NATIVE), put where the installed package loads it from. */
function installNative(packageDir: string): void {
  const mode = process.env.ASCMH_NATIVE;
  const relative = mode === 'sanitize' ? join('build-sanitize', 'Sanitize', 'ascmh.node') : join('build', 'Release', 'ascmh.node');
  if (mode === 'prebuild') return; // the tarball's own prebuild
  const source = join(repoRoot, relative);
  if (!existsSync(source)) {
    if (mode === undefined) return; // no local build: node-gyp-build takes the prebuild, as in the repository
    throw new Error(`ASCMH_NATIVE=${mode} but ${source} does not exist`);
  }
  mkdirSync(join(packageDir, dirname(relative)), { recursive: true });
  copyFileSync(source, join(packageDir, relative));
}

async function build(root: string): Promise<Consumer> {
  if (!existsSync(join(repoRoot, 'dist', 'cjs', 'index.js'))) throw new Error('dist/ is not built: run `npm run build:ts` (npm test does)');
  const packDir = join(root, 'pack');
  mkdirSync(packDir, { recursive: true });
  // --ignore-scripts: dist/ is built already (npm test builds it), and rebuilding it here would race
  // with the test files that run dist/cli.js.
  const pack = await runProgram('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', packDir], { cwd: repoRoot });
  if (pack.code !== 0) throw new Error(`npm pack failed: ${pack.stderr}`);
  const tarball = join(packDir, readdirSync(packDir).find((f) => f.endsWith('.tgz'))!);
  const dir = join(root, 'consumer');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }, null, 2));
  // The server's packages are optional peers of ascmh: installed here as a user who serves would.
  const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { peerDependencies: Record<string, string> };
  const server = SERVER_PACKAGES.map((name) => `${name}@${manifest.peerDependencies[name]}`);
  const install = await runProgram('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', tarball, ...server], { cwd: dir });
  if (install.code !== 0) throw new Error(`npm install of the tarball failed: ${install.stderr}`);
  installNative(join(dir, 'node_modules', 'ascmh'));
  if (existsSync(sharedDir) && !existsSync(join(root, 'shared'))) symlinkSync(sharedDir, join(root, 'shared'));
  writeFileSync(join(dir, '.ready'), tarball);
  return { dir, tarball };
}

let consumer: Promise<Consumer> | undefined;

/** The run's consumer project, built on first use. */
export function packedConsumer(): Promise<Consumer> {
  consumer ??= (async () => {
    const root = runDir();
    const ready = join(root, 'consumer', '.ready');
    try {
      mkdirSync(join(root, 'consumer.lock'));
    } catch {
      // Another test file is building it.
      const deadline = Date.now() + 600_000;
      while (!existsSync(ready)) {
        if (existsSync(join(root, 'consumer.failed'))) throw new Error('building the consumer project failed in another test file');
        if (Date.now() > deadline) throw new Error('timed out waiting for the consumer project');
        await new Promise((r) => setTimeout(r, 250));
      }
      return { dir: join(root, 'consumer'), tarball: readFileSync(ready, 'utf8') };
    }
    try {
      return await build(root);
    } catch (err) {
      writeFileSync(join(root, 'consumer.failed'), String(err));
      throw err;
    }
  })();
  return consumer;
}
