import type { Command } from 'commander';
import { openDataset, readFeatureFile, readLabelFile } from '../io/data-files.js';
import { selectRows } from '../data/datasets.js';
import { fail } from '../core/errors.js';
import type { Method, TrainingData } from '../train/model.js';
import { type AnyModel, train as trainMethod } from '../train/trainers.js';
import { DDASH_DEFAULTS } from '../train/ddash.js';
import type { FitPhase, PhaseProgress } from '../train/fit-progress.js';
import { Progress, bitsValue, checkOutputPath, interruptSignal, matVariables, methodHyperParameters, nonNegativeInt, verbosityOf, withHyperParameters, withMatVariables, withMethod, withVerbosity } from './common.js';

/** How the phases of a fit read on the command line. */
const PHASE_NAMES: Record<FitPhase, (method: Method) => string> = {
  features: (method) => (method === 'ddash' ? 'feature statistics' : 'kernel features'),
  iterations: () => 'iterations',
  'hash-functions': () => 'hash functions',
};

export function registerTrain(program: Command): void {
  const cmd = program
    .command('train')
    .description('train a model on paired image/text features with labels and save it')
    .option('--data <source>', 'dataset folder (img.npy, txt.npy, labels.npy, split.json: its train part) or .mat file (its train variables)')
    .option('--image <file>', 'image features, one row per item (.npy, or .mat with --image-train-var)')
    .option('--text <file>', 'text features, row-aligned with --image')
    .option('--labels <file>', '0/1 labels (or one column of class numbers), row-aligned with --image')
    .requiredOption('--bits <n>', 'code length, 8 to 1024', bitsValue)
    .option('--seed <n>', 'seed of anchors and initialisation', nonNegativeInt, 0)
    .requiredOption('--out <file>', 'model file to write (atomically)');
  withVerbosity(withMatVariables(withHyperParameters(withMethod(cmd)), ['train'])).action(train);
}

async function trainingData(o: Record<string, string | undefined>, vars: ReturnType<typeof matVariables>): Promise<TrainingData> {
  const files = [o.image, o.text, o.labels];
  if (o.data !== undefined) {
    if (files.some((f) => f !== undefined)) fail('ERR_ASCMH_USAGE', 'give either --data or --image/--text/--labels, not both');
    const ds = await openDataset(o.data, vars);
    return selectRows(ds, ds.split.train);
  }
  if (files.some((f) => f === undefined)) fail('ERR_ASCMH_USAGE', 'give --data, or all three of --image, --text and --labels');
  return {
    image: await readFeatureFile(o.image!, vars.train.image),
    text: await readFeatureFile(o.text!, vars.train.text),
    labels: await readLabelFile(o.labels!, vars.train.labels),
  };
}

async function train(o: Record<string, unknown>, cmd: Command): Promise<void> {
  const verbosity = verbosityOf(o);
  const method = o.method as Method;
  const hyper = methodHyperParameters(method, o, cmd);
  await checkOutputPath(o.out as string);
  const options = { ...hyper, bits: o.bits as number, seed: o.seed as number };
  const iterations = (hyper.iterations as number | undefined) ?? { ascmh: 5, batch: 6, scratch: 20, ddash: DDASH_DEFAULTS.iterations.default as number, csmh: 10 }[method];
  const started = performance.now();
  const elapsed = () => `${((performance.now() - started) / 1000).toFixed(2)} s elapsed`;
  const progress = new Progress('train', iterations, verbosity);
  let model: AnyModel;
  let data: TrainingData;
  try {
    progress.phase(`reading ${o.data ?? [o.image, o.text, o.labels].join(', ')}, ${elapsed()}`);
    data = await trainingData(o as Record<string, string | undefined>, matVariables(o));
    model = await trainMethod(method, data, options as never, {
      signal: interruptSignal(),
      onPhase: (p: PhaseProgress) => progress.phase(`${PHASE_NAMES[p.phase](method)}, ${elapsed()}`),
      onProgress: (p: { iteration: number; changedBits: number; remaining: number; reconstruction?: number; similarity?: number; label?: number; latentRank?: number; objective?: number }) => {
        const terms = p.objective !== undefined ? `objective ${p.objective.toPrecision(6)}` : p.reconstruction === undefined ? `latent rank ${p.latentRank}` : `reconstruction ${p.reconstruction.toPrecision(6)}, similarity ${p.similarity!.toPrecision(6)}, label ${p.label!.toPrecision(6)}`;
        progress.detail(`iteration ${p.iteration}: ${terms}, bits changed ${p.changedBits}`);
        progress.update(p.iteration, `iterations, ${elapsed()}, about ${p.remaining.toFixed(2)} s left in the iterations`);
      },
    } as never);
  } finally {
    progress.stop();
  }
  await model.save(o.out as string);
  if (verbosity !== 'quiet') {
    const stopped = 'converged' in model && model.converged ? `, converged after ${model.history.length} iterations` : '';
    console.log(`${o.out}: ${model.bits}-bit ${method.toUpperCase()} model, ${data.labels.rows} pairs (image ${data.image.cols}-D, text ${data.text.cols}-D), trained in ${model.seconds.total.toFixed(2)} s${stopped}`);
  }
}
