// Asymmetric search (HammingIndex.searchAsymmetric) against naive references: double-precision
// scores bit by bit and a stable sort. Dyadic projections (multiples of 1/8) make every score exact
// in single precision, so ties are exact and rankings must be equal; random real projections are
// compared with a tolerance that allows reordering only among near-ties.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HammingIndex, type HammingCodes, type Projections, evaluate, setMemoryLimit } from '../../src/index.js';
import { native } from '../../src/core/native.js';
import { dyadicProjections, floatScore, naiveRerank, naiveScore, rankAsymmetric, type Scored } from '../helpers/asymmetric-reference.js';
import { codeAt, randomCodes, randomLabels, rng, type RefItem } from '../helpers/hamming-reference.js';
import { thrown } from '../helpers/naive.js';
import { scratchDir } from '../helpers/temp.js';

function build(bits: number, batches: HammingCodes[]) {
  const index = new HammingIndex({ bits });
  const items: RefItem[] = [];
  let next = 0n;
  for (const b of batches) {
    index.add(b);
    for (let i = 0; i < b.count; i++) items.push({ id: next++, code: codeAt(b, i) });
  }
  return { index, items };
}

const rowOf = (p: Projections, q: number) => p.data.subarray(q * p.cols, (q + 1) * p.cols);

/** Exact comparison: ids and scores equal the reference's first k. */
function expectExact(got: { k: number; ids: BigInt64Array; scores: Float32Array }, want: (q: number) => Scored[], queries: number, k: number) {
  expect(got.k).toBe(k);
  expect(got.ids.length).toBe(queries * k);
  for (let q = 0; q < queries; q++) {
    const w = want(q).slice(0, k);
    expect(Array.from(got.ids.subarray(q * k, (q + 1) * k))).toEqual(w.map((x) => x.id));
    expect(Array.from(got.scores.subarray(q * k, (q + 1) * k))).toEqual(w.map((x) => x.score));
  }
}

describe('asymmetric full scan equals the naive ranking', () => {
  for (const bits of [8, 16, 24, 32, 40, 64, 100, 128, 200, 256, 512, 1024]) {
    it(`exact with dyadic projections and tied codes at ${bits} bits`, () => {
      const rand = rng(bits * 131);
      const { index, items } = build(bits, [randomCodes(300, bits, rand), randomCodes(200, bits, rand, 12)]);
      const p: Projections = { rows: 5, cols: bits, data: dyadicProjections(5, bits, rand) };
      for (const k of [1, 7, 64, 500, 10_000]) {
        const kk = Math.min(k, items.length);
        expectExact(index.searchAsymmetric(p, { k }), (q) => rankAsymmetric(rowOf(p, q), items, bits), 5, kk);
      }
    });
  }

  it('random real projections: the ranking agrees up to near-ties, scores to single precision', () => {
    const bits = 64, rand = rng(77);
    const { index, items } = build(bits, [randomCodes(3000, bits, rand)]);
    const data = new Float32Array(4 * bits).map(() => rand() * 2 - 1);
    const p = { rows: 4, cols: bits, data };
    const k = 50;
    const got = index.searchAsymmetric(p, { k });
    const scoreOf = new Map<bigint, number>();
    for (let q = 0; q < 4; q++) {
      const want = rankAsymmetric(rowOf(p, q), items, bits);
      const tol = 1e-5 * Array.from(rowOf(p, q)).reduce((s, x) => s + Math.abs(x), 0);
      for (const w of want) scoreOf.set(w.id, w.score);
      for (let r = 0; r < k; r++) {
        const id = got.ids[q * k + r];
        // The item at rank r scores what the reference's rank r does, within rounding.
        expect(Math.abs(scoreOf.get(id)! - want[r].score)).toBeLessThanOrEqual(tol);
        expect(Math.abs(got.scores[q * k + r] - scoreOf.get(id)!)).toBeLessThanOrEqual(tol);
        if (r > 0) expect(got.scores[q * k + r]).toBeLessThanOrEqual(got.scores[q * k + r - 1]);
      }
      expect(new Set(Array.from(got.ids.subarray(q * k, (q + 1) * k))).size).toBe(k);
    }
  });

  it('equal codes get equal scores and come in insertion order, whatever the projection', () => {
    const bits = 128, rand = rng(5);
    const { index, items } = build(bits, [randomCodes(400, bits, rand, 3)]);
    const p = { rows: 3, cols: bits, data: new Float64Array(3 * bits).map(() => Math.sin(rand() * 1000)) };
    const r = index.searchAsymmetric(p, { k: 400 });
    for (let q = 0; q < 3; q++) {
      const ids = Array.from(r.ids.subarray(q * 400, (q + 1) * 400));
      const key = (id: bigint) => Array.from(items[Number(id)].code).join();
      const groups = new Map<string, bigint[]>();
      ids.forEach((id) => groups.set(key(id), [...(groups.get(key(id)) ?? []), id]));
      for (const g of groups.values()) expect(g).toEqual([...g].sort((a, b) => (a < b ? -1 : 1)));
      // Each group is contiguous: one score per distinct code.
      const scores = Array.from(r.scores.subarray(q * 400, (q + 1) * 400));
      expect(new Set(scores).size).toBe(groups.size);
    }
  });

  it('one query against a large index (the database split across threads and merged) and many queries agree', () => {
    const bits = 32, rand = rng(9);
    const { index, items } = build(bits, [randomCodes(20_000, bits, rand, 500)]);
    const p: Projections = { rows: 3, cols: bits, data: dyadicProjections(3, bits, rand) };
    const all = index.searchAsymmetric(p, { k: 300 });
    for (let q = 0; q < 3; q++) {
      const one = index.searchAsymmetric({ rows: 1, cols: bits, data: rowOf(p, q) }, { k: 300 });
      expect(one.ids).toEqual(all.ids.subarray(q * 300, (q + 1) * 300));
      expectExact(one, () => rankAsymmetric(rowOf(p, q), items, bits), 1, 300);
      const single = index.searchAsymmetric({ rows: 1, cols: bits, data: rowOf(p, q) }, { k: 300, threads: 1 });
      expect(single.ids).toEqual(one.ids);
    }
  });

  it('sync and async agree; an empty index and no queries give empty answers', async () => {
    const bits = 64, rand = rng(12);
    const { index } = build(bits, [randomCodes(500, bits, rand)]);
    const p = { rows: 6, cols: bits, data: dyadicProjections(6, bits, rand) };
    expect(await index.searchAsymmetricAsync(p, { k: 20 })).toEqual(index.searchAsymmetric(p, { k: 20 }));
    expect(await index.searchAsymmetricAsync(p, { k: 20, rerank: 100 })).toEqual(index.searchAsymmetric(p, { k: 20, rerank: 100 }));
    const empty = new HammingIndex({ bits });
    const r = empty.searchAsymmetric(p, { k: 5 });
    expect(r.k).toBe(0);
    expect(r.ids.length).toBe(0);
    const none = index.searchAsymmetric({ rows: 0, cols: bits, data: new Float32Array(0) }, { k: 5, rerank: 9 });
    expect(none.count).toBe(0);
    expect(none.ids.length).toBe(0);
  });
});

