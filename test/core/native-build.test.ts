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
