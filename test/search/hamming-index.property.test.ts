// Property tests of the index over random shapes, widths 8 to 1024 bits, garbage padding bits,
// buffers of every kind (offset views, shared, resizable) and getters: every answer equals the
// naive all-pairs ranking, and every refusal is a coded error (issue 10).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HammingIndex } from '../../src/index.js';
import { codeAt, rankAll, type RefItem } from '../helpers/hamming-reference.js';
import { garbage, hold, holders, isCoded, withGetter } from '../helpers/hostile.js';

const bytes = (bits: number) => Math.ceil(bits / 64) * 8;

const caseArb = fc.record({
  bits: fc.integer({ min: 8, max: 1024 }),
  count: fc.integer({ min: 0, max: 60 }),
  queries: fc.integer({ min: 0, max: 6 }),
  k: fc.oneof(fc.integer({ min: 1, max: 70 }), fc.constant(2 ** 53 - 1)),
  radiusFraction: fc.double({ min: 0, max: 1, noNaN: true }),
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  holder: fc.constantFrom(...holders),
  duplicates: fc.boolean(),
});

function bytesFor(count: number, bits: number, seed: number, duplicates: boolean): Uint8Array {
  let s = seed;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 24;
  const stride = bytes(bits), out = new Uint8Array(count * stride);
  for (let i = 0; i < count; i++) {
    if (duplicates && i > 0 && next() < 96) out.copyWithin(i * stride, (i - 1) * stride, i * stride);
    else for (let b = 0; b < stride; b++) out[i * stride + b] = next();  // padding bits included: garbage
  }
  return out;
}

describe('HammingIndex properties', () => {
  it('top-k and radius answers equal the naive ranking for any input the index accepts', async () => {
    await fc.assert(fc.asyncProperty(caseArb, async (c) => {
      const index = new HammingIndex({ bits: c.bits });
      const dbBytes = bytesFor(c.count, c.bits, c.seed, c.duplicates);
      let codes: { count: number; bits: number; data: Uint8Array } = { count: c.count, bits: c.bits, data: hold(dbBytes, c.holder === 'getter' ? 'plain' : c.holder) };
      if (c.holder === 'getter') codes = withGetter(codes, 'data');
      index.add(codes);
      const items: RefItem[] = Array.from({ length: c.count }, (_, i) => ({ id: BigInt(i), code: codeAt({ bits: c.bits, data: dbBytes }, i) }));
      const qBytes = bytesFor(c.queries, c.bits, c.seed ^ 0x5bd1e995, false);
      const queries = { count: c.queries, bits: c.bits, data: hold(qBytes, c.holder === 'getter' ? 'offset' : c.holder) };
      const top = index.search(queries, { k: c.k });
      const topAsync = await index.searchAsync(queries, { k: c.k });
      expect(topAsync).toEqual(top);
      const kk = Math.min(c.k, c.count);
      expect(top.k).toBe(kk);
      const radius = Math.floor(c.radiusFraction * c.bits);
      const near = index.searchRadius(queries, { radius });
      for (let q = 0; q < c.queries; q++) {
        const want = rankAll(codeAt({ bits: c.bits, data: qBytes }, q), items, c.bits);
        expect(Array.from(top.ids.subarray(q * kk, (q + 1) * kk))).toEqual(want.slice(0, kk).map((w) => w.id));
        expect(Array.from(top.distances.subarray(q * kk, (q + 1) * kk))).toEqual(want.slice(0, kk).map((w) => w.d));
        const inside = want.filter((w) => w.d <= radius);
        expect(Array.from(near.ids.subarray(near.offsets[q], near.offsets[q + 1]))).toEqual(inside.map((w) => w.id));
      }
      if (c.count > 0) expect(index.get(0n)).toEqual(codeAt({ bits: c.bits, data: maskPadding(dbBytes, c.bits) }, 0));
    }), { numRuns: 150 });
  });

  it('garbage in any argument is a coded error and changes nothing', () => {
    fc.assert(fc.property(fc.integer({ min: 8, max: 1024 }), garbage, garbage, fc.nat(5), (bits, a, b, which) => {
      const index = new HammingIndex({ bits });
      index.add({ count: 2, bits, data: new Uint8Array(2 * bytes(bits)) });
      const calls = [
        () => index.add(a as never, b as never),
        () => index.add({ count: a, bits, data: new Uint8Array(bytes(bits)) } as never),
        () => index.search(a as never, { k: 1 }),
        () => index.search({ count: 1, bits, data: new Uint8Array(bytes(bits)) }, { k: a } as never),
        () => index.searchRadius({ count: 1, bits, data: new Uint8Array(bytes(bits)) }, { radius: a, limit: b } as never),
        () => index.remove(a as never),
      ];
      try {
        calls[which]();
      } catch (e) {
        expect(isCoded(e), String(e)).toBe(true);
      }
      expect(index.size === 2 || which === 0 || which === 1 || which === 5).toBe(true);
    }), { numRuns: 400 });
  });

  it('explicit ids: duplicates are refused whole, others are found by get and removed by remove', () => {
    fc.assert(fc.property(fc.array(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { minLength: 1, maxLength: 20 }), (ids) => {
      const index = new HammingIndex({ bits: 16 });
      const codes = { count: ids.length, bits: 16, data: new Uint8Array(ids.length * 8).map((_, i) => i * 7) };
      const unique = new Set(ids).size === ids.length;
      try {
        index.add(codes, ids);
        expect(unique).toBe(true);
      } catch (e) {
        expect(unique).toBe(false);
        expect((e as { code: string }).code).toBe('ERR_ASCMH_DUPLICATE_ID');
        expect(index.size).toBe(0);
        return;
      }
      for (const id of ids) expect(index.get(id)).toBeDefined();
      expect(index.remove(ids)).toBe(ids.length);
      expect(index.size).toBe(0);
    }), { numRuns: 200 });
  });
});

