// The oracle's success over the first N test seeds of a family. N defaults to 100 (the conformance target);
// UMWELT_ORACLE_SEEDS lowers it for quick local runs. The bar stays at 99%, so with fewer seeds every one must pass.
import { expect, it } from 'vitest';
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
