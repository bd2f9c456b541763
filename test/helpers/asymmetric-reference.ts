// Independent naive references for asymmetric ranking: the score of a code as a +-1 vector against
// a projection, summed in double bit by bit, and a stable sort. Shares no code with the library.
import { type RefItem, bytesPerCode, rankAll } from './hamming-reference.js';

/** sum_j p_j * (bit_j ? +1 : -1) over the first `bits` bits, in double, in bit order. */
export function naiveScore(p: ArrayLike<number>, code: Uint8Array, bits: number): number {
  let s = 0;
  for (let j = 0; j < bits; j++) s += ((code[j >> 3] >> (j & 7)) & 1 ? 1 : -1) * p[j];
  return s;
}

/**
 * The score in the library's documented single-precision order (search/asymmetric.h), emulated
 * with Math.fround: each nibble's partial score in double (-sum of its 4 terms, then +2 p per set
 * bit, highest first) rounded to float; a byte's entry the float sum of its low and high nibbles'; the
 * bytes' entries added in byte order in float. Real-valued projections give exact expectations.
 */
export function floatScore(p: ArrayLike<number>, code: Uint8Array, bits: number): number {
  const nibble = (byte: number, half: number) => {
    const t = [0, 1, 2, 3].map((i) => (8 * byte + 4 * half + i < bits ? p[8 * byte + 4 * half + i] : 0));
    const v = (code[byte] >> (4 * half)) & 15;
    let value = -(((t[0] + t[1]) + t[2]) + t[3]);
    for (let i = 3; i >= 0; i--) if ((v >> i) & 1) value += 2 * t[i];
    return Math.fround(value + 0);
  };
  let s = 0;
  for (let b = 0; b < Math.ceil(bits / 8); b++) {
    const entry = Math.fround(nibble(b, 0) + nibble(b, 1));
    s = b === 0 ? entry : Math.fround(s + entry);
  }
  return s;
}

export interface Scored {
  id: bigint;
  score: number;
  order: number;
}

/** Every item ranked by (score descending, insertion order). */
export function rankAsymmetric(p: ArrayLike<number>, items: RefItem[], bits: number): Scored[] {
  const scored = items.map((it, order) => ({ id: it.id, score: naiveScore(p, it.code, bits), order }));
  scored.sort((a, b) => b.score - a.score || a.order - b.order);
  return scored;
}

/** The packed sign code of a projection: bit j set where p_j >= 0 (p_j > 0 when strict). */
export function signCode(p: ArrayLike<number>, bits: number, strict = false): Uint8Array {
  const out = new Uint8Array(bytesPerCode(bits));
  for (let j = 0; j < bits; j++) if (strict ? p[j] > 0 : p[j] >= 0) out[j >> 3] |= 1 << (j & 7);
  return out;
}

/** The `rerank` Hamming-nearest items of the sign code (stable), re-ranked by score then insertion order. */
export function naiveRerank(p: ArrayLike<number>, items: RefItem[], bits: number, rerank: number, strict = false): Scored[] {
  const order = new Map(items.map((it, i) => [it.id, i]));
  const byId = new Map(items.map((it) => [it.id, it]));
  const near = rankAll(signCode(p, bits, strict), items, bits).slice(0, rerank);
  const scored = near.map(({ id }) => ({ id, score: naiveScore(p, byId.get(id)!.code, bits), order: order.get(id)! }));
  scored.sort((a, b) => b.score - a.score || a.order - b.order);
  return scored;
}

/**
 * Projections whose every partial sum is exact in single precision: multiples of 1/8 of
 * magnitude <= 8, so scores tie exactly when they tie in exact arithmetic. With `zeros`, some
 * values are exactly 0 (where the two sign thresholds differ).
 */
export function dyadicProjections(rows: number, bits: number, rand: () => number, zeros = false): Float64Array {
  const out = new Float64Array(rows * bits);
  for (let i = 0; i < out.length; i++) out[i] = zeros && rand() < 0.2 ? 0 : Math.round(rand() * 128 - 64) / 8;
  return out;
}

/** mAP under asymmetric ranking: a stable sort by (score descending, database index), AP as naiveMap. */
export function naiveMapAsymmetric(
  p: ArrayLike<number>, db: Uint8Array, bits: number, nq: number, ndb: number,
  ql: Uint8Array, dl: Uint8Array, classes: number, top = 0, skip = false,
): { map: number; ap: number[] } {
  const stride = bytesPerCode(bits);
  const ap: number[] = [];
  for (let i = 0; i < nq; i++) {
    const row = Array.from({ length: bits }, (_, j) => p[i * bits + j]);
    const items = Array.from({ length: ndb }, (_, j) => {
      let rel = false;
      for (let c = 0; c < classes; c++) if (ql[i * classes + c] && dl[j * classes + c]) rel = true;
      return { j, s: naiveScore(row, db.subarray(j * stride, (j + 1) * stride), bits), rel };
    });
    items.sort((a, b) => b.s - a.s || a.j - b.j);
    if (!items.some((x) => x.rel)) {
      ap.push(skip ? NaN : 0);
      continue;
    }
    const limit = top > 0 ? Math.min(top, ndb) : ndb;
    let hits = 0, sum = 0;
    for (let r = 0; r < limit; r++)
      if (items[r].rel) {
        hits++;
        sum += hits / (r + 1);
      }
    ap.push(hits ? sum / hits : 0);
  }
  const counted = ap.filter((x) => !Number.isNaN(x));
  return { map: counted.length ? counted.reduce((a, b) => a + b, 0) / counted.length : 0, ap };
}
