// The CommonJS build in dist/cjs: esbuild turns each ES module of src/ into a CommonJS module (no
// bundling, so the files mirror dist/), the declarations tsc wrote to dist/ are copied beside them,
// and dist/cjs/package.json marks the folder as CommonJS. The command line stays ES-only.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const esm = join(root, 'dist');
const out = join(esm, 'cjs');
const isCli = (file) => file === join(src, 'cli.ts') || file.startsWith(join(src, 'cli') + '/');

function* files(dir, suffix) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path, suffix);
    else if (entry.name.endsWith(suffix)) yield path;
  }
}

rmSync(out, { recursive: true, force: true });
const entryPoints = [...files(src, '.ts')].filter((f) => !isCli(f));
await build({
  entryPoints,
  outbase: src,
  outdir: out,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  // import.meta does not exist in CommonJS: the one use (core/native.ts) gets this file's URL.
  define: { 'import.meta.url': '__importMetaUrl' },
  banner: { js: 'const __importMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
});
for (const file of entryPoints) {
  const declaration = join(esm, relative(src, file)).replace(/\.ts$/, '.d.ts');
  const target = join(out, relative(src, file)).replace(/\.ts$/, '.d.ts');
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(declaration, target);
}
writeFileSync(join(out, 'package.json'), '{ "type": "commonjs" }\n');
