// BATCH and SCRATCH: this library's ports against the authors' MATLAB code run unchanged in GNU
// Octave, on Wiki (issue 13, part 3). For each code length:
//   1. runs the authors' code in Octave (bench/octave/batch_wiki.m, scratch_wiki.m drive it with
//      the steps of main_demo.m / Main_Wiki.m and evaluate*.m; randn.m and randsample.m on the path
//      record the random draws without changing them);
//   2. runs the port with those draws injected (anchors, initial matrices, BATCH's completion blocks);
//   3. compares the training codes B and both query codes bit by bit, and the mAP (this library's
//      metric on both sides, and the authors' mAP.m as Octave printed it);
//   4. as a control of how far rounding alone moves the authors' code, runs Octave again with one
//      BLAS thread (OPENBLAS_NUM_THREADS=1: other summation orders) on the same draws' seed and
//      compares Octave with Octave the same way (--no-control skips it);
//   5. SCRATCH: checks the hash projections Wx, Wy (max relative difference) and the rotation R on
//      what determines it: R maximises tr(R'K) for K = B V', and R K' = (K K')^(1/2) is unique even
//      where K is singular (on Wiki it is: about half its singular values are at rounding level),
//      while R itself is not there.
// Needs: GNU Octave (Debian: apt-get install octave; 7.3 was used), git, a build of this library
// (npm run build), the authors' repositories (a bare git dir or a checkout of each) and Wiki's
// wiki_data.mat (taken from the SCRATCH repository unless --data is given). It installs nothing.
//
// Usage: node bench/baselines-vs-octave.mjs [--batch-repo DIR] [--scratch-repo DIR] [--data wiki_data.mat]
//          [--bits 16,32,64,128] [--seed 0] [--methods batch,scratch] [--work DIR] [--octave octave-cli] [--json]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BATCH, SCRATCH, evaluate, readMat } from '../dist/index.js';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const here = fileURLToPath(new URL('.', import.meta.url));
const REPOS = {
  batch: { dir: arg('batch-repo', '/work/.mirror/yxinwang+BATCH-TKDE2020/repo'), commit: arg('batch-commit', 'c14bf449967f908e245e5a171bd4d12240a542f9'),
    files: ['codes/BATCH/train_BATCH.m', 'codes/BATCH/Kernel_Feature.m', 'utils/NormalizeFea.m', 'utils/tool/mAP.m', 'utils/tool/hammingDist.m', 'utils/tool/compactbit.m', 'utils/tool/sqdist.m'] },
  scratch: { dir: arg('scratch-repo', '/work/.mirror/lichuanxiang+SCRATCH/repo'), commit: arg('scratch-commit', 'a3bad26d0b2bb39b59df876c2711bfeb742f9893'),
    files: ['train.m', 'Kernelize.m', 'mAP.m', 'hammingDist.m', 'compactbit.m', 'sqdist.m'] },
};
const bitsList = arg('bits', '16,32,64,128').split(',').map(Number);
const seed = Number(arg('seed', '0'));
const methods = arg('methods', 'batch,scratch').split(',');
const octave = arg('octave', 'octave-cli');
const work = arg('work', mkdtempSync(join(tmpdir(), 'ascmh-octave-')));
const json = process.argv.includes('--json');
const log = (...a) => { if (!json) console.log(...a); };

function need(ok, what) {
  if (!ok) {
    console.error(`baselines-vs-octave: ${what}`);
    process.exit(2);
  }
}
need(spawnSync(octave, ['--version']).status === 0, `${octave} not found (Debian: apt-get install octave)`);
need(existsSync(new URL('../dist/index.js', import.meta.url)), 'build the library first (npm run build)');

// The authors' files, from a bare git dir (at the pinned commit) or a checkout.
function extract(method) {
  const { dir, commit, files } = REPOS[method];
  need(existsSync(dir), `${method}: no repository at ${dir} (--${method}-repo)`);
  const out = join(work, method);
  mkdirSync(out, { recursive: true });
  const bare = existsSync(join(dir, 'HEAD')) && !existsSync(join(dir, '.git'));
  for (const f of files) {
    const target = join(out, f.split('/').pop());
    const bytes = bare ? execFileSync('git', ['--git-dir', dir, 'show', `${commit}:${f}`]) : execFileSync('cat', [join(dir, f)]);
    writeFileSync(target, bytes);
  }
  return out;
}
let data = arg('data');
if (!data) {
  data = join(work, 'wiki_data.mat');
  const { dir, commit } = REPOS.scratch;
  writeFileSync(data, execFileSync('git', ['--git-dir', dir, 'show', `${commit}:wiki_data.mat`], { maxBuffer: 1 << 26 }));
}
const wiki = await readMat(data, ['I_tr', 'T_tr', 'L_tr', 'I_te', 'T_te', 'L_te']);
const asMatrix = (m) => ({ rows: m.rows, cols: m.cols, data: Float64Array.from(m.data) });
const asLabels = (m) => ({ rows: m.rows, cols: m.cols, data: Uint8Array.from(m.data, (v) => (v ? 1 : 0)) });
const train = { image: asMatrix(wiki.get('I_tr')), text: asMatrix(wiki.get('T_tr')), labels: asLabels(wiki.get('L_tr')) };
const query = { image: asMatrix(wiki.get('I_te')), text: asMatrix(wiki.get('T_te')), labels: asLabels(wiki.get('L_te')) };
const n = train.labels.rows;

