import type { Command } from 'commander';
import { CodesFileWriter } from '../io/codes-file.js';
import { readFeatureFile } from '../io/data-files.js';
import { abortError } from '../core/errors.js';
import type { Matrix, Modality } from '../core/matrix.js';
import { loadModel } from '../train/trainers.js';
import { NpyRowReader, type NpyData } from '../io/npy.js';
import { Progress, checkFeatureSize, checkOutputPath, datasetFeatures, defaultVariable, interruptSignal, modalityOption, positiveInt, splitOption, verbosityOf, withVerbosity } from './common.js';

/** Rows of input held at once: bounded memory whatever the file size. */
const BATCH_BYTES = 64 << 20;

export function registerEncode(program: Command): void {
  const cmd = program
    .command('encode')
    .description('encode a feature file into binary codes, in batches (bounded memory)')
    .requiredOption('--model <file>', 'model file written by `ascmh train`')
    .addOption(modalityOption())
    .requiredOption('--input <file>', 'features, one row per item (.npy, or .mat with --var), or a dataset folder or .mat dataset with --split')
    .option('--var <name>', '.mat variable to encode (default I_db for image, T_db for text)')
    .addOption(splitOption('database'))
    .requiredOption('--out <file>', 'codes to write: .npy (uint8, one row of ceil(bits/8) bytes per item) or any other name for raw rows (FAISS binary layout)')
    .option('--batch-rows <n>', 'rows encoded per batch (default: 64 MiB of input)', positiveInt);
  withVerbosity(cmd).action(encode);
}

const asFloat = (data: NpyData): Float32Array | Float64Array => (data instanceof Uint8Array ? Float32Array.from(data) : data);

/** A feature file read in row batches: streamed from a C-order .npy, sliced from a loaded .mat. */
interface FeatureSource {
  rows: number;
  cols: number;
  read(start: number, count: number): Promise<Matrix>;
  close(): Promise<void>;
}

async function openFeatureSource(path: string, variable: string, o: Record<string, unknown>, modality: Modality): Promise<FeatureSource> {
  const part = await datasetFeatures(path, o, modality, 'database');
  if (part !== undefined || path.toLowerCase().endsWith('.mat')) {
    const all = part ?? (await readFeatureFile(path, variable));
    return {
      rows: all.rows,
      cols: all.cols,
      read: async (start, count) => ({ rows: count, cols: all.cols, data: all.data.subarray(start * all.cols, (start + count) * all.cols) }),
      close: async () => undefined,
    };
  }
  const reader = await NpyRowReader.open(path);
  return {
    rows: reader.rows,
    cols: reader.cols,
    read: async (start, count) => ({ rows: count, cols: reader.cols, data: asFloat(await reader.read(start, count)) }),
    close: () => reader.close(),
  };
}

async function encode(o: Record<string, unknown>): Promise<void> {
  const verbosity = verbosityOf(o);
  const modality = o.modality as Modality;
  const input = o.input as string;
  const out = o.out as string;
  await checkOutputPath(out);
  const model = await loadModel(o.model as string);
  const source = await openFeatureSource(input, (o.var as string | undefined) ?? defaultVariable(modality, 'db'), o, modality);
  const signal = interruptSignal();
  const progress = new Progress('encode', source.rows, verbosity);
  try {
    checkFeatureSize(model, modality, source.cols, input);
    const step = (o.batchRows as number | undefined) ?? Math.max(1, Math.floor(BATCH_BYTES / (source.cols * 8)));
    const writer = await CodesFileWriter.create(out, source.rows, model.bits);
    try {
      for (let start = 0; start < source.rows; start += step) {
        if (signal.aborted) throw abortError('encoding was interrupted', signal);
        const batch = await source.read(start, Math.min(step, source.rows - start));
        await writer.write(await model.encodeAsync(modality, batch));
        progress.update(start + batch.rows, 'rows');
      }
      await writer.commit();
    } catch (err) {
      await writer.abort();
      throw err;
    }
  } finally {
    progress.stop();
    await source.close();
  }
  if (verbosity !== 'quiet') console.log(`${out}: ${source.rows} ${model.bits}-bit codes of ${modality} features`);
}
