// Data-parallel steps (a worker thread computes half the batch's gradient) equal single-thread steps up to float
// summation order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeConfig } from '../../../agent/lm/config.ts';
import { GptModel, initWeights } from '../../../agent/lm/model.ts';
import { toBatch } from '../../../agent/lm/train/data.ts';
import { DataParallel, shares } from '../../../agent/lm/train/parallel.ts';
import { useWasmBackend } from '../../../agent/lm/wasm-backend.ts';
import { maxAbsDiff, randomIds } from './helpers.ts';

const config = makeConfig({ vocabSize: 40, context: 16, dModel: 16, heads: 2, layers: 1, positions: 'rope' });
let parallel: DataParallel | null = null;

beforeAll(async () => {
  await useWasmBackend();
});
afterAll(async () => {
  await parallel?.close();
});

describe('data-parallel training', () => {
  it('splits rows into even contiguous shares', () => {
    expect(shares([1, 2, 3, 4, 5], 2)).toEqual([[1, 2, 3], [4, 5]]);
    expect(shares([1, 2], 2)).toEqual([[1], [2]]);
  });

  it('two threads give the single-thread step (masked, uneven rows)', async () => {
    const rows = [0, 1, 2, 3].map((k) => {
      const n = 9 + 2 * k;
      const s = randomIds(n + 1, 40, k);
      return { ids: s.slice(0, n), targets: s.slice(1), mask: s.slice(1).map((_, i) => (i >= 3 ? 1 : 0)) };
    });
    const batch = toBatch(rows, 0);
    const single = new GptModel(config, initWeights(config, 9));
    const dual = new GptModel(config, initWeights(config, 9));
    try {
      parallel = await DataParallel.start(2, dual);
      for (let step = 0; step < 3; step++) {
        const a = single.trainStep(batch.ids, batch.targets, { lr: 0.01, mask: batch.mask });
        const b = await parallel.step(dual, batch, 0.01);
        expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-5);
        expect(Math.abs(a.gradNorm - b.gradNorm)).toBeLessThan(1e-4);
      }
      const wa = single.weights();
      const wb = dual.weights();
      for (const [name, t] of wa) expect(maxAbsDiff(t.data, wb.get(name)!.data), name).toBeLessThan(1e-4);
    } finally {
      single.dispose();
      dual.dispose();
    }
  }, 60_000);
});
