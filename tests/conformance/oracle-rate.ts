// The oracle's success over the first N test seeds of a family. N defaults to 100 (the conformance target);
// UMWELT_ORACLE_SEEDS lowers it for quick local runs. The bar stays at 99%, so with fewer seeds every one must pass.
import { expect, it } from 'vitest';
import { AgentMemory, loopMemory } from '../../agent/memory/index.ts';
import { houseKey } from '../../scenes/families.ts';
import type { FamilyName } from '../../scenes/family-names.ts';
import { seedOf } from '../../scenes/splits.ts';
import { trace } from './harness.ts';

export const ORACLE_SEEDS = Number(process.env.UMWELT_ORACLE_SEEDS ?? 100);

export function oracleSuccessTest(family: FamilyName): void {
  it(`the oracle solves at least 99% of ${ORACLE_SEEDS} ${family} test seeds`, async () => {
    const failed: string[] = [];
    for (let i = 0; i < ORACLE_SEEDS; i++) {
      const seed = seedOf('test', i);
      const { result } = await trace(family, seed);
      if (!result.success) failed.push(`${seed}: ${result.failureReason ?? 'unknown'}`);
    }
    const rate = 1 - failed.length / ORACLE_SEEDS;
    console.log(`oracle ${family}: ${(rate * 100).toFixed(1)}% of ${ORACLE_SEEDS}${failed.length ? ` (failed ${failed.join('; ')})` : ''}`);
    expect(rate, failed.join('\n')).toBeGreaterThanOrEqual(0.99);
  });
}

/**
 * The oracle with a long-term memory kept per house (the visits of a revisit house in order, one memory each, in
 * 'prompt' mode): at least the same bar over the first N test seeds (whole houses), and never more steps in all
 * than without a memory (the memory only ever sends it straight to where it saw the thing).
 */
export function oracleMemorySuccessTest(family: FamilyName): void {
  it(`the oracle with a memory per house solves at least 99% of ${ORACLE_SEEDS} ${family} test seeds, in fewer steps`, async () => {
    const failed: string[] = [];
    let [steps, stepsWithout] = [0, 0];
    let memory = AgentMemory.inMemory({ acrossEpisodes: true });
    let house: string | null = null;
    for (let i = 0; i < ORACLE_SEEDS; i++) {
      const seed = seedOf('test', i);
      if (houseKey(family, seed) !== house) {
        house = houseKey(family, seed);
        memory = AgentMemory.inMemory({ acrossEpisodes: true });
      }
      const { result } = await trace(family, seed, 'oracle', {}, loopMemory(memory, 'prompt'));
      steps += result.steps;
      stepsWithout += (await trace(family, seed)).result.steps;
      if (!result.success) failed.push(`${seed}: ${result.failureReason ?? 'unknown'}`);
    }
    const rate = 1 - failed.length / ORACLE_SEEDS;
    console.log(`oracle ${family} with memory: ${(rate * 100).toFixed(1)}% of ${ORACLE_SEEDS}, ${steps} steps (without: ${stepsWithout})${failed.length ? ` (failed ${failed.join('; ')})` : ''}`);
    expect(rate, failed.join('\n')).toBeGreaterThanOrEqual(0.99);
    expect(steps).toBeLessThanOrEqual(stepsWithout);
  });
}
