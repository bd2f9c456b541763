// A model file whose SHA-256 was recomputed (anyone can) is checked like hostile input
// (issue 10, item 2): every section's type and size against the header, every count and width,
// the values' finiteness and the training codes' padding bits. Before the fix, W stored as uint8
// or the mean as float32 made encode read out of bounds (SIGSEGV, or an 819,200-byte over-read in
// make_hash with silently wrong codes).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ASCMH, datasets } from '../../src/index.js';
import { native } from '../../src/core/native.js';
import { openModelFile } from '../helpers/forge.js';
import { scratchDir } from '../helpers/temp.js';

let original: Buffer;
let model: ASCMH;
const data = datasets.synthetic({ n: 300, seed: 5 });

beforeAll(async () => {
  model = await ASCMH.fit(data, { bits: 24, imageAnchors: 40, textAnchors: 30 });
  const dir = mkdtempSync(join(tmpdir(), 'ascmh-forge-'));
  try {
    await model.save(join(dir, 'm.ascmh'));
    original = readFileSync(join(dir, 'm.ascmh'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

type Forged = ReturnType<typeof openModelFile>;
const section = (f: Forged, name: string) => f.header.sections.find((s: { name: string }) => s.name === name);

// Each forgery keeps the file's checksum valid.
const forgeries: Record<string, (f: Forged) => void> = {
  'W stored as uint8 while the anchors are float64': (f) => {
    const s = section(f, 'image.W');
    s.kind = 'uint8';
    s.length = f.sectionBytes.get('image.W')!.length;
  },
  'the mean stored as float32': (f) => {
    const s = section(f, 'text.mean');
    s.kind = 'float32';
    const v = new Float64Array(new Uint8Array(f.sectionBytes.get('text.mean')!).buffer);
    f.sectionBytes.set('text.mean', Buffer.from(Float32Array.from(v).buffer));
  },
  'anchors shorter than count x dim': (f) => {
    section(f, 'image.anchors').length -= 5;
  },
  'a count larger than the anchors': (f) => {
    f.header.hash.image.count = 100_000;
  },
  'a huge dimension': (f) => {
    f.header.hash.text.dim = 2 ** 40;
  },
  'bits raised above what W holds': (f) => {
    f.header.options.bits = 64;
    f.header.trainingCodes.bits = 64;
  },
  'a negative kernel width': (f) => {
    f.header.hash.image.sigma = -1;
  },
  'a kernel width that is a string': (f) => {
    f.header.hash.text.sigma = '1';
  },
  'NaN among the anchors': (f) => {
    const b = f.sectionBytes.get('image.anchors')!;
    b.writeDoubleLE(NaN, 16);
  },
  'training codes with bits set above the code length': (f) => {
    const b = f.sectionBytes.get('trainingCodes')!;
    b[3 * 8 + 4] |= 0x80; // code 3, bit 39 of a 24-bit code
  },
  'training codes of another length than the header says': (f) => {
    f.header.trainingCodes.count += 1;
  },
  'a section named twice': (f) => {
    f.header.sections.push({ ...section(f, 'image.mean') });
  },
  'a section kind that does not exist': (f) => {
    section(f, 'image.mean').kind = 'int64';
  },
  'a missing hash function': (f) => {
    delete f.header.hash.text;
  },
  'bits of 1e300': (f) => {
    f.header.options.bits = 1e300;
  },
  'an unknown precision': (f) => {
    f.header.options.precision = 'float16';
  },
};

describe('forged model files with valid checksums are refused', () => {
  for (const [name, forge] of Object.entries(forgeries)) {
    it(name, async () => {
      const f = openModelFile(original);
      forge(f);
      const dir = scratchDir();
      const path = join(dir, 'forged.ascmh');
      writeFileSync(path, f.build());
      await expect(ASCMH.load(path)).rejects.toMatchObject({ code: 'ERR_ASCMH_MODEL_CORRUPT' });
    });
  }

  it('the forger itself writes files that load and encode as the original (so the refusals are about the content)', async () => {
    const dir = scratchDir();
    const path = join(dir, 'rebuilt.ascmh');
    writeFileSync(path, openModelFile(original).build());
    const same = await ASCMH.load(path);
    expect(same.encode('image', data.image).data).toEqual(model.encode('image', data.image).data);
  });
});

describe('the native encoder checks its parameters too', () => {
  const h = () => ({ ...model.hashFunction('image'), bits: 24 });
  const refused = (spec: unknown) => expect(() => new native.Encoder(spec)).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_MODEL_FORMAT' }));
  it('refuses mixed element types, wrong lengths, bad counts and widths', () => {
    refused({ ...h(), W: new Uint8Array(h().W.length * 8) });
    refused({ ...h(), mean: Float32Array.from(h().mean) });
    refused({ ...h(), anchors: h().anchors.subarray(1) });
    refused({ ...h(), count: 1e300 });
    refused({ ...h(), dim: -3 });
    refused({ ...h(), bits: 0 });
    refused({ ...h(), sigma: Number.NaN });
    refused({ ...h(), get W() { return undefined; } });
    refused(null);
    expect(new native.Encoder(h())).toBeDefined();
  });
});
