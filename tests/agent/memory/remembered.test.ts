// Remembered sightings: what the records of earlier episodes say of where objects were, handed to the loop at the
// start of an episode (seenBefore), shown by the prompt as `last seen in #k`, and used by the oracle to go straight
// to the place, with a stale memory costing a detour and nothing else.
import { describe, expect, it } from 'vitest';
import { runEpisode, towardRecalled, type EpisodeResult, type LoopEvent, type LoopMemory } from '../../../agent/loop.ts';
import { AgentMemory, loopMemory, type MemoryMode } from '../../../agent/memory/index.ts';
import { rememberedSearches, rememberedSightings, whereaboutsOf } from '../../../agent/memory/remembered.ts';
import { sightingText, type KnownEntity } from '../../../agent/memory/text.ts';
import type { Decision, Planner, PlannerContext } from '../../../agent/planner.ts';
import { OraclePlanner } from '../../../agent/planners/oracle.ts';
import { renderPrompt, unsearchedPlaces } from '../../../agent/prompt.ts';
import type { MemoryRecord } from '../../../memory/types.ts';
import { familyEnv } from '../../../scenes/env.ts';
import { makeEpisode } from '../../../scenes/families.ts';
import type { Action, Observation, Outcome, SeenEntity } from '../../../sim/types.ts';

// House 250001 of the test split: the first visit searches the containers in order and opens the one the second
// visit's object is in (measured: 16 steps, then 8 without a memory).
const VISIT_0 = 1_000_004;
const VISIT_1 = 1_000_005;

const known = new Map<string, KnownEntity>([
  ['table_1', { id: 'table_1', kind: 'furniture', category: 'table', color: 'white', room: 'kitchen_1', position: null, openable: false }],
  ['cabinet_2', { id: 'cabinet_2', kind: 'furniture', category: 'cabinet', color: 'blue', room: 'bathroom_1', position: null, openable: true }],
]);

const seen = (id: string, state: SeenEntity['state'], room = 'kitchen_1', category = 'mug', color: SeenEntity['color'] = 'red'): SeenEntity => ({
  id,
  kind: 'object',
  category,
  color,
  room,
  distance: 2,
  bearing: 0,
  height: 0.8,
  position: [1, 0.8, 2],
  state,
});

let n = 0;
const record = (kind: MemoryRecord['kind'], text: string, entityIds: string[], episode = 'e1-revisit-1000004'): MemoryRecord => ({
  id: `${episode}/${++n}`,
  kind,
  text,
  embedding: new Float32Array(4),
  episode,
  simTime: n,
  importance: 0.5,
  lastAccess: n,
  entityIds,
  position: [1, 0.8, 2],
});

const observation: Observation = {
  step: 0,
  instruction: 'Find the red mug and pick it up.',
  agent: { position: [1, 0, 0], yaw: 0, room: 'kitchen_1' },
  holding: null,
  visible: [],
  landmarks: [
    { id: 'table_1', category: 'table', color: 'white', room: 'kitchen_1', openable: false, holds: true },
    { id: 'cabinet_2', category: 'cabinet', color: 'blue', room: 'bathroom_1', openable: true, holds: true },
    { id: 'lamp_1', category: 'lamp', color: 'black', room: 'kitchen_1', openable: false, holds: false },
  ],
  lastAction: null,
  lastOutcome: null,
};

