// Memory in the harness: a scenario's memory modes become arms compared like planners, the visits of a house share
// one memory in one worker (results byte-identical for any worker count, also after a resume), and the ablation
// on two revisit houses with the oracle: with a memory it takes fewer steps, and succeeds at least as often.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluate } from '../../eval/evaluate.ts';
import { jobsOf, planEpisodes, withMemory } from '../../eval/plan.ts';
import { deterministicPart, EpisodeRecordSchema, type EpisodeRecord } from '../../eval/record.ts';
import { EvalReportSchema } from '../../eval/report-schema.ts';
import { renderMarkdown } from '../../eval/report/markdown.ts';
import { EvalInputError, loadSource } from '../../eval/source.ts';
import { validateScenario, ValidationError } from '../../scenes/validate.ts';
import { ROOT } from '../cli/run-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'umwelt-eval-memory-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MEMORY_SUITE = resolve(ROOT, 'scenes/scenarios/memory.json');
/** Two houses of the memory suite: 8 visits. */
const EPISODES = 8;

function journal(out: string): EpisodeRecord[] {
  return readFileSync(join(out, 'episodes.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => EpisodeRecordSchema.parse(JSON.parse(line)));
}

/** The deterministic part of every record, sorted by episode id, as one string. */
function canonical(records: readonly EpisodeRecord[]): string {
  return [...records]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((r) => JSON.stringify(deterministicPart(r)))
    .join('\n');
}

function scenarioFile(name: string, extra: Record<string, unknown>): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({ version: 1, name, families: ['revisit'], seeds: { start: 0, count: 8 }, maxSteps: 40, ...extra }));
  return path;
}

function problems(value: unknown): string[] {
  try {
    validateScenario(value, 'scenario.json');
  } catch (e) {
    if (e instanceof ValidationError) return e.message.split('\n').slice(1);
    throw e;
  }
  return [];
}

describe('a scenario with a memory', () => {
  it('validates the memory key: modes known and unique, a scope, nothing else; the scope defaults to house', () => {
    const base = { version: 1, name: 'm', families: ['revisit'], seeds: { start: 0, count: 4 } };
    expect(validateScenario({ ...base, memory: { modes: ['off', 'prompt'] } }, 'm.json').memory).toEqual({ modes: ['off', 'prompt'], scope: 'house' });
    expect(problems({ ...base, memory: { modes: ['off', 'remember'] } }).join('\n')).toMatch(/\$\.memory\.modes\[1\]/);
    expect(problems({ ...base, memory: { modes: ['off', 'off'] } }).join('\n')).toMatch(/\$\.memory\.modes: memory modes must be unique/);
    expect(problems({ ...base, memory: { modes: [] } }).join('\n')).toMatch(/\$\.memory\.modes/);
    expect(problems({ ...base, memory: { modes: ['prompt'], scope: 'street' } }).join('\n')).toMatch(/\$\.memory\.scope/);
    expect(problems({ ...base, memory: { modes: ['prompt'], share: true } }).join('\n')).toMatch(/\$\.memory/);
    expect(problems({ ...base, families: ['revisit', 'revisits'] }).join('\n')).toMatch(/\$\.families/);
  });

  it('plans one arm per planner and mode, the visits of a house one series, and specs without a memory as before', async () => {
    const source = await loadSource(MEMORY_SUITE);
    expect(source.scenarios[0]?.memory).toEqual({ modes: ['off', 'prompt'], scope: 'house' });
    const specs = planEpisodes(source, { planners: ['oracle', 'random'], episodesPerFamily: EPISODES });
    expect(specs).toHaveLength(4 * EPISODES);
    expect([...new Set(specs.map((s) => s.id.split(':')[1]))]).toEqual(['oracle', 'oracle+memory', 'random', 'random+memory']);
    const off = specs.filter((s) => s.memory === undefined);
    expect(off).toHaveLength(2 * EPISODES);
    for (const s of off) expect(Object.keys(s)).not.toContain('memory');
    const on = specs.filter((s) => s.memory !== undefined);
    expect(on[0]?.memory).toEqual({ mode: 'prompt', scope: 'house', series: 'memory:oracle+memory:revisit-house-250000' });
    const jobs = jobsOf(specs);
    // Every episode without a memory alone; per arm with a memory, one job per house, its visits in seed order.
    expect(jobs.map((j) => j.length)).toEqual([...Array<number>(EPISODES).fill(1), 4, 4, ...Array<number>(EPISODES).fill(1), 4, 4]);
    expect(jobs[EPISODES]?.map((s) => s.seed)).toEqual([1_000_000, 1_000_001, 1_000_002, 1_000_003]);
    expect(jobs.flat().map((s) => s.id).sort()).toEqual(specs.map((s) => s.id).sort());

    // A fresh memory per episode: no series.
    const episodic = planEpisodes(withMemory(source, { scope: 'episode' }), { planners: [], episodesPerFamily: 4 });
    expect(episodic.filter((s) => s.memory !== undefined).every((s) => s.memory?.series === null)).toBe(true);
    expect(jobsOf(episodic).every((j) => j.length === 1)).toBe(true);
    // The command line's modes replace the file's.
    const only = planEpisodes(withMemory(source, { modes: ['record'] }), { planners: [], episodesPerFamily: 4 });
    expect(only.map((s) => s.id.split(':')[1])).toEqual(Array<string>(4).fill('oracle+memory-record'));
  });

  it('refuses bad memory settings from the caller before anything runs', async () => {
    const out = join(dir, 'refused');
    await expect(evaluate({ source: MEMORY_SUITE, memory: { modes: [] }, workers: 1, out })).rejects.toThrow(EvalInputError);
    await expect(evaluate({ source: MEMORY_SUITE, memory: { modes: ['off', 'off'] }, workers: 1, out })).rejects.toThrow(/unique/);
  });
});

