// Scripted scenarios (scenes/scripted.ts): events fire at the stated steps inside the task's update, the
// scenario's predicates decide the outcome, setInstruction reaches the observation and the planner, a scripted
// episode snapshots and restores bit for bit, the shipped examples run with the oracle, and bad definitions and
// bad action arguments are refused with errors that say where.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runEpisode, type LoopEvent } from '../../agent/loop.ts';
import type { Decision, Planner, PlannerContext } from '../../agent/planner.ts';
import { OraclePlanner } from '../../agent/planners/oracle.ts';
import {
  defineScenario,
  isScriptedScenario,
  ScenarioDefinitionError,
  ScenarioError,
  type ScenarioDefinition,
  type ScriptedScenario,
  type ScriptedTask,
} from '../../scenes/scripted.ts';
import { goalTaskOf } from '../../scenes/task.ts';
import { Env, type EnvSnapshot } from '../../sim/env.ts';
import { relationOf } from '../../sim/relations.ts';
import type { Action } from '../../sim/types.ts';
import { twoRooms } from '../fixtures/scenes.ts';

const EXAMPLES = join(dirname(fileURLToPath(import.meta.url)), '../../scenes/scenarios/examples');

/** Plays a fixed list of actions, then says something harmless; records the contexts it was given. */
class ListPlanner implements Planner {
  readonly name = 'list';
  readonly contexts: PlannerContext[] = [];
  private i = 0;
  constructor(private readonly actions: Action[]) {}
  reset(): void {
    this.i = 0;
  }
  async decide(context: PlannerContext): Promise<Decision> {
    this.contexts.push(context);
    const action = this.actions[this.i++] ?? { kind: 'say', text: 'waiting' };
    return { thought: '', action, raw: '', stats: {} };
  }
}

const PICK_MUG: Action[] = [
  { kind: 'goto', target: 'table_1' },
  { kind: 'pick', object: 'mug_1' },
];

/** A scenario on the hand-written two-room scene: pick up the red mug. */
function twoRoomScenario(extra: Partial<ScenarioDefinition> = {}): ScriptedScenario {
  return defineScenario({
    name: 'two-rooms-test',
    seeds: [0],
    maxSteps: 8,
    scene: {
      label: 'two-rooms',
      build: () => ({ description: twoRooms(), instruction: 'Pick up the red mug.', goals: [{ kind: 'holding', object: 'mug_1' }] }),
    },
    ...extra,
  } as ScenarioDefinition);
}

function envOf(s: ScriptedScenario, family = s.families[0] ?? ''): Env {
  return new Env((seed) => s.makeEpisode(family, seed), { maxSteps: s.maxSteps });
}

const scripted = (env: Env): ScriptedTask => env.task as ScriptedTask;

