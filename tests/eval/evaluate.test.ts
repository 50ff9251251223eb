// The harness end to end, with real worker threads and real episodes: results independent of the worker count,
// resumption after a run is killed, reports written only when complete, and the oracle far above random on smoke.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluate } from '../../eval/evaluate.ts';
import { EvalReportSchema } from '../../eval/report-schema.ts';
import { deterministicPart, EpisodeRecordSchema, type EpisodeRecord } from '../../eval/record.ts';
import { ROOT } from '../cli/run-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'umwelt-eval-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A small scenario: three families, three seeds, a short step limit. */
export function writeScenario(name: string, extra: Record<string, unknown> = {}): string {
  const path = join(dir, `${name}.json`);
  const scenario = { version: 1, name, families: ['goto', 'pickup', 'open'], seeds: { start: 0, count: 3 }, maxSteps: 20, ...extra };
  writeFileSync(path, JSON.stringify(scenario));
  return path;
}

export function journal(out: string): EpisodeRecord[] {
  return readFileSync(join(out, 'episodes.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => EpisodeRecordSchema.parse(JSON.parse(line)));
}

/** The deterministic part of every record, sorted by episode id, as one string. */
export function canonical(records: readonly EpisodeRecord[]): string {
  return [...records]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((r) => JSON.stringify(deterministicPart(r)))
    .join('\n');
}

describe('evaluate', () => {
  const scenario = writeScenario('three-families');

  it('gives byte-identical per-episode results with 1 and 2 workers', async () => {
    const one = join(dir, 'one');
    const two = join(dir, 'two');
    const a = await evaluate({ source: scenario, planners: ['oracle', 'random'], workers: 1, out: one });
    const b = await evaluate({ source: scenario, planners: ['oracle', 'random'], workers: 2, out: two });
    expect(a.interrupted).toBe(false);
    expect(b.interrupted).toBe(false);
    const ra = journal(one);
    const rb = journal(two);
    expect(ra).toHaveLength(18);
    expect(canonical(ra)).toBe(canonical(rb));
    // Not vacuous: the episodes differ from each other and some succeed, some fail.
    expect(new Set(ra.map((r) => r.result.stateHash)).size).toBeGreaterThan(9);
    expect(ra.some((r) => r.result.success)).toBe(true);
    expect(ra.some((r) => !r.result.success)).toBe(true);
    // The reports agree on everything but timing.
    expect(a.report?.overall.map((g) => [g.planner, g.successes, g.spl, g.steps])).toEqual(
      b.report?.overall.map((g) => [g.planner, g.successes, g.spl, g.steps]),
    );
    const saved = EvalReportSchema.parse(JSON.parse(readFileSync(join(two, 'report.json'), 'utf8')));
    expect(saved.episodes).toBe(18);
    expect(saved.workers).toBe(2);
    expect(saved.planners).toEqual(['oracle', 'random']);
    expect(saved.byFamily).toHaveLength(6);
    expect(saved.comparisons[0]).toMatchObject({ baseline: 'oracle', planner: 'random', scenario: null, family: null, episodes: 9 });
    for (const name of ['report.md', 'report.html']) expect(readFileSync(join(two, name), 'utf8').length).toBeGreaterThan(500);
  });

  it('skips what the journal holds: a rerun runs nothing and reports the same', async () => {
    const out = join(dir, 'rerun');
    const first = await evaluate({ source: scenario, planners: ['oracle'], workers: 2, out });
    const second = await evaluate({ source: scenario, planners: ['oracle'], workers: 2, out });
    expect(second.progress).toMatchObject({ total: 9, done: 9, resumed: 9 });
    expect(second.report?.episodesRun).toBe(0);
    expect(journal(out)).toHaveLength(9);
    expect(second.report?.overall).toEqual(first.report?.overall);
  });

  it('an aborted run writes no report and finishes on the next run with the same results', async () => {
    const out = join(dir, 'aborted');
    const controller = new AbortController();
    const partial = await evaluate({
      source: scenario,
      planners: ['oracle', 'random'],
      workers: 2,
      out,
      signal: controller.signal,
      onEpisode: (_, p) => {
        if (p.done >= 4) controller.abort();
      },
    });
    expect(partial.interrupted).toBe(true);
    expect(partial.report).toBeNull();
    expect(existsSync(join(out, 'report.json'))).toBe(false);
    const kept = journal(out).length;
    expect(kept).toBeGreaterThanOrEqual(4);
    expect(kept).toBeLessThan(18);
    // A torn last line, as a kill in the middle of a write leaves it, is cut off on the next open.
    writeFileSync(join(out, 'episodes.jsonl'), `${readFileSync(join(out, 'episodes.jsonl'), 'utf8')}{"id":"three-families:oracle:go`);
    const rest = await evaluate({ source: scenario, planners: ['oracle', 'random'], workers: 2, out });
    expect(rest.progress.resumed).toBe(kept);
    expect(rest.report?.episodes).toBe(18);
    expect(canonical(journal(out))).toBe(canonical(journal(join(dir, 'one'))));
  });

  it('refuses a directory holding a different run, and leaves it untouched', async () => {
    const out = join(dir, 'one');
    const before = readFileSync(join(out, 'episodes.jsonl'), 'utf8');
    await expect(evaluate({ source: scenario, planners: ['oracle'], workers: 1, out })).rejects.toThrow(/different run.*planners oracle, random/);
    expect(readFileSync(join(out, 'episodes.jsonl'), 'utf8')).toBe(before);
  });

  it('refuses a damaged journal line in the middle, naming the line', async () => {
    const out = join(dir, 'damaged');
    await evaluate({ source: scenario, planners: ['oracle'], episodesPerFamily: 1, workers: 1, out });
    const lines = readFileSync(join(out, 'episodes.jsonl'), 'utf8').split('\n');
    lines[1] = '{"id": 42}';
    writeFileSync(join(out, 'episodes.jsonl'), lines.join('\n'));
    await expect(evaluate({ source: scenario, planners: ['oracle'], episodesPerFamily: 1, workers: 1, out })).rejects.toThrow(
      /episodes\.jsonl line 2: not an episode record/,
    );
  });
});

describe('the smoke suite', () => {
  it('the oracle succeeds at least 99% of the time and the random planner far less', async () => {
    const out = join(dir, 'smoke');
    const result = await evaluate({ source: join(ROOT, 'scenes/scenarios/smoke.json'), planners: ['oracle', 'random'], out });
    const [oracle, random] = result.report?.overall ?? [];
    expect(oracle?.planner).toBe('oracle');
    expect(oracle?.episodes).toBe(27);
    expect(oracle?.successRate).toBeGreaterThanOrEqual(0.99);
    expect(random?.planner).toBe('random');
    expect(random?.successRate).toBeLessThanOrEqual(0.35);
    const overall = result.report?.comparisons.find((c) => c.family === null);
    expect(overall?.intervalsOverlap).toBe(false);
    expect(overall?.mcnemarP).toBeLessThan(0.001);
  });
});