describe('what a record says of where an object was', () => {
  it('reads the sightings the memory writes: on, in, on the floor, names with spaces, supports known by id only', () => {
    const on = seen('mug_3', { on_top_of: 'table_1' });
    expect(whereaboutsOf(record('observation', sightingText(on, known), ['mug_3', 'table_1']))?.at).toMatchObject({
      color: 'red',
      category: 'mug',
      room: 'kitchen_1',
      support: { id: 'table_1', relation: 'on', name: 'white table' },
    });
    const car = seen('toy_car_2', { inside: 'cabinet_2' }, 'bathroom_1', 'toy_car', 'blue');
    expect(sightingText(car, known)).toBe('blue toy car (toy_car_2) in blue cabinet (cabinet_2) in bathroom_1');
    expect(whereaboutsOf(record('observation', sightingText(car, known), ['toy_car_2', 'cabinet_2']))?.at).toMatchObject({
      category: 'toy_car',
      room: 'bathroom_1',
      support: { id: 'cabinet_2', relation: 'in', name: 'blue cabinet' },
    });
    const bare = seen('mug_3', { on_top_of: 'shelf_9' });
    expect(whereaboutsOf(record('observation', sightingText(bare, known), ['mug_3', 'shelf_9']))?.at?.support).toEqual({ id: 'shelf_9', relation: 'on', name: null });
    const floor = seen('ball_1', {}, 'kitchen_1', 'ball');
    expect(whereaboutsOf(record('observation', sightingText(floor, known), ['ball_1']))?.at).toMatchObject({ room: 'kitchen_1', support: null });
  });

  it('reads puts and pick-ups, and nothing from other records', () => {
    expect(whereaboutsOf(record('event', 'Put red mug (mug_3) on white table (table_1) in kitchen_1.', ['mug_3', 'table_1']))?.at?.support).toEqual({
      id: 'table_1',
      relation: 'on',
      name: 'white table',
    });
    expect(whereaboutsOf(record('event', 'Let go of red mug (mug_3) in blue cabinet (cabinet_2) in bathroom_1.', ['mug_3', 'cabinet_2']))?.at?.support?.relation).toBe('in');
    expect(whereaboutsOf(record('event', 'Picked up red mug (mug_3) from white table (table_1) in kitchen_1.', ['mug_3']))).toEqual({ id: 'mug_3', at: null });
    expect(whereaboutsOf(record('event', 'Opened blue cabinet (cabinet_2) in bathroom_1: inside red mug (mug_3).', ['cabinet_2', 'mug_3']))).toBeNull();
    expect(whereaboutsOf(record('outcome', 'open(cabinet_2) failed: container_closed, blue cabinet in bathroom_1', ['cabinet_2']))).toBeNull();
    expect(whereaboutsOf(record('outcome', 'Succeeded in 6 steps: Pick up the red mug.', ['mug_3']))).toBeNull();
    // A text that does not say what its entity ids say is not believed.
    expect(whereaboutsOf(record('observation', 'red mug (mug_3) on white table (table_1) in kitchen_1', ['mug_4', 'table_1']))).toBeNull();
  });

  it('keeps the last word per object from other episodes, where this floor plan agrees', () => {
    const records = [
      record('observation', 'red mug (mug_3) on white table (table_1) in kitchen_1', ['mug_3', 'table_1']),
      record('observation', 'green cup (cup_1) on white table (table_1) in kitchen_1', ['cup_1', 'table_1']),
      record('event', 'Put red mug (mug_3) in blue cabinet (cabinet_2) in bathroom_1.', ['mug_3', 'cabinet_2']),
      record('event', 'Picked up green cup (cup_1) from white table (table_1) in kitchen_1.', ['cup_1']),
      // Another house's cabinet_2 was red: not this one.
      record('observation', 'white bowl (bowl_1) in red cabinet (cabinet_2) in bathroom_1', ['bowl_1', 'cabinet_2']),
      // A lamp holds nothing; a shelf this house lacks; furniture is known from the floor plan.
      record('observation', 'blue book (book_1) on black lamp (lamp_1) in kitchen_1', ['book_1', 'lamp_1']),
      record('observation', 'blue book (book_2) on red shelf (shelf_1) in kitchen_1', ['book_2', 'shelf_1']),
      record('observation', 'blue cabinet (cabinet_2) in bathroom_1, open', ['cabinet_2']),
      record('observation', 'yellow ball (ball_1) in kitchen_1', ['ball_1']),
      // The current episode's own records are the loop's to know.
      record('observation', 'black can (can_1) on white table (table_1) in kitchen_1', ['can_1', 'table_1'], 'e2-revisit-1000005'),
    ];
    const out = rememberedSightings(records, observation, 'e2-revisit-1000005');
    expect(out.map((e) => [e.id, e.state])).toEqual([
      ['mug_3', { inside: 'cabinet_2' }],
      ['ball_1', {}],
    ]);
    const mug = out[0];
    // Seen from where the agent stands now: (1, 0, 0), eye 1.25 m up, looking along -z; the mug is at (1, 0.8, 2).
    expect(mug).toMatchObject({ kind: 'object', category: 'mug', color: 'red', room: 'bathroom_1', height: 0.8, position: [1, 0.8, 2] });
    expect(mug?.distance).toBeCloseTo(Math.hypot(0, 0.45, 2), 3);
    expect(Math.abs(mug?.bearing ?? 0)).toBeCloseTo(Math.PI, 3);
    expect(rememberedSightings(records, observation, 'e1-revisit-1000004').map((e) => e.id)).toEqual(['can_1']);
  });
});

