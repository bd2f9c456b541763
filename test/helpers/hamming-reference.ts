// Independent naive references for Hamming search and retrieval metrics: all pairs, byte-wise
// popcount, stable sort. Deliberately simple; shares no code with the library.

const POP8 = new Uint8Array(256).map((_, i) => {
  let c = 0;
  for (let v = i; v; v >>= 1) c += v & 1;
  return c;
});

/** Seeded xorshift32 generator: deterministic test data. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

export function bytesPerCode(bits: number): number {
  return 8 * Math.ceil(bits / 64);
}

/**
 * Random packed codes. With `pool`, codes are drawn from `pool` distinct random codes, giving many
 * exact duplicates and ties. Bits beyond `bits` are left random unless `cleanHighBits`.
 */
export function randomCodes(count: number, bits: number, rand: () => number, pool = 0, cleanHighBits = true) {
  const stride = bytesPerCode(bits);
  const data = new Uint8Array(count * stride);
  const make = (dst: Uint8Array, at: number) => {
    for (let b = 0; b < stride; b++) dst[at + b] = Math.floor(rand() * 256);
    if (cleanHighBits) clearHighBits(dst, at, bits);
  };
  if (pool > 0) {
    const p = new Uint8Array(pool * stride);
    for (let i = 0; i < pool; i++) make(p, i * stride);
    for (let i = 0; i < count; i++) {
      const j = Math.floor(rand() * pool);
      data.set(p.subarray(j * stride, (j + 1) * stride), i * stride);
    }
  } else {
    for (let i = 0; i < count; i++) make(data, i * stride);
  }
  return { count, bits, data };
}

function clearHighBits(dst: Uint8Array, at: number, bits: number) {
  const stride = bytesPerCode(bits);
  for (let j = bits; j < stride * 8; j++) dst[at + (j >> 3)] &= ~(1 << (j & 7));
}

/** Hamming distance between code a of A and code b of B, counting only the first `bits` bits. */
export function hamming(A: Uint8Array, a: number, B: Uint8Array, b: number, bits: number): number {
  const stride = bytesPerCode(bits);
  let d = 0;
  const full = bits >> 3;
  for (let i = 0; i < full; i++) d += POP8[A[a * stride + i] ^ B[b * stride + i]];
  if (bits & 7) d += POP8[(A[a * stride + full] ^ B[b * stride + full]) & ((1 << (bits & 7)) - 1)];
  return d;
}

export interface RefItem {
  id: bigint;
  code: Uint8Array; // one packed code
}

/** All items of one query ranked by (distance, insertion order). */
export function rankAll(query: Uint8Array, items: RefItem[], bits: number): { id: bigint; d: number }[] {
  const scored = items.map((it, order) => ({ id: it.id, d: hamming(query, 0, it.code, 0, bits), order }));
  scored.sort((x, y) => x.d - y.d || x.order - y.order);
  return scored.map(({ id, d }) => ({ id, d }));
}

export function codeAt(codes: { bits: number; data: Uint8Array }, i: number): Uint8Array {
  const stride = bytesPerCode(codes.bits);
  return codes.data.slice(i * stride, (i + 1) * stride);
}

export function randomLabels(rows: number, cols: number, rand: () => number, density = 0.2): Uint8Array {
  const out = new Uint8Array(rows * cols);
  for (let i = 0; i < out.length; i++) out[i] = rand() < density ? 1 : 0;
  return out;
}