describe('scripted events', () => {
  it('fire at the stated steps, in the at, when and at + when forms, before that step is observed', async () => {
    const fired: Record<string, number> = {};
    const mark = (name: string) => (ctx: { step: number }) => {
      fired[name] = ctx.step;
    };
    const s = twoRoomScenario({
      maxSteps: 6,
      events: [
        { name: 'at-reset', at: 0, do: mark('at-reset') },
        { name: 'at-two', at: 2, do: mark('at-two') },
        { name: 'when-holding', when: (ctx) => ctx.holding() === 'mug_1', do: mark('when-holding') },
        { name: 'at-four-when-holding', at: 4, when: (ctx) => ctx.holding() === 'mug_1', do: mark('at-four-when-holding') },
        { name: 'never', when: () => false, do: mark('never') },
        { name: 'relabel', at: 3, do: (ctx) => ctx.setInstruction(`step ${ctx.step}: keep holding it`) },
      ],
      // Never succeed, so the episode runs its whole budget.
      success: () => false,
    });
    const env = envOf(s);
    const planner = new ListPlanner(PICK_MUG);
    const observations: LoopEvent[] = [];
    const result = await runEpisode({ env, planner, seed: s.seeds[0] ?? 0, onEvent: (e) => e.type === 'observation' && observations.push(e) });
    expect(env.world.robot.held?.id).toBe('mug_1');
    // goto at step 1, pick at step 2: holding from step 2 on.
    expect(fired).toEqual({ 'at-reset': 0, 'at-two': 2, 'when-holding': 2, 'at-four-when-holding': 4 });
    expect(scripted(env).firedAt).toEqual({ 'at-reset': 0, 'at-two': 2, 'when-holding': 2, relabel: 3, 'at-four-when-holding': 4 });
    expect(result.metrics.custom).toEqual({
      'fired:at-reset': 1,
      'fired:at-two': 1,
      'fired:when-holding': 1,
      'fired:at-four-when-holding': 1,
      'fired:never': 0,
      'fired:relabel': 1,
    });
    // The observation of step 3 already carries what the event of step 3 did.
    const instructions = observations.map((e) => (e.type === 'observation' ? `${e.step}:${e.observation.instruction}` : ''));
    expect(instructions).toEqual(['0:Pick up the red mug.', '1:Pick up the red mug.', '2:Pick up the red mug.', '3:step 3: keep holding it', '4:step 3: keep holding it', '5:step 3: keep holding it', '6:step 3: keep holding it']);
    expect(result).toMatchObject({ success: false, truncated: true, steps: 6 });
  });

  it('change the world: an object moved, a door closed, the object taken from the hand, all at rest', () => {
    const s = twoRoomScenario({
      maxSteps: 10,
      events: [
        { name: 'move-book', at: 0, do: (ctx) => ctx.moveObject('book_1', 'table_1') },
        { name: 'open-fridge', at: 0, do: (ctx) => ctx.setOpenness('fridge_1', 1) },
        { name: 'close-fridge', at: 1, do: (ctx) => ctx.setOpenness('fridge_1', 0) },
        { name: 'take-mug', when: (ctx) => ctx.holding() !== null, do: (ctx) => void ctx.takeFromHand('shelf_1') },
        { name: 'to-the-mat', at: 3, do: (ctx) => ctx.moveObject('mug_1', 'mat_1') },
      ],
      success: () => false,
    });
    const env = envOf(s);
    env.reset({ seed: s.seeds[0] ?? 0 });
    const fridge = env.world.furniture('fridge_1');
    const book = env.world.object('book_1');
    expect(fridge?.openness).toBe(1);
    expect(book && Math.hypot(book.body.velocity.x, book.body.velocity.y, book.body.velocity.z)).toBeLessThan(0.05);
    expect(goalTaskOf(env.task)).not.toBeNull();
    const where = (id: string): string | undefined => {
      const o = env.world.object(id);
      return o && relationOf(env.world, o).on_top_of;
    };
    expect(where('book_1')).toBe('table_1');
    env.step({ kind: 'goto', target: 'table_1' });
    expect(fridge?.openness).toBe(0);
    const pick = env.step({ kind: 'pick', object: 'mug_1' });
    expect(pick.info.outcome.ok).toBe(true);
    // Taken out of the hand straight away (the same step), and put on the shelf.
    expect(pick.obs.holding).toBeNull();
    expect(env.world.robot.held).toBeNull();
    expect(scripted(env).firedAt['take-mug']).toBe(2);
    expect(where('mug_1')).toBe('shelf_1');
    env.step({ kind: 'say', text: 'hm' });
    expect(where('mug_1')).toBe('mat_1');
    const mug = env.world.object('mug_1');
    expect(mug && Math.hypot(mug.body.velocity.x, mug.body.velocity.y, mug.body.velocity.z)).toBeLessThan(0.05);
    expect(scripted(env).firedAt).toEqual({ 'move-book': 0, 'open-fridge': 0, 'close-fridge': 1, 'take-mug': 2, 'to-the-mat': 3 });
  });
});

