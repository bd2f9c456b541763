// mAP under asymmetric ranking against a naive reference (double scores bit by bit, a stable sort
// by score then database index), and the ranking choice of evaluateCrossModal.
import { describe, expect, it } from 'vitest';
import { ASCMH, BATCH, SCRATCH, datasets, evaluate } from '../../src/index.js';
import { dyadicProjections, naiveMapAsymmetric } from '../helpers/asymmetric-reference.js';
import { randomCodes, randomLabels, rng } from '../helpers/hamming-reference.js';
import { naiveMap, thrown } from '../helpers/naive.js';

describe('averagePrecisionAsymmetric', () => {
  for (const [bits, nq, ndb, classes, pool] of [[8, 20, 60, 3, 5], [24, 15, 90, 5, 0], [64, 10, 150, 7, 4], [130, 8, 70, 70, 0], [1024, 3, 40, 4, 6]] as const) {
    it(`equals the naive reference (${bits} bits, ${classes} classes, tied codes: ${pool > 0})`, () => {
      const rand = rng(bits + nq);
      const db = randomCodes(ndb, bits, rand, pool);
      const p = { rows: nq, cols: bits, data: dyadicProjections(nq, bits, rand) };
      const ql = { rows: nq, cols: classes, data: randomLabels(nq, classes, rand, 0.3) };
      const dl = { rows: ndb, cols: classes, data: randomLabels(ndb, classes, rand, 0.3) };
      for (const top of [0, 1, 9, ndb + 3]) {
        for (const skip of [false, true]) {
          const ref = naiveMapAsymmetric(p.data, db.data, bits, nq, ndb, ql.data, dl.data, classes, top, skip);
          const got = evaluate.averagePrecisionAsymmetric({ projections: p, database: db, queryLabels: ql, databaseLabels: dl, top, skipWithoutRelevant: skip });
          expect(got.map).toBeCloseTo(ref.map, 12);
          got.averagePrecision.forEach((ap, i) => (Number.isNaN(ref.ap[i]) ? expect(ap).toBeNaN() : expect(ap).toBeCloseTo(ref.ap[i], 12)));
        }
      }
    });
  }

  it('a projection that is a scaled code ranks exactly as Hamming distance does (same mAP, same ties)', () => {
    // score = (bits - 2 d) / 8 for p = code / 8 as +-1: descending score is ascending distance.
    const bits = 48, rand = rng(3);
    const q = randomCodes(12, bits, rand), db = randomCodes(200, bits, rand, 30);
    const p = new Float64Array(12 * bits);
    for (let i = 0; i < 12; i++) for (let j = 0; j < bits; j++) p[i * bits + j] = ((q.data[i * 8 + (j >> 3)] >> (j & 7)) & 1 ? 1 : -1) / 8;
    const ql = { rows: 12, cols: 4, data: randomLabels(12, 4, rand) }, dl = { rows: 200, cols: 4, data: randomLabels(200, 4, rand) };
    const asym = evaluate.averagePrecisionAsymmetric({ projections: { rows: 12, cols: bits, data: p }, database: db, queryLabels: ql, databaseLabels: dl });
    const ham = naiveMap(q.data, db.data, bits, 12, 200, ql.data, dl.data, 4);
    asym.averagePrecision.forEach((ap, i) => expect(ap).toBeCloseTo(ham.ap[i], 12));
  });

  it('async equals sync; float32 projections give the same as their float64 values', async () => {
    const bits = 32, rand = rng(8);
    const db = randomCodes(400, bits, rand);
    const values = dyadicProjections(25, bits, rand);
    const args = { projections: { rows: 25, cols: bits, data: values }, database: db, queryLabels: { rows: 25, cols: 3, data: randomLabels(25, 3, rand) }, databaseLabels: { rows: 400, cols: 3, data: randomLabels(400, 3, rand) } };
    const sync = evaluate.averagePrecisionAsymmetric(args);
    expect(await evaluate.averagePrecisionAsymmetricAsync(args)).toEqual(sync);
    expect(evaluate.meanAveragePrecisionAsymmetric({ ...args, projections: { ...args.projections, data: Float32Array.from(values) } })).toBe(sync.map);
  });

  it('bad input is a coded error', async () => {
    const bits = 16, rand = rng(1);
    const db = randomCodes(5, bits, rand);
    const good = { projections: { rows: 2, cols: bits, data: new Float64Array(2 * bits) }, database: db, queryLabels: { rows: 2, cols: 2, data: new Uint8Array(4) }, databaseLabels: { rows: 5, cols: 2, data: new Uint8Array(10) } };
    const nan = new Float64Array(2 * bits);
    nan[3] = NaN;
    const cases: [object, string][] = [
      [{ projections: { rows: 2, cols: 8, data: new Float64Array(16) } }, 'ERR_ASCMH_SHAPE'],
      [{ projections: { rows: 2, cols: bits, data: nan } }, 'ERR_ASCMH_NON_FINITE'],
      [{ projections: { rows: 2, cols: bits, data: new Float64Array(2 * bits).fill(1e300) } }, 'ERR_ASCMH_PROJECTION_RANGE'],
      [{ projections: 5 }, 'ERR_ASCMH_NOT_MATRIX'],
      [{ queryLabels: { rows: 3, cols: 2, data: new Uint8Array(6) } }, 'ERR_ASCMH_SHAPE'],
      [{ database: { count: 0, bits, data: new Uint8Array(0) }, databaseLabels: { rows: 0, cols: 2, data: new Uint8Array(0) } }, 'ERR_ASCMH_EMPTY'],
      [{ top: 1.5 }, 'ERR_ASCMH_OPTION'],
    ];
    for (const [patch, code] of cases) {
      expect(thrown(() => evaluate.averagePrecisionAsymmetric({ ...good, ...patch } as never))).toMatchObject({ code });
      await expect(evaluate.averagePrecisionAsymmetricAsync({ ...good, ...patch } as never)).rejects.toMatchObject({ code });
    }
  });
});

