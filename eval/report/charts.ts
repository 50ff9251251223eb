// The series the HTML report's charts draw, derived from the report in Node (typed, testable) and embedded in the
// page as JSON; page-script.ts only hands them to Chart.js. A chart with nothing to draw carries a note instead.
import type { EvalReport, GroupSummary } from '../report-schema.ts';
import { formatMs, formatRateCi } from './format.ts';

/** Either something to draw, or a sentence saying why there is nothing. */
export type ChartOr<T> = { kind: 'chart'; data: T; note: string | null } | { kind: 'empty'; note: string };

export interface SuccessSeries {
  planner: string;
  /** Success rate per label, null where the planner has no episodes there. */
  rates: (number | null)[];
  ci: ({ low: number; high: number } | null)[];
  /** Tooltip text per label. */
  tips: string[];
}

export interface SuccessChart {
  labels: string[];
  series: SuccessSeries[];
}

/** A corner of a histogram's outline: the line runs along at the previous corner's height to x, then to y. */
export interface StepPoint {
  x: number;
  y: number;
  tip: string;
}

export interface HistogramChart {
  xTitle: string;
  yTitle: string;
  logX: boolean;
  /** Bins are whole numbers (steps): ticks at integers only. */
  integerX: boolean;
  series: { planner: string; total: number; points: StepPoint[] }[];
}

export interface ChartData {
  success: ChartOr<SuccessChart>;
  latency: ChartOr<HistogramChart>;
  steps: ChartOr<HistogramChart>;
}

interface Histogram {
  edges: number[];
  counts: number[];
}

export function chartData(report: EvalReport): ChartData {
  return {
    success: successChart(report),
    latency: latencyChart(report),
    steps: histogramChart(report, 'steps', { xTitle: 'steps per episode', yTitle: '% of episodes', unit: (v) => String(v), logX: false }),
  };
}

function plannerOrder(report: EvalReport, groups: readonly { planner: string }[]): string[] {
  return [...new Set([...report.planners, ...groups.map((g) => g.planner)])];
}

function successChart(report: EvalReport): ChartOr<SuccessChart> {
  // Per family when there are families; otherwise each planner overall.
  const perFamily = report.byFamily.filter((g) => g.episodes > 0);
  const groups = perFamily.length > 0 ? perFamily : report.overall.filter((g) => g.episodes > 0);
  if (groups.length === 0) return { kind: 'empty', note: 'No episodes were run: there is no success rate to show.' };

  const scenarios = new Set(groups.map((g) => g.scenario));
  const labelOf = (g: GroupSummary) => {
    const family = g.family ?? 'all families';
    return scenarios.size > 1 && g.scenario !== null ? `${g.scenario} / ${family}` : family;
  };
  const familyRank = new Map(report.families.map((f, i) => [f, i]));
  const scenarioRank = new Map(report.source.scenarios.map((s, i) => [s.name, i]));
  const rank = (m: Map<string, number>, v: string | null) => (v === null ? -1 : (m.get(v) ?? m.size));
  const labels: string[] = [];
  for (const g of [...groups].sort(
    (a, b) => rank(scenarioRank, a.scenario) - rank(scenarioRank, b.scenario) || rank(familyRank, a.family) - rank(familyRank, b.family),
  )) {
    const label = labelOf(g);
    if (!labels.includes(label)) labels.push(label);
  }

  const series = plannerOrder(report, groups).map((planner): SuccessSeries => {
    const at = labels.map((label) => groups.find((g) => g.planner === planner && labelOf(g) === label));
    return {
      planner,
      rates: at.map((g) => (g === undefined ? null : g.successRate)),
      ci: at.map((g) => (g === undefined ? null : { low: g.successCi95.low, high: g.successCi95.high })),
      tips: at.map((g) =>
        g === undefined ? `${planner}: no episodes` : `${planner}: ${formatRateCi(g.successRate, g.successCi95)} (${g.successes}/${g.episodes})`,
      ),
    };
  });
  return { kind: 'chart', data: { labels, series }, note: null };
}

