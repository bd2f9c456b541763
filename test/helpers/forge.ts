// Writes files in this library's formats with valid checksums but any content: what an attacker
// can do, since a checksum is not a signature. Shares no code with the library; the index
// checksum follows the format's description in search/hamming_index.cc.
import { createHash } from 'node:crypto';

const M64 = (1n << 64n) - 1n;
const rotl = (x: bigint, r: bigint) => ((x << r) | (x >> (64n - r))) & M64;
const mix = (h: bigint, w: bigint) => (rotl(((h ^ w) * 0x9e3779b97f4a7c15n) & M64, 29n) + 0x632be59bd9b4e019n) & M64;
const fmix = (h: bigint) => {
  h ^= h >> 33n;
  h = (h * 0xff51afd7ed558ccdn) & M64;
  return h ^ (h >> 33n);
};

/** The index file's checksum: four interleaved lanes, then a finaliser over the word count. */
class IndexChecksum {
  private h = [1n, 2n, 3n, 4n];
  private lane = 0;
  private words = 0n;
  update(w: BigUint64Array) {
    let i = 0;
    const n = w.length;
    while (i < n && this.lane & 3) this.step(w[i++]);
    for (; i + 4 <= n; i += 4) for (let l = 0; l < 4; l++) this.h[l] = mix(this.h[l], w[i + l]);
    while (i < n) this.step(w[i++]);
    this.words += BigInt(n);
  }
  value() {
    const h = this.h[0] ^ rotl(this.h[1], 17n) ^ rotl(this.h[2], 31n) ^ rotl(this.h[3], 47n);
    return fmix(h ^ this.words);
  }
  private step(w: bigint) {
    const l = this.lane++ & 3;
    this.h[l] = mix(this.h[l], w);
  }
}

const words = (bytes: Uint8Array) => new BigUint64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));

/** An index file ("ASCMHIX1", version 1) holding these codes and ids, checksums recomputed. */
export function forgeIndexFile(o: { bits: number; codes: Uint8Array; ids: bigint[]; nextAuto: bigint; version?: number; count?: number }): Buffer {
  const idBytes = new Uint8Array(new BigInt64Array(o.ids).buffer);
  const payload = new IndexChecksum();
  payload.update(words(o.codes));
  payload.update(words(idBytes));
  const header = Buffer.alloc(48);
  header.write('ASCMHIX1', 0, 'latin1');
  header.writeUInt32LE(o.version ?? 1, 8);
  header.writeUInt32LE(o.bits, 12);
  header.writeBigUInt64LE(BigInt(o.count ?? o.ids.length), 16);
  header.writeBigInt64LE(o.nextAuto, 24);
  header.writeBigUInt64LE(payload.value(), 32);
  header.writeBigUInt64LE(indexHeaderChecksum(header), 40);
  return Buffer.concat([header, Buffer.from(o.codes), Buffer.from(idBytes)]);
}

/** The checksum of an index header's first 40 bytes. */
export function indexHeaderChecksum(header: Uint8Array): bigint {
  const c = new IndexChecksum();
  c.update(words(header.subarray(0, 40)));
  return c.value();
}

/** Recomputes the checksums of an index file after its bytes were changed. */
export function resealIndexFile(file: Buffer): Buffer {
  const out = Buffer.from(file);
  if (out.length < 48) return out;
  const rest = out.subarray(48);
  const payload = new IndexChecksum();
  payload.update(words(rest.subarray(0, rest.length - (rest.length % 8))));
  out.writeBigUInt64LE(payload.value(), 32);
  out.writeBigUInt64LE(indexHeaderChecksum(out), 40);
  return out;
}

/** Recomputes the SHA-256 that ends a model file after its bytes were changed. */
export function resealModelFile(file: Buffer): Buffer {
  const body = file.subarray(0, file.length - 32);
  return Buffer.concat([body, createHash('sha256').update(body).digest()]);
}

/** A model file's JSON header, its sections' bytes, and a way to write it back with a valid checksum. */
export function openModelFile(file: Buffer) {
  const headerLength = file.readUInt32LE(12);
  const header = JSON.parse(file.subarray(16, 16 + headerLength).toString('utf8'));
  const prefix = 16 + Math.ceil(headerLength / 8) * 8;
  const sectionBytes = new Map<string, Buffer>();
  const size = { float64: 8, float32: 4, uint8: 1 } as Record<string, number>;
  for (const s of header.sections) sectionBytes.set(s.name, Buffer.from(file.subarray(prefix + s.offset, prefix + s.offset + s.length * size[s.kind])));
  return {
    header,
    sectionBytes,
    /** Writes header (as JSON) and sections (kind and length as given in header.sections). */
    build(): Buffer {
      let offset = 0;
      for (const s of header.sections) {
        s.offset = offset;
        offset += Math.ceil((sectionBytes.get(s.name)?.length ?? 0) / 8) * 8;
      }
      const json = Buffer.from(JSON.stringify(header));
      const pre = 16 + Math.ceil(json.length / 8) * 8;
      const body = Buffer.alloc(pre + offset);
      file.copy(body, 0, 0, 12);
      body.writeUInt32LE(json.length, 12);
      json.copy(body, 16);
      for (const s of header.sections) sectionBytes.get(s.name)?.copy(body, pre + s.offset);
      return Buffer.concat([body, createHash('sha256').update(body).digest()]);
    },
  };
}

/** Recomputes every checksum of a version 2 index file (blocks, table, header) after its bytes were changed. */
export function resealIndexFileV2(file: Buffer): Buffer {
  const out = Buffer.from(file);
  const u64 = (at: number) => Number(out.readBigUInt64LE(at));
  const bits = out.readUInt32LE(12), count = u64(16), idsStored = u64(32) & 1;
  const blockItems = u64(48), blocks = u64(56), codesAt = u64(64), idsAt = u64(72), sumsAt = u64(80);
  const words = Math.ceil(bits / 64);
  const blockSum = (b: number, at: number, n: number) => {
    const c = new IndexChecksum();
    c.update(new BigUint64Array([BigInt(b)]));
    c.update(words64(out.subarray(at, at + n * 8)));
    return c.value();
  };
  const sums: bigint[] = [];
  for (let b = 0; b < blocks; b++) {
    const n = Math.min(blockItems, count - b * blockItems);
    sums.push(blockSum(b, codesAt + b * blockItems * words * 8, n * words));
  }
  if (idsStored) for (let b = 0; b < blocks; b++) sums.push(blockSum(b, idsAt + b * blockItems * 8, Math.min(blockItems, count - b * blockItems)));
  sums.forEach((v, i) => out.writeBigUInt64LE(v, sumsAt + i * 8));
  const table = new IndexChecksum();
  table.update(new BigUint64Array(sums));
  out.writeBigUInt64LE(table.value(), sumsAt + sums.length * 8);
  const header = new IndexChecksum();
  header.update(words64(out.subarray(0, 4088)));
  out.writeBigUInt64LE(header.value(), 4088);
  return out;
}

const words64 = (bytes: Uint8Array) => new BigUint64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
