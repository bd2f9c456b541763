import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { writeFileAtomic } from '../io/atomic-file.js';
import { openDataset } from '../io/data-files.js';
import { type Dataset, selectRows } from '../data/datasets.js';
import { fail } from '../core/errors.js';
import { type ExperimentRow, runExperiment } from '../experiments/experiment.js';
import { experimentFigures, topNGrid } from '../experiments/figures.js';
import { checkPngRenderer, svgToPng } from '../experiments/png.js';
import { PAPER_TABLE2, type PaperDataset, hasPaperRow, paperDatasetOf, paperMethodMap } from '../experiments/paper.js';
import type { Method } from '../train/model.js';
import type { Ranking } from '../eval/evaluate.js';
import { Progress, type Verbosity, bitsList, checkFlagsUsed, interruptSignal, matVariables, methodHyperParameters, positiveInt, verbosityOf, withHyperParameters, withMatVariables, withMethod, withVerbosity } from './common.js';

const DATA_HELP = 'dataset folder (img.npy, txt.npy, labels.npy, split.json) or .mat file (I_tr, T_tr, L_tr, I_te, ...)';

export function registerEvaluate(program: Command): void {
  const evalCmd = program
    .command('eval')
    .description('train at several code lengths and report mAP@all of both retrieval tasks')
    .requiredOption('--data <source>', DATA_HELP)
    .option('--bits <list>', 'code lengths', bitsList, [16, 32, 64, 128])
    .option('--seeds <n>', 'runs per code length (seeds 0..n-1); results are their mean', positiveInt, 5)
    .addOption(new Option('--protocol <p>', 'database: the learned training codes (the paper\'s) or items encoded by the hash functions').choices(['train-codes', 'encoded']).default('train-codes'))
    .option('--json', 'print exactly one JSON object on stdout')
    .addOption(new Option('--ranking <r>', 'how the database is ranked: Hamming distance of the query codes (the paper\'s) or the asymmetric score of the query projections').choices(['hamming', 'asymmetric']).default('hamming'))
    .option('--plot <dir>', 'also write the paper\'s figures (precision of the top N, precision-recall) as SVG, and their data as curves.json (Hamming ranking)')
    .option('--plot-format <list>', 'formats of the --plot figures: svg, png (twice the SVG\'s size, through the optional package @resvg/resvg-js), or svg,png', plotFormats, ['svg']);
  withVerbosity(withMatVariables(withHyperParameters(withMethod(evalCmd)))).action(evaluateCommand);

  const reproduceCmd = program
    .command('reproduce')
    .description('the paper\'s Table 2 for a dataset: mAP at 16/32/64/128 bits, train-codes protocol, with the paper\'s numbers beside ours')
    .requiredOption('--data <source>', DATA_HELP)
    .option('--seeds <n>', 'runs per code length (the paper averages 20)', positiveInt, 20)
    .option('--bits <list>', 'code lengths', bitsList, [16, 32, 64, 128])
    .addOption(new Option('--paper <dataset>', 'which of the paper\'s datasets this is (default: from the data\'s name)').choices([...Object.keys(PAPER_TABLE2), 'none']))
    .option('--methods <list>', 'methods, one table each, with the paper\'s row beside each where one exists (ascmh, batch, scratch, ddash, csmh)', methodList, ['ascmh', 'batch', 'scratch', 'ddash', 'csmh'])
    .option('--rankings <list>', 'rankings, a table each per method, from the same fits (hamming: the paper\'s protocol; asymmetric)', rankingList, ['hamming', 'asymmetric'])
    .option('--json', 'print exactly one JSON object on stdout');
  withVerbosity(withMatVariables(withHyperParameters(reproduceCmd))).action(reproduce);
}

function methodList(value: string): Method[] {
  const list = value.split(',').map((m) => m.trim());
  for (const m of list) if (!['ascmh', 'batch', 'scratch', 'ddash', 'csmh'].includes(m)) fail('ERR_ASCMH_USAGE', `--methods: unknown method ${m} (ascmh, batch, scratch, ddash, csmh)`);
  return list as Method[];
}

type PlotFormat = 'svg' | 'png';

function plotFormats(value: string): PlotFormat[] {
  const list = [...new Set(value.split(',').map((f) => f.trim()))];
  for (const f of list) if (f !== 'svg' && f !== 'png') fail('ERR_ASCMH_USAGE', `--plot-format: unknown format ${f} (svg, png)`);
  return list as PlotFormat[];
}

function rankingList(value: string): Ranking[] {
  const list = [...new Set(value.split(',').map((r) => r.trim()))];
  for (const r of list) if (r !== 'hamming' && r !== 'asymmetric') fail('ERR_ASCMH_USAGE', `--rankings: unknown ranking ${r} (hamming, asymmetric)`);
  return list as Ranking[];
}