describe('HammingIndex against a model (random sequences of adds, removes, gets, saves)', () => {
  it('keeps the same items, ids, codes and order as a plain Map', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      fc.array(fc.record({ op: fc.constantFrom('auto', 'explicit', 'refused', 'remove', 'reload'), n: fc.integer({ min: 0, max: 3000 }) }), { minLength: 1, maxLength: 12 }),
      (seed, ops) => {
        let s = seed;
        const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0);
        let index = new HammingIndex({ bits: 64 });
        const model = new Map<bigint, number>();  // id -> code value, in insertion order
        let nextAuto = 0n;
        const codesOf = (values: number[]) => {
          const data = new Uint8Array(values.length * 8);
          values.forEach((v, i) => new DataView(data.buffer).setUint32(i * 8, v, true));
          return { count: values.length, bits: 64, data };
        };
        for (const { op, n } of ops) {
          if (op === 'auto') {
            const values = Array.from({ length: n }, () => next());
            index.add(codesOf(values));
            values.forEach((v) => model.set(nextAuto++, v));
          } else if (op === 'explicit') {
            const ids: bigint[] = [];
            const seen = new Set<bigint>();
            while (ids.length < n) {
              const id = BigInt(next() % 50000) - 1000n;
              if (model.has(id) || seen.has(id)) continue;
              seen.add(id);
              ids.push(id);
            }
            const values = ids.map(() => next());
            index.add(codesOf(values), ids);
            ids.forEach((id, i) => model.set(id, values[i]));
            for (const id of ids) if (id >= nextAuto) nextAuto = id + 1n;
          } else if (op === 'refused') {
            // Fresh ids and one that repeats: a present id, or one of the batch. Refused whole: a
            // fresh id left behind in the map would refuse a later add of it.
            const keys = [...model.keys()];
            const ids: bigint[] = [];
            while (ids.length < n) {
              const id = BigInt(next() % 50000) - 1000n;
              if (!model.has(id) && !ids.includes(id)) ids.push(id);
            }
            const repeat = keys.length && next() & 1 ? keys[next() % keys.length] : ids.length ? ids[next() % ids.length] : undefined;
            if (repeat === undefined) continue;
            ids.splice(next() % (ids.length + 1), 0, repeat);
            expect(() => index.add(codesOf(ids.map(() => next())), ids)).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_DUPLICATE_ID' }));
          } else if (op === 'remove') {
            const keys = [...model.keys()];
            const victims = Array.from({ length: Math.min(n, keys.length) }, () => keys[next() % keys.length]);
            const unique = [...new Set(victims)];
            expect(index.remove([...victims, 999999n])).toBe(unique.length);
            unique.forEach((id) => model.delete(id));
          } else {
            const dir = mkdtempSync(join(tmpdir(), 'ascmh-model-'));
            try {
              index.save(join(dir, 'i.idx'));
              index = next() & 1 ? HammingIndex.load(join(dir, 'i.idx')) : HammingIndex.open(join(dir, 'i.idx'), { readonly: false });
            } finally {
              rmSync(dir, { recursive: true, force: true });
            }
          }
          expect(index.size).toBe(model.size);
        }
        // Every id maps to its code, and a full ranking from code 0 lists items in insertion order per distance.
        for (const [id, v] of [...model].slice(0, 200)) expect(new DataView(index.get(id)!.buffer).getUint32(0, true)).toBe(v);
        if (model.size) {
          const all = index.search({ count: 1, bits: 64, data: new Uint8Array(8) }, { k: model.size });
          const entries = [...model];
          const pop = (v: number) => { let c = 0; for (; v; v &= v - 1) c++; return c; };
          const order = entries.map(([id, v], i) => ({ id, d: pop(v >>> 0), i })).sort((a, b) => a.d - b.d || a.i - b.i);
          expect(Array.from(all.ids)).toEqual(order.map((o) => o.id));
        }
      }), { numRuns: 60 });
  });
});

function maskPadding(data: Uint8Array, bits: number): Uint8Array {
  const out = data.slice(), stride = bytes(bits);
  for (let i = 0; i < data.length / stride; i++) for (let j = bits; j < stride * 8; j++) out[i * stride + (j >> 3)] &= ~(1 << (j & 7));
  return out;
}