// 0/1 bits (rows x bits, row-major) into the library's packed codes.
function pack(bits01, rows, bits) {
  const words = Math.ceil(bits / 64), data = new Uint8Array(rows * words * 8);
  for (let i = 0; i < rows; i++) for (let j = 0; j < bits; j++) if (bits01[i * bits + j] > 0) data[i * words * 8 + (j >> 3)] |= 1 << (j & 7);
  return { count: rows, bits, data };
}
function differingBits(a, b) {
  let d = 0;
  for (let i = 0; i < a.data.length; i++) { let x = a.data[i] ^ b.data[i]; while (x) { d += x & 1; x >>= 1; } }
  return d;
}
const mapOf = (q, db) => evaluate.meanAveragePrecision({ queries: q, database: db, queryLabels: query.labels, databaseLabels: train.labels });

const control = !process.argv.includes('--no-control');
function runOctave(method, code, outDir, env = {}) {
  mkdirSync(outDir, { recursive: true });
  const driver = method === 'batch' ? 'batch_wiki' : 'scratch_wiki';
  const run = spawnSync(octave, ['--no-gui', '--quiet', '--eval', `addpath('${code}'); addpath('${join(here, 'octave')}'); ${driver}('${data}', '${outDir}', ${seed}, [${bitsList.join(' ')}])`], { encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, ...env } });
  need(bitsList.every((b) => existsSync(join(outDir, `${method}_${seed}_${b}.mat`))), `Octave failed:\n${run.stderr}`);
}
const rows = [];
for (const method of methods) {
  const code = extract(method);
  log(`# ${method}: running the authors' code in ${octave} (seed ${seed}, bits ${bitsList.join(',')})${control ? ', and again with one BLAS thread' : ''}`);
  runOctave(method, code, work);
  if (control) runOctave(method, code, join(work, 'one-thread'), { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' });
  for (const bits of bitsList) {
    const file = join(work, `${method}_${seed}_${bits}.mat`);
    const o = await readMat(file);
    const get = (name) => o.get(name);
    const anchors = (name) => Array.from(get(name).data, (v) => v - 1);
    const inject = { imageAnchors: anchors('imageAnchors'), textAnchors: anchors('textAnchors') };
    let octaveB;
    if (method === 'batch') {
      inject.B0 = Float64Array.from(get('B0').data);
      inject.V0 = Float64Array.from(get('V0').data);
      const cols = Array.from(get('completionCols').data);
      inject.completion = cols.map((c, i) => (c > 0 ? Float64Array.from(get(`C${i + 1}`).data) : new Float64Array(0)));
      octaveB = Array.from(get('B').data, (v) => (v > 0 ? 1 : 0));
      rows.push;
    } else {
      inject.V0 = Float64Array.from(get('V0').data);
      inject.R0 = Float64Array.from(get('R0').data);
      octaveB = Array.from(get('Bdb').data);
    }
    const started = performance.now();
    const model = await (method === 'batch' ? BATCH : SCRATCH).fit(train, { bits, seed }, { inject, keepLatent: method === 'scratch' });
    const seconds = (performance.now() - started) / 1000;
    const portDb = model.trainingCodes;
    const octDb = pack(octaveB, n, bits);
    const portQ = { image: model.encode('image', query.image), text: model.encode('text', query.text) };
    const octQ = { image: pack(get('BxTest').data, query.labels.rows, bits), text: pack(get('ByTest').data, query.labels.rows, bits) };
    const port = { i2t: mapOf(portQ.image, portDb), t2i: mapOf(portQ.text, portDb) };
    const oct = { i2t: mapOf(octQ.image, octDb), t2i: mapOf(octQ.text, octDb) };
    const row = {
      method, bits, seed,
      trainingBitsDiffering: differingBits(portDb, octDb), trainingBits: n * bits,
      imageQueryBitsDiffering: differingBits(portQ.image, octQ.image), textQueryBitsDiffering: differingBits(portQ.text, octQ.text), queryBits: query.labels.rows * bits,
      latentRank: model.history.map((h) => h.latentRank),
      octaveCompletionCols: method === 'batch' ? Array.from(get('completionCols').data) : undefined,
      map: { port, octaveCodes: oct, octavePrinted: { i2t: get('i2t').data[0], t2i: get('t2i').data[0] } },
      seconds: { port: seconds, octaveTrain: get('trainSeconds').data[0], octaveKernel: get('kernelSeconds').data[0] },
    };
    if (method === 'scratch') row.scratch = scratchChecks(model, get, bits);
    if (control) {
      const c = await readMat(join(work, 'one-thread', `${method}_${seed}_${bits}.mat`));
      const cb = method === 'batch' ? Array.from(c.get('B').data, (v) => (v > 0 ? 1 : 0)) : Array.from(c.get('Bdb').data);
      const cDb = pack(cb, n, bits);
      const cQ = { image: pack(c.get('BxTest').data, query.labels.rows, bits), text: pack(c.get('ByTest').data, query.labels.rows, bits) };
      row.octaveOneThread = {
        trainingBitsDiffering: differingBits(cDb, octDb),
        imageQueryBitsDiffering: differingBits(cQ.image, octQ.image),
        textQueryBitsDiffering: differingBits(cQ.text, octQ.text),
        map: { i2t: mapOf(cQ.image, cDb), t2i: mapOf(cQ.text, cDb) },
      };
    }
    rows.push(row);
    const ctl = row.octaveOneThread;
    const sc = row.scratch;
    log(`${method} ${bits} bits: B differs in ${row.trainingBitsDiffering}/${row.trainingBits} bits, queries ${row.imageQueryBitsDiffering} + ${row.textQueryBitsDiffering}/${2 * row.queryBits}; ` +
      `mAP port ${port.i2t.toFixed(6)}/${port.t2i.toFixed(6)}, Octave codes ${oct.i2t.toFixed(6)}/${oct.t2i.toFixed(6)} (diff ${(port.i2t - oct.i2t).toExponential(1)}/${(port.t2i - oct.t2i).toExponential(1)}), ` +
      `Octave's mAP.m ${row.map.octavePrinted.i2t.toFixed(6)}/${row.map.octavePrinted.t2i.toFixed(6)}` +
      (method === 'batch' ? `; r' port ${row.latentRank.join(',')} / Octave ${row.octaveCompletionCols.map((c) => bits - c).join(',')}` : '') +
      (sc ? `; Wx, Wy rel. diff ${sc.W.map((v) => v.toExponential(1)).join(', ')}; R K' rel. diff ${sc.RKt.toExponential(1)}, R itself ${sc.R.toExponential(1)}` : '') +
      (ctl ? `\n    control, Octave 2 vs 1 BLAS thread(s): B differs in ${ctl.trainingBitsDiffering} bits, queries ${ctl.imageQueryBitsDiffering} + ${ctl.textQueryBitsDiffering}; mAP ${(ctl.map.i2t - oct.i2t).toExponential(1)}/${(ctl.map.t2i - oct.t2i).toExponential(1)}` : ''));
  }
}
// SCRATCH: W against Octave's Wx, Wy (max |difference| / max |value|), R against Octave's R on
// what determines it (R K' with K = B V' of the port's last iteration), and R itself.
function scratchChecks(model, get, r) {
  const rel = (a, b) => {
    let d = 0, m = 0;
    for (let i = 0; i < a.length; i++) { d = Math.max(d, Math.abs(a[i] - b[i])); m = Math.max(m, Math.abs(b[i])); }
    return d / m;
  };
  const W = ['image', 'text'].map((mod, i) => {
    const h = model.hashFunction(mod), o = get(i === 0 ? 'Wx' : 'Wy').data; // Octave's Wx is r x k; ours W = Wx' (k x r)
    const t = new Float64Array(o.length);
    for (let a = 0; a < h.count; a++) for (let j = 0; j < r; j++) t[a * r + j] = o[j * h.count + a];
    return rel(h.W, t);
  });
  const R = model.hashFunction('image').rotation, Ro = get('R').data;
  const V = model.latent.V, B = model.latent.B, nn = V.length / r;
  const K = new Float64Array(r * r);
  for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) { let s = 0; for (let t = 0; t < nn; t++) s += B[i * nn + t] * V[j * nn + t]; K[i * r + j] = s; }
  const RKt = (Rm) => { const out = new Float64Array(r * r); for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) { let s = 0; for (let t = 0; t < r; t++) s += Rm[i * r + t] * K[j * r + t]; out[i * r + j] = s; } return out; };
  return { W, RKt: rel(RKt(R), RKt(Ro)), R: rel(R, Ro) };
}

if (json) process.stdout.write(JSON.stringify({ work, data, seed, rows }) + '\n');
