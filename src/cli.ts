#!/usr/bin/env node
// The `ascmh` command line. A user mistake (bad file, bad option) prints one line on stderr and
// exits with code 2; --debug adds the stack. Output files are written atomically.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { registerEncode } from './cli/encode.js';
import { registerEvaluate } from './cli/evaluate.js';
import { bitsList, positiveInt } from './cli/common.js';
import { registerSearch } from './cli/search.js';
import { registerServe } from './cli/serve.js';
import { registerTrain } from './cli/train.js';
import { runDemo } from './experiments/demo.js';
import { AscmhError } from './core/errors.js';
import { native, packageRoot } from './core/native.js';

const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8'));
const USAGE_EXIT = 2;

function versionText(): string {
  const info = native.buildInfo();
  return `${pkg.version} (native: ${info.blas}; popcount ${info.popcount})`;
}

const program = new Command()
  .name('ascmh')
  .description('Asymmetric Scalable Cross-Modal Hashing: train, encode, search and evaluate binary codes for image/text retrieval')
  .version(versionText(), '-V, --version')
  .option('--debug', 'show stack traces of errors')
  .exitOverride();

program
  .command('demo')
  .description('train, encode, search and print mAP on built-in synthetic data (needs nothing beside the package)')
  .option('--n <n>', 'synthetic pairs (train + queries)', positiveInt, 4000)
  .option('--queries <q>', 'query pairs held out', positiveInt, 500)
  .option('--bits <list>', 'code lengths', bitsList, [16, 32, 64, 128])
  .action(async (o) => runDemo({ n: o.n, queries: o.queries, bits: o.bits }));

registerTrain(program);
registerEncode(program);
registerSearch(program);
registerEvaluate(program);
registerServe(program);
for (const cmd of program.commands) {
  cmd.exitOverride(); // usage errors exit through report(), with code 2
  for (const option of cmd.options) if (option.mandatory) option.description += ' (required)';
}

function report(err: unknown): number {
  const debug = process.argv.includes('--debug');
  if (err instanceof CommanderError) {
    // Commander has printed the message (or help / version) already.
    return err.exitCode === 0 ? 0 : USAGE_EXIT;
  }
  if (err instanceof AscmhError) {
    if (err.code === 'ERR_ASCMH_CANCELLED') {
      console.error('ascmh: interrupted; no output was written');
      return 130;
    }
    console.error(`ascmh: ${err.message}`);
    if (debug) console.error(err.stack);
    return USAGE_EXIT;
  }
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code === 'string' && typeof e.path === 'string') {
    // A file system error the library did not anticipate: still a user-facing condition.
    console.error(`ascmh: ${e.path}: ${e.code}`);
    if (debug) console.error(e.stack);
    return USAGE_EXIT;
  }
  console.error(`ascmh: internal error: ${(err as Error)?.message ?? String(err)}${debug ? '' : ' (run with --debug for the stack)'}`);
  if (debug) console.error((err as Error)?.stack);
  return 1;
}

program.parseAsync(process.argv).then(
  () => undefined,
  (err: unknown) => {
    process.exitCode = report(err);
  },
);
