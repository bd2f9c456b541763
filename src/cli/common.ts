// Pieces shared by the commands: option parsers, hyper-parameter flags, progress output, and the
// error policy (a user mistake is one line on stderr and exit code 2).
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import cliProgress from 'cli-progress';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { fail } from '../core/errors.js';
import { MAT_VARIABLES, type MatDatasetVariables, openDataset } from '../io/data-files.js';
import { type Matrix, type Modality, pickRows } from '../core/matrix.js';
import { type AscmhOptions, DEFAULTS } from '../train/ascmh-options.js';
import type { Method } from '../train/model.js';

export function bitsList(value: string): number[] {
  const list = value.split(',').map((s) => Number(s.trim()));
  if (list.length === 0 || list.some((b) => !Number.isInteger(b) || b < 8 || b > 1024)) {
    throw new InvalidArgumentError('a comma-separated list of integers from 8 to 1024, e.g. 16,32,64,128');
  }
  return list;
}

export function bitsValue(value: string): number {
  const v = Number(value);
  if (!Number.isInteger(v) || v < 8 || v > 1024) throw new InvalidArgumentError('an integer from 8 to 1024');
  return v;
}

export function positiveInt(value: string): number {
  const v = Number(value);
  if (!Number.isInteger(v) || v < 1) throw new InvalidArgumentError('a positive integer');
  return v;
}

export function nonNegativeInt(value: string): number {
  const v = Number(value);
  if (!Number.isInteger(v) || v < 0) throw new InvalidArgumentError('an integer >= 0');
  return v;
}

export function nonNegative(value: string): number {
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v) || v < 0) throw new InvalidArgumentError('a number >= 0');
  return v;
}

export const modalityOption = () => new Option('--modality <m>', 'modality of the input features').choices(['image', 'text']).makeOptionMandatory();

/** Hyper-parameter flags of the training commands. */
export function withHyperParameters(cmd: Command): Command {
  return cmd
    .option('--image-anchors <k>', 'RBF anchors of the image features', positiveInt, DEFAULTS.imageAnchors)
    .option('--text-anchors <k>', 'RBF anchors of the text features', positiveInt, DEFAULTS.textAnchors)
    .option('--image-kernel-width <x>', 'image RBF sigma as a multiple of the mean sample-anchor distance', nonNegative, DEFAULTS.imageKernelWidth)
    .option('--text-kernel-width <x>', 'text RBF sigma as a multiple of the mean sample-anchor distance', nonNegative, DEFAULTS.textKernelWidth)
    .option('--lambda-image <x>', 'image reconstruction weight', nonNegative, DEFAULTS.lambdaImage)
    .option('--lambda-text <x>', 'text reconstruction weight', nonNegative, DEFAULTS.lambdaText)
    .option('--alpha <x>', 'weight of the similarity term', nonNegative, DEFAULTS.alpha)
    .option('--omega <x>', 'weight of the label term', nonNegative, DEFAULTS.omega)
    .option('--ridge <x>', 'ridge of both hash-function regressions (sets --ridge-image and --ridge-text)', nonNegative)
    .option('--ridge-image <x>', `ridge of the image hash function (default ${DEFAULTS.ridgeImage})`, nonNegative)
    .option('--ridge-text <x>', `ridge of the text hash function (default ${DEFAULTS.ridgeText})`, nonNegative)
    .option('--iterations <t>', 'most alternating iterations', positiveInt, DEFAULTS.iterations)
    .option('--tolerance <x>', 'stop once no code bit changes and the objective moves by at most this fraction (0: never)', nonNegative, DEFAULTS.tolerance)
    .addOption(new Option('--precision <p>', 'arithmetic of features and updates').choices(['float64', 'float32']).default(DEFAULTS.precision));
}

/** --method, on train and eval. */
export function withMethod(cmd: Command): Command {
  return cmd.addOption(new Option('--method <m>', 'training method (BATCH and SCRATCH use their authors\' defaults, DDASH and CSMH their own; see README)').choices(['ascmh', 'batch', 'scratch', 'ddash', 'csmh']).default('ascmh'));
}

// The flags BATCH and SCRATCH share with ASCMH (passed on only when given); the rest are ASCMH's.
const SHARED_FLAGS: Record<Exclude<Method, 'ascmh'>, string[]> = {
  batch: ['imageAnchors', 'textAnchors', 'imageKernelWidth', 'textKernelWidth', 'iterations', 'precision', 'omega'],
  scratch: ['imageAnchors', 'textAnchors', 'imageKernelWidth', 'textKernelWidth', 'iterations', 'precision', 'alpha'],
  ddash: ['iterations', 'precision'],
  // CSMH: --alpha is its MMD weight, --ridge its lambda.
  csmh: ['imageAnchors', 'textAnchors', 'imageKernelWidth', 'textKernelWidth', 'iterations', 'precision', 'alpha', 'ridge'],
};

