#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { AscmhError } from './errors.js';
import { loadDataset, selectRows } from './datasets.js';
import { runDemo } from './demo.js';
import { runExperiment, type ExperimentRow } from './experiment.js';
import { native, packageRoot } from './native.js';
import { DEFAULTS } from './options.js';
import { join } from 'node:path';

const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8'));

function bitsList(value: string): number[] {
  const list = value.split(',').map((s) => Number(s.trim()));
  if (list.length === 0 || list.some((b) => !Number.isInteger(b) || b < 8 || b > 1024)) {
    throw new InvalidArgumentError('a comma-separated list of integers from 8 to 1024, e.g. 16,32,64,128');
  }
  return list;
}
function positiveInt(value: string): number {
  const v = Number(value);
  if (!Number.isInteger(v) || v < 1) throw new InvalidArgumentError('a positive integer');
  return v;
}
function nonNegative(value: string): number {
  const v = Number(value);
  if (!Number.isFinite(v) || v < 0) throw new InvalidArgumentError('a number >= 0');
  return v;
}

/** Hyper-parameter flags shared by the training commands. */
function withHyperParameters(cmd: Command): Command {
  return cmd
    .option('--image-anchors <k>', 'RBF anchors of the image features', positiveInt, DEFAULTS.imageAnchors)
    .option('--text-anchors <k>', 'RBF anchors of the text features', positiveInt, DEFAULTS.textAnchors)
    .option('--image-kernel-width <x>', 'image RBF sigma as a multiple of the mean sample-anchor distance', nonNegative, DEFAULTS.imageKernelWidth)
    .option('--text-kernel-width <x>', 'text RBF sigma as a multiple of the mean sample-anchor distance', nonNegative, DEFAULTS.textKernelWidth)
    .option('--lambda-image <x>', 'image reconstruction weight', nonNegative, DEFAULTS.lambdaImage)
    .option('--lambda-text <x>', 'text reconstruction weight', nonNegative, DEFAULTS.lambdaText)
    .option('--alpha <x>', 'weight of the similarity term', nonNegative, DEFAULTS.alpha)
    .option('--omega <x>', 'weight of the label term', nonNegative, DEFAULTS.omega)
    .option('--ridge <x>', 'ridge of both hash-function regressions')
    .option('--ridge-image <x>', `ridge of the image hash function (default ${DEFAULTS.ridgeImage})`, nonNegative)
    .option('--ridge-text <x>', `ridge of the text hash function (default ${DEFAULTS.ridgeText})`, nonNegative)
    .option('--iterations <t>', 'most alternating iterations', positiveInt, DEFAULTS.iterations)
    .option('--tolerance <x>', 'stop once no code bit changes and the objective moves by at most this fraction (0: never)', nonNegative, DEFAULTS.tolerance)
    .addOption(new Option('--precision <p>', 'arithmetic').choices(['float64', 'float32']).default(DEFAULTS.precision));
}

function hyperParameters(o: Record<string, unknown>) {
  return {
    imageAnchors: o.imageAnchors as number,
    textAnchors: o.textAnchors as number,
    imageKernelWidth: o.imageKernelWidth as number,
    textKernelWidth: o.textKernelWidth as number,
    lambdaImage: o.lambdaImage as number,
    lambdaText: o.lambdaText as number,
    alpha: o.alpha as number,
    omega: o.omega as number,
    ridge: o.ridge === undefined ? undefined : nonNegative(o.ridge as string),
    ridgeImage: o.ridgeImage as number | undefined,
    ridgeText: o.ridgeText as number | undefined,
    iterations: o.iterations as number,
    tolerance: o.tolerance as number,
    precision: o.precision as 'float64' | 'float32',
  };
}

function printTable(rows: ExperimentRow[], title: string) {
  console.log(title);
  console.log('  bits   image->text   text->image   train s');
  for (const r of rows) {
    console.log(`  ${String(r.bits).padStart(4)}   ${r.i2t.toFixed(4).padStart(11)}   ${r.t2i.toFixed(4).padStart(11)}   ${r.trainSeconds.toFixed(3).padStart(7)}`);
  }
}

const program = new Command()
  .name('ascmh')
  .description('Asymmetric Scalable Cross-Modal Hashing: train, encode and evaluate binary codes for image/text retrieval')
  .version(`${pkg.version} (native: ${native.buildInfo().blas}; popcount ${native.buildInfo().popcount})`, '-V, --version');

program
  .command('demo')
  .description('train, encode, search and print mAP on built-in synthetic data (needs nothing beside the package)')
  .option('--n <n>', 'synthetic pairs (train + queries)', positiveInt, 4000)
  .option('--queries <q>', 'query pairs held out', positiveInt, 500)
  .option('--bits <list>', 'code lengths', bitsList, [16, 32, 64, 128])
  .action(async (o) => runDemo({ n: o.n, queries: o.queries, bits: o.bits }));

withHyperParameters(
  program
    .command('eval')
    .description('train and evaluate on a dataset folder (img.npy, txt.npy, labels.npy, split.json)')
    .requiredOption('--data <dir>', 'dataset folder')
    .option('--bits <list>', 'code lengths', bitsList, [16, 32, 64, 128])
    .option('--seeds <n>', 'runs per code length (seeds 0..n-1); mAP is their mean', positiveInt, 5)
    .addOption(new Option('--protocol <p>', 'database protocol').choices(['train-codes', 'encoded']).default('train-codes'))
    .option('--json', 'print exactly one JSON object on stdout'),
).action(async (o) => {
  const ds = await loadDataset(o.data);
  const train = selectRows(ds, ds.split.train);
  const query = selectRows(ds, ds.split.query);
  const database = selectRows(ds, ds.split.database);
  const results = await runExperiment({ train, query, database, bits: o.bits, seeds: o.seeds, protocol: o.protocol, options: hyperParameters(o) });
  if (o.json) {
    process.stdout.write(JSON.stringify({ dataset: ds.name, protocol: o.protocol, results }) + '\n');
  } else {
    printTable(results, `${ds.name}: mAP@all over ${o.seeds} seed(s), protocol ${o.protocol}`);
  }
});

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof AscmhError) {
    console.error(`ascmh: ${err.message} [${err.code}]`);
    if (process.argv.includes('--debug')) console.error(err.stack);
    process.exit(2);
  }
  console.error(err);
  process.exit(1);
});
