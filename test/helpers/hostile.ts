// fast-check arbitraries for hostile inputs: typed arrays in every kind of buffer (offset views,
// shared, resizable), objects whose properties are getters, and garbage values.
import fc from 'fast-check';

export type Holder = 'plain' | 'offset' | 'shared' | 'resizable' | 'getter';
export const holders: Holder[] = ['plain', 'offset', 'shared', 'resizable', 'getter'];

type Ctor<T> = { new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): T; BYTES_PER_ELEMENT: number };

/** A copy of `values` held the way `holder` says (an offset view starts at a random element). */
export function hold<T extends Uint8Array | Float32Array | Float64Array>(values: T, holder: Holder, offset = 3): T {
  const C = values.constructor as unknown as Ctor<T>;
  const n = values.length, size = C.BYTES_PER_ELEMENT;
  let out: T;
  if (holder === 'offset') out = new C(new ArrayBuffer((n + offset) * size), offset * size, n);
  else if (holder === 'shared') out = new C(new SharedArrayBuffer(n * size));
  else if (holder === 'resizable') out = new C(new ArrayBuffer(n * size, { maxByteLength: (n + 8) * size }));
  else out = new C(new ArrayBuffer(n * size));
  (out as Uint8Array).set(values as Uint8Array);
  return out;
}

/** `{ ...object }` with `key` served by a getter that hands out a fresh copy on every read. */
export function withGetter<O extends object>(object: O, key: keyof O): O {
  const value = object[key] as unknown as { slice(): unknown };
  const out = { ...object };
  Object.defineProperty(out, key, { get: () => value.slice(), enumerable: true });
  return out;
}

/** Values that are not what any parameter wants. */
export const garbage = fc.oneof(
  fc.constantFrom(undefined, null, NaN, Infinity, -Infinity, -1, 0.5, 2 ** 53, 2 ** 64, 1e300, '', '7', true, [], {}, () => 0),
  fc.constantFrom(new Int32Array(4), new Float32Array(3), new Uint8Array(0), new BigInt64Array(2), new ArrayBuffer(8)),
  fc.integer(), fc.double(), fc.string({ maxLength: 4 }),
);

/** An error from the library: it carries an ERR_ASCMH_* code. */
export function isCoded(error: unknown): boolean {
  return typeof (error as { code?: unknown })?.code === 'string' && /^ERR_ASCMH_[A-Z0-9_]+$/.test((error as { code: string }).code);
}