describe('evaluateCrossModal with the asymmetric ranking', () => {
  const data = datasets.synthetic({ n: 600, classes: 6, imageDim: 30, textDim: 12, seed: 4 });
  const { train, query } = datasets.splitQueries(data, 100);

  for (const Method of [ASCMH, BATCH, SCRATCH]) {
    it(`${Method.name}: both tasks equal projecting the queries and ranking the training codes by score`, async () => {
      const model = await Method.fit(train, { bits: 32, imageAnchors: 100, textAnchors: 100 });
      const r = await evaluate.evaluateCrossModal(model, query, train, 'train-codes', { ranking: 'asymmetric' });
      const common = { database: model.trainingCodes, queryLabels: query.labels, databaseLabels: train.labels };
      expect(r.imageToText).toBe(evaluate.meanAveragePrecisionAsymmetric({ projections: model.project('image', query.image), ...common }));
      expect(r.textToImage).toBe(evaluate.meanAveragePrecisionAsymmetric({ projections: model.project('text', query.text), ...common }));
      const encoded = await evaluate.evaluateCrossModal(model, query, train, 'encoded', { ranking: 'asymmetric' });
      expect(encoded.textToImage).toBe(evaluate.meanAveragePrecisionAsymmetric({ projections: model.project('text', query.text), database: model.encode('image', train.image), queryLabels: query.labels, databaseLabels: train.labels }));
      const hamming = await evaluate.evaluateCrossModal(model, query, train, 'train-codes');
      expect(hamming.imageToText).toBe(evaluate.meanAveragePrecision({ queries: model.encode('image', query.image), ...common }));
    });
  }

  it('refuses an unknown ranking, and curves with the asymmetric ranking', async () => {
    const model = await ASCMH.fit(train, { bits: 16, imageAnchors: 50, textAnchors: 50 });
    await expect(evaluate.evaluateCrossModal(model, query, train, 'train-codes', { ranking: 'cosine' as never })).rejects.toMatchObject({ code: 'ERR_ASCMH_OPTION' });
    await expect(evaluate.evaluateCrossModal(model, query, train, 'train-codes', { ranking: 'asymmetric', curves: { ns: [10] } })).rejects.toMatchObject({ code: 'ERR_ASCMH_OPTION' });
  });
});
