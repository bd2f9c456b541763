// The server's packages are optional peers: the list the service checks is every package
// src/server and `ascmh serve` import, each an optional peer (and none a dependency), and a missing
// one is ERR_ASCMH_MISSING_DEPENDENCY with the install command.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVER_PACKAGES, loadServerModules, serverInstallCommand } from '../../src/server/dependencies.js';
import { repoRoot } from '../helpers/consumer.js';

const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));

/** Bare package names imported (statically or dynamically) by these files. */
function importedPackages(files: string[]): Set<string> {
  const out = new Set<string>();
  for (const file of files) {
    for (const m of readFileSync(file, 'utf8').matchAll(/(?:from |import\()'([^'.][^']*)'/g)) {
      const spec = m[1];
      if (spec.startsWith('node:')) continue;
      out.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
    }
  }
  return out;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

describe('the server packages', () => {
  it('are what src/server and ascmh serve import, each an optional peer and a development dependency, none a dependency', () => {
    const imported = importedPackages([...sources(join(repoRoot, 'src', 'server')), join(repoRoot, 'src', 'cli', 'serve.ts')]);
    imported.delete('commander'); // the CLI's own parser, a dependency
    imported.delete('ascmh'); // the package itself (doc examples, the module augmentation)
    expect([...imported].sort()).toEqual([...SERVER_PACKAGES].sort());
    for (const name of SERVER_PACKAGES) {
      expect(manifest.dependencies[name], name).toBeUndefined();
      expect(manifest.peerDependencies[name], name).toBe(manifest.devDependencies[name]);
      expect(manifest.peerDependenciesMeta[name], name).toEqual({ optional: true });
    }
  });

  it('a missing one is ERR_ASCMH_MISSING_DEPENDENCY naming it, with the command that installs all of them', async () => {
    const notFound = Object.assign(new Error("Cannot find package 'prom-client' imported from /x/metrics.js"), { code: 'ERR_MODULE_NOT_FOUND' });
    const err = await loadServerModules(() => Promise.reject(notFound)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_ASCMH_MISSING_DEPENDENCY', message: expect.stringMatching(/^ascmh serve needs the optional package prom-client/) });
    const command = serverInstallCommand();
    for (const name of SERVER_PACKAGES) expect(command).toContain(`${name}@"${manifest.peerDependencies[name]}"`);
    expect((err as Error).message).toContain(command);
  });

  it('other failures pass through unchanged, and a load that works returns its modules', async () => {
    const other = new Error('boom');
    await expect(loadServerModules(() => Promise.reject(other))).rejects.toBe(other);
    await expect(loadServerModules(async () => 42)).resolves.toBe(42);
  });
});