describe("the scenario's predicates", () => {
  it('a custom success predicate makes the episode succeed', async () => {
    const s = twoRoomScenario({
      events: [{ name: 'bell', at: 2, do: () => {} }],
      success: (ctx) => ctx.fired('bell'),
    });
    const env = envOf(s);
    const result = await runEpisode({ env, planner: new ListPlanner([]), seed: s.seeds[0] ?? 0 });
    expect(result).toMatchObject({ success: true, terminated: true, truncated: false, steps: 2, failureReason: null });
    expect(env.world.robot.held).toBeNull(); // the goals (holding the mug) were never met
  });

  it('a custom failure predicate makes the episode fail', async () => {
    const s = twoRoomScenario({
      failure: (ctx) => (ctx.holding() === 'mug_1' ? 'touched the mug' : null),
      success: () => false,
    });
    const result = await runEpisode({ env: envOf(s), planner: new ListPlanner(PICK_MUG), seed: s.seeds[0] ?? 0 });
    expect(result).toMatchObject({ success: false, terminated: true, steps: 2, failureReason: 'touched the mug' });
  });

  it('without predicates the goals decide, through the oracle', async () => {
    const s = twoRoomScenario({ metrics: { seen_mug: (ctx) => (ctx.hasSeen('mug_1') ? 1 : 0), steps: (ctx) => ctx.step } });
    const env = envOf(s);
    const result = await runEpisode({ env, planner: new OraclePlanner(env), seed: s.seeds[0] ?? 0 });
    expect(result.success).toBe(true);
    expect(result.metrics.custom).toEqual({ seen_mug: 1, steps: result.steps });
  });
});

describe('setInstruction', () => {
  it('changes the observed instruction, the planner context and the goals', async () => {
    const newGoals = [{ kind: 'on' as const, object: 'mug_1', receptacle: 'mat_1' }];
    const s = twoRoomScenario({
      maxSteps: 5,
      events: [{ name: 'change', at: 2, do: (ctx) => ctx.setInstruction('Now bring the red mug to the green mat.', newGoals, 'all') }],
    });
    const env = envOf(s);
    const planner = new ListPlanner([{ kind: 'goto', target: 'table_1' }]);
    const result = await runEpisode({ env, planner, seed: s.seeds[0] ?? 0 });
    expect(planner.contexts.map((c) => c.instruction)).toEqual([
      'Pick up the red mug.',
      'Pick up the red mug.',
      'Now bring the red mug to the green mat.',
      'Now bring the red mug to the green mat.',
      'Now bring the red mug to the green mat.',
    ]);
    expect(planner.contexts.map((c) => c.observation.instruction)).toEqual(planner.contexts.map((c) => c.instruction));
    expect(result.instruction).toBe('Pick up the red mug.'); // the instruction at reset
    const base = goalTaskOf(env.task);
    expect(base?.goals).toEqual(newGoals);
    expect(base?.mode).toBe('all');
    expect(env.task.targets).toEqual(['mug_1', 'mat_1']);
  });

  it('with new goals, the oracle follows them to success', async () => {
    const s = twoRoomScenario({
      maxSteps: 20,
      events: [
        {
          name: 'change',
          when: (ctx) => ctx.holding() === 'mug_1',
          do: (ctx) => ctx.setInstruction('Put it on the green mat instead.', [{ kind: 'on', object: 'mug_1', receptacle: 'mat_1' }]),
        },
      ],
      success: (ctx) => ctx.fired('change') && ctx.goalsAchieved() === ctx.goals.length,
    });
    const env = envOf(s);
    const result = await runEpisode({ env, planner: new OraclePlanner(env), seed: s.seeds[0] ?? 0 });
    expect(result.success).toBe(true);
    expect(env.world.object('mug_1') && env.world.robot.held).toBeNull();
  });
});

