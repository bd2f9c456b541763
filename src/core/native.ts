// Loads the native addon: a local build, else the prebuild for this platform.
// ASCMH_NATIVE=build|prebuild forces one of them (CI tests both).
import { createRequire } from 'node:module';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// OpenBLAS reads these when the addon loads. Idle BLAS workers would otherwise spin ~0.1 s after
// each call and steal the cores that search and evaluation threads need.
process.env.OPENBLAS_THREAD_TIMEOUT ??= '4';

// In the CommonJS build (scripts/build-cjs.mjs) import.meta.url is this file's URL as well.
const require = createRequire(import.meta.url);

/** The folder of ascmh's package.json, above this file in either build (dist/ or dist/cjs/). */
function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'ascmh') return dir;
    if (dirname(dir) === dir) throw new Error(`ascmh: no package.json of ascmh above ${from}`);
  }
}

export const packageRoot = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

/* eslint-disable @typescript-eslint/no-explicit-any */
export type NativeAddon = any;

function loadPrebuild(): NativeAddon {
  const dir = join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`);
  const file = existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith('.node')) : undefined;
  if (!file) throw new Error(`ascmh: no prebuild in ${dir}`);
  return require(join(dir, file));
}

function load(): NativeAddon {
  const mode = process.env.ASCMH_NATIVE;
  if (mode === 'prebuild') return loadPrebuild();
  if (mode === 'build') return require(join(packageRoot, 'build', 'Release', 'ascmh.node'));
  // AddressSanitizer + UBSan build of scripts/sanitize/build.sh (run through scripts/sanitize/test.sh).
  if (mode === 'sanitize') return require(join(packageRoot, 'build-sanitize', 'Sanitize', 'ascmh.node'));
  return require('node-gyp-build')(packageRoot);
}

export const native: NativeAddon = load();

// process.exit() waits for native work in progress (libuv joins its threads): cancel this
// environment's jobs first, so exit waits only for the block each one is in.
process.once('exit', () => native.cancelAll());