describe('asymmetric re-ranking equals the naive re-ranking', () => {
  for (const bits of [8, 24, 64, 128, 200, 256]) {
    it(`rerank of the Hamming top N at ${bits} bits`, () => {
      const rand = rng(bits * 17 + 3);
      const { index, items } = build(bits, [randomCodes(400, bits, rand), randomCodes(300, bits, rand, 20)]);
      const p = { rows: 4, cols: bits, data: dyadicProjections(4, bits, rand) };
      for (const [k, rerank] of [[1, 1], [5, 5], [10, 50], [10, 1000], [100, 100]]) {
        const r = index.searchAsymmetric(p, { k, rerank });
        expectExact(r, (q) => naiveRerank(rowOf(p, q), items, bits, rerank), 4, Math.min(k, items.length));
      }
      // Re-ranking the whole index is the full scan.
      expect(index.searchAsymmetric(p, { k: 30, rerank: items.length })).toEqual(index.searchAsymmetric(p, { k: 30 }));
    });
  }

  it('the sign threshold decides the candidates where projections are exactly 0', () => {
    const bits = 16, rand = rng(4);
    const { index, items } = build(bits, [randomCodes(2000, bits, rand)]);
    const p = { rows: 5, cols: bits, data: dyadicProjections(5, bits, rand, true) };
    for (const threshold of ['nonnegative', 'positive'] as const) {
      const r = index.searchAsymmetric(p, { k: 3, rerank: 3, threshold });
      expectExact(r, (q) => naiveRerank(rowOf(p, q), items, bits, 3, threshold === 'positive'), 5, 3);
    }
  });
});

