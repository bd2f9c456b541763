// What a user installs: the tarball's files (npm pack --dry-run), the metadata, and a scratch
// consumer project with the tarball installed: only the runtime dependencies, the optional ones
// absent and refused with a coded error naming the package when a call needs them.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Consumer, packedConsumer, repoRoot, runProgram } from '../helpers/consumer.js';
import { SERVER_PACKAGES } from '../../src/server/dependencies.js';

const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));

describe('the tarball (npm pack --dry-run)', () => {
  let files: string[];
  beforeAll(async () => {
    const r = await runProgram('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repoRoot });
    expect(r.code, r.stderr).toBe(0);
    files = JSON.parse(r.stdout)[0].files.map((f: { path: string }) => f.path);
  });

  it('holds the builds, the licence, the README and every image the README shows', () => {
    for (const f of ['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/cli.js', 'dist/cjs/index.js', 'dist/cjs/index.d.ts', 'dist/cjs/package.json', 'scripts/install.cjs', 'CMakeLists.txt', 'docs/method.md']) {
      expect(files, f).toContain(f);
    }
    expect(files.some((f) => f.startsWith('prebuilds/linux-x64/') && f.endsWith('.node'))).toBe(true);
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((p) => !/^[a-z]+:/.test(p));
    expect(images.length).toBeGreaterThan(0);
    for (const image of images) expect(files, image).toContain(image);
    // Every relative link of the README stays inside the package and is in it.
    for (const [, target] of readme.matchAll(/\]\(([^)\s#]+)(#[^)]*)?\)/g)) {
      if (/^[a-z]+:/.test(target)) continue;
      expect(files, target).toContain(target);
    }
  });

  it('holds no tests, benches, fixtures, build trees or development scripts', () => {
    const bad = files.filter((f) => /^(test|bench|build|build-sanitize|node_modules|\.ci)\//.test(f) || /\.test\.|\.(js|ts)\.map$/.test(f) || (f.startsWith('scripts/') && !['scripts/install.cjs', 'scripts/cmake-js-as-node-gyp.cjs'].includes(f)));
    expect(bad).toEqual([]);
  });

  it('package.json names the licence (with a LICENSE file), the repository, and typed exports for import and require', () => {
    expect(manifest.license).toBe('MIT');
    expect(readFileSync(join(repoRoot, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
    expect(manifest.repository).toMatchObject({ type: 'git', url: expect.stringMatching(/^git\+https:\/\//) });
    expect(manifest.exports['.']).toEqual({
      import: { types: './dist/index.d.ts', default: './dist/index.js' },
      require: { types: './dist/cjs/index.d.ts', default: './dist/cjs/index.js' },
    });
    // What only compiling or optional features need is not a dependency.
    for (const optional of ['cmake-js', 'node-addon-api', 'h5wasm', '@resvg/resvg-js']) {
      expect(manifest.dependencies[optional], optional).toBeUndefined();
      expect(manifest.peerDependenciesMeta[optional], optional).toEqual({ optional: true });
    }
  });
});

describe('a consumer project with the tarball installed', () => {
  let consumer: Consumer;
  beforeAll(async () => {
    consumer = await packedConsumer();
  });
  const node = (args: string[], cwd = consumer.dir) => runProgram(process.execPath, args, { cwd });

  it('installs only the runtime dependencies and what they need', () => {
    const top = join(consumer.dir, 'node_modules');
    const installed = readdirSync(top)
      .filter((n) => !n.startsWith('.'))
      .flatMap((n) => (n.startsWith('@') ? readdirSync(join(top, n)).map((m) => `${n}/${m}`) : [n]));
    // No development or optional package (what only they pull in would show up beside them), but
    // the server's packages, which this consumer installed itself as a user who serves would.
    const devOnly = Object.keys(manifest.devDependencies).filter((n) => !(n in manifest.dependencies) && !SERVER_PACKAGES.includes(n as never));
    expect(devOnly).toEqual(expect.arrayContaining(['cmake-js', 'node-addon-api', 'h5wasm', '@resvg/resvg-js', 'typedoc', 'typescript', 'vitest', 'esbuild']));
    for (const absent of devOnly) expect(installed, absent).not.toContain(absent);
    for (const present of Object.keys(manifest.dependencies)) expect(installed, present).toContain(present);
    // The server's packages are optional peers of the installed ascmh, so a plain install has none.
    const installedManifest = JSON.parse(readFileSync(join(top, 'ascmh', 'package.json'), 'utf8'));
    for (const name of SERVER_PACKAGES) {
      expect(installedManifest.dependencies?.[name], name).toBeUndefined();
      expect(installedManifest.peerDependenciesMeta[name], name).toEqual({ optional: true });
      expect(JSON.parse(readFileSync(join(consumer.dir, 'package.json'), 'utf8')).dependencies[name], name).toBeDefined();
    }
  });

  it('a v7.3 .mat file without h5wasm is ERR_ASCMH_MISSING_DEPENDENCY naming h5wasm (API and CLI)', async () => {
    const mat = join(repoRoot, 'test', 'fixtures', 'datasets', 'tiny-v73.mat');
    const script = `import { openDataset } from 'ascmh'; openDataset(${JSON.stringify(mat)}).then(() => console.log('read'), (e) => console.log(e.code, e.message));`;
    const r = await node(['--input-type=module', '-e', script]);
    expect(r.stdout).toMatch(/^ERR_ASCMH_MISSING_DEPENDENCY .*tiny-v73\.mat: .*needs the optional package h5wasm.*npm install h5wasm/);
    const cli = await node([join('node_modules', 'ascmh', 'dist', 'cli.js'), 'train', '--data', mat, '--bits', '8', '--out', join(consumer.dir, 'never.ascmh')]);
    expect(cli.code).toBe(2);
    // One error line, after the progress line of the reading phase.
    expect(cli.stderr.trim().split('\n').filter((line) => !line.startsWith('train: reading '))).toHaveLength(1);
    expect(cli.stderr).toMatch(/needs the optional package h5wasm/);
  });

  it('a PNG chart without @resvg/resvg-js is ERR_ASCMH_MISSING_DEPENDENCY naming it (API, and the CLI before any fit)', async () => {
    const script = `import { renderLineChart, svgToPng } from 'ascmh'; svgToPng(renderLineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [] })).then(() => console.log('drawn'), (e) => console.log(e.code, e.message));`;
    const r = await node(['--input-type=module', '-e', script]);
    expect(r.stdout).toMatch(/^ERR_ASCMH_MISSING_DEPENDENCY writing PNG charts needs the optional package @resvg\/resvg-js.*npm install @resvg\/resvg-js/);
    const mat = join(repoRoot, 'test', 'fixtures', 'datasets', 'tiny.mat');
    const cli = await node([join('node_modules', 'ascmh', 'dist', 'cli.js'), 'eval', '--data', mat, '--bits', '8', '--seeds', '1', '--plot', join(consumer.dir, 'never'), '--plot-format', 'png']);
    expect(cli.code).toBe(2);
    expect(cli.stderr.trim().split('\n')).toEqual([expect.stringMatching(/needs the optional package @resvg\/resvg-js/)]);
    expect(existsSync(join(consumer.dir, 'never'))).toBe(false);
  });

  it('compiling without cmake-js and node-addon-api fails with the command that installs them', async () => {
    const r = await node([join('node_modules', 'ascmh', 'scripts', 'install.cjs'), '--build-from-source']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/needs cmake-js and node-addon-api/);
    expect(r.stderr).toMatch(/npm install cmake-js@"\^[\d.]+" node-addon-api@"\^[\d.]+" && npm rebuild ascmh/);
  });

  it('the same API through import and require: equal codes and search results', async () => {
    const body = (load: string) => `${load}
      const data = datasets.synthetic({ n: 600, classes: 4, imageDim: 12, textDim: 5, seed: 3 });
      const { train, query } = datasets.splitQueries(data, 50);
      ASCMH.fit(train, { bits: 16, imageAnchors: 40, textAnchors: 40 }).then((model) => {
        const index = new HammingIndex({ bits: 16 });
        index.add(model.trainingCodes);
        const result = index.search(model.encode('text', query.text), { k: 5, idType: 'number' });
        console.log(JSON.stringify({ codes: Buffer.from(model.trainingCodes.data).toString('base64'), result }));
      });`;
    const cjs = await node(['-e', body("const { ASCMH, HammingIndex, datasets } = require('ascmh');")]);
    const esm = await node(['--input-type=module', '-e', body("import { ASCMH, HammingIndex, datasets } from 'ascmh';")]);
    expect(cjs.code, cjs.stderr).toBe(0);
    expect(esm.code, esm.stderr).toBe(0);
    expect(JSON.parse(cjs.stdout)).toEqual(JSON.parse(esm.stdout));
    expect(JSON.parse(esm.stdout).result.results).toHaveLength(50);
  });

  it('ascmh/server loads through require and import, and the main entry does not load fastify', async () => {
    const probe = "console.log(JSON.stringify({ buildServer: typeof s.buildServer, status: s.STATUS_OF_CODE.ERR_ASCMH_SHAPE }))";
    const cjs = await node(['-e', `const s = require('ascmh/server'); ${probe}`]);
    const esm = await node(['--input-type=module', '-e', `import * as s from 'ascmh/server'; ${probe}`]);
    expect(cjs.code, cjs.stderr).toBe(0);
    expect(esm.code, esm.stderr).toBe(0);
    expect(JSON.parse(cjs.stdout)).toEqual(JSON.parse(esm.stdout));
    expect(JSON.parse(esm.stdout).buildServer).toBe('function');
    const main = await node(['-e', "require('ascmh'); console.log(Object.keys(require.cache).some((f) => f.includes('/node_modules/fastify/')))"]);
    expect(main.stdout.trim()).toBe('false');
  });

  // TypeScript consumers in both module systems, compiled by tsc with our declarations checked too.
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  function tsProject(name: string, type: 'commonjs' | 'module', source: string): string {
    const dir = join(consumer.dir, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, type }));
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { module: 'node16', moduleResolution: 'node16', target: 'es2022', strict: true, skipLibCheck: false, outDir: 'out', types: ['node'], typeRoots: [join(repoRoot, 'node_modules', '@types')] },
      include: ['main.ts'],
    }));
    writeFileSync(join(dir, 'main.ts'), source);
    return dir;
  }
  const program = `import { AscmhError, HammingIndex, type ErrorCode, type TopKResult } from 'ascmh';
const index = new HammingIndex({ bits: 8 });
index.add({ count: 3, bits: 8, data: new Uint8Array([0b0000, 0, 0, 0, 0, 0, 0, 0, 0b0011, 0, 0, 0, 0, 0, 0, 0, 0b0111, 0, 0, 0, 0, 0, 0, 0]) });
const result: TopKResult<'number'> = index.search({ count: 1, bits: 8, data: new Uint8Array(8).fill(0).map((_, i) => (i === 0 ? 0b0001 : 0)) }, { k: 3, idType: 'number' });
let code: ErrorCode | undefined;
try { index.search({ count: 1, bits: 16, data: new Uint8Array(8) }, { k: 1 }); } catch (err) { if (err instanceof AscmhError) code = err.code; }
console.log(JSON.stringify({ ids: Array.from(result.get(0).ids), distances: Array.from(result.get(0).distances), code }));
`;

  for (const type of ['commonjs', 'module'] as const) {
    it(`a TypeScript project (module node16, "type": "${type}") compiles against the declarations and runs`, async () => {
      const dir = tsProject(`ts-${type}`, type, program);
      const built = await runProgram(process.execPath, [tsc, '-p', dir], { cwd: dir });
      expect(built.code, built.stdout + built.stderr).toBe(0);
      const r = await node([join(dir, 'out', 'main.js')], dir);
      expect(r.code, r.stderr).toBe(0);
      // Distances from 0b0001 to 0b0000, 0b0011, 0b0111 are 1, 1, 2; ties in insertion order.
      expect(JSON.parse(r.stdout)).toEqual({ ids: [0, 1, 2], distances: [1, 1, 2], code: 'ERR_ASCMH_BITS_MISMATCH' });
    });
  }

  it('a misspelt error code does not type-check', async () => {
    const dir = tsProject('ts-misspelt', 'commonjs', `import { AscmhError, type ErrorCode } from 'ascmh';
export function isShapeError(err: unknown): boolean { return err instanceof AscmhError && err.code === 'ERR_ASCMH_SHAEP'; }
export const code: ErrorCode = 'ERR_ASCMH_SHAPE';
`);
    const built = await runProgram(process.execPath, [tsc, '-p', dir, '--noEmit'], { cwd: dir });
    expect(built.code).not.toBe(0);
    expect(built.stdout).toMatch(/main\.ts\(2,\d+\): error TS2367: .*["']ERR_ASCMH_SHAEP["']/);
    expect(built.stdout.match(/error TS/g)).toHaveLength(1);
  });
});
