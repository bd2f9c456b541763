// The packages the service runs on. They are optional peer dependencies of ascmh, so a user of the
// library alone installs none of them; `ascmh serve` without them is ERR_ASCMH_MISSING_DEPENDENCY
// with the command that installs them. (This file imports none of them.)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AscmhError } from '../core/errors.js';
import { packageRoot } from '../core/native.js';

/** The server's packages, as package.json lists them among the optional peers. */
export const SERVER_PACKAGES = ['fastify', 'fastify-plugin', '@fastify/swagger', '@fastify/type-provider-typebox', '@fastify/under-pressure', 'ajv', 'typebox', 'prom-client', 'close-with-grace'] as const;

/** `npm install` of the server's packages at the versions ascmh was built against. */
export function serverInstallCommand(): string {
  const peers = (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { peerDependencies: Record<string, string> }).peerDependencies;
  return `npm install ${SERVER_PACKAGES.map((name) => `${name}@"${peers[name]}"`).join(' ')}`;
}

/** Loads the server's modules; a missing package becomes ERR_ASCMH_MISSING_DEPENDENCY naming it. */
export async function loadServerModules<T>(load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e?.code !== 'ERR_MODULE_NOT_FOUND' && e?.code !== 'MODULE_NOT_FOUND') throw err;
    const missing = SERVER_PACKAGES.find((name) => e.message?.includes(`'${name}'`)) ?? SERVER_PACKAGES[0];
    throw new AscmhError('ERR_ASCMH_MISSING_DEPENDENCY', `ascmh serve needs the optional package ${missing} (and the other server packages), which is not installed: ${serverInstallCommand()}`);
  }
}