describe('what the records say of the containers looked into', () => {
  it('lists the containers earlier episodes opened, of this floor plan, in the order first opened', () => {
    const records = [
      record('event', 'Opened blue cabinet (cabinet_2) in bathroom_1: inside red mug (mug_3).', ['cabinet_2', 'mug_3']),
      record('event', 'Opened blue cabinet (cabinet_2) in bathroom_1: nothing inside in sight.', ['cabinet_2']),
      // Another house's cabinet_2 was red; a table does not open; a sighting of the cabinet is not a look inside.
      record('event', 'Opened red cabinet (cabinet_2) in bathroom_1: nothing inside in sight.', ['cabinet_2'], 'e0-revisit-1000000'),
      record('event', 'Opened white table (table_1) in kitchen_1: nothing inside in sight.', ['table_1']),
      record('observation', 'blue cabinet (cabinet_2) in bathroom_1, open', ['cabinet_2']),
    ];
    expect(rememberedSearches(records, observation, null)).toEqual(['cabinet_2']);
    expect(rememberedSearches(records.slice(2), observation, null)).toEqual([]);
    // Known by id only, and the current episode's own.
    const bare = [record('event', 'Opened cabinet_2: nothing inside in sight.', ['cabinet_2'], 'e2-revisit-1000005')];
    expect(rememberedSearches(bare, observation, null)).toEqual(['cabinet_2']);
    expect(rememberedSearches(bare, observation, 'e2-revisit-1000005')).toEqual([]);
  });
});

/** The oracle, keeping every context it was given. */
class WatchedOracle implements Planner {
  readonly name = 'oracle';
  readonly contexts: PlannerContext[] = [];
  private readonly oracle: OraclePlanner;
  constructor(env: ReturnType<typeof familyEnv>) {
    this.oracle = new OraclePlanner(env);
  }
  decide(context: PlannerContext): Promise<Decision> {
    this.contexts.push(context);
    return this.oracle.decide(context);
  }
}

async function visit(seed: number, memory?: LoopMemory): Promise<{ result: EpisodeResult; planner: WatchedOracle; thoughts: string[] }> {
  const env = familyEnv('revisit', { maxSteps: 40 });
  const planner = new WatchedOracle(env);
  const thoughts: string[] = [];
  const result = await runEpisode({ env, planner, seed, memory, onEvent: (e) => (e.type === 'decision' ? thoughts.push(e.decision.thought) : undefined) });
  return { result, planner, thoughts };
}

/** The target of a revisit episode and the container it is hidden in. */
function targetOf(seed: number): { id: string; container: string } {
  const { description, task } = makeEpisode('revisit', seed);
  const id = task.targets[0];
  const placement = description.objects.find((x) => x.id === id)?.placement;
  if (id === undefined || placement === undefined || !('in' in placement)) throw new Error('no hidden target');
  return { id, container: placement.in };
}