// The scalar kernels read byte tables, the AVX-512 ones (16 to 128 bits) look nibbles up 16 items
// at a time: both must give the floats of the documented order, so real projections rank the same.
describe.each(['generic', 'avx512'])('%s scoring kernels give the documented single-precision scores', (kernel) => {
  const best: string = HammingIndex.kernel;
  const has = native._setHammingKernel(kernel) as boolean;
  native._setHammingKernel(best);
  it.skipIf(!has)(`every score equals the emulated float sum, full scans and mAP${has ? '' : ` (skipped: this CPU lacks the ${kernel} kernel)`}`, () => {
    try {
      expect(native._setHammingKernel(kernel)).toBe(true);
      for (const bits of [16, 32, 40, 64, 128, 256]) {
        const rand = rng(bits * 7 + 1);
        const count = 1000 + 13;  // a tail after the blocks of 16
        const { index, items } = build(bits, [randomCodes(count, bits, rand, bits === 16 ? 0 : 50)]);
        const nq = 3, data = new Float64Array(nq * bits).map(() => rand() * 2 - 1);
        const p = { rows: nq, cols: bits, data };
        const got = index.searchAsymmetric(p, { k: count });
        for (let q = 0; q < nq; q++) {
          const want = items.map((it, order) => ({ id: it.id, score: floatScore(rowOf(p, q), it.code, bits), order }))
            .sort((a, b) => b.score - a.score || a.order - b.order);
          expect(Array.from(got.scores.subarray(q * count, (q + 1) * count)), `bits ${bits} query ${q}`).toEqual(want.map((w) => w.score));
          expect(Array.from(got.ids.subarray(q * count, (q + 1) * count))).toEqual(want.map((w) => w.id));
        }
        // Top-k with a rising cut, through the same kernels.
        const top = index.searchAsymmetric(p, { k: 7 });
        for (let q = 0; q < nq; q++) expect(Array.from(top.ids.subarray(q * 7, (q + 1) * 7))).toEqual(Array.from(got.ids.subarray(q * count, q * count + 7)));
        // mAP scores every database item with the dense kernel: its ranking is the same floats'.
        const db = { count, bits, data: new Uint8Array(items.flatMap((it) => Array.from(it.code))) };
        const labels = (rows: number) => ({ rows, cols: 3, data: randomLabels(rows, 3, rand, 0.4) });
        const ql = labels(nq), dl = labels(count);
        const ap = evaluate.averagePrecisionAsymmetric({ projections: p, database: db, queryLabels: ql, databaseLabels: dl });
        for (let q = 0; q < nq; q++) {
          const order = items.map((it, i) => ({ s: floatScore(rowOf(p, q), it.code, bits), i })).sort((a, b) => b.s - a.s || a.i - b.i);
          let relevant = 0, sum = 0;
          order.forEach((o, r) => {
            let shared = false;
            for (let c = 0; c < 3; c++) if (ql.data[q * 3 + c] && dl.data[o.i * 3 + c]) shared = true;
            if (shared) sum += ++relevant / (r + 1);
          });
          expect(ap.averagePrecision[q], `bits ${bits} query ${q} mAP`).toBeCloseTo(relevant ? sum / relevant : 0, 12);
        }
      }
    } finally {
      native._setHammingKernel(best);
    }
  });
});

describe('removed items, ids and files', () => {
  it('removed items never appear, in the full scan or the re-ranking; explicit ids are returned', () => {
    const bits = 40, rand = rng(21);
    const codes = randomCodes(3000, bits, rand, 40);
    const index = new HammingIndex({ bits });
    const ids = BigInt64Array.from({ length: 3000 }, (_, i) => BigInt(i) * 1000n - 7n);
    index.add(codes, ids);
    const removed = new Set<bigint>();
    for (let i = 0; i < 3000; i += 3) removed.add(ids[i]);
    index.remove([...removed]);
    const items: RefItem[] = [];
    for (let i = 0; i < 3000; i++) if (!removed.has(ids[i])) items.push({ id: ids[i], code: codeAt(codes, i) });
    const p = { rows: 3, cols: bits, data: dyadicProjections(3, bits, rand) };
    const full = index.searchAsymmetric(p, { k: 2500 });
    expect(full.k).toBe(2000);
    expectExact(full, (q) => rankAsymmetric(rowOf(p, q), items, bits), 3, 2000);
    for (const id of full.ids) expect(removed.has(id)).toBe(false);
    const re = index.searchAsymmetric(p, { k: 40, rerank: 400 });
    expectExact(re, (q) => naiveRerank(rowOf(p, q), items, bits, 400), 3, 40);
    for (const id of re.ids) expect(removed.has(id)).toBe(false);
  });

  it('a saved index opened as a mapped file gives the same answers', () => {
    const bits = 128, rand = rng(30);
    const { index } = build(bits, [randomCodes(1000, bits, rand)]);
    index.remove([3n, 4n, 500n]);
    const path = join(scratchDir(), 'a.idx');
    index.save(path);
    const mapped = HammingIndex.open(path);
    const p = { rows: 2, cols: bits, data: dyadicProjections(2, bits, rand) };
    expect(mapped.searchAsymmetric(p, { k: 50 })).toEqual(index.searchAsymmetric(p, { k: 50 }));
    expect(mapped.searchAsymmetric(p, { k: 50, rerank: 200 })).toEqual(index.searchAsymmetric(p, { k: 50, rerank: 200 }));
  });

  it('a search sees the index as of its call', async () => {
    const bits = 64, rand = rng(31);
    const { index, items } = build(bits, [randomCodes(5000, bits, rand)]);
    const p = { rows: 2, cols: bits, data: dyadicProjections(2, bits, rand) };
    const pending = index.searchAsymmetricAsync(p, { k: 10 });
    index.remove(Array.from({ length: 5000 }, (_, i) => BigInt(i)));
    expectExact(await pending, (q) => rankAsymmetric(rowOf(p, q), items, bits), 2, 10);
    expect(index.searchAsymmetric(p, { k: 10 }).k).toBe(0);
  });
});

