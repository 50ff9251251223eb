// From episode records to the report: groups per planner (overall, and per scenario and family), the comparison
// of every planner with the first one on the same episodes, and the distributions the charts draw.
import {
  REPORT_SCHEMA_VERSION,
  type Comparison,
  type EvalReport,
  type GroupSummary,
  type PlannerDistributions,
} from './report-schema.ts';
import type { EpisodeRecord } from './record.ts';
import type { EvalSource } from './source.ts';
import { histogram, integerEdges, intervalsOverlap, logEdges, mcnemarExact, mean, median, percentile, wilson } from './stats.ts';

export interface RunFacts {
  umweltVersion: string;
  planners: readonly string[];
  workers: number;
  wallSeconds: number;
  episodesRun: number;
}

function sumRecords(target: Record<string, number>, add: Readonly<Record<string, number>>): void {
  for (const [key, n] of Object.entries(add)) target[key] = (target[key] ?? 0) + n;
}

export function summarize(planner: string, scenario: string | null, family: string | null, records: readonly EpisodeRecord[]): GroupSummary {
  const n = records.length;
  const successes = records.filter((r) => r.result.success).length;
  const failures: Record<string, number> = {};
  const customSums: Record<string, number> = {};
  const customCounts: Record<string, number> = {};
  for (const r of records) {
    sumRecords(failures, r.result.failures);
    sumRecords(customSums, r.result.custom);
    for (const key of Object.keys(r.result.custom)) customCounts[key] = (customCounts[key] ?? 0) + 1;
  }
  const custom: Record<string, number> = {};
  for (const key of Object.keys(customSums).sort()) custom[key] = (customSums[key] ?? 0) / (customCounts[key] ?? 1);
  const latencies = records.flatMap((r) => r.timing.decisionsMs);
  const steps = records.map((r) => r.result.steps);
  const tokens = records.reduce((a, r) => a + r.result.tokens, 0);
  const promptTokens = records.reduce((a, r) => a + (r.result.promptTokens ?? 0), 0);
  const workerSeconds = records.reduce((a, r) => a + r.timing.wallMs, 0) / 1000;
  return {
    planner,
    scenario,
    family,
    episodes: n,
    successes,
    successRate: n === 0 ? 0 : successes / n,
    successCi95: wilson(successes, n),
    spl: mean(records.map((r) => r.result.spl)),
    steps: { mean: mean(steps), median: median(steps) },
    failures: Object.fromEntries(Object.entries(failures).sort(([a], [b]) => a.localeCompare(b))),
    latencyMs: { mean: mean(latencies), p50: percentile(latencies, 50), p95: percentile(latencies, 95) },
    tokens: { total: tokens, perEpisode: n === 0 ? 0 : tokens / n },
    promptTokens: { total: promptTokens, perEpisode: n === 0 ? 0 : promptTokens / n },
    episodesPerSecond: workerSeconds > 0 ? n / workerSeconds : 0,
    custom,
  };
}

/** The key that pairs one planner's episode with another's: the same scenario, family and seed. */
const pairKey = (r: EpisodeRecord): string => `${r.scenario}\u0000${r.family}\u0000${r.seed}`;

function compare(baseline: string, planner: string, scenario: string | null, family: string | null, records: readonly EpisodeRecord[]): Comparison {
  const mine = new Map(records.filter((r) => r.planner === planner).map((r) => [pairKey(r), r]));
  const theirs = new Map(records.filter((r) => r.planner === baseline).map((r) => [pairKey(r), r]));
  let plannerOnly = 0;
  let baselineOnly = 0;
  let paired = 0;
  let plannerSteps = 0;
  let baselineSteps = 0;
  for (const [key, r] of mine) {
    const b = theirs.get(key);
    if (!b) continue;
    paired++;
    plannerSteps += r.result.steps;
    baselineSteps += b.result.steps;
    if (r.result.success && !b.result.success) plannerOnly++;
    if (!r.result.success && b.result.success) baselineOnly++;
  }
  const a = summarize(planner, scenario, family, [...mine.values()]);
  const b = summarize(baseline, scenario, family, [...theirs.values()]);
  return {
    baseline,
    planner,
    scenario,
    family,
    episodes: paired,
    successDiff: a.successRate - b.successRate,
    intervalsOverlap: intervalsOverlap(a.successCi95, b.successCi95),
    discordant: { plannerOnly, baselineOnly },
    mcnemarP: mcnemarExact(plannerOnly, baselineOnly),
    steps: { planner: paired === 0 ? 0 : plannerSteps / paired, baseline: paired === 0 ? 0 : baselineSteps / paired },
  };
}

function distributions(planner: string, records: readonly EpisodeRecord[], allRecords: readonly EpisodeRecord[]): PlannerDistributions {
  // Shared edges across planners, so that their histograms can be drawn on one axis.
  const allLatencies = allRecords.flatMap((r) => r.timing.decisionsMs);
  const allSteps = allRecords.map((r) => r.result.steps);
  const minSteps = allSteps.length ? Math.min(...allSteps) : 1;
  const maxSteps = allSteps.length ? Math.max(...allSteps) : 1;
  return {
    planner,
    latencyMs: histogram(records.flatMap((r) => r.timing.decisionsMs), logEdges(allLatencies)),
    steps: histogram(records.map((r) => r.result.steps), integerEdges(minSteps, maxSteps)),
  };
}

/** The report of a run; `records` in plan order. */
export function buildReport(source: EvalSource, records: readonly EpisodeRecord[], facts: RunFacts): EvalReport {
  const planners = [...facts.planners];
  const families = [...new Set(records.map((r) => r.family))];
  const scenarios = [...new Set(records.map((r) => r.scenario))];
  const of = (planner: string, scenario: string | null, family: string | null): EpisodeRecord[] =>
    records.filter((r) => r.planner === planner && (scenario === null || r.scenario === scenario) && (family === null || r.family === family));

  const overall = planners.map((p) => summarize(p, null, null, of(p, null, null)));
  const byFamily: GroupSummary[] = [];
  const groups: { scenario: string; family: string }[] = [];
  for (const scenario of scenarios) {
    for (const family of families) {
      if (records.some((r) => r.scenario === scenario && r.family === family)) groups.push({ scenario, family });
    }
  }
  for (const p of planners) for (const g of groups) byFamily.push(summarize(p, g.scenario, g.family, of(p, g.scenario, g.family)));

  const comparisons: Comparison[] = [];
  const [baseline] = planners;
  if (baseline !== undefined) {
    for (const p of planners.slice(1)) {
      comparisons.push(compare(baseline, p, null, null, records));
      for (const g of groups) {
        comparisons.push(compare(baseline, p, g.scenario, g.family, records.filter((r) => r.scenario === g.scenario && r.family === g.family)));
      }
    }
  }

  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    umweltVersion: facts.umweltVersion,
    source: {
      kind: source.kind,
      name: source.name,
      path: source.path,
      description: source.description,
      scenarios: source.scenarios.map((s) => ({
        name: s.name,
        kind: s.kind,
        path: s.path,
        maxSteps: s.maxSteps,
        ...(s.memory === null ? {} : { memory: { modes: [...s.memory.modes], scope: s.memory.scope } }),
      })),
    },
    planners,
    families,
    episodes: records.length,
    workers: facts.workers,
    wallSeconds: facts.wallSeconds,
    episodesRun: facts.episodesRun,
    episodesPerSecond: facts.wallSeconds > 0 ? facts.episodesRun / facts.wallSeconds : 0,
    overall,
    byFamily,
    comparisons,
    distributions: planners.map((p) => distributions(p, of(p, null, null), records)),
  };
}
