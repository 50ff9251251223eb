// `umwelt data --memory-mode prompt`: the visits of a revisit house share one memory, as in the eval harness. The
// first visit has `Memories: none` throughout (it is what it is without a memory), later visits start with the
// earlier ones' memories of their target, and the oracle's label on a later visit goes to where the memory places its target; the bytes are the same on two worker threads;
// the manifest records the mode; options that cannot be met are usage errors.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SftExample } from '../../agent/data/episode.ts';
import { concernsTask, taskNames } from '../../agent/memory/text.ts';
import { generateData } from '../../agent/data/generate.ts';
import { dataJobs, DataOptionsError } from '../../agent/data/jobs.ts';
import type { PlannerContext } from '../../agent/planner.ts';
import type { DataManifest } from '../../cli/commands/data.ts';
import { memoryOutput } from '../../cli/output.ts';
import { runCli } from '../../cli/program.ts';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'umwelt-data-memory-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const read = (d: string, f: string): string => readFileSync(join(d, f), 'utf8');
const examplesOf = (d: string): SftExample[] => read(d, 'sft.jsonl').split('\n').slice(0, -1).map((line) => JSON.parse(line) as SftExample);
const memoriesOf = (prompt: string): string => /\nMemories:(.*(?:\n- .*)*)\nHistory:/.exec(prompt)?.[1] ?? '';
/** The examples of one revisit episode made without a memory. */
async function withoutMemory(start: number): Promise<SftExample[]> {
  const d = join(dir, `off-${start}`);
  expect(await runCli(['data', '--families', 'revisit', '--episodes', '1', '--start', String(start), '--out', d], memoryOutput())).toBe(0);
  return examplesOf(d);
}
/** Two revisit houses of the train split (seeds 0-7), with a memory per house. */
const houses = (out: string, ...more: string[]): string[] => ['data', '--families', 'revisit', '--memory-mode', 'prompt', '--episodes', '8', '--start', '0', '--out', out, ...more];

