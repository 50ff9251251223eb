import { describe, expect, it } from 'vitest';
import { learningRate, type ScheduleOptions } from '../../../agent/lm/train/schedule.ts';

const cosine: ScheduleOptions = { steps: 110, lr: 1e-3, warmupSteps: 10, schedule: 'cosine', minLr: 1e-4 };

describe('learning-rate schedule', () => {
  it('warms up linearly from 0 to lr', () => {
    expect(learningRate(1, cosine)).toBeCloseTo(1e-4, 12);
    expect(learningRate(5, cosine)).toBeCloseTo(5e-4, 12);
    expect(learningRate(10, cosine)).toBeCloseTo(1e-3, 12);
  });

  it('decays by a cosine to minLr at the last step, monotonically', () => {
    expect(learningRate(60, cosine)).toBeCloseTo((1e-3 + 1e-4) / 2, 12);
    expect(learningRate(110, cosine)).toBeCloseTo(1e-4, 12);
    for (let s = 11; s < 110; s++) expect(learningRate(s + 1, cosine)).toBeLessThan(learningRate(s, cosine));
    // Past the end (a --steps override shorter than a resumed run) it stays at minLr.
    expect(learningRate(500, cosine)).toBeCloseTo(1e-4, 12);
  });

  it('stays at lr after warm-up when constant, and has no warm-up when warmupSteps is 0', () => {
    const constant: ScheduleOptions = { ...cosine, schedule: 'constant' };
    expect(learningRate(11, constant)).toBe(1e-3);
    expect(learningRate(110, constant)).toBe(1e-3);
    expect(learningRate(1, { ...constant, warmupSteps: 0 })).toBe(1e-3);
  });
});