const HYPER_KEYS = ['imageAnchors', 'textAnchors', 'imageKernelWidth', 'textKernelWidth', 'lambdaImage', 'lambdaText', 'alpha', 'omega', 'ridge', 'ridgeImage', 'ridgeText', 'iterations', 'tolerance', 'precision'];

/**
 * The hyper-parameters of `method` from the flags: ASCMH's all; another method's shared flags given
 * on the command line. A flag the method does not take is a usage error, unless `lenient` (reproduce
 * with several methods: each takes the flags it has, see {@link checkFlagsUsed}).
 */
export function methodHyperParameters(method: Method, o: Record<string, unknown>, cmd: Command, lenient = false): Record<string, unknown> {
  if (method === 'ascmh') return hyperParameters(o) as Record<string, unknown>;
  const given = (key: string) => cmd.getOptionValueSource(key) === 'cli';
  const out: Record<string, unknown> = {};
  for (const key of HYPER_KEYS) {
    if (!given(key)) continue;
    if (!SHARED_FLAGS[method].includes(key)) {
      if (lenient) continue;
      const flag = '--' + key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
      fail('ERR_ASCMH_USAGE', `${flag} is an ASCMH option; ${method.toUpperCase()} takes ${SHARED_FLAGS[method].map((k) => '--' + k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())).join(', ')}`);
    }
    out[key] = o[key];
  }
  return out;
}

/** A usage error for a hyper-parameter flag that none of `methods` takes. */
export function checkFlagsUsed(methods: Method[], cmd: Command): void {
  if (methods.includes('ascmh')) return;
  for (const key of HYPER_KEYS) {
    if (cmd.getOptionValueSource(key) !== 'cli') continue;
    if (!methods.some((m) => SHARED_FLAGS[m as Exclude<Method, 'ascmh'>].includes(key))) {
      const flag = '--' + key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
      fail('ERR_ASCMH_USAGE', `${flag} applies to none of the methods ${methods.join(', ')}`);
    }
  }
}

export function hyperParameters(o: Record<string, unknown>): Omit<AscmhOptions, 'bits' | 'seed'> {
  return {
    imageAnchors: o.imageAnchors as number,
    textAnchors: o.textAnchors as number,
    imageKernelWidth: o.imageKernelWidth as number,
    textKernelWidth: o.textKernelWidth as number,
    lambdaImage: o.lambdaImage as number,
    lambdaText: o.lambdaText as number,
    alpha: o.alpha as number,
    omega: o.omega as number,
    ridge: o.ridge as number | undefined,
    ridgeImage: o.ridgeImage as number | undefined,
    ridgeText: o.ridgeText as number | undefined,
    iterations: o.iterations as number,
    tolerance: o.tolerance as number,
    precision: o.precision as 'float64' | 'float32',
  };
}

/** Variable-name flags of the dataset parts a command reads from a .mat file. */
export function withMatVariables(cmd: Command, parts: (keyof MatDatasetVariables)[] = ['train', 'query', 'database']): Command {
  for (const part of parts) {
    for (const [what, name] of Object.entries(MAT_VARIABLES[part])) {
      cmd.option(`--${what}-${part}-var <name>`, `.mat variable of the ${part} ${what}`, name);
    }
  }
  return cmd;
}

export function matVariables(o: Record<string, unknown>): MatDatasetVariables {
  const out = {} as MatDatasetVariables;
  for (const part of Object.keys(MAT_VARIABLES) as (keyof MatDatasetVariables)[]) {
    const pick = (what: string) => (o[`${what}${part[0].toUpperCase()}${part.slice(1)}Var`] as string | undefined) ?? MAT_VARIABLES[part][what as 'image'];
    out[part] = { image: pick('image'), text: pick('text'), labels: pick('labels') };
  }
  return out;
}

export function withVerbosity(cmd: Command): Command {
  return cmd.option('-q, --quiet', 'print nothing but errors (and the requested output)').option('-v, --verbose', 'print details (objective terms per iteration)');
}

export type Verbosity = 'quiet' | 'normal' | 'verbose';

export function verbosityOf(o: { quiet?: boolean; verbose?: boolean }): Verbosity {
  return o.quiet ? 'quiet' : o.verbose ? 'verbose' : 'normal';
}

