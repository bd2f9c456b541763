// The committed prebuild must match the native sources in the tree, and be portable.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildInfo } from '../../src/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The hash CMakeLists.txt embeds: sha256 over "sha256(file) path\n" of binding/** and CMakeLists.txt, sorted. */
function treeSourceHash(): string {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else files.push(relative(root, p));
    }
  };
  walk(join(root, 'binding'));
  files.push('CMakeLists.txt');
  files.sort();
  const manifest = files.map((f) => `${createHash('sha256').update(readFileSync(join(root, f))).digest('hex')} ${f}\n`).join('');
  return createHash('sha256').update(manifest).digest('hex');
}

const prebuildDir = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
const prebuild = existsSync(prebuildDir) ? readdirSync(prebuildDir).find((f) => f.endsWith('.node')) : undefined;
const tool = (name: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

describe('native build', () => {
  it('the loaded addon was built from the sources in this tree', () => {
    expect(buildInfo().sourceHash).toBe(treeSourceHash());
  });
  it('the committed prebuild is not stale (rebuild it with `npm run prebuilds` after changing binding/)', () => {
    expect(prebuild).toBeDefined();
    const hash = execFileSync(process.execPath, ['-e', 'console.log(require(process.argv[1]).buildInfo().sourceHash)', join(prebuildDir, prebuild!)], { encoding: 'utf8' }).trim();
    expect(hash).toBe(treeSourceHash());
  });
  it.skipIf(!tool('ldd'))('the prebuild links no OpenBLAS, LAPACK or gfortran library (needs ldd)', () => {
    const deps = execFileSync('ldd', [join(prebuildDir, prebuild!)], { encoding: 'utf8' });
    expect(deps).not.toMatch(/openblas|lapack|gfortran|libstdc\+\+|libgomp/);
  });
  it.skipIf(!tool('nm'))('the prebuild exports only the Node-API entry points (needs nm)', () => {
    const symbols = execFileSync('nm', ['-D', '--defined-only', join(prebuildDir, prebuild!)], { encoding: 'utf8' })
      .split('\n').filter(Boolean).map((l) => l.split(' ').pop()).sort();
    expect(symbols).toEqual(['napi_register_module_v1', 'node_api_module_get_api_version_v1']);
  });
  it('reports its BLAS and the popcount kernel chosen for this CPU', () => {
    const info = buildInfo();
    expect(info.blas).toMatch(/OpenBLAS/);
    expect(['popcnt', 'generic', 'avx2', 'avx512']).toContain(info.popcount);
  });
});

// The cross-compiled linux-arm64 prebuild (scripts/arm64/build.sh) cannot load here: it is checked
// from its bytes and ELF headers (scripts/arm64/test.sh runs it under emulation).
const arm64Dir = join(root, 'prebuilds', 'linux-arm64');
const arm64 = existsSync(arm64Dir) ? readdirSync(arm64Dir).filter((f) => f.endsWith('.node')).map((f) => join(arm64Dir, f)) : [];
/** NEEDED entries of an ELF file's dynamic section, from readelf (any target). */
const needed = (file: string) => [...execFileSync('readelf', ['-d', file], { encoding: 'utf8' }).matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);

describe.skipIf(process.arch === 'arm64')('the linux-arm64 prebuild', () => {
  it('is one AArch64 shared object', () => {
    expect(arm64).toHaveLength(1);
    const header = readFileSync(arm64[0]).subarray(0, 20);
    expect(header.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    expect(header.readUInt16LE(16)).toBe(3); // ET_DYN
    expect(header.readUInt16LE(18)).toBe(183); // EM_AARCH64
  });
  it('embeds the source hash of this tree (rebuild it with `npm run prebuilds` after changing binding/)', () => {
    expect(readFileSync(arm64[0]).includes(Buffer.from(treeSourceHash(), 'latin1'))).toBe(true);
  });
  it.skipIf(!tool('readelf'))('needs only the C library, libm and the loader: no BLAS, LAPACK, gfortran or libstdc++ (needs readelf)', () => {
    const libs = needed(arm64[0]);
    expect(libs).toContain('libc.so.6');
    for (const lib of libs) expect(lib).toMatch(/^(libc|libm|libpthread|libdl)\.so\.6$|^ld-linux-aarch64\.so\.1$/);
  });
  it.skipIf(!tool('nm'))('exports only the Node-API entry points (needs nm)', () => {
    const symbols = execFileSync('nm', ['-D', '--defined-only', arm64[0]], { encoding: 'utf8' })
      .split('\n').filter(Boolean).map((l) => l.split(' ').pop()).sort();
    expect(symbols).toEqual(['napi_register_module_v1', 'node_api_module_get_api_version_v1']);
  });
});
