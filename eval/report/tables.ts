// The report's content as plain tables (strings, not markup), built once and rendered by both markdown.ts and
// html.ts, so report.md and report.html always show the same figures.
import type { Comparison, EvalReport, GroupSummary } from '../report-schema.ts';
import {
  formatAmount,
  formatBool,
  formatCount,
  formatDiff,
  formatDuration,
  formatMs,
  formatP,
  formatRate,
  formatRateCi,
  formatScope,
  formatSteps,
  DASH,
} from './format.ts';

export type Align = 'left' | 'right';

export interface Column {
  title: string;
  align: Align;
}

export interface Table {
  columns: Column[];
  /** Every row has one cell per column; cells are plain text (the renderers escape them). */
  rows: string[][];
}

export interface Section {
  id: string;
  title: string;
  /** One sentence saying what the table shows. */
  caption: string;
  /** Null when there is nothing to show; `empty` then says why. */
  table: Table | null;
  empty: string;
}

/** The facts at the top of the report, as label and value. */
export function headerFacts(report: EvalReport): [string, string][] {
  const { source } = report;
  const facts: [string, string][] = [
    ['Source', `${source.kind} ${source.name} (${source.path})`],
    ['Planners', report.planners.join(', ')],
    ['Families', report.families.length > 0 ? report.families.join(', ') : DASH],
    ['Episodes', episodesFact(report)],
    ['Workers', formatCount(report.workers)],
    ['Wall time', formatDuration(report.wallSeconds)],
    ['Episodes/s', `${formatAmount(report.episodesPerSecond)} (episodes run / wall time)`],
    ['Umwelt', `${report.umweltVersion} (report schema ${report.schemaVersion})`],
  ];
  if (source.description !== null && source.description.trim() !== '') facts.splice(1, 0, ['Description', source.description]);
  return facts;
}

function episodesFact(report: EvalReport): string {
  const total = formatCount(report.episodes);
  if (report.episodesRun === report.episodes) return total;
  const resumed = report.episodes - report.episodesRun;
  return `${total} (${formatCount(report.episodesRun)} run by this invocation, ${formatCount(resumed)} read back from the journal)`;
}

/** Every section of the report, in reading order; scenario metrics only when some group has them. */
export function reportSections(report: EvalReport): Section[] {
  const custom = customSection(report);
  return [
    scenariosSection(report),
    overallSection(report),
    familySection(report),
    comparisonSection(report),
    failureSection(report),
    ...(custom === null ? [] : [custom]),
  ];
}

const col = (title: string, align: Align = 'right'): Column => ({ title, align });

/** Planner order: as listed in the report, then any other planner met in the groups. */
function plannerRank(report: EvalReport): (planner: string) => number {
  const order = new Map(report.planners.map((p, i) => [p, i]));
  return (planner) => order.get(planner) ?? report.planners.length;
}

/** Orders groups by scenario (as listed in the source), family (as listed in the report), then planner. */
function scopeOrder(report: EvalReport): (a: ScopeKey, b: ScopeKey) => number {
  const scenarios = new Map(report.source.scenarios.map((s, i) => [s.name, i]));
  const families = new Map(report.families.map((f, i) => [f, i]));
  const planner = plannerRank(report);
  const rank = (m: Map<string, number>, v: string | null) => (v === null ? -1 : (m.get(v) ?? m.size));
  return (a, b) =>
    rank(scenarios, a.scenario) - rank(scenarios, b.scenario) ||
    (a.scenario ?? '').localeCompare(b.scenario ?? '') ||
    rank(families, a.family) - rank(families, b.family) ||
    (a.family ?? '').localeCompare(b.family ?? '') ||
    planner(a.planner) - planner(b.planner);
}

interface ScopeKey {
  planner: string;
  scenario: string | null;
  family: string | null;
}

/** Whether the scenario column says anything (a suite, or groups naming a scenario). */
function showScenario(groups: readonly { scenario: string | null }[]): boolean {
  return groups.some((g) => g.scenario !== null);
}

