// Two eval runs paired episode by episode (scripts/models-versus.ts), on real runs of the harness: the oracle and
// the random planner on the same seeds.
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluate } from '../../eval/evaluate.ts';
import { mcnemarExact } from '../../eval/stats.ts';
import { pairEpisodes, readEpisodes, summarizePairs } from '../../scripts/models-versus.ts';

const root = mkdtempSync(join(tmpdir(), 'umwelt-versus-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const oracle = join(root, 'oracle');
const random = join(root, 'random');

beforeAll(async () => {
  const source = join(root, 'small.json');
  writeFileSync(source, JSON.stringify({ version: 1, name: 'small', families: ['goto', 'open'], seeds: { start: 0, count: 3 }, maxSteps: 12 }));
  await evaluate({ source, planners: ['oracle'], workers: 1, out: oracle });
  await evaluate({ source, planners: ['random'], workers: 1, out: random });
}, 120_000);

describe('models-versus', () => {
  it('pairs the same episodes of two runs and counts what only one of them succeeds in', () => {
    const pairs = pairEpisodes(random, oracle);
    expect(pairs).toHaveLength(6);
    for (const p of pairs) expect([p.before.family, p.before.seed]).toEqual([p.after.family, p.after.seed]);
    const s = summarizePairs('small', pairs);
    const oracleWins = pairs.filter((p) => p.after.result.success).length;
    const randomWins = pairs.filter((p) => p.before.result.success).length;
    expect(s.after.successes).toBe(oracleWins);
    expect(s.before.successes).toBe(randomWins);
    // Successes differ by exactly the discordant episodes of each side.
    expect(s.after.successes - s.before.successes).toBe(s.discordant.afterOnly - s.discordant.beforeOnly);
    expect(oracleWins).toBe(6);
    expect(s.mcnemarP).toBe(mcnemarExact(s.discordant.afterOnly, s.discordant.beforeOnly));
  });

  it('a torn last line is left out; runs of other episodes and damaged lines are errors that name the file', () => {
    const torn = join(root, 'torn');
    cpSync(oracle, torn, { recursive: true });
    appendFileSync(join(torn, 'episodes.jsonl'), '{"id":"small:oracle:go');
    expect(readEpisodes(torn).size).toBe(6);
    expect(() => pairEpisodes(torn, random)).not.toThrow();

    const fewer = join(root, 'fewer');
    cpSync(oracle, fewer, { recursive: true });
    const lines = readFileSync(join(fewer, 'episodes.jsonl'), 'utf8').trim().split('\n');
    writeFileSync(join(fewer, 'episodes.jsonl'), `${lines.slice(1).join('\n')}\n`);
    expect(() => pairEpisodes(fewer, random)).toThrow(/do not hold the same episodes \(0 only in the first, 1 only in the second/);

    const damaged = join(root, 'damaged');
    cpSync(oracle, damaged, { recursive: true });
    writeFileSync(join(damaged, 'episodes.jsonl'), `${lines[0]}\n{"id": 3}\n${lines.slice(1).join('\n')}\n`);
    expect(() => readEpisodes(damaged)).toThrow(/damaged\/episodes\.jsonl line 2: not an episode record/);
  });
});
