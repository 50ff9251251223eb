// The agent's long-term memory in the loop, with the real oracle in real family envs: what it writes (and that
// the texts say what was seen where), what it recalls, how it carries over between episodes, and that attaching
// it changes nothing in the world.
import { describe, expect, it } from 'vitest';
import { extractAction } from '../../../agent/grammar.ts';
import { runEpisode, type EpisodeResult, type LoopEvent } from '../../../agent/loop.ts';
import { AgentMemory, recallQuery } from '../../../agent/memory/index.ts';
import { concernsTask, taskNames } from '../../../agent/memory/text.ts';
import type { Decision, Planner, PlannerContext } from '../../../agent/planner.ts';
import { OraclePlanner } from '../../../agent/planners/oracle.ts';
import type { MemoryRecord } from '../../../memory/types.ts';
import { familyEnv } from '../../../scenes/env.ts';
import type { FamilyName } from '../../../scenes/family-names.ts';
import type { SeenEntity } from '../../../sim/types.ts';

type WriteEvent = Extract<LoopEvent, { type: 'memory-write' }>;
type RecallEvent = Extract<LoopEvent, { type: 'memory-recall' }>;

interface Run {
  result: EpisodeResult;
  events: LoopEvent[];
  /** Each written record as the store held it right when its event came. */
  written: MemoryRecord[];
  /** Every entity seen, last sighting. */
  seen: Map<string, SeenEntity>;
  hashes: string[];
}

async function run(family: FamilyName, seed: number, memory?: AgentMemory, planner?: (env: ReturnType<typeof familyEnv>) => Planner): Promise<Run> {
  const env = familyEnv(family);
  const events: LoopEvent[] = [];
  const written: MemoryRecord[] = [];
  const seen = new Map<string, SeenEntity>();
  const hashes: string[] = [];
  const result = await runEpisode({
    env,
    planner: planner ? planner(env) : new OraclePlanner(env),
    seed,
    memory,
    onEvent: (e) => {
      events.push(e);
      if (e.type === 'observation') for (const v of e.observation.visible) seen.set(v.id, v);
      if (e.type === 'action-end') hashes.push(e.stateHash);
      if (e.type === 'memory-write' && memory) {
        for (const r of e.records) {
          const record = memory.store.get(r.id);
          if (record) written.push(record);
        }
      }
    },
  });
  hashes.push(result.stateHash);
  return { result, events, written, seen, hashes };
}

const find = (seen: Map<string, SeenEntity>, color: string, category: string): SeenEntity => {
  const e = [...seen.values()].find((v) => v.color === color && v.category === category);
  if (!e) throw new Error(`no ${color} ${category} was seen`);
  return e;
};

/** A planner that replays fixed outputs, as a language model would produce them. */
class ScriptedPlanner implements Planner {
  readonly name = 'scripted';
  readonly contexts: PlannerContext[] = [];
  private i = 0;
  constructor(private readonly outputs: string[]) {}
  async decide(context: PlannerContext): Promise<Decision> {
    this.contexts.push(context);
    const raw = this.outputs[Math.min(this.i++, this.outputs.length - 1)] ?? '';
    const parsed = extractAction(raw);
    return parsed.ok ? { thought: raw, action: parsed.action, raw, stats: {} } : { thought: raw, action: null, raw, error: parsed.error, stats: {} };
  }
}

