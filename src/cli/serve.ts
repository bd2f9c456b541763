// `ascmh serve`: the HTTP search service (src/server/) on a port, with signal handling.
import { readFile } from 'node:fs/promises';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { loadServerModules } from '../server/dependencies.js';
import { fail } from '../core/errors.js';
import { setThreads } from '../core/limits.js';
import { ASCMH } from '../train/ascmh.js';
import { nonNegativeInt, positiveInt } from './common.js';

function port(value: string): number {
  const v = Number(value);
  if (!Number.isInteger(v) || v < 0 || v > 65535) throw new InvalidArgumentError('a port number from 0 to 65535 (0: any free port)');
  return v;
}

function milliseconds(value: string): number {
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v) || v < 0) throw new InvalidArgumentError('a number of milliseconds >= 0');
  return v;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve search over HTTP: a durable index in a directory, queries encoded with the model (see docs/serving.md)')
    .requiredOption('--model <file>', 'model file: encodes feature queries and items, and fixes the code length')
    .requiredOption('--index <dir>', 'durable index directory (created with the model\'s code length when absent or empty)')
    .option('--port <n>', 'TCP port (0: any free port)', port, 8080)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .addOption(new Option('--durability <d>', 'when an add or delete is acknowledged: fsync (on disk), os (written to the OS), none (only at checkpoints)').choices(['fsync', 'os', 'none']).default('fsync'))
    .option('--token-file <file>', 'bearer token required by writes (or by every route with --auth all); default: the ASCMH_TOKEN environment variable, else no token')
    .addOption(new Option('--auth <scope>', 'routes that need the token: writes, or all (every route but /healthz and /readyz)').choices(['writes', 'all']).default('writes'))
    .option('--threads <n>', 'native threads (search pool and BLAS); default: every core, or ASCMH_THREADS', positiveInt)
    .option('--batch-window-ms <ms>', 'longest wait of a search for others to batch with, when the index is idle', milliseconds, 1)
    .option('--max-batch <n>', 'queries in one native search call before it is sent at once', positiveInt, 256)
    .option('--max-in-flight <n>', 'native search calls running at once, when batching', positiveInt, 1)
    .option('--no-batching', 'one native search call per request (default: concurrent searches are batched)')
    .option('--body-limit <bytes>', 'largest request body', positiveInt, 16 << 20)
    .option('--max-k <n>', 'largest k (and radius limit)', positiveInt, 1000)
    .option('--max-queries <n>', 'most queries, items or ids in one JSON request', positiveInt, 10_000)
    .option('--max-event-loop-delay <ms>', 'answer 503 with Retry-After while the event-loop delay is above this (0: never)', nonNegativeInt, 1000)
    .option('--lock-wait-ms <ms>', 'keep retrying this long while another process holds the index (not ready meanwhile)', nonNegativeInt, 10_000)
    .option('--drain-delay-ms <ms>', 'on SIGTERM, report not ready for this long before refusing new requests', nonNegativeInt, 0)
    .option('--shutdown-timeout-ms <ms>', 'on SIGTERM, exit 1 if draining and checkpointing take longer', positiveInt, 30_000)
    .addOption(new Option('--log-level <level>', 'log level (JSON lines on stderr)').choices(['fatal', 'error', 'warn', 'info', 'debug']).default('warn'))
    .action(serve);
}

async function token(o: Record<string, unknown>): Promise<string | undefined> {
  let value: string | undefined;
  if (o.tokenFile !== undefined) {
    const file = o.tokenFile as string;
    value = (await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => fail('ERR_ASCMH_FILE', `cannot read the token file ${file}: ${err.code}`))).trim();
    if (!value) fail('ERR_ASCMH_USAGE', `the token file ${file} is empty`);
  } else if (process.env.ASCMH_TOKEN !== undefined) {
    value = process.env.ASCMH_TOKEN.trim();
    if (!value) fail('ERR_ASCMH_USAGE', 'ASCMH_TOKEN is set but empty');
  }
  if (value !== undefined && /\s/.test(value)) fail('ERR_ASCMH_USAGE', 'the token must not contain whitespace');
  if (value === undefined && o.auth === 'all') fail('ERR_ASCMH_USAGE', '--auth all needs a token (--token-file or ASCMH_TOKEN)');
  return value;
}

async function serve(o: Record<string, unknown>): Promise<void> {
  // Loaded here, so that the other commands do not load fastify, and first: without the server's
  // packages nothing else is worth doing.
  const [{ buildServer }, { default: closeWithGrace }] = await loadServerModules(() => Promise.all([import('../server/app.js'), import('close-with-grace')]));
  if (o.threads !== undefined) setThreads(o.threads as number);
  const secret = await token(o);
  const modelPath = o.model as string;
  const model = await ASCMH.load(modelPath);
  const server = await buildServer({
    model,
    index: o.index as string,
    durability: o.durability as 'fsync' | 'os' | 'none',
    auth: secret === undefined ? undefined : { token: secret, scope: o.auth as 'writes' | 'all' },
    batching: { enabled: o.batching as boolean, windowMs: o.batchWindowMs as number, maxBatch: o.maxBatch as number, maxInFlight: o.maxInFlight as number },
    bodyLimit: o.bodyLimit as number,
    maxK: o.maxK as number,
    maxQueries: o.maxQueries as number,
    pressure: { maxEventLoopDelay: o.maxEventLoopDelay as number },
    lockWaitMs: o.lockWaitMs as number,
    drainDelayMs: o.drainDelayMs as number,
    fastify: { logger: { level: o.logLevel as string, stream: process.stderr } },
  });
  const address = await server.app.listen({ port: o.port as number, host: o.host as string });
  // From here on, SIGTERM / SIGINT drain and checkpoint; a crash of the process loses nothing acknowledged.
  const grace = closeWithGrace({ delay: o.shutdownTimeoutMs as number, logger: { error: (m: unknown) => server.app.log.error(m) } }, async ({ signal, err }) => {
    if (err) server.app.log.error({ err }, 'ascmh serve: fatal error, shutting down');
    else if (signal) process.stderr.write(`ascmh serve: ${signal}, draining and checkpointing\n`);
    await server.close();
  });
  try {
    await server.open();
  } catch (err) {
    grace.uninstall();
    await server.app.close().catch(() => undefined);
    throw err;
  }
  const stats = server.service.stats();
  const auth = secret === undefined ? 'no token' : `token for ${o.auth === 'all' ? 'every route' : 'writes'}`;
  const batching = o.batching ? `batching ${o.batchWindowMs} ms / ${o.maxBatch} queries` : 'batching off';
  process.stdout.write(
    `ascmh serve: listening on ${address}, model ${modelPath} (${model.bits} bits), index ${o.index as string} (${stats.index.size} items), ` +
      `durability ${o.durability as string}, ${auth}, ${batching}\n`,
  );
}
