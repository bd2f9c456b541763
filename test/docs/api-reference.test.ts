// The API reference (`npm run docs`, TypeDoc over typedoc.json): it builds with every warning an
// error, so an export of 'ascmh' or 'ascmh/server' without a doc comment fails it; every name the
// TypeScript compiler sees exported by the two entry points is in it, with its comment.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { repoRoot, runProgram } from '../helpers/consumer.js';
import { scratchDir } from '../helpers/temp.js';

const typedoc = join(repoRoot, 'node_modules', 'typedoc', 'bin', 'typedoc');
const ENTRY_POINTS = { index: 'src/index.ts', server: 'src/server/index.ts' } as const;

/** The names each entry point exports, as the compiler resolves them (re-exports followed). */
function compilerExports(): Record<keyof typeof ENTRY_POINTS, string[]> {
  const files = Object.values(ENTRY_POINTS).map((f) => join(repoRoot, f));
  const program = ts.createProgram(files, { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, skipLibCheck: true });
  const checker = program.getTypeChecker();
  const names = (file: string) => checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(file)!)!).map((s) => s.name).sort();
  return { index: names(files[0]), server: names(files[1]) };
}

interface Reflection {
  id: number;
  name: string;
  /** A re-export of a reflection documented elsewhere (export type { MapInput } beside evaluate.MapInput). */
  target?: number;
  comment?: { summary: { text: string }[] };
  signatures?: Reflection[];
  getSignature?: Reflection;
  children?: Reflection[];
}
const byId = new Map<number, Reflection>();
const index = (r: Reflection): void => {
  byId.set(r.id, r);
  r.children?.forEach(index);
};
const summary = (r: Reflection): string => {
  const own = r.target !== undefined ? byId.get(r.target)! : r;
  return [own.comment, own.signatures?.[0]?.comment, own.getSignature?.comment].map((c) => c?.summary.map((p) => p.text).join('') ?? '').join('').trim();
};

describe('API reference (TypeDoc)', () => {
  it('builds with treatWarningsAsErrors, and covers every export of both entry points with its doc comment', async () => {
    const out = scratchDir('ascmh-typedoc-');
    const r = await runProgram(process.execPath, [typedoc, '--out', join(out, 'api'), '--json', join(out, 'api.json')], { cwd: repoRoot });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(existsSync(join(out, 'api', 'index.html'))).toBe(true);
    const project = JSON.parse(readFileSync(join(out, 'api.json'), 'utf8')) as Reflection;
    index(project);
    const modules = Object.fromEntries(project.children!.map((m) => [m.name, m]));
    const expected = compilerExports();
    for (const [name, exported] of Object.entries(expected)) {
      const documented = modules[name].children!;
      expect(documented.map((c) => c.name).sort(), name).toEqual(exported);
      const undocumented = documented.filter((c) => summary(c) === '').map((c) => c.name);
      expect(undocumented, name).toEqual([]);
      expect(summary(modules[name]), `${name} module comment`).not.toBe('');
    }
    // Namespaces are documented member by member too (datasets.splitQueries, evaluate.meanAveragePrecision, ...).
    for (const ns of ['datasets', 'evaluate']) {
      const members = modules.index.children!.find((c) => c.name === ns)!.children!;
      expect(members.length, ns).toBeGreaterThan(5);
      expect(members.filter((c) => summary(c) === '').map((c) => c.name), ns).toEqual([]);
    }
  }, 300_000);

  it('the same settings fail on an export without a doc comment', async () => {
    const dir = scratchDir('ascmh-typedoc-fixture-');
    const options = JSON.parse(readFileSync(join(repoRoot, 'typedoc.json'), 'utf8'));
    writeFileSync(join(dir, 'entry.ts'), '/**\n * A module.\n * @module\n */\n/** Documented. */\nexport const documented = 1;\nexport function undocumented(): number {\n  return 2;\n}\n');
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', skipLibCheck: true, types: [] }, files: ['entry.ts'] }));
    writeFileSync(join(dir, 'typedoc.json'), JSON.stringify({ ...options, entryPoints: ['entry.ts'], tsconfig: 'tsconfig.json', out: 'api' }));
    const r = await runProgram(process.execPath, [typedoc], { cwd: dir });
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/undocumented.*does not have any documentation/);
    expect(r.stdout + r.stderr).not.toMatch(/\bdocumented \(Variable\).*does not have/);
  }, 120_000);
});
