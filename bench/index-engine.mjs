// The index engine at scale (issue 11): add throughput against FAISS IndexBinaryFlat.add, memory
// per code with automatic and explicit ids, the first and later removes, save, a mapped open, and
// the memory two processes add when they map the same file.
//   node --expose-gc bench/index-engine.mjs [--n 10000000] [--bits 128] [--repeats 3]
// Each measurement runs in its own process, so one's memory does not count against another's.
import { execFileSync, spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const N = arg('n', 10_000_000), BITS = arg('bits', 128), REPEATS = arg('repeats', 3);
const BYTES = Math.ceil(BITS / 64) * 8;
const here = fileURLToPath(import.meta.url);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rssMiB = () => Number(readFileSync('/proc/self/status', 'utf8').match(/VmRSS:\s+(\d+)/)[1]) / 1024;
const usedMiB = () => {
  const m = readFileSync('/proc/meminfo', 'utf8');
  const kb = (k) => Number(m.match(new RegExp(`${k}:\\s+(\\d+)`))[1]);
  return (kb('MemTotal') - kb('MemAvailable')) / 1024;
};

async function child(mode, ...args) {
  const out = execFileSync(process.execPath, ['--expose-gc', here, '--child', mode, ...args.map(String)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  return JSON.parse(out.trim().split('\n').pop());
}

if (process.argv[2] === '--child') {
  const [, , , mode, n, bits, extra] = process.argv;
  const { HammingIndex } = await import('../dist/index.js');
  const count = Number(n), b = Number(bits), bytes = Math.ceil(b / 64) * 8;
  const batch = 1_000_000;
  const block = randomFillSync(new Uint8Array(batch * bytes));
  const result = {};
  if (mode === 'add' || mode === 'add-ids') {
    const index = new HammingIndex({ bits: b });
    global.gc();
    const before = rssMiB();
    let seconds = 0;
    for (let done = 0; done < count; done += batch) {
      const m = Math.min(batch, count - done);
      const codes = { count: m, bits: b, data: block.subarray(0, m * bytes) };
      const ids = mode === 'add-ids' ? BigInt64Array.from({ length: m }, (_, i) => BigInt((done + i) * 2 + 1)) : undefined;
      const t = performance.now();
      index.add(codes, ids);
      seconds += (performance.now() - t) / 1000;
    }
    result.addPerSecond = count / seconds;
    global.gc();  // the JS id arrays of the batches are garbage now
    result.bytesPerCode = ((rssMiB() - before) * 1048576) / count;
    result.ownedBytesPerCode = index.ownedBytes / count;
    if (mode === 'add-ids') {
      // The first remove builds the id map; later ones are O(ids).
      let t = performance.now();
      index.remove([BigInt(2 * 12345 + 1)]);
      result.firstRemoveSeconds = (performance.now() - t) / 1000;
      result.bytesPerCodeWithMap = ((rssMiB() - before) * 1048576) / count;
      result.mapBytesPerCode = index.ownedBytes / count - result.ownedBytesPerCode;
      const later = [];
      for (let r = 0; r < 200; r++) {
        t = performance.now();
        index.remove([BigInt(2 * (100000 + r * 997) + 1)]);
        later.push((performance.now() - t) * 1000);
      }
      result.laterRemoveMicros = median(later);
      t = performance.now();
      index.remove(BigInt64Array.from({ length: 1000 }, (_, i) => BigInt(2 * (Math.floor(count / 2) + i * 13) + 1)));
      result.remove1000Micros = (performance.now() - t) * 1000;
      if (extra) {
        // A saved explicit-id index (the file stores its id map), read back: its first remove
        // checks the stored map instead of building one.
        t = performance.now();
        index.save(extra);
        result.saveIdsSeconds = (performance.now() - t) / 1000;
        const loaded = HammingIndex.open(extra, { readonly: false });
        t = performance.now();
        loaded.remove([BigInt(2 * 777 + 1)]);
        result.firstRemoveAfterOpenSeconds = (performance.now() - t) / 1000;
        result.mapBytesPerCodeAfterOpen = loaded.ownedBytes / count;
      }
    } else {
      let t = performance.now();
      index.remove([12345]);
      result.firstRemoveSeconds = (performance.now() - t) / 1000;
      const later = [];
      for (let r = 0; r < 200; r++) {
        t = performance.now();
        index.remove([100000 + r * 997]);
        later.push((performance.now() - t) * 1000);
      }
      result.laterRemoveMicros = median(later);
      if (extra) {
        t = performance.now();
        index.save(extra);
        result.saveSeconds = (performance.now() - t) / 1000;
      }
    }
  }
  if (mode === 'open') {
    const before = rssMiB();
    const t = performance.now();
    const index = HammingIndex.open(extra);
    result.openMillis = performance.now() - t;
    result.openRssMiB = rssMiB() - before;
    const q = { count: 10, bits: b, data: block.subarray(0, 10 * bytes) };
    let t2 = performance.now();
    index.search(q, { k: 10 });
    result.firstSearchMillis = performance.now() - t2;  // checks each block's checksum once
    t2 = performance.now();
    index.search(q, { k: 10 });
    result.secondSearchMillis = performance.now() - t2;
    result.searchedRssMiB = rssMiB() - before;
    t2 = performance.now();
    HammingIndex.load(extra);
    result.loadSeconds = (performance.now() - t2) / 1000;
    t2 = performance.now();
    readFileSync(extra);
    result.readFileSeconds = (performance.now() - t2) / 1000;
  }
  if (mode === 'hold') {
    // Maps the file, touches every page by searching, reports, and waits to be killed.
    const index = HammingIndex.open(extra);
    index.search({ count: 1, bits: b, data: block.subarray(0, bytes) }, { k: 10 });
    process.stdout.write(JSON.stringify({ ready: true }) + '\n');
    await new Promise(() => {});
  }
  console.log(JSON.stringify(result));
  process.exit(0);
}

function faissAdd() {
  try {
    const script = `
import time, numpy as np, faiss
n, b = ${N}, ${BITS}
x = np.random.randint(0, 256, size=(1000000, b // 8), dtype=np.uint8)
index = faiss.IndexBinaryFlat(b)
t = time.perf_counter()
for done in range(0, n, 1000000):
    index.add(x[: min(1000000, n - done)])
print(n / (time.perf_counter() - t))`;
    return Number(execFileSync('python3', ['-c', script], { encoding: 'utf8' }).trim());
  } catch {
    return undefined;
  }
}

async function holdAndMeasure(path) {
  const start = () => new Promise((resolve) => {
    const p = spawn(process.execPath, ['--expose-gc', here, '--child', 'hold', N, BITS, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    p.stdout.on('data', (d) => String(d).includes('ready') && resolve(p));
  });
  await new Promise((r) => setTimeout(r, 500));
  const base = usedMiB();
  const a = await start();
  await new Promise((r) => setTimeout(r, 500));
  const one = usedMiB();
  const b = await start();
  await new Promise((r) => setTimeout(r, 500));
  const two = usedMiB();
  a.kill();
  b.kill();
  return { base, one, two, secondAddsFraction: (two - one) / Math.max(1, one - base) };
}

const info = {
  cpu: cpus()[0].model,
  kernel: execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim(),
  hammingKernel: (await import('../dist/index.js')).HammingIndex.kernel,
  n: N,
  bits: BITS,
  OPENBLAS_CORETYPE: process.env.OPENBLAS_CORETYPE,
};
console.log(JSON.stringify(info));
const dir = mkdtempSync(join(tmpdir(), 'ascmh-bench-'));
try {
  const path = join(dir, 'codes.idx');
  const auto = [], ids = [], opens = [];
  for (let r = 0; r < REPEATS; r++) {
    auto.push(await child('add', N, BITS, r === 0 ? path : ''));
    ids.push(await child('add-ids', N, BITS, join(dir, 'ids.idx')));
    readFileSync(path);  // warm the page cache
    opens.push(await child('open', N, BITS, path));
  }
  const med = (rows, key) => median(rows.map((x) => x[key]));
  const faiss = [];
  for (let r = 0; r < REPEATS; r++) faiss.push(faissAdd());
  const sharing = await holdAndMeasure(path);
  const table = {
    'add, automatic ids (codes/s)': med(auto, 'addPerSecond'),
    'FAISS IndexBinaryFlat.add (codes/s)': faiss[0] === undefined ? 'n/a' : median(faiss),
    'memory per code, automatic ids (bytes, RSS)': med(auto, 'bytesPerCode'),
    'add, explicit ids (codes/s)': med(ids, 'addPerSecond'),
    'memory per code, explicit ids (bytes, RSS)': med(ids, 'bytesPerCode'),
    'ids + id map, owned (bytes per code)': med(ids, 'ownedBytesPerCode') - BYTES,
    'first remove after opening a saved explicit-id index (s, checks the stored map)': med(ids, 'firstRemoveAfterOpenSeconds'),
    'memory owned after it (bytes per code: the map is the file\'s, mapped privately)': med(ids, 'mapBytesPerCodeAfterOpen'),
    'first remove, automatic ids (s)': med(auto, 'firstRemoveSeconds'),
    'later remove of one id (us, median of 200)': med(ids, 'laterRemoveMicros'),
    'remove of 1,000 ids (us)': med(ids, 'remove1000Micros'),
    'save (s)': auto[0].saveSeconds,
    'save, explicit ids (s, with the id map)': med(ids, 'saveIdsSeconds'),
    'open, mapped, warm (ms)': med(opens, 'openMillis'),
    'RSS after open (MiB)': med(opens, 'openRssMiB'),
    'first search of 10 queries after open (ms, checks every block)': med(opens, 'firstSearchMillis'),
    'second search (ms)': med(opens, 'secondSearchMillis'),
    'load, read whole (s)': med(opens, 'loadSeconds'),
    'fs.readFileSync of the file (s)': med(opens, 'readFileSeconds'),
    'machine memory used by one process mapping the file (MiB)': sharing.one - sharing.base,
    'added by a second process mapping it (MiB)': sharing.two - sharing.one,
  };
  for (const [k, v] of Object.entries(table)) console.log(`${k.padEnd(66)} ${typeof v === 'number' ? (v >= 1000 ? Math.round(v).toLocaleString('en') : v.toFixed(3)) : v}`);
  writeFileSync(join(tmpdir(), 'ascmh-index-engine.json'), JSON.stringify({ info, table, auto, ids, opens, faiss, sharing }, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
