// Every Hamming kernel (generic, popcnt, avx2, avx512), forced in turn, against the naive
// references: the scan kernel (and its dense variant) with its TopK (top-k and radius, removed-item bits, several scan
// calls into one collector, odd start offsets and counts that leave tails), the distance kernel,
// the index's search on top of them and mAP. A kernel this CPU lacks is skipped, visibly.
import { afterEach, describe, expect, it } from 'vitest';

import { evaluate } from '../../src/index.js';
import { native } from '../../src/core/native.js';
import { HammingIndex } from '../../src/search/hamming-index.js';
import { codeAt, hamming, randomCodes, randomLabels, rankAll, rng, type RefItem } from '../helpers/hamming-reference.js';
import { naiveMap } from '../helpers/naive.js';

const L = native._internal;
const best: string = HammingIndex.kernel;
const KERNELS = ['generic', 'popcnt', 'avx2', 'avx512'];
const supported = new Map(KERNELS.map((k) => [k, native._setHammingKernel(k) as boolean]));
native._setHammingKernel(best);

afterEach(() => {
  native._setHammingKernel(best);
});

const SCAN_WIDTHS = [
  ...Array.from({ length: 300 }, (_, i) => i + 1),
  320, 383, 384, 385, 448, 511, 512, 513, 640, 767, 1000, 1023, 1024,
];

/** The naive answer of a scan over db items [start, count) offered as base + (i - start). */
function naiveScan(q: Uint8Array, db: Uint8Array, bits: number, start: number, count: number, base: number,
  k: number, maxDist: number, dead: BigUint64Array | null) {
  const all: { pos: number; d: number }[] = [];
  for (let i = start; i < count; i++) {
    const off = i - start;
    if (dead && (dead[off >> 6] >> BigInt(off & 63)) & 1n) continue;
    const d = hamming(q, 0, db, i, bits);
    if (d <= maxDist) all.push({ pos: base + off, d });
  }
  all.sort((a, b) => a.d - b.d || a.pos - b.pos);
  return k > 0 ? all.slice(0, k) : all;
}

function deadBits(n: number, rand: () => number, rate: number): BigUint64Array {
  const words = new BigUint64Array(Math.ceil(n / 64) + 1);
  for (let i = 0; i < n; i++) if (rand() < rate) words[i >> 6] |= 1n << BigInt(i & 63);
  return words;
}

function checkScan(bits: number, rand: () => number, denses: boolean[]) {
  const count = 1 + Math.floor(rand() * 150);
  // Half the cases draw from a few distinct codes: duplicates and long runs of ties.
  const db = randomCodes(count, bits, rand, rand() < 0.5 ? 1 + Math.floor(rand() * 6) : 0);
  const query = rand() < 0.3 ? codeAt(db, Math.floor(rand() * count)) : randomCodes(1, bits, rand).data;
  const start = Math.floor(rand() * Math.min(count, 23));
  const base = Math.floor(rand() * 1e6);
  const n = count - start;
  const step = rand() < 0.5 ? 0 : 1 + Math.floor(rand() * 40);
  const dead = rand() < 0.3 ? deadBits(n, rand, 0.3) : null;
  const cases: [number, number][] = [
    [1, bits], [3, bits], [10, bits], [n + 5, bits],                    // top-k, k beyond the database
    [0, Math.floor(bits / 2)], [0, Math.floor(rand() * (bits + 1))], [0, bits], [0, 0],  // radius
    [7, Math.floor(bits / 2)],                                           // top-k within a radius
  ];
  for (const [k, maxDist] of cases) for (const dense of denses) {
    const got = L.hammingScan(query, db.data, count, bits, { k, maxDist, base, start, step, dead: dead ?? undefined, dense });
    const want = naiveScan(query, db.data, bits, start, count, base, k, maxDist, dead);
    const label = `bits ${bits} count ${count} start ${start} step ${step} k ${k} maxDist ${maxDist} dead ${dead !== null} dense ${dense}`;
    expect(Array.from(got.distances), label).toEqual(want.map((w) => w.d));
    expect(Array.from(got.positions), label).toEqual(want.map((w) => w.pos));
    expect(got.complete).toBe(true);
    if (k > 0) {
      // A bound on the cut (TopK::limit_cut): exact when it reports itself complete, which it must
      // whenever k items lie below the bound (a bound above maxDist changes nothing).
      const bound = Math.floor(rand() * (maxDist + 2));
      const b = L.hammingScan(query, db.data, count, bits, { k, maxDist, base, start, step, dead: dead ?? undefined, bound, dense });
      const below = naiveScan(query, db.data, bits, start, count, base, 0, maxDist, dead).filter((w) => w.d < bound).length;
      expect(b.complete, `${label} bound ${bound}`).toBe(bound > maxDist || below >= k);
      if (b.complete) expect(Array.from(b.positions), `${label} bound ${bound}`).toEqual(want.map((w) => w.pos));
    }
  }
}