describe('bad input is a coded error, also at the native layer', () => {
  const bits = 64;
  const index = new HammingIndex({ bits });
  index.add(randomCodes(20, bits, rng(1)));
  const good = () => ({ rows: 2, cols: bits, data: new Float64Array(2 * bits).fill(0.5) });
  const withValue = (v: number) => {
    const p = good();
    p.data[70] = v;
    return p;
  };
  const cases: [string, unknown, unknown, string][] = [
    ['wrong width', { rows: 2, cols: 32, data: new Float64Array(64) }, { k: 1 }, 'ERR_ASCMH_SHAPE'],
    ['data length', { rows: 3, cols: bits, data: new Float64Array(64) }, { k: 1 }, 'ERR_ASCMH_SHAPE'],
    ['dtype', { rows: 2, cols: bits, data: new Uint8Array(128) }, { k: 1 }, 'ERR_ASCMH_DTYPE'],
    ['not a matrix', 'x', { k: 1 }, 'ERR_ASCMH_NOT_MATRIX'],
    ['NaN', withValue(NaN), { k: 1 }, 'ERR_ASCMH_NON_FINITE'],
    ['Infinity', withValue(-Infinity), { k: 1 }, 'ERR_ASCMH_NON_FINITE'],
    ['out of float range', withValue(1e300), { k: 1 }, 'ERR_ASCMH_PROJECTION_RANGE'],
    ['k = 0', good(), { k: 0 }, 'ERR_ASCMH_K'],
    ['k missing', good(), {}, 'ERR_ASCMH_K'],
    ['k fractional', good(), { k: 1.5 }, 'ERR_ASCMH_K'],
    ['rerank < k', good(), { k: 10, rerank: 9 }, 'ERR_ASCMH_RERANK'],
    ['rerank 0', good(), { k: 1, rerank: 0 }, 'ERR_ASCMH_RERANK'],
    ['rerank string', good(), { k: 1, rerank: '5' }, 'ERR_ASCMH_RERANK'],
    ['threshold', good(), { k: 1, threshold: 'zero' }, 'ERR_ASCMH_OPTION'],
    ['threads', good(), { k: 1, threads: -1 }, 'ERR_ASCMH_OPTION'],
    ['options', good(), null, 'ERR_ASCMH_OPTION'],
  ];
  for (const [name, p, o, code] of cases) {
    it(name, async () => {
      expect((thrown(() => index.searchAsymmetric(p as never, o as never)) as { code: string }).code).toBe(code);
      await expect(index.searchAsymmetricAsync(p as never, o as never)).rejects.toMatchObject({ code });
      // The native class checks on its own (the TypeScript checks bypassed).
      const raw = new native.HammingIndex(bits);
      raw.add({ count: 1, bits, data: new Uint8Array(8) });
      expect((thrown(() => raw.searchAsymmetric(p, o)) as { code: string }).code).toBe(code);
    });
  }

  it('results or re-ranking candidates beyond the memory limit are refused before any work', async () => {
    const big = new HammingIndex({ bits });
    big.add({ count: 100_000, bits, data: new Uint8Array(800_000) });
    const p = { rows: 100, cols: bits, data: new Float32Array(100 * bits) };
    setMemoryLimit(4 << 20);
    try {
      const tooLarge = { code: 'ERR_ASCMH_TOO_LARGE' };
      expect(thrown(() => big.searchAsymmetric(p, { k: 10_000 }))).toMatchObject(tooLarge);
      expect(thrown(() => big.searchAsymmetric(p, { k: 10, rerank: 10_000 }))).toMatchObject(tooLarge);
      await expect(big.searchAsymmetricAsync(p, { k: 10, rerank: 10_000 })).rejects.toMatchObject(tooLarge);
      expect(big.searchAsymmetric(p, { k: 10, rerank: 100 }).ids).toHaveLength(1000);
    } finally {
      setMemoryLimit(0);
    }
  });
});

it('naive score helper agrees with a direct sum (self-check of the reference)', () => {
  const code = new Uint8Array([0b101, 0, 0, 0, 0, 0, 0, 0]);
  const p = Array.from({ length: 8 }, (_, j) => j + 1);
  expect(naiveScore(p, code, 8)).toBe(1 - 2 + 3 - 4 - 5 - 6 - 7 - 8);
});