describe('remembered sightings in the loop and the oracle', () => {
  const target = targetOf(VISIT_1);
  // The second visit without a memory, run once.
  let plain: Promise<Awaited<ReturnType<typeof visit>>> | undefined;
  const withoutMemory = (): Promise<Awaited<ReturnType<typeof visit>>> => (plain ??= visit(VISIT_1));

  it('seeds seenBefore on the next visit with what an earlier one saw, shown as last seen in its container', async () => {
    const memory = AgentMemory.inMemory({ acrossEpisodes: true });
    await visit(VISIT_0, loopMemory(memory, 'prompt'));
    const second = await visit(VISIT_1, loopMemory(memory, 'prompt'));
    const first = second.planner.contexts[0];
    const remembered = first?.seenBefore?.find((e) => e.id === target.id);
    expect(remembered?.state).toEqual({ inside: target.container });
    const prompt = renderPrompt(first as PlannerContext, { format: 2 }).text;
    expect(prompt).toMatch(/Named in the task:\n[a-z ]+ #\d+: not in sight, last seen in #\d+\n/);
    expect(renderPrompt(first as PlannerContext, { format: 3 }).text).toMatch(/Named in the task:\n[a-z ]+ #\d+: not in sight, last seen in the [a-z ]+ #\d+\n/);
    // Where it was remembered heads the Unsearched containers, although the first visit looked into it.
    expect(first?.recalled?.map((e) => e.id)).toContain(target.id);
    expect(first?.searchedBefore).toContain(target.container);
    expect(unsearchedPlaces(first as PlannerContext).containers[0]?.id).toBe(target.container);
    // Once the agent has gone there, the sighting is spent: what it sees there is the news, and the search goes on.
    const there = second.planner.contexts[1];
    expect(there?.history.at(-1)?.action).toBe(`goto(${target.container})`);
    expect(there?.seenBefore?.some((e) => e.id === target.id)).toBe(false);
    expect(there?.recalled?.some((e) => e.id === target.id)).toBe(false);
    // The oracle goes straight there, says why, and needs fewer steps than without a memory.
    expect(second.thoughts[0]).toContain('I remember it in');
    expect(second.planner.contexts.length).toBeGreaterThan(0);
    const without = await withoutMemory();
    expect(second.result.success).toBe(true);
    expect(without.result.success).toBe(true);
    expect(second.result.steps).toBeLessThan(without.result.steps);
  });

  it('leaves the containers an earlier visit opened out of Unsearched: a search for something not seen skips them', async () => {
    // House 250000: the first visit finds its object in the fridge, the first container; the second visit's object
    // was never seen (measured: 15 steps without a memory, 11 with).
    const memory = AgentMemory.inMemory({ acrossEpisodes: true });
    await visit(1_000_000, loopMemory(memory, 'prompt'));
    const second = await visit(1_000_001, loopMemory(memory, 'prompt'));
    const first = second.planner.contexts[0] as PlannerContext;
    expect(first.searchedBefore).toEqual(['fridge_1']);
    expect(first.seenBefore?.some((e) => e.id === targetOf(1_000_001).id)).toBe(false);
    const all = unsearchedPlaces({ ...first, searchedBefore: [] }).containers.map((l) => l.id);
    expect(all).toContain('fridge_1');
    expect(unsearchedPlaces(first).containers.map((l) => l.id)).toEqual(all.filter((id) => id !== 'fridge_1'));
    expect(renderPrompt(first).text).not.toMatch(/Unsearched containers:.*fridge/);
    const without = await visit(1_000_001);
    expect(second.result.success && without.result.success).toBe(true);
    expect(second.result.steps).toBeLessThan(without.result.steps);
    expect(second.thoughts.some((t) => t.includes('fridge_1'))).toBe(false);
  });

  it('seeds nothing in record mode, nor from a memory that does not span episodes', async () => {
    for (const [acrossEpisodes, mode] of [[true, 'record'], [false, 'prompt']] as [boolean, MemoryMode][]) {
      const memory = AgentMemory.inMemory({ acrossEpisodes });
      await visit(VISIT_0, loopMemory(memory, mode));
      const second = await visit(VISIT_1, loopMemory(memory, mode));
      expect(second.planner.contexts[0]?.seenBefore).toEqual([]);
      expect(second.planner.contexts[0]?.searchedBefore).toEqual([]);
      const without = await withoutMemory();
      expect(second.result).toEqual(without.result);
    }
  });

  it('sends a goto to a thing recalled, and not seen in this episode, to where it was recalled', async () => {
    // A planner that asks for the thing itself, as a model that remembers it might ("goto the black apple").
    const goToTarget: Planner = {
      name: 'goto-target',
      decide: () => Promise.resolve({ thought: '', action: { kind: 'goto', target: target.id }, raw: '', stats: {} }),
    };
    const firstStep = async (memory?: LoopMemory): Promise<{ decided: Action | null; done: Action | null; outcome: Outcome }> => {
      const events: LoopEvent[] = [];
      await runEpisode({ env: familyEnv('revisit', { maxSteps: 1 }), planner: goToTarget, seed: VISIT_1, memory, onEvent: (e) => events.push(e) });
      const decision = events.find((e) => e.type === 'decision');
      const end = events.find((e) => e.type === 'action-end');
      if (decision?.type !== 'decision' || end?.type !== 'action-end') throw new Error('no step');
      return { decided: decision.decision.action, done: end.action, outcome: end.outcome };
    };
    const memory = AgentMemory.inMemory({ acrossEpisodes: true });
    await visit(VISIT_0, loopMemory(memory, 'prompt'));
    const recalled = await firstStep(loopMemory(memory, 'prompt'));
    // The decision keeps what the planner chose; the step is the goto to the container, and it succeeds.
    expect(recalled.decided).toEqual({ kind: 'goto', target: target.id });
    expect(recalled.done).toEqual({ kind: 'goto', target: target.container });
    expect(recalled.outcome.ok).toBe(true);
    // Without a memory the thing has not been seen: the same goto fails, as the skills say.
    const plainStep = await firstStep();
    expect(plainStep.done).toEqual({ kind: 'goto', target: target.id });
    expect(plainStep.outcome).toMatchObject({ ok: false, reason: 'not_visible' });
  });

  it('leaves every other action alone: not a goto, or a goto to a thing not recalled', () => {
    const apple = seen('apple_1', { inside: 'drawer_1' });
    const mug = seen('mug_2', { on_top_of: 'table_1' });
    expect(towardRecalled({ kind: 'goto', target: 'apple_1' }, [mug, apple])).toEqual({ kind: 'goto', target: 'drawer_1' });
    expect(towardRecalled({ kind: 'goto', target: 'mug_2' }, [mug, apple])).toEqual({ kind: 'goto', target: 'table_1' });
    expect(towardRecalled({ kind: 'goto', target: 'cup_3' }, [mug, apple])).toEqual({ kind: 'goto', target: 'cup_3' });
    expect(towardRecalled({ kind: 'pick', object: 'apple_1' }, [apple])).toEqual({ kind: 'pick', object: 'apple_1' });
    // A sighting with no place (on the floor) gives the goto nowhere else to go.
    expect(towardRecalled({ kind: 'goto', target: 'apple_1' }, [seen('apple_1', {})])).toEqual({ kind: 'goto', target: 'apple_1' });
  });

  it('a stale memory costs a look in the wrong place, then the search goes on and succeeds', async () => {
    const env = familyEnv('revisit');
    const reset = env.reset({ seed: VISIT_1 });
    // Another container of the house, as if the object had been seen there.
    const wrong = reset.obs.landmarks.find((l) => l.openable && l.holds && l.id !== target.container);
    if (!wrong) throw new Error('the house has one container only');
    const memory = AgentMemory.inMemory({ acrossEpisodes: true });
    const stale: LoopMemory = {
      episodeStart: (info) => memory.episodeStart(info),
      observe: (step, obs, t) => memory.observe(step, obs, t),
      recall: (request) => memory.recall(request),
      outcome: (step, action, outcome, obs, t) => memory.outcome(step, action, outcome, obs, t),
      episodeEnd: (result, t) => memory.episodeEnd(result, t),
      remembered: () => {
        const o = env.world.object(target.id);
        if (!o) throw new Error('no target');
        return [{ ...seen(target.id, { inside: wrong.id }, wrong.room, o.category, o.color) }];
      },
    };
    const run = await visit(VISIT_1, stale);
    expect(run.thoughts[0]).toContain(`I remember it in ${wrong.id}`);
    expect(run.result.success).toBe(true);
    expect(run.thoughts.some((t) => t.includes(`is not in ${wrong.id}`))).toBe(true);
  });
});