/**
 * Progress of a long step on stderr: a bar on a terminal, plain lines otherwise, nothing when
 * quiet. Detail lines (verbose) print above the bar.
 */
export class Progress {
  private readonly bars?: cliProgress.MultiBar;
  private readonly bar?: cliProgress.SingleBar;
  private lastLine = -1;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly verbosity: Verbosity,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    if (verbosity !== 'quiet' && stream.isTTY) {
      this.bars = new cliProgress.MultiBar(
        { format: `${label} [{bar}] {value}/{total} {detail}`, stream, hideCursor: true, clearOnComplete: false, barsize: 30 },
        cliProgress.Presets.shades_classic,
      );
      this.bar = this.bars.create(total, 0, { detail: '' });
    }
  }

  update(done: number, detail = ''): void {
    if (this.verbosity === 'quiet') return;
    if (this.bar) {
      this.bar.update(done, { detail });
    } else if (done !== this.lastLine) {
      this.lastLine = done;
      this.stream.write(`${this.label}: ${done}/${this.total}${detail ? ` ${detail}` : ''}\n`);
    }
  }

  /** The start of a phase: a line of its own in plain mode, the bar's detail on a terminal. */
  phase(text: string): void {
    if (this.verbosity === 'quiet') return;
    if (this.bar) this.bar.update({ detail: text });
    else this.stream.write(`${this.label}: ${text}\n`);
  }

  /** A detail line, shown with --verbose only. */
  detail(line: string): void {
    if (this.verbosity !== 'verbose') return;
    if (this.bars) {
      this.bars.log(`${line}\n`);
      this.bars.update(); // logs print on the next redraw; do not wait for the timer
    } else this.stream.write(`${line}\n`);
  }

  stop(): void {
    this.bars?.stop();
  }
}

/** Fails early when an output path cannot be written (before hours of training, not after). */
export async function checkOutputPath(path: string): Promise<void> {
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory()) fail('ERR_ASCMH_WRITE', `cannot write ${path}: it is a directory`);
  const parent = await stat(dirname(path)).catch(() => undefined);
  if (!parent?.isDirectory()) fail('ERR_ASCMH_WRITE', `cannot write ${path}: folder ${dirname(path)} does not exist`);
}

/** An AbortSignal that fires on Ctrl-C / SIGTERM, so native work stops and temporary files go. */
export function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130); // a second Ctrl-C: leave now
    process.stderr.write(`\nascmh: ${signal}, stopping\n`);
    controller.abort();
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  return controller.signal;
}

export type Split = 'train' | 'query' | 'database';

/** --split, on encode and search: which part of a dataset folder or .mat dataset --input names. */
export const splitOption = (defaultSplit: Split) =>
  new Option('--split <part>', `with a dataset folder or .mat dataset as --input: the part whose features are read (default ${defaultSplit})`).choices(['train', 'query', 'database']);

/**
 * The features of one part of a dataset (folder, or .mat with its I_tr/I_te/I_db variables), when
 * --input is a dataset: a folder, or a .mat file given with --split. Undefined for a feature file.
 */
export async function datasetFeatures(input: string, o: Record<string, unknown>, modality: Modality, defaultSplit: Split): Promise<Matrix | undefined> {
  const isFolder = (await stat(input).catch(() => undefined))?.isDirectory() ?? false;
  if (!isFolder && o.split === undefined) return undefined;
  if (o.split !== undefined && o.var !== undefined) fail('ERR_ASCMH_USAGE', '--split and --var both pick what to read: give one of them');
  if (!isFolder && !input.toLowerCase().endsWith('.mat')) fail('ERR_ASCMH_USAGE', `--split needs a dataset folder or a .mat file as --input, not ${input}`);
  const ds = await openDataset(input, matVariables(o));
  const split = (o.split as Split | undefined) ?? defaultSplit;
  return pickRows(ds[modality], ds.split[split]);
}

/** The field's .mat name of a modality's database ('db') or query ('te') features. */
export function defaultVariable(modality: Modality, part: 'db' | 'te'): string {
  return `${modality === 'image' ? 'I' : 'T'}_${part}`;
}

/** A feature file must have the columns the model's hash function of that modality takes. */
export function checkFeatureSize(model: { dimension(modality: Modality): number }, modality: Modality, cols: number, path: string): void {
  const dim = model.dimension(modality);
  if (cols !== dim) fail('ERR_ASCMH_SHAPE', `${path}: ${cols} columns, but the model's ${modality} hash function takes ${dim}-D features`);
}
