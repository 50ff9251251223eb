// Data-parallel steps (a worker thread computes half the batch's gradient) equal single-thread steps up to float
// summation order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeConfig } from '../../../agent/lm/config.ts';
import { GptModel, initWeights } from '../../../agent/lm/model.ts';
import { toBatch } from '../../../agent/lm/train/data.ts';
import { balancedShares, DataParallel } from '../../../agent/lm/train/parallel.ts';
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
  it('shares rows so that the slowest share has the least work', () => {
    // Equal lengths: even halves, in row order.
    expect(balancedShares([5, 5, 5, 5], 2, 16)).toEqual([[0, 1], [2, 3]]);
    // One long row: alone in its share; the rest together (work rows x T x (96 + T): 1 x 300 x 396 against 3 x 100 x 196).
    expect(balancedShares([100, 300, 100, 100], 2, 16)).toEqual([[1], [0, 2, 3]]);
    // Ties keep row order; every share is non-empty (1890 = 2 x 9 x 105 at most, against 2163 for [1], [3], [0, 2, 4]);
    // fewer rows than threads give one share per row.
    expect(balancedShares([7, 9, 7, 9, 7], 3, 16)).toEqual([[1], [3, 0], [2, 4]]);
    expect(balancedShares([4, 6], 4, 16)).toEqual([[1], [0]]);
    // Every row exactly once, whatever the lengths.
    const lengths = Array.from({ length: 16 }, (_, i) => 150 + ((i * 97) % 230));
    const split = balancedShares(lengths, 2, 128);
    expect(split.flat().sort((a, b) => a - b)).toEqual(lengths.map((_, i) => i));
    const work = (rows: number[]): number => rows.length * Math.max(...rows.map((i) => lengths[i]!)) * (6 * 128 + Math.max(...rows.map((i) => lengths[i]!)));
    const halves = [lengths.map((_, i) => i).slice(0, 8), lengths.map((_, i) => i).slice(8)];
    expect(Math.max(...split.map(work))).toBeLessThan(Math.max(...halves.map(work)));
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