describe('snapshot and restore', () => {
  it('reproduce the state hashes of an uninterrupted scripted run, from mid-episode after an event', async () => {
    const { default: scenario } = (await import(pathToFileURL(join(EXAMPLES, 'door-closed-and-dropped.ts')).href)) as { default: ScriptedScenario };
    const family = scenario.families[0] ?? '';
    const seed = scenario.seeds[1] ?? 0;
    const env = envOf(scenario, family);
    const actions: Action[] = [];
    const hashes: string[] = [];
    const result = await runEpisode({
      env,
      planner: new OraclePlanner(env),
      seed,
      onEvent: (e) => {
        if (e.type === 'episode-start') hashes.push(e.stateHash);
        if (e.type === 'action-start') actions.push(e.action);
        if (e.type === 'action-end') hashes.push(e.stateHash);
      },
    });
    expect(result.success).toBe(true);
    const fired = scripted(env).firedAt;
    const dropped = fired['take-from-hand'];
    const closed = fired['close-container'];
    expect(dropped).toBeDefined();
    expect(closed).toBeGreaterThan(dropped ?? Infinity);
    expect(actions.length).toBe(result.steps);

    // Replay to just after the first event, snapshot (through JSON), continue in a fresh env.
    const k = (dropped ?? 0) + 1;
    const first = envOf(scenario, family);
    expect(first.reset({ seed }).info.stateHash).toBe(hashes[0]);
    for (let i = 0; i < k; i++) expect(first.step(actions[i] as Action).info.stateHash).toBe(hashes[i + 1]);
    const snapshot = JSON.parse(JSON.stringify(first.snapshot())) as EnvSnapshot;
    const fresh = envOf(scenario, family);
    fresh.restore(snapshot);
    expect(fresh.stateHash()).toBe(hashes[k]);
    expect(scripted(fresh).firedAt).toEqual({ 'take-from-hand': dropped });
    const rest = actions.slice(k).map((a) => fresh.step(a));
    expect(rest.map((r) => r.info.stateHash)).toEqual(hashes.slice(k + 1));
    expect(rest[rest.length - 1]?.info.success).toBe(true);
    expect(scripted(fresh).firedAt).toEqual(fired);

    // And back into the env that ran on: it rewinds.
    first.restore(snapshot);
    expect(first.stateHash()).toBe(hashes[k]);
    expect(first.step(actions[k] as Action).info.stateHash).toBe(hashes[k + 1]);
  });

  it('restore replaced goals and the instruction', () => {
    const s = twoRoomScenario({
      maxSteps: 6,
      events: [
        { name: 'change', at: 1, do: (ctx) => ctx.setInstruction('Open the fridge.', [{ kind: 'open', container: 'fridge_1' }]) },
        { name: 'count', at: 0, do: (ctx) => void (ctx.vars.n = 7) },
      ],
    });
    const env = envOf(s);
    env.reset({ seed: s.seeds[0] ?? 0 });
    const beforeChange = env.snapshot();
    env.step({ kind: 'say', text: 'ok' });
    const afterChange = JSON.parse(JSON.stringify(env.snapshot())) as EnvSnapshot;
    const hash = env.stateHash();
    const other = envOf(s);
    other.restore(afterChange);
    expect(other.stateHash()).toBe(hash);
    expect(other.observe().instruction).toBe('Open the fridge.');
    expect(goalTaskOf(other.task)?.goals).toEqual([{ kind: 'open', container: 'fridge_1' }]);
    other.restore(beforeChange);
    expect(other.observe().instruction).toBe('Pick up the red mug.');
    expect(goalTaskOf(other.task)?.goals).toEqual([{ kind: 'holding', object: 'mug_1' }]);
    expect(scripted(other).state().vars).toBe('{"n":7}');
  });
});

describe('the shipped examples', () => {
  const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.ts')).sort();

  it('are the three documented ones', () => {
    expect(files).toEqual(['changed-mind.ts', 'door-closed-and-dropped.ts', 'moved-while-away.ts']);
  });

  const expectedFired: Record<string, string[]> = {
    'changed-mind.ts': ['fired:change-mind'],
    'door-closed-and-dropped.ts': ['fired:take-from-hand', 'fired:regrasped', 'fired:close-container'],
    'moved-while-away.ts': ['fired:move-target'],
  };

  it.each(files)('%s loads and the oracle solves its first episode', async (file) => {
    const module = (await import(pathToFileURL(join(EXAMPLES, file)).href)) as { default: unknown };
    const scenario = module.default;
    expect(isScriptedScenario(scenario)).toBe(true);
    if (!isScriptedScenario(scenario)) return;
    expect(scenario.planner).toBe('oracle');
    const family = scenario.families[0] ?? '';
    const seed = scenario.seeds[0] ?? 0;
    const env = envOf(scenario, family);
    const result = await runEpisode({ env, planner: new OraclePlanner(env), seed });
    expect(result.success, `${file}: ${result.failureReason ?? ''}`).toBe(true);
    for (const metric of expectedFired[file] ?? []) expect(result.metrics.custom[metric], metric).toBe(1);
    expect(Object.values(result.metrics.custom).every(Number.isFinite)).toBe(true);
  });
});