async function experiment(ds: Dataset, o: Record<string, unknown>, protocol: 'train-codes' | 'encoded', curves: boolean, verbosity: Verbosity, method: Method, hyper: Record<string, unknown>, rankings: Ranking[]): Promise<ExperimentRow[]> {
  const train = selectRows(ds, ds.split.train);
  const query = selectRows(ds, ds.split.query);
  const database = protocol === 'encoded' ? selectRows(ds, ds.split.database) : train;
  const bits = o.bits as number[];
  const seeds = o.seeds as number;
  const progress = new Progress(method === 'ascmh' ? `${ds.name}` : `${ds.name} ${method}`, bits.length * seeds, verbosity);
  let fits = 0;
  try {
    return await runExperiment({
      train,
      query,
      database,
      bits,
      seeds,
      protocol,
      method,
      options: hyper,
      curves: curves ? { ns: topNGrid(database.labels.rows) } : undefined,
      rankings,
      signal: interruptSignal(),
      onFit: (b, seed, seconds) => {
        progress.detail(`${b} bits, seed ${seed}: trained in ${seconds.toFixed(3)} s`);
        progress.update(++fits, 'fits');
      },
    });
  } finally {
    progress.stop();
  }
}

function printTable(rows: ExperimentRow[], title: string): void {
  console.log(title);
  console.log('  bits   image->text   text->image   train s');
  for (const r of rows) {
    console.log(`  ${String(r.bits).padStart(4)}   ${r.i2t.toFixed(4).padStart(11)}   ${r.t2i.toFixed(4).padStart(11)}   ${r.trainSeconds.toFixed(3).padStart(7)}`);
  }
}

async function writePlots(dir: string, rows: ExperimentRow[], ds: Dataset, protocol: string, seeds: number, formats: PlotFormat[]): Promise<string[]> {
  await mkdir(dir, { recursive: true }).catch((err: NodeJS.ErrnoException) => fail('ERR_ASCMH_WRITE', `cannot create ${dir}: ${err.code}`));
  const written: string[] = [];
  for (const figure of experimentFigures(rows, ds.name, { protocol, seeds })) {
    for (const format of formats) {
      const file = join(dir, format === 'svg' ? figure.file : figure.file.replace(/\.svg$/, '.png'));
      await writeFileAtomic(file, format === 'svg' ? Buffer.from(figure.svg) : await svgToPng(figure.svg));
      written.push(file);
    }
  }
  const data = { dataset: ds.name, protocol, results: rows.map((r) => ({ bits: r.bits, ...r.curves })) };
  await writeFileAtomic(join(dir, 'curves.json'), Buffer.from(JSON.stringify(data) + '\n'));
  written.push(join(dir, 'curves.json'));
  return written;
}

async function evaluateCommand(o: Record<string, unknown>, cmd: Command): Promise<void> {
  const verbosity = verbosityOf(o);
  const protocol = o.protocol as 'train-codes' | 'encoded';
  const method = o.method as Method;
  const ranking = o.ranking as Ranking;
  if (o.plot === undefined && cmd.getOptionValueSource('plotFormat') === 'cli') fail('ERR_ASCMH_USAGE', '--plot-format needs --plot <dir>');
  if (ranking === 'asymmetric' && o.plot !== undefined) fail('ERR_ASCMH_USAGE', '--plot draws Hamming-ranked figures (top-N precision, precision-recall by Hamming radius): use it with --ranking hamming');
  const hyper = methodHyperParameters(method, o, cmd);
  if (o.plot !== undefined && (o.plotFormat as PlotFormat[]).includes('png')) await checkPngRenderer(); // before the fits, not after
  const ds = await openDataset(o.data as string, matVariables(o));
  const rows = await experiment(ds, o, protocol, o.plot !== undefined, verbosity, method, hyper, [ranking]);
  const written = o.plot !== undefined ? await writePlots(o.plot as string, rows, ds, protocol, o.seeds as number, o.plotFormat as PlotFormat[]) : [];
  const results = rows.map(({ curves: _curves, rankings: _rankings, ...r }) => r);
  if (o.json) {
    process.stdout.write(JSON.stringify({ dataset: ds.name, method, protocol, ranking, results }) + '\n');
  } else {
    printTable(results, `${ds.name}${method === 'ascmh' ? '' : ` (${method.toUpperCase()})`}: mAP@all over ${o.seeds} seed(s), protocol ${protocol}${ranking === 'asymmetric' ? ', asymmetric ranking' : ''}`);
    for (const path of written) console.log(`wrote ${path}`);
  }
}