describe('the memory ablation', () => {
  it('with a memory per house the oracle takes fewer steps and succeeds as often, byte-identically on 1 and 2 workers', async () => {
    const one = join(dir, 'one');
    const two = join(dir, 'two');
    // The arm with a memory on one worker (the houses one after the other), both arms on two.
    const a = await evaluate({ source: MEMORY_SUITE, episodesPerFamily: EPISODES, memory: { modes: ['prompt'] }, workers: 1, out: one });
    const b = await evaluate({ source: MEMORY_SUITE, episodesPerFamily: EPISODES, workers: 2, out: two });
    const records = journal(two);
    expect(canonical(journal(one))).toBe(canonical(records.filter((r) => r.planner === 'oracle+memory')));
    expect(records).toHaveLength(2 * EPISODES);
    expect(records.filter((r) => r.planner === 'oracle+memory').every((r) => r.memory?.mode === 'prompt' && r.memory.scope === 'house')).toBe(true);
    expect(records.filter((r) => r.planner === 'oracle').every((r) => r.memory === undefined)).toBe(true);

    const report = EvalReportSchema.parse(JSON.parse(readFileSync(join(two, 'report.json'), 'utf8')));
    expect(report.planners).toEqual(['oracle', 'oracle+memory']);
    expect(report.source.scenarios[0]?.memory).toEqual({ modes: ['off', 'prompt'], scope: 'house' });
    const [without, withMemory] = report.overall;
    if (!without || !withMemory) throw new Error('two arms expected');
    console.log(
      `memory ablation (oracle, ${EPISODES} revisit episodes): without ${without.successes}/${without.episodes} in ${without.steps.mean} steps, ` +
        `with ${withMemory.successes}/${withMemory.episodes} in ${withMemory.steps.mean} steps`,
    );
    expect(withMemory.steps.mean).toBeLessThan(without.steps.mean);
    expect(withMemory.successRate).toBeGreaterThanOrEqual(without.successRate);
    const overall = report.comparisons.find((c) => c.family === null);
    expect(overall).toMatchObject({ baseline: 'oracle', planner: 'oracle+memory', episodes: EPISODES, steps: { planner: withMemory.steps.mean, baseline: without.steps.mean } });
    expect(a.report?.overall.map((g) => [g.planner, g.successes, g.steps])).toEqual(
      b.report?.overall.filter((g) => g.planner === 'oracle+memory').map((g) => [g.planner, g.successes, g.steps]),
    );
    const md = renderMarkdown(report);
    expect(md).toContain('| memory | json | 40 | off, prompt; one memory per house |');
    expect(md).toMatch(/\| oracle\+memory \| oracle \| memory \| revisit \| 8 \| [\d.]+ \/ [\d.]+ \| [+-]?[\d.]+ \| [\d.]+ \/ [\d.]+ \|/);
  });

  it('a resumed run reruns a house whose visits are not all done, with the same results', async () => {
    const out = join(dir, 'resumed');
    const path = join(out, 'episodes.jsonl');
    await evaluate({ source: MEMORY_SUITE, episodesPerFamily: EPISODES, workers: 2, out });
    const full = canonical(journal(out));
    // Keep the first visits of a house with a memory and drop its last one: the house runs again, in order.
    const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0);
    const dropped = lines.filter((l) => !l.includes('"id":"memory:oracle+memory:revisit:1000003"'));
    expect(dropped).toHaveLength(lines.length - 1);
    writeFileSync(path, `${dropped.join('\n')}\n`);
    const rest = await evaluate({ source: MEMORY_SUITE, episodesPerFamily: EPISODES, workers: 2, out });
    expect(rest.progress).toMatchObject({ total: 2 * EPISODES, resumed: 2 * EPISODES - 1, done: 2 * EPISODES });
    expect(rest.report?.episodesRun).toBe(1);
    expect(journal(out)).toHaveLength(2 * EPISODES);
    expect(canonical(journal(out))).toBe(full);
  });

  it('a memory per episode (no sharing) gives no such gain on revisits, and record mode changes nothing', async () => {
    const path = scenarioFile('episodic', { episodes: 4, memory: { modes: ['off', 'record', 'prompt'], scope: 'episode' } });
    const run = await evaluate({ source: path, workers: 2, out: join(dir, 'episodic') });
    const [off, record, prompt] = run.report?.overall ?? [];
    expect(run.report?.planners).toEqual(['oracle', 'oracle+memory-record', 'oracle+memory']);
    // Within an episode the oracle already knows all it saw: a memory of the episode alone changes nothing.
    expect(record?.steps).toEqual(off?.steps);
    expect(prompt?.steps).toEqual(off?.steps);
    const records = journal(join(dir, 'episodic'));
    const hashes = (label: string): string[] => records.filter((r) => r.planner === label).map((r) => `${r.seed}:${r.result.stateHash}`).sort();
    expect(hashes('oracle+memory-record')).toEqual(hashes('oracle'));
  });
});