describe('defineScenario', () => {
  const scene = { label: 'x', build: () => ({ description: twoRooms(), instruction: 'Pick up the red mug.', goals: [{ kind: 'holding' as const, object: 'mug_1' }] }) };
  const refuse = (definition: unknown, ...parts: string[]): ScenarioDefinitionError => {
    let error: unknown = null;
    try {
      defineScenario(definition as ScenarioDefinition);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ScenarioDefinitionError);
    const message = (error as Error).message;
    for (const part of parts) expect(message).toContain(part);
    return error as ScenarioDefinitionError;
  };

  it('applies the defaults and makes absolute seeds', () => {
    const s = defineScenario({ name: 'ok', families: 'all', seeds: { start: 5, count: 2 } });
    expect(s).toMatchObject({ name: 'ok', description: undefined, split: 'test', maxSteps: 40, planner: 'oracle', seeds: [1_000_005, 1_000_006], events: [] });
    expect(s.families).toContain('chain');
    expect(defineScenario({ name: 'h', split: 'heldout', scene, seeds: [3, 1] }).seeds).toEqual([2_000_003, 2_000_001]);
    expect(isScriptedScenario(s)).toBe(true);
    for (const v of [null, 1, 'x', {}, { name: 'a', makeEpisode: () => null }]) expect(isScriptedScenario(v)).toBe(false);
  });

  it('refuses unknown families, bad seeds, both or neither of families and scene', () => {
    refuse({ name: 'a', families: ['fetch', 'fetchh'], seeds: [0] }, 'defineScenario("a")', 'families[1]', 'unknown task family "fetchh"');
    refuse({ name: 'a', families: 'some', seeds: [0] }, 'families', 'expected "all"');
    refuse({ name: 'a', families: ['fetch'], seeds: { start: -1, count: 2 } }, 'seeds.start');
    refuse({ name: 'a', families: ['fetch'], seeds: [] }, 'seeds');
    refuse({ name: 'a', families: ['fetch'], seeds: [1, 1] }, 'seeds', 'unique');
    refuse({ name: 'a', families: ['fetch'], seeds: 3 }, 'seeds', 'expected {start, count}');
    refuse({ name: 'a', families: ['fetch'], scene, seeds: [0] }, 'scene', 'not both');
    refuse({ name: 'a', seeds: [0] }, 'families', 'either `families`');
  });

  it('refuses bad events, metrics, unknown keys and wrong types, listing every problem', () => {
    const error = refuse(
      {
        name: 'b',
        scene,
        seeds: [0],
        maxSteps: 10,
        events: [
          { name: 'e', at: 1, do: () => {} },
          { name: 'e', at: 11, do: () => {} },
          { name: 'f', do: () => {} },
        ],
        metrics: { 'fired:e': () => 1 },
      },
      'events[1].name',
      'events[1].at',
      'beyond maxSteps',
      'events[2]',
      'give `at`',
      'metrics["fired:e"]',
    );
    expect(error.issues).toHaveLength(4);
    refuse({ name: 'c', scene, seeds: [0], sucess: () => true }, 'sucess', 'unknown key');
    refuse({ name: 'c', scene, seeds: [0], events: [{ name: 'e', at: 1, do: 'nothing' }] }, 'events[0].do', 'expected a function');
    refuse({ name: 'c', scene, seeds: [0], maxSteps: 0 }, 'maxSteps');
    refuse({ name: 'c', scene, seeds: [0], planner: 'gpt' }, 'planner', 'oracle');
    refuse({ name: '', scene, seeds: [0] }, 'defineScenario:', 'name');
  });

  it('refuses an episode label it does not have, and a custom scene that does not hold together', () => {
    const s = twoRoomScenario();
    expect(() => s.makeEpisode('fetch', 1_000_000)).toThrow(/no episodes labelled "fetch"/);
    const broken = defineScenario({
      name: 'broken',
      seeds: [0],
      scene: { label: 'b', build: () => ({ description: twoRooms(), instruction: 'Go.', goals: [{ kind: 'in', object: 'mug_1', container: 'table_1' }] }) },
    });
    expect(() => broken.makeEpisode('b', 1_000_000)).toThrow(/goals\[0\] \(in\): "table_1" is a table, not a container/);
    const invalid = defineScenario({
      name: 'invalid',
      seeds: [0],
      scene: { label: 'i', build: () => ({ description: { ...twoRooms(), rooms: [] }, instruction: 'Go.', goals: [{ kind: 'holding', object: 'mug_1' }] }) },
    });
    expect(() => invalid.makeEpisode('i', 1_000_000)).toThrow(ScenarioError);
  });
});