function scenariosSection(report: EvalReport): Section {
  const { scenarios } = report.source;
  // The memory column only when a scenario has a memory (reports without one read as they always did).
  const memory = scenarios.some((s) => s.memory !== undefined);
  const memoryCell = (m: EvalReport['source']['scenarios'][number]['memory']): string =>
    m === undefined ? DASH : `${m.modes.join(', ')}; one memory per ${m.scope}`;
  return {
    id: 'scenarios',
    title: 'Scenarios',
    caption: memory
      ? 'What was run: each scenario, its kind, step budget and memory modes (each mode an arm, compared like planners).'
      : 'What was run: each scenario, its kind and step budget.',
    table:
      scenarios.length === 0
        ? null
        : {
            columns: [col('Scenario', 'left'), col('Kind', 'left'), col('Max steps'), ...(memory ? [col('Memory', 'left')] : []), col('Path', 'left')],
            rows: scenarios.map((s) => [s.name, s.kind, formatCount(s.maxSteps), ...(memory ? [memoryCell(s.memory)] : []), s.path]),
          },
    empty: 'The source lists no scenarios.',
  };
}

/** The common columns of a group row, after its scope columns. */
function groupCells(g: GroupSummary): string[] {
  if (g.episodes === 0) return [formatCount(0), ...GROUP_COLUMNS.slice(1).map(() => DASH)];
  return [
    formatCount(g.episodes),
    formatRateCi(g.successRate, g.successCi95),
    formatRate(g.spl),
    formatSteps(g.steps.mean),
    formatSteps(g.steps.median),
    formatMs(g.latencyMs.p50),
    formatMs(g.latencyMs.p95),
    formatAmount(g.tokens.perEpisode),
  ];
}

const GROUP_COLUMNS = [
  col('Episodes'),
  col('Success [95% CI]'),
  col('SPL'),
  col('Steps mean'),
  col('Steps median'),
  col('Latency p50 ms'),
  col('Latency p95 ms'),
  col('Tokens/episode'),
];

function overallSection(report: EvalReport): Section {
  const rank = plannerRank(report);
  const groups = [...report.overall].sort((a, b) => rank(a.planner) - rank(b.planner));
  return {
    id: 'overall',
    title: 'Planners overall',
    caption: 'Each planner over every episode; the success interval is the 95% Wilson score interval.',
    table:
      groups.length === 0
        ? null
        : {
            columns: [col('Planner', 'left'), ...GROUP_COLUMNS, col('Episodes/s')],
            rows: groups.map((g) => [g.planner, ...groupCells(g), g.episodes === 0 ? DASH : formatAmount(g.episodesPerSecond)]),
          },
    empty: 'No planner ran an episode.',
  };
}

function familySection(report: EvalReport): Section {
  const groups = [...report.byFamily].sort(scopeOrder(report));
  const scenario = showScenario(groups);
  return {
    id: 'families',
    title: 'By family',
    caption: 'Each planner per scenario and task family, planners side by side.',
    table:
      groups.length === 0
        ? null
        : {
            columns: [...(scenario ? [col('Scenario', 'left')] : []), col('Family', 'left'), col('Planner', 'left'), ...GROUP_COLUMNS],
            rows: groups.map((g) => [...(scenario ? [formatScope(g.scenario)] : []), formatScope(g.family), g.planner, ...groupCells(g)]),
          },
    empty: 'No per-family results.',
  };
}

/** The success rate of a planner in the comparison's scope, from the matching group, if there is one. */
function scopeRate(report: EvalReport, c: Comparison, planner: string): string {
  const groups = c.scenario === null && c.family === null ? report.overall : report.byFamily;
  const g = groups.find((x) => x.planner === planner && x.scenario === c.scenario && x.family === c.family);
  return g === undefined || g.episodes === 0 ? DASH : formatRate(g.successRate);
}

