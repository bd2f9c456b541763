// mAP against a naive stable-sort reference, and the protocols.
import { describe, expect, it } from 'vitest';
import { ASCMH, datasets, evaluate } from '../../src/index.js';
import type { Codes, LabelMatrix } from '../../src/index.js';
import { naiveMap } from '../helpers/naive.js';

function randomCodes(count: number, bits: number, seed: number, distinctValues = 256): Codes {
  const rng = new datasets.SeededRandom(seed);
  const bytes = Math.ceil(bits / 64) * 8;
  const data = new Uint8Array(count * bytes);
  for (let i = 0; i < count; i++)
    for (let b = 0; b < Math.ceil(bits / 8); b++) {
      let v = rng.int(distinctValues);
      if ((b + 1) * 8 > bits) v &= (1 << (bits - b * 8)) - 1;
      data[i * bytes + b] = v;
    }
  return { count, bits, data };
}
function randomLabels(rows: number, cols: number, seed: number, density = 0.2): LabelMatrix {
  const rng = new datasets.SeededRandom(seed);
  return { rows, cols, data: Uint8Array.from({ length: rows * cols }, () => (rng.uniform() < density ? 1 : 0)) };
}

describe('meanAveragePrecision', () => {
  for (const [bits, nq, ndb, classes, distinct] of [[8, 20, 50, 3, 4], [24, 15, 80, 5, 256], [64, 10, 120, 7, 2], [130, 8, 60, 70, 256]] as const) {
    it(`equals the naive reference (${bits} bits, ${classes} classes, ties included)`, () => {
      const q = randomCodes(nq, bits, 1 + bits, distinct), db = randomCodes(ndb, bits, 2 + bits, distinct);
      const ql = randomLabels(nq, classes, 3), dl = randomLabels(ndb, classes, 4);
      for (const top of [0, 1, 7, ndb + 5]) {
        for (const skip of [false, true]) {
          const ref = naiveMap(q.data, db.data, bits, nq, ndb, ql.data, dl.data, classes, top, skip);
          const got = evaluate.averagePrecision({ queries: q, database: db, queryLabels: ql, databaseLabels: dl, top, skipWithoutRelevant: skip });
          expect(got.map).toBeCloseTo(ref.map, 12);
          got.averagePrecision.forEach((ap, i) => (Number.isNaN(ref.ap[i]) ? expect(ap).toBeNaN() : expect(ap).toBeCloseTo(ref.ap[i], 12)));
        }
      }
    });
  }
  it('a query with no relevant item counts AP = 0 (or is skipped on request)', () => {
    const q = randomCodes(2, 16, 5), db = randomCodes(10, 16, 6);
    const ql = { rows: 2, cols: 2, data: Uint8Array.from([1, 0, 0, 0]) };
    const dl = { rows: 10, cols: 2, data: Uint8Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 1 : 0)) };
    const all = evaluate.averagePrecision({ queries: q, database: db, queryLabels: ql, databaseLabels: dl });
    expect(all.averagePrecision[1]).toBe(0);
    expect(all.map).toBeCloseTo(all.averagePrecision[0] / 2, 12);
    const skipped = evaluate.averagePrecision({ queries: q, database: db, queryLabels: ql, databaseLabels: dl, skipWithoutRelevant: true });
    expect(skipped.evaluated).toBe(1);
    expect(skipped.map).toBeCloseTo(all.averagePrecision[0], 12);
  });
  it('async equals sync', async () => {
    const args = { queries: randomCodes(30, 32, 7), database: randomCodes(300, 32, 8), queryLabels: randomLabels(30, 4, 9), databaseLabels: randomLabels(300, 4, 10) };
    expect((await evaluate.averagePrecisionAsync(args)).map).toBe(evaluate.meanAveragePrecision(args));
  });
  it('bad input: code length mismatch, short buffer, label rows, empty database', () => {
    const q = randomCodes(3, 16, 1), db = randomCodes(5, 16, 2), ql = randomLabels(3, 2, 3), dl = randomLabels(5, 2, 4);
    const call = (patch: object) => () => evaluate.meanAveragePrecision({ queries: q, database: db, queryLabels: ql, databaseLabels: dl, ...patch });
    expect(call({ database: randomCodes(5, 32, 2) })).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_BITS_MISMATCH' }));
    expect(call({ database: { ...db, data: db.data.subarray(0, 8) } })).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_CODES_LENGTH' }));
    expect(call({ queryLabels: randomLabels(4, 2, 3) })).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_SHAPE' }));
    expect(call({ database: { count: 0, bits: 16, data: new Uint8Array(0) }, databaseLabels: { rows: 0, cols: 2, data: new Uint8Array(0) } })).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_EMPTY' }));
    expect(call({ top: -1 })).toThrow(expect.objectContaining({ code: 'ERR_ASCMH_OPTION' }));
  });
});

describe('cross-modal protocols', () => {
  it('train-codes uses the learned codes; encoded encodes the database by the other modality', async () => {
    const data = datasets.synthetic({ n: 700, classes: 6, imageDim: 30, textDim: 12, seed: 4 });
    const { train, query } = datasets.splitQueries(data, 100);
    const model = await ASCMH.fit(train, { bits: 32, imageAnchors: 200, textAnchors: 200 });
    const trainCodes = await evaluate.evaluateCrossModal(model, query, train, 'train-codes');
    const direct = evaluate.meanAveragePrecision({ queries: model.encode('image', query.image), database: model.trainingCodes, queryLabels: query.labels, databaseLabels: train.labels });
    expect(trainCodes.imageToText).toBe(direct);
    const encoded = await evaluate.evaluateCrossModal(model, query, train, 'encoded');
    const directEncoded = evaluate.meanAveragePrecision({ queries: model.encode('text', query.text), database: model.encode('image', train.image), queryLabels: query.labels, databaseLabels: train.labels });
    expect(encoded.textToImage).toBe(directEncoded);
    await expect(evaluate.evaluateCrossModal(model, query, query, 'train-codes')).rejects.toMatchObject({ code: 'ERR_ASCMH_SHAPE' });
  });
});