describe('actions', () => {
  const failing = (event: ScenarioDefinition['events']) => {
    const env = envOf(twoRoomScenario({ events: event }));
    let error: unknown = null;
    try {
      env.reset({ seed: 1_000_000 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ScenarioError);
    return (error as Error).message;
  };

  it('check their arguments and name the event and the problem', () => {
    expect(failing([{ name: 'mv', at: 0, do: (ctx) => ctx.moveObject('mug_9', 'table_1') }])).toMatch(/event "mv".*moveObject: no entity "mug_9"/);
    expect(failing([{ name: 'mv', at: 0, do: (ctx) => ctx.moveObject('table_1', 'shelf_1') }])).toMatch(/moveObject: "table_1" is a table, not an object/);
    expect(failing([{ name: 'mv', at: 0, do: (ctx) => ctx.moveObject('mug_1', 'apple_1') }])).toMatch(/"apple_1" is an object/);
    expect(failing([{ name: 'mv', at: 0, do: (ctx) => ctx.moveObject('mug_1', 'lamp_1') }])).toMatch(/nothing can be put on "lamp_1"/);
    expect(failing([{ name: 'shut', at: 0, do: (ctx) => ctx.setOpenness('table_1', 0) }])).toMatch(/event "shut".*setOpenness: "table_1" \(a table\) does not open/);
    expect(failing([{ name: 'shut', at: 0, do: (ctx) => ctx.setOpenness('fridge_1', 2) }])).toMatch(/openness must be a number in \[0, 1\], not 2/);
    expect(failing([{ name: 'say', at: 0, do: (ctx) => ctx.setInstruction('Go.', [{ kind: 'near', object: 'sofa_9' }]) }])).toMatch(/setInstruction: goals\[0\] \(near\): no entity "sofa_9"/);
    expect(failing([{ name: 'say', at: 0, do: (ctx) => ctx.setInstruction('') }])).toMatch(/setInstruction: expected the instruction's text/);
    expect(failing([{ name: 'peek', when: (ctx) => ctx.isVisible('ghost_1'), do: () => {} }])).toMatch(/event "peek" \(when\).*isVisible: no entity "ghost_1"/);
    expect(failing([{ name: 'sly', when: (ctx) => (ctx.moveObject('mug_1', 'shelf_1'), true), do: () => {} }])).toMatch(/only an event's do\(\) may change the world/);
    expect(failing([{ name: 'ask', at: 0, do: (ctx) => void ctx.fired('nope') }])).toMatch(/no event named "nope"/);
    expect(failing([{ name: 'oops', at: 0, do: () => { throw new RangeError('boom'); } }])).toMatch(/event "oops": RangeError: boom/);
    expect(failing([{ name: 'v', at: 0, do: (ctx) => void (ctx.vars.x = Number.NaN) }])).toMatch(/vars\.x must be a finite number/);
  });

  it('takeFromHand with an empty hand does nothing', () => {
    const env = envOf(twoRoomScenario({ events: [{ name: 'take', at: 0, do: (ctx) => void (ctx.vars.took = ctx.takeFromHand() ?? 'nothing') }] }));
    env.reset({ seed: 1_000_000 });
    expect(scripted(env).state().vars).toBe('{"took":"nothing"}');
  });
});
