// The statistics of a report: Wilson score intervals for success rates, the exact McNemar test for paired
// comparisons, medians and percentiles, and fixed-bin histograms.
import { percentile } from '../agent/metrics.ts';

export { percentile };

/** z for a two-sided 95% interval. */
const Z95 = 1.959963984540054;

/** The Wilson score interval of k successes in n trials ([0, 1] when n = 0). */
export function wilson(k: number, n: number, z = Z95): { low: number; high: number } {
  if (n === 0) return { low: 0, high: 1 };
  const p = k / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // Exact at the ends: no rounding error may push a bound past 0 or 1, or away from them.
  return { low: k === 0 ? 0 : Math.max(0, centre - half), high: k === n ? 1 : Math.min(1, centre + half) };
}

export const intervalsOverlap = (a: { low: number; high: number }, b: { low: number; high: number }): boolean =>
  a.low <= b.high && b.low <= a.high;

/** log(n choose k). */
function logChoose(n: number, k: number): number {
  let sum = 0;
  for (let i = 1; i <= k; i++) sum += Math.log(n - k + i) - Math.log(i);
  return sum;
}

/**
 * Exact two-sided McNemar test: b and c are the discordant pairs (only one side succeeded). Under the null
 * hypothesis each discordant pair goes either way with probability 1/2. Null when there are none.
 */
export function mcnemarExact(b: number, c: number): number | null {
  const n = b + c;
  if (n === 0) return null;
  const k = Math.min(b, c);
  let tail = 0;
  for (let i = 0; i <= k; i++) tail += Math.exp(logChoose(n, i) - n * Math.LN2);
  return Math.min(1, 2 * tail);
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

/** The median (mean of the two middle values for an even count; 0 for none). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export interface Histogram {
  edges: number[];
  counts: number[];
}

/** Counts of values in bins [edges[i], edges[i+1]); values outside go to the first or last bin. */
export function histogram(values: readonly number[], edges: readonly number[]): Histogram {
  const counts = new Array<number>(Math.max(0, edges.length - 1)).fill(0);
  if (counts.length === 0) return { edges: [...edges], counts };
  for (const v of values) {
    let bin = counts.length - 1;
    for (let i = 1; i < edges.length; i++) {
      if (v < (edges[i] as number)) {
        bin = i - 1;
        break;
      }
    }
    counts[bin] = (counts[bin] as number) + 1;
  }
  return { edges: [...edges], counts };
}

/** Log-spaced edges, four per decade, covering the values (at least one bin). Milliseconds: from 1 µs. */
export function logEdges(values: readonly number[], floor = 1e-3): number[] {
  const positive = values.filter((v) => v > floor);
  const lo = Math.floor(Math.log10(floor) * 4);
  const hi = positive.length === 0 ? lo + 1 : Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...positive)) * 4 + 1e-9));
  const first = positive.length === 0 ? lo : Math.max(lo, Math.floor(Math.log10(Math.min(...positive)) * 4));
  const edges: number[] = [];
  for (let k = first; k <= hi; k++) edges.push(Number((10 ** (k / 4)).toPrecision(6)));
  if (first > lo) edges[0] = 0; // everything below the first decade step lands in the first bin
  return edges;
}

/** One bin per integer from min to max: edges min - 0.5, ..., max + 0.5. */
export function integerEdges(min: number, max: number): number[] {
  const top = Math.max(min, max);
  return Array.from({ length: top - min + 2 }, (_, i) => min + i - 0.5);
}