function checkDistances(bits: number, rand: () => number) {
  const count = 1 + Math.floor(rand() * 70);
  const db = randomCodes(count, bits, rand, rand() < 0.3 ? 3 : 0);
  const q = randomCodes(1, bits, rand).data;
  const start = Math.floor(rand() * Math.min(count, 19));
  const got = L.hammingDistances(q, db.data, count, bits, start);
  const want = Array.from({ length: count - start }, (_, i) => hamming(q, 0, db.data, start + i, bits));
  expect(Array.from(got), `bits ${bits} count ${count} start ${start}`).toEqual(want);
}

describe.each(KERNELS)('%s kernel', (kernel) => {
  const has = supported.get(kernel) === true;
  const why = has ? '' : ` (skipped: this CPU lacks the ${kernel} kernel)`;
  // Only the AVX-512 kernel has a dense scan of its own; the others hand back their usual one.
  const denses = kernel === 'avx512' ? [false, true] : [false];
  const use = () => {
    expect(native._setHammingKernel(kernel)).toBe(true);
    expect(HammingIndex.kernel).toBe(kernel);
  };

  it.skipIf(!has)(`scan + TopK equal the naive ranking, widths 1..300 and up to 1024${why}`, () => {
    use();
    const rand = rng(kernel.length * 7919 + 1);
    for (const bits of SCAN_WIDTHS) checkScan(bits, rand, denses);
  });

  it.skipIf(!has)(`scans with tails at every count 0..80 and long runs (8, 16, 24, 32, 64, 128, 256 bits)${why}`, () => {
    use();
    const rand = rng(kernel.length * 31 + 5);
    for (const bits of [8, 16, 24, 32, 40, 63, 64, 65, 127, 128, 129, 200, 255, 256, 257]) {
      const db = randomCodes(600, bits, rand, 40);
      const q = codeAt(db, 5);
      for (let count = 0; count <= 80; count++) {
        for (const [k, maxDist] of [[5, bits], [0, Math.floor(bits / 2)]]) for (const dense of denses) {
          const got = L.hammingScan(q, db.data, count, bits, { k, maxDist, dense });
          const want = naiveScan(q, db.data, bits, 0, count, 0, k, maxDist, null);
          expect(Array.from(got.positions), `bits ${bits} count ${count} k ${k} dense ${dense}`).toEqual(want.map((w) => w.pos));
          expect(Array.from(got.distances)).toEqual(want.map((w) => w.d));
        }
      }
      // Long scans: the running cut, compaction (k = 3, 40) and big radius results; the dense scan
      // takes 64 items at a time and blocks of 4096, so 5000 items leave a tail in both.
      const many = randomCodes(5000, bits, rand, 40), mq = codeAt(many, 9);
      for (const [k, maxDist] of [[3, bits], [40, bits], [0, bits], [0, Math.floor(bits / 2) - 1]]) for (const dense of denses) {
        const start = Math.floor(rand() * 17);
        const got = L.hammingScan(q, db.data, 600, bits, { k, maxDist, start, base: 3, step: 1 + Math.floor(rand() * 300), dense });
        const want = naiveScan(q, db.data, bits, start, 600, 3, k, maxDist, null);
        expect(Array.from(got.positions), `bits ${bits} long k ${k} dense ${dense}`).toEqual(want.map((w) => w.pos));
        expect(Array.from(got.distances)).toEqual(want.map((w) => w.d));
        const step = rand() < 0.5 ? 0 : 4096 + Math.floor(rand() * 900);
        const g2 = L.hammingScan(mq, many.data, 5000, bits, { k, maxDist, start, base: 7, step, dense });
        const w2 = naiveScan(mq, many.data, bits, start, 5000, 7, k, maxDist, null);
        expect(Array.from(g2.positions), `bits ${bits} 5000 items k ${k} dense ${dense} step ${step}`).toEqual(w2.map((w) => w.pos));
        expect(Array.from(g2.distances)).toEqual(w2.map((w) => w.d));
      }
    }
  });

  // The AVX-512 dense scan packs distances into bytes (saturating at 255 for 256 bits): items at
  // the extremes (0, 1, bits - 2 .. bits) must be counted exactly around every cut.
  it.skipIf(!has)(`scans of items at extreme distances (64, 128, 256 bits) equal the naive ones${why}`, () => {
    use();
    const rand = rng(kernel.length * 577 + 3);
    for (const bits of [64, 128, 256]) {
      const q = randomCodes(1, bits, rand).data, stride = q.length, count = 4160;
      const db = new Uint8Array(count * stride);
      for (let i = 0; i < count; i++) {
        const pick = [bits, bits - 1, bits - 2, 0, 1, -1][i % 6];
        const d = pick >= 0 ? pick : Math.floor(rand() * (bits + 1));
        const order = Array.from({ length: bits }, (_, b) => b);
        for (let b = 0; b < d; b++) {
          const j = b + Math.floor(rand() * (bits - b));
          [order[b], order[j]] = [order[j], order[b]];
        }
        db.set(q, i * stride);
        for (let b = 0; b < d; b++) db[i * stride + (order[b] >> 3)] ^= 1 << (order[b] & 7);
      }
      for (const [k, maxDist] of [[0, bits - 2], [0, bits - 1], [0, bits], [2000, bits], [700, bits - 1], [5, 1]]) for (const dense of denses) {
        const got = L.hammingScan(q, db, count, bits, { k, maxDist, dense });
        const want = naiveScan(q, db, bits, 0, count, 0, k, maxDist, null);
        expect(Array.from(got.positions), `bits ${bits} k ${k} maxDist ${maxDist} dense ${dense}`).toEqual(want.map((w) => w.pos));
        expect(Array.from(got.distances)).toEqual(want.map((w) => w.d));
      }
    }
  });

  it.skipIf(!has)(`distance kernel equals the naive distances, widths 1..300, 1024, 4000${why}`, () => {
    use();
    const rand = rng(kernel.length * 131 + 7);
    for (const bits of [...SCAN_WIDTHS, 2047, 2048, 4000]) checkDistances(bits, rand);
  });

  it.skipIf(!has)(`index top-k and radius, with removed items, equal the naive ranking${why}`, () => {
    use();
    const rand = rng(kernel.length * 17 + 3);
    for (const bits of [8, 16, 24, 32, 40, 63, 64, 65, 127, 128, 129, 200, 255, 256, 257, 1024]) {
      const n = 100 + Math.floor(rand() * 400);
      const db = randomCodes(n, bits, rand, 30);
      const index = new HammingIndex({ bits });
      index.add(db);
      const removed = new Set<number>();
      for (let i = 0; i < n / 5; i++) removed.add(Math.floor(rand() * n));
      index.remove(BigInt64Array.from([...removed].map(BigInt)));
      const items: RefItem[] = [];
      for (let i = 0; i < n; i++) if (!removed.has(i)) items.push({ id: BigInt(i), code: codeAt(db, i) });
      const queries = randomCodes(5, bits, rand);
      queries.data.set(codeAt(db, 1), 0);
      for (const k of [1, 10, items.length + 3]) {
        const r = index.search(queries, { k });
        const kk = Math.min(k, items.length);
        for (let q = 0; q < queries.count; q++) {
          const want = rankAll(codeAt(queries, q), items, bits).slice(0, kk);
          expect(Array.from(r.distances.subarray(q * kk, (q + 1) * kk)), `bits ${bits} k ${k}`).toEqual(want.map((w) => w.d));
          expect(Array.from(r.ids.subarray(q * kk, (q + 1) * kk))).toEqual(want.map((w) => w.id));
        }
      }
      for (const radius of [0, Math.floor(bits / 2), bits]) {
        const r = index.searchRadius(queries, { radius });
        for (let q = 0; q < queries.count; q++) {
          const want = rankAll(codeAt(queries, q), items, bits).filter((w) => w.d <= radius);
          const a = r.offsets[q], b = r.offsets[q + 1];
          expect(Array.from(r.distances.subarray(a, b)), `bits ${bits} radius ${radius}`).toEqual(want.map((w) => w.d));
          expect(Array.from(r.ids.subarray(a, b))).toEqual(want.map((w) => w.id));
        }
      }
    }
  });

  it.skipIf(!has)(`radius search with thousands of results per query (several result segments, two query groups) equals the naive one${why}`, () => {
    use();
    const rand = rng(kernel.length * 53 + 9);
    for (const bits of [64, 128]) {
      const n = 12000;
      const db = randomCodes(n, bits, rand, 200);
      const index = new HammingIndex({ bits });
      index.add(db);
      const items: RefItem[] = [];
      for (let i = 0; i < n; i++) items.push({ id: BigInt(i), code: codeAt(db, i) });
      const queries = randomCodes(36, bits, rand);
      const ranked = Array.from({ length: queries.count }, (_, q) => rankAll(codeAt(queries, q), items, bits));
      for (const [radius, limit] of [[bits, 0], [bits / 2, 0], [bits / 2 + 2, 5000]]) {
        const r = index.searchRadius(queries, limit ? { radius, limit } : { radius });
        for (let q = 0; q < queries.count; q++) {
          const within = ranked[q].filter((w) => w.d <= radius);
          const want = limit ? within.slice(0, limit) : within;
          const a = r.offsets[q], b = r.offsets[q + 1];
          expect(b - a, `bits ${bits} radius ${radius} query ${q}`).toBe(want.length);
          expect(Array.from(r.distances.subarray(a, b))).toEqual(want.map((w) => w.d));
          expect(Array.from(r.ids.subarray(a, b))).toEqual(want.map((w) => w.id));
        }
      }
    }
  });

  it.skipIf(!has)(`mAP equals the naive mAP (distance kernel), odd sizes and widths${why}`, () => {
    use();
    const rand = rng(kernel.length * 7 + 11);
    for (const bits of [8, 16, 24, 32, 40, 63, 64, 65, 127, 128, 129, 200, 255, 256, 257, 1024]) {
      const nq = 3 + Math.floor(rand() * 5), nd = 50 + Math.floor(rand() * 150), classes = 3;
      const queries = randomCodes(nq, bits, rand), database = randomCodes(nd, bits, rand, 20);
      const ql = randomLabels(nq, classes, rand, 0.4), dl = randomLabels(nd, classes, rand, 0.4);
      const input = { queries, database, queryLabels: { rows: nq, cols: classes, data: ql }, databaseLabels: { rows: nd, cols: classes, data: dl } };
      for (const top of [0, 7]) {
        const want = naiveMap(queries.data, database.data, bits, nq, nd, ql, dl, classes, top);
        const got = evaluate.averagePrecision({ ...input, top });
        expect(got.map, `bits ${bits} top ${top}`).toBeCloseTo(want.map, 12);
        got.averagePrecision.forEach((ap, i) => expect(ap).toBeCloseTo(want.ap[i], 12));
      }
    }
  });
});

describe('kernel selection', () => {
  it('defaults to the best kernel the CPU has and refuses unknown or missing ones', () => {
    const order = KERNELS.filter((k) => supported.get(k));
    // ASCMH_KERNELS=generic (the sanitizer run) starts with the portable kernels.
    expect(best).toBe(process.env.ASCMH_KERNELS === 'generic' ? 'generic' : order[order.length - 1]);
    expect(native._setHammingKernel('sse9')).toBe(false);
    expect(HammingIndex.kernel).toBe(best);
    for (const k of KERNELS) if (!supported.get(k)) expect(native._setHammingKernel(k)).toBe(false);
    expect(HammingIndex.kernel).toBe(best);
  });
});
