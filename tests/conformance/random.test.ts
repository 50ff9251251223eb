// The random planner's success is reported, and it is low: the families cannot be solved by flailing.
import { describe, expect, it } from 'vitest';
import { FAMILY_NAMES } from '../../scenes/family-names.ts';
import { seedOf } from '../../scenes/splits.ts';
import { trace } from './harness.ts';

const SEEDS = 4;

describe('random planner', () => {
  it('rarely succeeds', async () => {
    const rates: Record<string, number> = {};
    let successes = 0;
    for (const family of FAMILY_NAMES) {
      let ok = 0;
      for (let i = 0; i < SEEDS; i++) {
        const { result } = await trace(family, seedOf('test', i), 'random', { maxSteps: 12 });
        expect(result.steps).toBeLessThanOrEqual(12);
        expect(result.metrics.spl).toBeGreaterThanOrEqual(0);
        if (result.success) ok++;
      }
      rates[family] = ok / SEEDS;
      successes += ok;
    }
    console.log(`random planner success by family (${SEEDS} seeds, 12 steps): ${JSON.stringify(rates)}`);
    expect(successes / (SEEDS * FAMILY_NAMES.length)).toBeLessThan(0.2);
    // The hardest families are out of its reach.
    for (const family of ['place-in', 'search', 'rearrange', 'chain'] as const) expect(rates[family]).toBeLessThanOrEqual(0.25);
  });
});
