// Seeded byte-level mutations for fuzzing the readers: bit flips, interesting values written at
// random (often header) offsets, truncation, extension, chunk duplication.

export type Rand = () => number;

export function seeded(seed: number): Rand {
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

const INTERESTING_32 = [0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 64, 1024, 65535, 65536];

/** One mutated copy of `input`; `hot` bytes at the start are hit more often (headers). */
export function mutate(input: Uint8Array, rand: Rand, hot = 128): Buffer {
  let b = Buffer.from(input);
  const at = () => (rand() < 0.6 && b.length ? Math.floor(rand() * Math.min(hot, b.length)) : Math.floor(rand() * Math.max(1, b.length)));
  const steps = 1 + Math.floor(rand() * 3);
  for (let s = 0; s < steps; s++) {
    const op = Math.floor(rand() * 7);
    if (b.length === 0 && op < 4) continue;
    switch (op) {
      case 0: { // flip bits
        const n = 1 + Math.floor(rand() * 8);
        for (let i = 0; i < n; i++) {
          const p = at();
          b[p] ^= 1 << Math.floor(rand() * 8);
        }
        break;
      }
      case 1: // a random byte
        b[at()] = Math.floor(rand() * 256);
        break;
      case 2: { // an interesting 32-bit value
        const p = Math.min(at(), Math.max(0, b.length - 4));
        if (b.length >= 4) b.writeUInt32LE(INTERESTING_32[Math.floor(rand() * INTERESTING_32.length)] >>> 0, p);
        break;
      }
      case 3: { // an interesting 64-bit value
        const p = Math.min(at(), Math.max(0, b.length - 8));
        const values = [0n, 1n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n, 1n << 40n, 1n << 32n];
        if (b.length >= 8) b.writeBigUInt64LE(values[Math.floor(rand() * values.length)], p);
        break;
      }
      case 4: // truncate
        b = b.subarray(0, Math.floor(rand() * b.length));
        break;
      case 5: { // extend with random bytes
        const extra = Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 64) }, () => Math.floor(rand() * 256)));
        b = Buffer.concat([b, extra]);
        break;
      }
      default: { // duplicate a chunk in place of another
        if (b.length < 2) break;
        const from = Math.floor(rand() * b.length), to = Math.floor(rand() * b.length), len = Math.floor(rand() * 64);
        b = Buffer.concat([b.subarray(0, to), b.subarray(from, from + len), b.subarray(to)]);
      }
    }
  }
  return b;
}

/** Calls body(i) until `count` cases ran or `seconds` passed; returns how many ran. */
export async function forCases(count: number, seconds: number, body: (i: number) => Promise<void> | void): Promise<number> {
  const until = performance.now() + seconds * 1000;
  let i = 0;
  for (; i < count && performance.now() < until; i++) await body(i);
  return i;
}