describe('umwelt data --memory-mode prompt', () => {
  it('carries the memory of earlier visits into the prompts, and the oracle goes where it remembers the target', async () => {
    const a = join(dir, 'houses-1');
    const out = memoryOutput();
    expect(await runCli(houses(a, '--json'), out)).toBe(0);
    const manifest = JSON.parse(out.stdout()) as DataManifest;
    expect(manifest).toMatchObject({ memoryMode: 'prompt', families: ['revisit'], start: 0, episodesPerFamily: 8 });
    expect(manifest.episodes.map((e) => e.seed)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const examples = examplesOf(a);
    expect(examples.length).toBe(manifest.counts.examples);
    // A later visit recalls what earlier visits wrote about its target, and nothing about other things.
    let recalled = 0;
    for (const seed of [1, 2, 3, 5, 6, 7]) {
      const first = examples.find((e) => e.seed === seed && e.step === 1);
      if (first === undefined) continue; // a failed visit gives none
      const names = taskNames(/\nTask: (.*)\n$/.exec(first.prompt)?.[1] ?? '');
      expect(names.length, `seed ${seed}`).toBeGreaterThan(0);
      const lines = memoriesOf(first.prompt).split('\n- ').slice(1);
      expect(lines.every((line) => concernsTask(line, names)), `seed ${seed}`).toBe(true);
      recalled += lines.length;
    }
    expect(recalled).toBeGreaterThan(0);
    // The first visit of house 0 has no earlier episode to recall (what it saw itself is in the prompt already):
    // its examples are those made without a memory.
    const visit1 = examples.filter((e) => e.seed === 0);
    expect(visit1.length).toBeGreaterThan(0);
    expect(visit1.every((e) => memoriesOf(e.prompt) === ' none')).toBe(true);
    // Each example names its house, which training holds out for validation as one unit.
    expect(new Set(examples.map((e) => `${e.seed}:${e.house ?? ''}`))).toEqual(new Set(manifest.episodes.map((e) => `${e.seed}:revisit-house-${Math.floor(e.seed / 4)}`)));
    expect(visit1.map(({ house: _house, ...e }) => e)).toEqual(await withoutMemory(0));
    // House 0, visit 4: its black candle was seen in the white cabinet #8 (living room) on visit 2's long search;
    // the oracle goes straight there, where without a memory it searches the kitchen's containers first.
    const visit4 = examples.filter((e) => e.seed === 3);
    expect(visit4[0]?.prompt).toContain('\nliving_room_1: green sofa #5, yellow table #6, black shelf #7, white cabinet #8 (opens),');
    expect(visit4[0]?.prompt).toContain('\nNamed in the task:\nblack candle #17: not in sight, last seen in #8\n');
    expect(visit4[0]?.response).toMatch(/I remember it in the white cabinet #8[\s\S]*\nAction: goto\(#8\)$/);
    expect(visit4.length).toBe(4);
    const plain = await withoutMemory(3);
    expect(plain[0]?.prompt).toContain('\nMemories: none\n');
    expect(plain[0]?.response).toMatch(/\nAction: goto\(#2\)$/);
    expect(plain.length).toBeGreaterThan(10);
  });

  it('writes the same bytes on two worker threads (a house is one job)', async () => {
    const [a, b] = [join(dir, 'houses-1'), join(dir, 'houses-2')];
    expect(await runCli(houses(b, '--workers', '2'), memoryOutput())).toBe(0);
    for (const f of ['corpus.txt', 'sft.jsonl', 'manifest.json']) expect(read(b, f), f).toBe(read(a, f));
  });

  it('hands a student the same memory: recalled memories and remembered sightings on later visits', async () => {
    // A student that never answers: the oracle acts at every step, and the student sees every step's context.
    const seen: { seed: number; context: PlannerContext }[] = [];
    let seed = -1;
    const spy = {
      name: 'spy',
      reset: (info: { seed: number }) => void (seed = info.seed),
      decide: async (context: PlannerContext) => {
        seen.push({ seed, context });
        return { thought: '', action: null, raw: '', stats: {} };
      },
    };
    const data = await generateData({ split: 'train', episodes: 4, families: ['revisit'], start: 0, memoryMode: 'prompt', student: { planner: spy, rate: 1 } });
    expect(data.episodes.map((e) => e.status)).toEqual(['success', 'success', 'success', 'success']);
    const visit4 = seen.filter((s) => s.seed === 3).map((s) => s.context);
    expect(visit4[0]?.memories.length).toBeGreaterThan(0);
    expect(visit4[0]?.seenBefore?.map((e) => e.id)).toContain('candle_1');
    expect(seen.filter((s) => s.seed === 0)[0]?.context.memories).toEqual([]);
  });

  it('refuses what it cannot make: a standard family, part of a house, record mode', async () => {
    const cases: [string[], RegExp][] = [
      [['--memory-mode', 'prompt', '--episodes', '4'], /"goto" is not one \(give --families revisit\)/],
      [['--memory-mode', 'prompt', '--families', 'revisit,search', '--episodes', '4'], /"search" is not one/],
      [['--memory-mode', 'prompt', '--families', 'revisit', '--episodes', '4', '--start', '2'], /--start and --episodes must be multiples of 4 \(got --start 2 --episodes 4\)/],
      [['--memory-mode', 'prompt', '--families', 'revisit', '--episodes', '6'], /must be multiples of 4/],
      [['--memory-mode', 'record', '--families', 'revisit', '--episodes', '4'], /memory mode "record" is not one data are made in .*valid modes: off, prompt/],
      [['--memory-mode', 'nope', '--families', 'revisit', '--episodes', '4'], /valid modes: off, prompt/],
    ];
    for (const [args, message] of cases) {
      const out = memoryOutput();
      expect(await runCli(['data', ...args, '--out', join(dir, 'never')], out), args.join(' ')).toBe(2);
      expect(out.stderr(), args.join(' ')).toMatch(/^umwelt: error: /);
      expect(out.stderr(), args.join(' ')).toMatch(message);
    }
    expect(() => dataJobs({ split: 'test', episodes: 4, start: 1, families: ['revisit'], memoryMode: 'prompt' })).toThrow(DataOptionsError);
  });

  it('makes one job per house with a memory, one per episode without', () => {
    const plan = { split: 'test', episodes: 8, start: 4, families: ['revisit'] } as const;
    expect(dataJobs({ ...plan, memoryMode: 'prompt' })).toEqual([
      { family: 'revisit', seeds: [1_000_004, 1_000_005, 1_000_006, 1_000_007], memory: 'prompt' },
      { family: 'revisit', seeds: [1_000_008, 1_000_009, 1_000_010, 1_000_011], memory: 'prompt' },
    ]);
    expect(dataJobs(plan).map((j) => j.seeds)).toEqual(Array.from({ length: 8 }, (_, i) => [1_000_004 + i]));
    expect(dataJobs({ ...plan, families: ['goto', 'revisit'], episodes: 1 }).map((j) => [j.family, j.memory])).toEqual([['goto', 'off'], ['revisit', 'off']]);
  });
});
