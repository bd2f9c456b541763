// The model file's 'mlp' encoder kind (DDASH): a network per modality round-trips, float64 and
// float32; forged files with valid checksums are refused like hostile input; the native network
// checks its parameters.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DDASH, type DdashOptions, loadModel } from '../../src/index.js';
import { native } from '../../src/core/native.js';
import { readModelFile } from '../../src/io/model-file.js';
import { smallSet } from '../helpers/fixtures.js';
import { openModelFile } from '../helpers/forge.js';
import { scratchDir } from '../helpers/temp.js';

const data = smallSet(120, 4);
const options: DdashOptions = { bits: 24, iterations: 2, hiddenImage: 9, hiddenText: 7 };
let model: DDASH;
let original: Buffer;

beforeAll(async () => {
  model = await DDASH.fit(data, options);
  const dir = mkdtempSync(join(tmpdir(), 'ascmh-mlp-'));
  try {
    await model.save(join(dir, 'm.ascmh'));
    original = readFileSync(join(dir, 'm.ascmh'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe("model file: the 'mlp' encoder", () => {
  it('records method ddash and encoder mlp, the network sizes and six sections per modality', async () => {
    const dir = scratchDir();
    writeFileSync(join(dir, 'm.ascmh'), original);
    const stored = await readModelFile(join(dir, 'm.ascmh'));
    expect(stored).toMatchObject({ method: 'ddash', encoder: 'mlp', image: { dim: data.image.cols, hidden: 9 }, text: { dim: data.text.cols, hidden: 7 } });
    const f = openModelFile(original);
    expect(f.header.sections.map((s: { name: string }) => s.name).sort()).toEqual(
      ['trainingCodes', ...['image', 'text'].flatMap((m) => ['inputMean', 'inputScale', 'W1', 'b1', 'W2', 'b2'].map((p) => `${m}.${p}`))].sort(),
    );
  });

  for (const precision of ['float64', 'float32'] as const) {
    it(`${precision}: save, DDASH.load and loadModel give the same networks, codes and encodings`, async () => {
      const m = precision === 'float64' ? model : await DDASH.fit(data, { ...options, precision });
      const dir = scratchDir();
      const path = join(dir, 'm.ascmh');
      await m.save(path);
      for (const back of [await DDASH.load(path), await loadModel(path)]) {
        expect(back).toBeInstanceOf(DDASH);
        expect(back.options).toEqual(m.options);
        for (const modality of ['image', 'text'] as const) {
          expect(back.network(modality)).toEqual(m.network(modality));
          expect(Array.from(back.encode(modality, data[modality]).data)).toEqual(Array.from(m.encode(modality, data[modality]).data));
          expect(back.project(modality, data[modality]).data).toEqual(m.project(modality, data[modality]).data);
        }
        expect(Array.from(back.trainingCodes.data)).toEqual(Array.from(m.trainingCodes.data));
      }
    });
  }

  it("DDASH.load refuses another method's file", async () => {
    const dir = scratchDir();
    const f = openModelFile(original);
    f.header.method = 'batch';
    writeFileSync(join(dir, 'x.ascmh'), f.build());
    await expect(DDASH.load(join(dir, 'x.ascmh'))).rejects.toMatchObject({ code: 'ERR_ASCMH_MODEL_CORRUPT' });
  });
});

type Forged = ReturnType<typeof openModelFile>;
const section = (f: Forged, name: string) => f.header.sections.find((s: { name: string }) => s.name === name);

const forgeries: Record<string, (f: Forged) => void> = {
  'W1 shorter than dim x hidden': (f) => {
    section(f, 'image.W1').length -= 3;
  },
  'hidden raised above what W1 holds': (f) => {
    f.header.hash.text.hidden = 70;
  },
  'hidden of 0': (f) => {
    f.header.hash.text.hidden = 0;
  },
  'a huge input dimension': (f) => {
    f.header.hash.image.dim = 2 ** 40;
  },
  'NaN in a bias': (f) => {
    f.sectionBytes.get('text.b2')!.writeDoubleLE(Number.NaN, 8);
  },
  'Infinity in the input scale': (f) => {
    f.sectionBytes.get('image.inputScale')!.writeDoubleLE(Number.POSITIVE_INFINITY, 0);
  },
  'W2 stored as float32 in a float64 model': (f) => {
    const s = section(f, 'image.W2');
    s.kind = 'float32';
  },
  'a missing section': (f) => {
    f.header.sections = f.header.sections.filter((s: { name: string }) => s.name !== 'text.inputMean');
  },
  'an extra kernel section': (f) => {
    f.header.sections.push({ ...section(f, 'image.b1'), name: 'image.anchors' });
    f.sectionBytes.set('image.anchors', f.sectionBytes.get('image.b1')!);
  },
  'the mlp encoder on a kernel method': (f) => {
    f.header.method = 'scratch';
  },
  'a kernel encoder on DDASH': (f) => {
    f.header.encoder = 'kernel-ridge';
  },
  'bits raised above what W2 holds': (f) => {
    f.header.options.bits = 64;
    f.header.trainingCodes.bits = 64;
  },
  'a missing network': (f) => {
    delete f.header.hash.image;
  },
  'an invalid DDASH option': (f) => {
    f.header.options.nu = -1;
  },
};

describe('forged mlp model files with valid checksums are refused', () => {
  for (const [name, forge] of Object.entries(forgeries)) {
    it(name, async () => {
      const f = openModelFile(original);
      forge(f);
      const dir = scratchDir();
      const path = join(dir, 'forged.ascmh');
      writeFileSync(path, f.build());
      await expect(loadModel(path)).rejects.toMatchObject({ code: 'ERR_ASCMH_MODEL_CORRUPT' });
    });
  }

  it('the forger itself rebuilds a file that loads and encodes as the original', async () => {
    const dir = scratchDir();
    writeFileSync(join(dir, 'rebuilt.ascmh'), openModelFile(original).build());
    const same = await DDASH.load(join(dir, 'rebuilt.ascmh'));
    expect(same.encode('image', data.image).data).toEqual(model.encode('image', data.image).data);
  });
});

describe('the native network checks its parameters', () => {
  const spec = () => ({ ...model.network('image'), bits: 24 });
  const refused = (s: unknown) => expect(() => new native.MlpEncoder(s)).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_MODEL_FORMAT' }));
  it('refuses mixed element types, wrong lengths, bad sizes and non-finite values', () => {
    refused({ ...spec(), b1: Float32Array.from(spec().b1) });
    refused({ ...spec(), W1: new Uint8Array(spec().W1.length) });
    refused({ ...spec(), W2: spec().W2.subarray(1) });
    refused({ ...spec(), hidden: 1e300 });
    refused({ ...spec(), dim: -1 });
    refused({ ...spec(), bits: 0 });
    refused({ ...spec(), bits: 25 });
    refused({ ...spec(), inputMean: Float64Array.from(spec().inputMean, () => Number.NaN) });
    refused({ ...spec(), get b2() { return undefined; } });
    refused(null);
    expect(new native.MlpEncoder(spec())).toBeDefined();
  });
});