describe('AgentMemory in the loop', () => {
  it('writes what was seen where, what the actions did and how the episode ended', async () => {
    // search, test seed 1000001: "Search for the white candle and grab it."; it is in the green fridge of kitchen_1.
    const memory = AgentMemory.inMemory();
    const { result, events, written, seen } = await run('search', 1_000_001, memory);
    expect(result.success).toBe(true);
    const candle = find(seen, 'white', 'candle');
    const fridge = candle.state.inside;
    expect(fridge).toBeDefined();

    // The target's sighting: its id, where it was, and a found target's importance.
    const sighting = written.find((r) => r.kind === 'observation' && r.entityIds[0] === candle.id);
    expect(sighting?.text).toBe(`white candle (${candle.id}) in green fridge (${fridge}) in ${candle.room}`);
    expect(sighting?.entityIds).toEqual([candle.id, fridge]);
    expect(sighting?.importance).toBeCloseTo(0.85);
    expect(sighting?.position?.[0]).toBeCloseTo(candle.position[0], 1);
    expect(sighting?.position?.[2]).toBeCloseTo(candle.position[2], 1);
    // A distractor sharing the category matters less, a plain sighting least.
    const other = written.find((r) => r.kind === 'observation' && r.text.startsWith('red candle'));
    expect(other?.importance).toBeCloseTo(0.3);
    const apple = written.find((r) => r.kind === 'observation' && r.text.startsWith('black apple'));
    expect(apple?.importance).toBeCloseTo(0.1);

    // Events of the actions, and the episode's outcome.
    const texts = written.map((r) => r.text);
    expect(texts).toContain(`Opened green fridge (${fridge}) in ${candle.room}: inside white candle (${candle.id}), black apple (${apple?.entityIds[0]}).`);
    expect(texts).toContain(`Picked up white candle (${candle.id}) from green fridge (${fridge}) in ${candle.room}.`);
    const end = written[written.length - 1];
    expect(end).toMatchObject({ kind: 'outcome', text: `Succeeded in ${result.steps} steps: Search for the white candle and grab it.`, entityIds: [candle.id] });
    expect(end?.importance).toBeCloseTo(0.5);

    // Every record belongs to this episode and carries simulated time only (seconds since the episode began).
    expect(memory.episode).toBe('e1-search-1000001');
    for (const r of memory.records()) {
      expect(r.episode).toBe(memory.episode);
      expect(r.simTime).toBeLessThanOrEqual(result.metrics.simSeconds);
    }
    // The pick replaced the sighting in the fridge (where it was last seen is the pick's record now).
    expect(memory.store.has(sighting?.id ?? '')).toBe(false);
    const writes = events.filter((e): e is WriteEvent => e.type === 'memory-write');
    expect(writes.flatMap((e) => e.superseded)).toContain(sighting?.id);
    expect(writes[writes.length - 1]?.step).toBe(result.steps);
  });

  it('emits plain, structured-clone-safe memory events: a recall before every decision', async () => {
    // Recalling from the current episode too, so that this single episode recalls something.
    const memory = AgentMemory.inMemory({ recallScope: 'all-episodes' });
    const { events, result } = await run('search', 1_000_001, memory);
    const memoryEvents = events.filter((e) => e.type === 'memory-write' || e.type === 'memory-recall');
    expect(memoryEvents.length).toBeGreaterThan(result.steps);
    for (const e of memoryEvents) {
      expect(structuredClone(e)).toEqual(e);
      expect(JSON.parse(JSON.stringify(e))).toEqual(e);
    }
    const types = events.map((e) => e.type);
    types.forEach((t, i) => {
      if (t === 'decision') expect(types[i - 1]).toBe('memory-recall');
    });
    const recalls = events.filter((e): e is RecallEvent => e.type === 'memory-recall');
    expect(recalls).toHaveLength(result.steps);
    expect(recalls.every((r) => r.memories.length <= 3)).toBe(true);
    // Once the candle has been seen in the fridge, the next decision recalls it first.
    const opened = events.findIndex((e) => e.type === 'memory-write' && e.records.some((r) => r.text.startsWith('white candle')));
    const next = events.slice(opened).find((e): e is RecallEvent => e.type === 'memory-recall');
    expect(next?.memories[0]?.text).toMatch(/^white candle \(candle_\d+\) in green fridge/);
  });

  it('hands the recalled texts to the planner', async () => {
    const memory = AgentMemory.inMemory({ acrossEpisodes: true });
    await run('search', 1_000_001, memory);
    const planner = new ScriptedPlanner(['Action: done()']);
    await run('search', 1_000_001, memory, () => planner);
    const memories = planner.contexts[0]?.memories ?? [];
    expect(memories).toHaveLength(3);
    expect(memories.some((m) => /white candle \(candle_\d+\)/.test(m) && m.includes('green fridge'))).toBe(true);
  });

  it('recalls from earlier episodes only by default: the current one is in the prompt already', async () => {
    const memory = AgentMemory.inMemory({ acrossEpisodes: true });
    expect(memory.recallScope).toBe('earlier-episodes');
    const first = await run('search', 1_000_001, memory);
    const recalled = (r: Run): string[] => r.events.flatMap((e) => (e.type === 'memory-recall' ? e.memories.map((m) => m.id) : []));
    expect(first.written.length).toBeGreaterThan(0);
    expect(recalled(first)).toEqual([]);
    const second = await run('search', 1_000_001, memory);
    // Record ids are `<episode>/<n>` (the second episode's sightings supersede the first's, so the ids tell).
    const ids = recalled(second);
    expect(ids.length).toBeGreaterThan(0);
    expect(new Set(ids.map((id) => id.split('/')[0]))).toEqual(new Set(['e1-search-1000001']));
    // One memory per text, though the store may hold a text twice.
    for (const e of second.events) if (e.type === 'memory-recall') expect(new Set(e.memories.map((m) => m.text)).size).toBe(e.memories.length);
  });

  it('recalls only records that name a thing the task names, unless told to recall any', async () => {
    expect(taskNames('The orange box is hidden somewhere. Put it on the white table.')).toEqual(['orange box', 'white table']);
    expect(taskNames('Go to the kitchen.')).toEqual([]);
    expect(concernsTask('Opened red cabinet (cabinet_2) in bathroom_1: inside orange box (box_3).', ['orange box'])).toBe(true);
    expect(concernsTask('Succeeded in 8 steps: Look for the yellow box in the cupboards.', ['orange box'])).toBe(false);
    expect(concernsTask('orange boxes (box_1) on white table (table_1)', ['orange box'])).toBe(false);
    const texts = async (recallFilter: 'task' | 'any'): Promise<{ instruction: string; memories: string[][] }> => {
      const memory = AgentMemory.inMemory({ acrossEpisodes: true, recallFilter });
      await run('search', 1_000_001, memory);
      const planner = new ScriptedPlanner(['Action: done()']);
      const second = await run('search', 1_000_002, memory, () => planner);
      return { instruction: second.result.instruction, memories: planner.contexts.map((c) => c.memories) };
    };
    const any = await texts('any');
    const task = await texts('task');
    expect(AgentMemory.inMemory().recallFilter).toBe('task');
    const names = taskNames(task.instruction);
    expect(names.length).toBeGreaterThan(0);
    // The other episode's records are about other things: recalled with 'any', not with 'task'.
    expect(any.memories.flat().length).toBeGreaterThan(0);
    expect(any.memories.flat().some((m) => !concernsTask(m, names))).toBe(true);
    expect(task.memories.flat().every((m) => concernsTask(m, names))).toBe(true);
    expect(task.memories.flat().length).toBeLessThan(any.memories.flat().length);
  });

  it('recalls where a thing was seen for a "where is ..." query', async () => {
    const memory = AgentMemory.inMemory();
    const { seen } = await run('search', 1_000_001, memory);
    const candle = find(seen, 'white', 'candle');
    const top = memory.search('where is the white candle');
    expect(top.length).toBe(3);
    expect(top[0]?.record.entityIds).toContain(candle.id);
    expect(top[0]?.record.text).toContain(`white candle (${candle.id})`);
    expect(top[0]?.record.text).toContain('green fridge');
    // Retrieval touches what it returns, on the memory's simulated clock.
    expect(top[0]?.record.lastAccess).toBe(memory.now);
    // The query for a decision is the instruction (and what the agent holds).
    const observation = { step: 0, instruction: 'Bring the red mug to the sofa.', agent: { position: [0, 0, 0] as [number, number, number], yaw: 0, room: 'kitchen_1' }, holding: null, visible: [], landmarks: [], lastAction: null, lastOutcome: null };
    expect(recallQuery({ instruction: observation.instruction, observation })).toBe('Bring the red mug to the sofa.');
    expect(recallQuery({ instruction: observation.instruction, observation: { ...observation, holding: 'teddy_bear_2' } })).toBe('Bring the red mug to the sofa. holding teddy bear');
  });

  it('remembers failed actions, which matter more, and nothing for an output without an action', async () => {
    const memory = AgentMemory.inMemory();
    const planner = new ScriptedPlanner(['Action: place(candle_2, cabinet_2)', 'Thought: hmm\nAction: fly(away)', 'Action: done()']);
    const { written, result } = await run('search', 1_000_001, memory, () => planner);
    expect(result.metrics.failures).toMatchObject({ not_holding: 1, invalid_action: 1 });
    const failures = written.filter((r) => r.kind === 'outcome' && r.text.includes(' failed: '));
    expect(failures).toHaveLength(1);
    expect(failures[0]?.text).toMatch(/^place\(candle_2, cabinet_2\) failed: not_holding( \(.+\))?, red candle in bathroom_1, blue cabinet in bathroom_1$/);
    expect(failures[0]?.importance).toBeCloseTo(0.9);
    expect(failures[0]?.entityIds).toEqual(['candle_2', 'cabinet_2']);
    const end = written[written.length - 1];
    expect(end?.text).toMatch(/^Failed after 3 steps \(.+\): Search for the white candle and grab it\.$/);
    expect(end?.importance).toBeCloseTo(0.9);
    // Both failures (the action's and the episode's) come first for a question about what failed.
    const top = memory.search('what failed when I tried to put the candle on the cabinet').map((r) => r.record.id);
    expect(top.slice(0, 2).sort()).toEqual([failures[0]?.id, end?.id].sort());
  });

  it('keeps memories across episodes when asked, starts afresh otherwise, and forgets on clear', async () => {
    const keeping = AgentMemory.inMemory({ acrossEpisodes: true, episodeGap: 3600 });
    const first = await run('search', 1_000_001, keeping);
    const firstEnd = keeping.now;
    const firstIds = new Set(keeping.records().map((r) => r.id));
    const second = await run('pickup', 1_000_001, keeping);
    expect(second.result.success).toBe(true);
    const episodes = new Set(keeping.records().map((r) => r.episode));
    expect([...episodes]).toEqual(['e1-search-1000001', 'e2-pickup-1000001']);
    // The first episode's outcome is still there, and found again from the second.
    expect(keeping.records().some((r) => firstIds.has(r.id) && r.text.startsWith(`Succeeded in ${first.result.steps} steps: Search for the white candle`))).toBe(true);
    // The memory's clock ran on: the second episode's records come after the first's, and the gap.
    const secondRecords = keeping.records().filter((r) => r.episode === 'e2-pickup-1000001');
    expect(Math.min(...secondRecords.map((r) => r.simTime))).toBeGreaterThanOrEqual(firstEnd + 3600);
    expect(keeping.search('where is the white candle').some((r) => r.record.episode === 'e1-search-1000001' && r.record.text.includes('white candle (candle_'))).toBe(true);

    const forgetting = AgentMemory.inMemory();
    await run('search', 1_000_001, forgetting);
    await run('pickup', 1_000_001, forgetting);
    expect(new Set(forgetting.records().map((r) => r.episode))).toEqual(new Set(['e1-pickup-1000001']));

    const before = keeping.size;
    expect(keeping.clear()).toBe(before);
    expect(keeping.size).toBe(0);
    expect(keeping.search('where is the white candle')).toEqual([]);
  });

  it('changes nothing in the world: the same decisions and state hashes with and without memory', async () => {
    for (const [family, seed] of [['search', 1_000_001], ['place-in', 1_000_003]] as const) {
      const without = await run(family, seed);
      const memory = AgentMemory.inMemory();
      const withMemory = await run(family, seed, memory);
      expect(withMemory.hashes).toEqual(without.hashes);
      expect(withMemory.result).toEqual(without.result);
      // Apart from the memory's own events, the loop emits exactly the same events.
      expect(withMemory.events.filter((e) => e.type !== 'memory-write' && e.type !== 'memory-recall')).toEqual(without.events);
      expect(without.events.some((e) => e.type === 'memory-write' || e.type === 'memory-recall')).toBe(false);
      expect(memory.size).toBeGreaterThan(0);
    }
  });
});