function latencyChart(report: EvalReport): ChartOr<HistogramChart> {
  const measured = report.overall.some((g) => g.latencyMs.mean > 0 || g.latencyMs.p95 > 0);
  if (report.overall.length > 0 && !measured) {
    return { kind: 'empty', note: 'No decision latency was recorded: every latency is 0 ms.' };
  }
  // Log-spaced bins read best on a log axis; it needs positive edges (see openFirstBin).
  const logX = report.distributions.every((d) => !usable(d.latencyMs) || openFirstBin(d.latencyMs).edges.every((e) => e > 0));
  return histogramChart(report, 'latencyMs', { xTitle: 'decision latency (ms)', yTitle: '% of decisions', unit: (v) => `${formatMs(v)} ms`, logX });
}

/**
 * The harness's log-spaced latency bins start at 0 (the first bin takes everything below the second edge). On a
 * log axis that bin is drawn one bin-width (in log terms) wide, and labelled as "below" its upper edge.
 */
function openFirstBin(h: Histogram): Histogram & { open: boolean } {
  const [e0, e1, e2] = h.edges;
  if (e0 === undefined || e1 === undefined || e0 > 0 || e1 <= 0) return { ...h, open: false };
  const ratio = e2 !== undefined && e2 > e1 ? e2 / e1 : 10 ** 0.25;
  return { edges: [e1 / ratio, ...h.edges.slice(1)], counts: h.counts, open: true };
}

/** Whether a histogram is well formed and has something in it. */
function usable(h: Histogram): boolean {
  return (
    h.counts.length > 0 &&
    h.edges.length === h.counts.length + 1 &&
    h.edges.every((e, i) => Number.isFinite(e) && (i === 0 || e >= (h.edges[i - 1] ?? e))) &&
    (h.edges.at(-1) ?? 0) > (h.edges[0] ?? 0) &&
    h.counts.some((c) => c > 0)
  );
}

function histogramChart(
  report: EvalReport,
  key: 'latencyMs' | 'steps',
  o: { xTitle: string; yTitle: string; unit: (v: number) => string; logX: boolean },
): ChartOr<HistogramChart> {
  const what = key === 'steps' ? 'steps per episode' : 'decision latency';
  const withData = report.distributions.filter((d) => usable(d[key]));
  if (withData.length === 0) return { kind: 'empty', note: `No ${what} distribution to show.` };
  const series = plannerOrder(report, withData)
    .map((planner) => withData.find((d) => d.planner === planner))
    .filter((d) => d !== undefined)
    .map((d) => ({ planner: d.planner, ...outline(key === 'latencyMs' && o.logX ? openFirstBin(d[key]) : { ...d[key], open: false }, d.planner, o.unit, key === 'steps') }));
  const missing = report.planners.filter((p) => !withData.some((d) => d.planner === p));
  return {
    kind: 'chart',
    data: { xTitle: o.xTitle, yTitle: o.yTitle, logX: o.logX, integerX: key === 'steps', series },
    note: missing.length > 0 ? `No ${what} data for ${missing.join(', ')}.` : null,
  };
}

/**
 * A histogram as the corners of its outline, for a line drawn with `stepped: 'before'`: up from zero at the first
 * non-empty bin, along each bin at its height, down to zero after the last non-empty bin (empty bins at either end
 * are left out, so the axis fits the data). Heights are percentages of the total. Needs a usable() histogram.
 */
function outline(
  h: Histogram & { open: boolean },
  planner: string,
  unit: (v: number) => string,
  integerBins: boolean,
): { total: number; points: StepPoint[] } {
  const total = h.counts.reduce((a, b) => a + b, 0);
  const firstBin = Math.max(0, h.counts.findIndex((c) => c > 0));
  const lastBin = Math.max(firstBin, h.counts.findLastIndex((c) => c > 0));
  const edge = (i: number) => h.edges[i] ?? 0;
  const share = (i: number) => (100 * (h.counts[i] ?? 0)) / total;
  const points: StepPoint[] = [{ x: edge(firstBin), y: 0, tip: planner }];
  for (let i = firstBin; i <= lastBin; i++) {
    const low = edge(i);
    const high = edge(i + 1);
    const count = h.counts[i] ?? 0;
    const bin =
      integerBins && high - low === 1 ? `${unit((low + high) / 2)} steps` : i === 0 && h.open ? `below ${unit(high)}` : `${unit(low)} – ${unit(high)}`;
    points.push({ x: low, y: share(i), tip: `${planner}: ${bin}: ${count} (${share(i).toFixed(1)}%)` });
  }
  points.push({ x: edge(lastBin + 1), y: share(lastBin), tip: planner }, { x: edge(lastBin + 1), y: 0, tip: planner });
  return { total, points };
}