const TASKS = [
  { key: 'i2t', label: 'Image->Text' },
  { key: 't2i', label: 'Text->Image' },
] as const;

async function reproduce(o: Record<string, unknown>, cmd: Command): Promise<void> {
  const methods = o.methods as Method[];
  checkFlagsUsed(methods, cmd);
  const hypers = methods.map((m) => methodHyperParameters(m, o, cmd, methods.length > 1));
  const ds = await openDataset(o.data as string, matVariables(o));
  const paper: PaperDataset | undefined = o.paper === 'none' ? undefined : ((o.paper as PaperDataset | undefined) ?? paperDatasetOf(ds.name));
  const rankings = o.rankings as Ranking[];
  const tables: { method: Method; rows: ExperimentRow[] }[] = [];
  for (const [i, method] of methods.entries()) tables.push({ method, rows: await experiment(ds, o, 'train-codes', false, verbosityOf(o), method, hypers[i], rankings) });
  const cellOf = (method: Method, rows: ExperimentRow[], ranking: Ranking = rankings[0]) => (bits: number, task: 'i2t' | 't2i') => {
    const ours = rows.find((r) => r.bits === bits)!.rankings![ranking]![task];
    const theirs = paper ? paperMethodMap(method, paper, task, bits) : undefined;
    return { ours, paper: theirs ?? null, difference: theirs === undefined ? null : ours - theirs };
  };
  const resultsOf = (method: Method, rows: ExperimentRow[], ranking: Ranking) => {
    const cell = cellOf(method, rows, ranking);
    return rows.map((r) => ({ bits: r.bits, i2t: cell(r.bits, 'i2t'), t2i: cell(r.bits, 't2i'), trainSeconds: r.trainSeconds }));
  };
  if (o.json) {
    // `results` is the first method's table (ASCMH by default) in the first ranking, as before
    // `methods` existed; each method's `rankings` holds its table in every ranking.
    const all = tables.map((t) => ({
      method: t.method,
      results: resultsOf(t.method, t.rows, rankings[0]),
      rankings: Object.fromEntries(rankings.map((r) => [r, resultsOf(t.method, t.rows, r)])),
    }));
    process.stdout.write(JSON.stringify({ dataset: ds.name, paperDataset: paper ?? null, protocol: 'train-codes', seeds: o.seeds, rankings, results: all[0].results, methods: all }) + '\n');
    return;
  }
  const fmt = (v: number | null, signed = false) => (v === null ? '-' : `${signed && v >= 0 ? '+' : ''}${v.toFixed(4)}`).padStart(9);
  const paperTitle = paper ? PAPER_TABLE2[paper].title : 'no published numbers';
  const printed = tables.flatMap((t) => rankings.map((ranking) => ({ ...t, ranking })));
  for (const [i, { method, rows, ranking }] of printed.entries()) {
    if (i > 0) console.log('');
    const cell = cellOf(method, rows, ranking);
    const source = method === 'ascmh' ? '' : ", the ASCMH paper's row for it";
    const rankedBy = ranking === 'asymmetric' ? ', asymmetric ranking' : '';
    const published = paper !== undefined && hasPaperRow(method);
    const heading = paper && !published ? `no published numbers for ${method.toUpperCase()} on ${PAPER_TABLE2[paper].title}` : `paper: ${paperTitle}${paper ? source : ''}`;
    console.log(`${method.toUpperCase()} on ${ds.name} (${heading}), mAP@all, train-codes protocol${rankedBy}, mean of ${o.seeds} seed(s)`);
    console.log(`${'Task'.padEnd(13)}${'Row'.padEnd(12)}${rows.map((r) => `${r.bits} bits`.padStart(9)).join('')}`);
    for (const task of TASKS) {
      const cells = rows.map((r) => cell(r.bits, task.key));
      console.log(`${task.label.padEnd(13)}${'ours'.padEnd(12)}${cells.map((c) => fmt(c.ours)).join('')}`);
      if (paper && !published) {
        console.log(`${''.padEnd(13)}${'paper'.padEnd(12)}  none published (${method.toUpperCase()}'s paper gives no numbers for these sets)`);
      } else if (paper) {
        console.log(`${''.padEnd(13)}${'paper'.padEnd(12)}${cells.map((c) => fmt(c.paper)).join('')}`);
        console.log(`${''.padEnd(13)}${'difference'.padEnd(12)}${cells.map((c) => fmt(c.difference, true)).join('')}`);
      }
    }
    console.log(`${'Train s'.padEnd(13)}${'median'.padEnd(12)}${rows.map((r) => r.trainSeconds.toFixed(3).padStart(9)).join('')}`);
  }
}
