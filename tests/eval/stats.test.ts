// The report's statistics against values computed by hand or by reference tools.
import { describe, expect, it } from 'vitest';
import { histogram, integerEdges, intervalsOverlap, logEdges, mcnemarExact, median, wilson } from '../../eval/stats.ts';

describe('wilson', () => {
  it('matches reference values (R: binom::binom.wilson)', () => {
    const a = wilson(8, 10);
    expect(a.low).toBeCloseTo(0.4901625, 6);
    expect(a.high).toBeCloseTo(0.9433178, 6);
    const b = wilson(50, 100);
    expect(b.low).toBeCloseTo(0.4038315, 6);
    expect(b.high).toBeCloseTo(0.5961685, 6);
  });

  it('is exact at the ends and total for no trials', () => {
    expect(wilson(0, 10).low).toBe(0);
    expect(wilson(0, 10).high).toBeCloseTo(0.2775328, 6);
    expect(wilson(10, 10).high).toBe(1);
    expect(wilson(10, 10).low).toBeCloseTo(0.7224672, 6);
    expect(wilson(0, 0)).toEqual({ low: 0, high: 1 });
  });

  it('tells overlapping intervals from separate ones', () => {
    expect(intervalsOverlap(wilson(9, 10), wilson(1, 10))).toBe(false);
    expect(intervalsOverlap(wilson(6, 10), wilson(4, 10))).toBe(true);
  });
});

describe('mcnemarExact', () => {
  it('is the two-sided binomial test on the discordant pairs', () => {
    expect(mcnemarExact(0, 5)).toBeCloseTo(0.0625, 12); // 2 * 0.5^5
    expect(mcnemarExact(5, 0)).toBeCloseTo(0.0625, 12);
    expect(mcnemarExact(3, 3)).toBe(1);
    expect(mcnemarExact(1, 9)).toBeCloseTo(0.021484375, 12); // 2 * (1 + 10) / 1024
    expect(mcnemarExact(0, 0)).toBeNull();
  });

  it('stays finite for large counts', () => {
    const p = mcnemarExact(400, 600);
    expect(p).not.toBeNull();
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThan(1e-9);
  });
});

describe('median and histograms', () => {
  it('takes the middle of odd and even samples', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([])).toBe(0);
  });

  it('counts every value once, out-of-range ones in the end bins', () => {
    const h = histogram([0, 1, 1, 2, 5, 9], integerEdges(1, 3));
    expect(h.edges).toEqual([0.5, 1.5, 2.5, 3.5]);
    expect(h.counts).toEqual([3, 1, 2]);
  });

  it('log edges cover the values and rise', () => {
    const values = [0.02, 0.3, 7, 150];
    const edges = logEdges(values);
    for (let i = 1; i < edges.length; i++) expect(edges[i]).toBeGreaterThan(edges[i - 1] as number);
    expect(edges[0]).toBeLessThanOrEqual(0.02);
    expect(edges[edges.length - 1]).toBeGreaterThanOrEqual(150);
    expect(histogram(values, edges).counts.reduce((a, b) => a + b, 0)).toBe(values.length);
    expect(logEdges([]).length).toBeGreaterThanOrEqual(2);
  });
});