function comparisonSection(report: EvalReport): Section {
  const comparisons = [...report.comparisons].sort(scopeOrder(report));
  const scenario = showScenario(comparisons);
  // Paired mean steps, in reports that have them.
  const steps = comparisons.length > 0 && comparisons.every((c) => c.steps !== undefined);
  return {
    id: 'comparisons',
    title: 'Against the baseline',
    caption:
      'Each planner against the first one listed, on the same episodes: the difference in success rate, ' +
      `${steps ? 'the mean steps of each, ' : ''}whether the 95% intervals overlap, the discordant episodes (solved by ` +
      'only one of the two) and the exact McNemar p-value.',
    table:
      comparisons.length === 0
        ? null
        : {
            columns: [
              col('Planner', 'left'),
              col('Baseline', 'left'),
              ...(scenario ? [col('Scenario', 'left')] : []),
              col('Family', 'left'),
              col('Episodes'),
              col('Success (planner / baseline)'),
              col('Diff'),
              ...(steps ? [col('Steps (planner / baseline)')] : []),
              col('CIs overlap', 'left'),
              col('Planner only'),
              col('Baseline only'),
              col('McNemar p'),
            ],
            rows: comparisons.map((c) => [
              c.planner,
              c.baseline,
              ...(scenario ? [formatScope(c.scenario)] : []),
              formatScope(c.family),
              formatCount(c.episodes),
              `${scopeRate(report, c, c.planner)} / ${scopeRate(report, c, c.baseline)}`,
              formatDiff(c.successDiff),
              ...(steps ? [c.steps === undefined ? DASH : `${formatSteps(c.steps.planner)} / ${formatSteps(c.steps.baseline)}`] : []),
              formatBool(c.intervalsOverlap),
              formatCount(c.discordant.plannerOnly),
              formatCount(c.discordant.baselineOnly),
              formatP(c.mcnemarP),
            ]),
          },
    empty: report.planners.length < 2 ? 'One planner only: nothing to compare.' : 'No comparisons in this report.',
  };
}

function failureSection(report: EvalReport): Section {
  const rank = plannerRank(report);
  const groups = [...report.overall].sort((a, b) => rank(a.planner) - rank(b.planner));
  const totals = new Map<string, number>();
  for (const g of groups) for (const [reason, n] of Object.entries(g.failures)) totals.set(reason, (totals.get(reason) ?? 0) + n);
  const reasons = [...totals.entries()].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return {
    id: 'failures',
    title: 'Skill failures by reason',
    caption: 'Steps whose action failed, summed over every episode, by reason and planner.',
    table:
      reasons.length === 0
        ? null
        : {
            columns: [col('Reason', 'left'), ...groups.map((g) => col(g.planner)), col('Total')],
            rows: reasons.map(([reason, total]) => [reason, ...groups.map((g) => formatCount(g.failures[reason] ?? 0)), formatCount(total)]),
          },
    empty: 'No action failed.',
  };
}

function customSection(report: EvalReport): Section | null {
  const planners = [...new Set([...report.planners, ...report.overall.map((g) => g.planner), ...report.byFamily.map((g) => g.planner)])];
  const groups = [...report.overall, ...report.byFamily].filter((g) => Object.keys(g.custom).length > 0);
  // One row per (scenario, family, metric), one column per planner.
  const rows = new Map<string, { scope: ScopeKey; metric: string; values: Map<string, number> }>();
  for (const g of groups) {
    for (const [metric, value] of Object.entries(g.custom)) {
      const key = JSON.stringify([g.scenario, g.family, metric]);
      const row = rows.get(key) ?? { scope: { planner: '', scenario: g.scenario, family: g.family }, metric, values: new Map<string, number>() };
      row.values.set(g.planner, value);
      rows.set(key, row);
    }
  }
  const order = scopeOrder(report);
  const sorted = [...rows.values()].sort((a, b) => order(a.scope, b.scope) || a.metric.localeCompare(b.metric));
  if (sorted.length === 0) return null;
  const scenario = showScenario(sorted.map((r) => r.scope));
  return {
    id: 'custom',
    title: 'Scenario metrics',
    caption: "Means of scripted scenarios' own metrics, per planner.",
    table: {
      columns: [...(scenario ? [col('Scenario', 'left')] : []), col('Family', 'left'), col('Metric', 'left'), ...planners.map((p) => col(p))],
      rows: sorted.map((r) => [
        ...(scenario ? [formatScope(r.scope.scenario)] : []),
        formatScope(r.scope.family),
        r.metric,
        ...planners.map((p) => {
          const v = r.values.get(p);
          return v === undefined ? DASH : formatMetric(v);
        }),
      ]),
    },
    empty: 'No scenario defines metrics of its own.',
  };
}

/** A custom metric has no known unit: three significant digits, grouped thousands for large values. */
function formatMetric(value: number): string {
  if (!Number.isFinite(value)) return DASH;
  if (value === 0 || Math.abs(value) >= 1000) return formatCount(value);
  return String(Number(value.toPrecision(3)));
}
