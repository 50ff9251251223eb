// Small numeric helpers shared by the benchmarks: rounding for reports, sums, means, medians, percentiles
// (the same definitions the evaluation reports use).
export { mean, median, percentile } from '../eval/stats.ts';

/** Four significant digits: enough for a report, stable across runs of the same number. */
export const round = (x: number, digits = 4): number => Number(x.toPrecision(digits));

export const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
