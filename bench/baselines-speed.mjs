// Training time of the BATCH and SCRATCH ports against the authors' code in GNU Octave on the same
// machine: Wiki at 128 bits and 20,000 NUS-WIDE-shaped pairs (datasets.nusWideLike) at 16 to 128
// bits. Times are whole fits: kernel features, training and hash functions (the port's
// model.seconds.total; Octave: the kernel steps plus evaluate*.m's tic/toc span). Each port
// configuration runs in its own process, median of --repeats fits; Octave runs --octave-repeats.
// The machine is shared: numbers are indicative. Needs what bench/baselines-vs-octave.mjs needs.
// Usage: node bench/baselines-speed.mjs [--repeats 5] [--octave-repeats 1] [--no-octave] [--nus-bits 16,32,64,128] [--methods batch,scratch]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const self = fileURLToPath(import.meta.url);
const here = fileURLToPath(new URL('.', import.meta.url));

if (process.argv[2] === '--child') {
  const { datasets, train } = await import('../dist/index.js');
  const [method, set, bits, repeats] = process.argv.slice(3);
  let data;
  if (set === 'wiki') {
    const ds = await datasets.loadDataset(new URL('../../shared/data/wiki', import.meta.url).pathname);
    data = datasets.selectRows(ds, ds.split.train);
  } else data = datasets.nusWideLike({ n: Number(set), concepts: 10, seed: 1 });
  const secs = [], parts = [], cpu = [];
  for (let s = 0; s < Number(repeats) + 1; s++) {
    const c0 = process.cpuUsage();
    const m = await train(method, data, { bits: Number(bits), seed: s });
    const c = process.cpuUsage(c0);
    // the first fit warms up; CPU seconds of the whole process (all threads) say more than wall time on a loaded machine
    if (s > 0) { secs.push(m.seconds.total); parts.push(m.seconds); cpu.push((c.user + c.system) / 1e6); }
  }
  const order = secs.map((v, i) => [v, i]).sort((a, b) => a[0] - b[0]);
  const mid = order[Math.floor(order.length / 2)][1];
  console.log(JSON.stringify({ median: secs[mid], cpuMedian: cpu.slice().sort((a, b) => a - b)[Math.floor(cpu.length / 2)], parts: parts[mid] }));
  process.exit(0);
}

const repeats = arg('repeats', '5');
const methods = arg('methods', 'batch,scratch').split(',');
const nusBits = arg('nus-bits', '16,32,64,128').split(',').map(Number);
const octave = !process.argv.includes('--no-octave');
const octaveRepeats = Number(arg('octave-repeats', '1'));
const REPOS = {
  batch: { dir: arg('batch-repo', '/work/.mirror/yxinwang+BATCH-TKDE2020/repo'), commit: 'c14bf449967f908e245e5a171bd4d12240a542f9', files: ['codes/BATCH/train_BATCH.m', 'codes/BATCH/Kernel_Feature.m', 'utils/NormalizeFea.m', 'utils/tool/sqdist.m'] },
  scratch: { dir: arg('scratch-repo', '/work/.mirror/lichuanxiang+SCRATCH/repo'), commit: 'a3bad26d0b2bb39b59df876c2711bfeb742f9893', files: ['train.m', 'Kernelize.m', 'sqdist.m'] },
};
const work = mkdtempSync(join(tmpdir(), 'ascmh-speed-'));
const port = (method, set, bits) => JSON.parse(execFileSync(process.execPath, [self, '--child', method, set, bits, repeats], { encoding: 'utf8' }).trim().split('\n').pop());

async function writeSet(set) {
  const { datasets } = await import('../dist/index.js');
  const dir = join(work, `data-${set}`);
  mkdirSync(dir, { recursive: true });
  let data;
  if (set === 'wiki') {
    const ds = await datasets.loadDataset(new URL('../../shared/data/wiki', import.meta.url).pathname);
    data = datasets.selectRows(ds, ds.split.train);
  } else data = datasets.nusWideLike({ n: Number(set), concepts: 10, seed: 1 });
  const f64 = (a) => Buffer.from(Float64Array.from(a).buffer);
  writeFileSync(join(dir, 'X.bin'), f64(data.image.data));
  writeFileSync(join(dir, 'Y.bin'), f64(data.text.data));
  writeFileSync(join(dir, 'L.bin'), f64(data.labels.data));
  writeFileSync(join(dir, 'sizes.txt'), `${data.labels.rows} ${data.image.cols} ${data.text.cols} ${data.labels.cols}\n`);
  return dir;
}
function octaveTime(method, dataDir, bits) {
  const { dir, commit, files } = REPOS[method];
  const code = join(work, method);
  mkdirSync(code, { recursive: true });
  for (const f of files) writeFileSync(join(code, f.split('/').pop()), execFileSync('git', ['--git-dir', dir, 'show', `${commit}:${f}`]));
  const run = spawnSync('octave-cli', ['--no-gui', '--quiet', '--eval', `addpath('${code}'); addpath('${join(here, 'octave')}'); timing_run('${method}', '${dataDir}', ${bits}, ${octaveRepeats})`], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const line = run.stdout.split('\n').find((l) => l.startsWith('{'));
  if (!line) throw new Error(`Octave failed: ${run.stderr}`);
  const r = JSON.parse(line.replace(/\[([^\]]*)\]/g, (_, x) => `[${x.trim().split(/\s+/).join(',')}]`));
  const list = (v) => (Array.isArray(v) ? v : [v]); // mat2str of one value has no brackets
  const total = list(r.kernel).map((k, i) => k + list(r.train)[i]).sort((a, b) => a - b);
  return total[Math.floor(total.length / 2)];
}

console.log(`# port: median of ${repeats} fits after a warm-up, own process; Octave: ${octaveRepeats} run(s). Shared machine: indicative only.`);
console.log('method\tset\tbits\tport s\tfeatures\titerations\thash\tOctave s\tOctave / port');
const configs = [];
for (const method of methods) {
  configs.push([method, 'wiki', 128]);
  for (const b of nusBits) configs.push([method, '20000', b]);
}
const dirs = {};
for (const [method, set, bits] of configs) {
  const p = port(method, set, bits);
  let o = null;
  if (octave && existsSync(REPOS[method].dir)) {
    dirs[set] ??= await writeSet(set);
    o = octaveTime(method, dirs[set], bits);
  }
  console.log([method, set === 'wiki' ? 'wiki' : `nus-like ${set}`, bits, p.median.toFixed(3), p.parts.features.toFixed(3), p.parts.iterations.toFixed(3), p.parts.hashFunctions.toFixed(3), o === null ? '-' : o.toFixed(2), o === null ? '-' : (o / p.median).toFixed(1)].join('\t'));
}
