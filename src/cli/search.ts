import { type Command, Option } from 'commander';
import { readCodesFile } from '../io/codes-file.js';
import { readFeatureFile } from '../io/data-files.js';
import { fail } from '../core/errors.js';
import { HammingIndex, isIndexFile } from '../search/hamming-index.js';
import type { Codes, Modality } from '../core/matrix.js';
import { type AnyModel, loadModel } from '../train/trainers.js';
import { bitsValue, checkFeatureSize, datasetFeatures, defaultVariable, nonNegativeInt, positiveInt, splitOption } from './common.js';


export function registerSearch(program: Command): void {
  program
    .command('search')
    .description('find the nearest database codes of each query, by Hamming distance (exact)')
    .option('--model <file>', 'model file: encodes the queries, and its training codes are the default database')
    .option('--database <file>', 'database codes: .npy or raw rows (as `ascmh encode` writes them) or a saved HammingIndex; default: the model\'s training codes')
    .addOption(new Option('--modality <m>', 'modality of the query features (image queries search text-side codes and vice versa)').choices(['image', 'text']))
    .requiredOption('--input <file>', 'queries: features (.npy, or .mat with --var), a dataset folder or .mat dataset with --split, or codes with --codes')
    .option('--var <name>', '.mat variable of the queries (default I_te for image, T_te for text)')
    .addOption(splitOption('query'))
    .option('--codes', 'the input holds codes, not features')
    .option('--bits <n>', 'code length of --codes input when no --model is given', bitsValue)
    .addOption(new Option('-k, --k <n>', 'results per query (default 10)').argParser(positiveInt).conflicts('radius'))
    .option('--radius <r>', 'every item within this Hamming distance instead of the top k', nonNegativeInt)
    .option('--limit <n>', 'with --radius: at most this many results per query', positiveInt)
    .option('--json', 'print one JSON object: { k | radius, queries: [{ ids, distances }] }')
    .action(search);
}

async function databaseIndex(path: string | undefined, model: AnyModel | undefined, bits: number): Promise<HammingIndex> {
  if (path !== undefined && (await isIndexFile(path))) {
    const index = HammingIndex.open(path);  // mapped: nothing is read until the search
    if (index.bits !== bits) fail('ERR_ASCMH_BITS_MISMATCH', `${path} holds ${index.bits}-bit codes; the queries are ${bits}-bit`);
    return index;
  }
  let codes: Codes;
  if (path !== undefined) codes = await readCodesFile(path, bits);
  else if (model) codes = model.trainingCodes;
  else fail('ERR_ASCMH_USAGE', 'give --database, or --model to search its training codes');
  const index = new HammingIndex({ bits });
  index.add(codes);
  return index;
}

async function queryCodes(o: Record<string, unknown>, model: AnyModel | undefined): Promise<Codes> {
  const input = o.input as string;
  if (o.codes) {
    if (o.split !== undefined) fail('ERR_ASCMH_USAGE', '--split reads features from a dataset; --codes input is a code file');
    const bits = model?.bits ?? (o.bits as number | undefined) ?? fail('ERR_ASCMH_USAGE', '--codes needs --model or --bits to know the code length');
    if (model && o.bits !== undefined && o.bits !== model.bits) fail('ERR_ASCMH_USAGE', `--bits ${o.bits} disagrees with the model's ${model.bits} bits`);
    return readCodesFile(input, bits);
  }
  if (!model) fail('ERR_ASCMH_USAGE', 'feature queries need --model (or pass codes with --codes)');
  if (o.modality === undefined) fail('ERR_ASCMH_USAGE', 'feature queries need --modality image|text');
  const modality = o.modality as Modality;
  const features = (await datasetFeatures(input, o, modality, 'query')) ?? (await readFeatureFile(input, (o.var as string | undefined) ?? defaultVariable(modality, 'te')));
  checkFeatureSize(model, modality, features.cols, input);
  return model.encodeAsync(modality, features);
}

async function search(o: Record<string, unknown>): Promise<void> {
  if (o.k === undefined && o.radius === undefined) o.k = 10;
  if (o.limit !== undefined && o.radius === undefined) fail('ERR_ASCMH_USAGE', '--limit goes with --radius');
  const model = o.model !== undefined ? await loadModel(o.model as string) : undefined;
  const queries = await queryCodes(o, model);
  const index = await databaseIndex(o.database as string | undefined, model, queries.bits);
  // Ids are row numbers (or the index's ids); exact as JSON numbers up to 2^53, strings beyond.
  const { results } = o.radius !== undefined
    ? (await index.searchRadiusAsync(queries, { radius: o.radius as number, limit: o.limit as number | undefined })).toJSON()
    : (await index.searchAsync(queries, { k: o.k as number })).toJSON();
  if (o.json) {
    const head = o.radius !== undefined ? { radius: o.radius } : { k: o.k };
    process.stdout.write(JSON.stringify({ ...head, bits: queries.bits, database: index.size, queries: results }) + '\n');
    return;
  }
  const lines = results.map((r, q) => `${q}: ${r.ids.map((id, j) => `${id}(${r.distances[j]})`).join(' ')}`);
  process.stdout.write(lines.join('\n') + (lines.length ? '\n' : ''));
}
