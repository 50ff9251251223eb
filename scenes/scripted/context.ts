// The ScenarioContext a scenario's hooks are given: a small facade over the episode's World and the running task.
// It checks every argument (a bad one throws a ScenarioError naming the hook and the action), lets only an event's
// `do` change anything, and leaves the changes themselves to actions.ts. The task it runs in is seen through
// ContextHost, which ScriptedTask (task.ts) provides.
import type { Entity, ObjectEntity } from '../../sim/entities.ts';
import { relationOf } from '../../sim/relations.ts';
import { Rng } from '../../sim/rng.ts';
import type { World } from '../../sim/world.ts';
import { goalHolds, type Goal } from '../goals.ts';
import { GoalTask, type GoalMode } from '../task.ts';
import { moveObject, setOpenness, takeFromHand, type Receptacle } from './actions.ts';
import { describeValue, type ScenarioError } from './errors.ts';
import { checkedGoals, factsInWorld, ModeSchema } from './goal-checks.ts';

/** A value a scenario may keep in `ctx.vars` (JSON-safe, finite). */
export type ScenarioValue = number | string | boolean;

/**
 * What a scenario's hooks see and do: a small facade over the episode's World. Hooks run inside the task's update
 * (events and their `when`), or when the Env judges a step (`success`, `failure`), or once at the end (`metrics`).
 * Only an event's `do` may change the world (moveObject, setOpenness, takeFromHand, setInstruction); every action
 * checks its arguments and throws a ScenarioError naming the event and the problem.
 */
export interface ScenarioContext {
  /** Steps taken: 0 right after reset, n after the agent's n-th action. */
  readonly step: number;
  /** The episode's absolute seed. */
  readonly seed: number;
  /** The episode's label: its task family for generated episodes, the scene's label for a custom scene. */
  readonly family: string;
  /** The instruction the agent sees now (setInstruction changes it). */
  readonly instruction: string;
  /** The goals the episode is judged by now (setInstruction may replace them). */
  readonly goals: readonly Goal[];
  /** The entities the current goals are about, objects first (the generated target is `targets[0]`). */
  readonly targets: readonly string[];
  /** The raw World, for what this context does not cover. Change it in events only, and deterministically. */
  readonly world: World;
  /**
   * The scenario's own variables: read and write them in any hook (numbers, strings, booleans). They are part of
   * the task's state, so snapshots and state hashes include them.
   */
  readonly vars: Record<string, ScenarioValue>;
  /** A generator seeded by scenario, episode, step and hook: the same numbers in every run of the episode. */
  readonly rng: Rng;
  /** The id of the object the robot holds, or null. */
  holding(): string | null;
  /** Whether the agent sees the entity now (the default sensor, as in its observation; a held object is not seen). */
  isVisible(id: string): boolean;
  /** Whether the entity was visible in an observation the agent has received so far (reset included). */
  hasSeen(id: string): boolean;
  /** The furniture or mat an object rests on or is inside, or null (held, on the floor, or falling). */
  where(id: string): string | null;
  /** Whether a goal holds now (goals.ts goalHolds). */
  holds(goal: Goal): boolean;
  /** Goals achieved: kept progress in 'sequence' mode, goals holding in 'all' mode, as of the last update. */
  goalsAchieved(): number;
  /** Whether the named event has fired (the name must be one of the scenario's events). */
  fired(event: string): boolean;
  /** The step at which the named event fired, or null. */
  firedAt(event: string): number | null;
  /**
   * Event only. Put an object on (or, for a container, in) another piece of furniture or a mat: the free spot
   * nearest the middle of its lowest surface the eye can see onto, turned square to it; then half a second of
   * physics lets it settle. An object the robot holds is taken from its hand first.
   */
  moveObject(id: string, receptacleId: string): void;
  /**
   * Event only. Drive a door or drawer to an openness in [0, 1] (0 closes it) as the skills do, through physics:
   * the part pushes what is in its way and carries what is in a drawer.
   */
  setOpenness(furnitureId: string, openness: number): void;
  /**
   * Event only. Take the held object out of the robot's hand: the grip is released and the object is put down on
   * `receptacleId`, or else on the nearest piece of furniture with a free top (then the nearest mat). Returns the
   * object's id, or null (and does nothing) when the hand is empty.
   */
  takeFromHand(receptacleId?: string): string | null;
  /**
   * Event only. Change the instruction the agent sees from this step on, and with `goals` also what the episode is
   * judged by: a new goal task (progress starts again) in `mode` (default: the current mode).
   */
  setInstruction(text: string, goals?: readonly Goal[], mode?: GoalMode): void;
}

/** Which hook is running: for error messages, and because only an event's `do` may act. */
export type Hook =
  | { kind: 'event'; name: string }
  | { kind: 'when'; name: string }
  | { kind: 'success' }
  | { kind: 'failure' }
  | { kind: 'metric'; name: string };

export function hookLabel(h: Hook): string {
  switch (h.kind) {
    case 'event':
      return `event "${h.name}"`;
    case 'when':
      return `event "${h.name}" (when)`;
    case 'success':
      return 'success';
    case 'failure':
      return 'failure';
    case 'metric':
      return `metric "${h.name}"`;
  }
}

/** What a context reads and changes of the task it runs in. */
export interface ContextHost {
  /** The scenario's name. */
  readonly scenario: string;
  readonly family: string;
  readonly seed: number;
  /** Steps taken: 0 after reset. */
  readonly step: number;
  /** The instruction the agent sees now. */
  readonly instruction: string;
  /** The goal task the episode is judged by now, if it has one. */
  readonly goalTask: GoalTask<string> | null;
  readonly targets: readonly string[];
  /** The scenario's variables (the object itself: hooks write to it). */
  readonly vars: Record<string, ScenarioValue>;
  /** The names of the scenario's events, in order. */
  readonly events: readonly string[];
  /** The step at which an event fired, or undefined. */
  firedAt(event: string): number | undefined;
  /** The ids the agent sees now. */
  visibleIds(world: World): ReadonlySet<string>;
  /** Whether the agent has seen the entity in an observation so far. */
  hasSeen(id: string): boolean;
  /** An error saying where it happened (scenario, episode, step, hook). */
  error(hook: Hook, message: string): ScenarioError;
  /** An action changed the world: what the agent sees must be sensed again. */
  worldChanged(): void;
  /** The agent sees `text` from now on; with `goals`, the episode is judged by them from now on. */
  instruct(text: string, goals?: GoalTask<string>): void;
}

/** A fresh context for one hook call. */
export function makeContext(world: World, hook: Hook, host: ContextHost): ScenarioContext {
  const fail = (action: string, message: string): ScenarioError => host.error(hook, `${action}: ${message}`);
  const failing =
    (action: string) =>
    (message: string): ScenarioError =>
      fail(action, message);
  const entity = (action: string, id: unknown): Entity => {
    if (typeof id !== 'string') throw fail(action, `expected an entity id, not ${describeValue(id)}`);
    const e = world.entity(id);
    if (!e) throw fail(action, `no entity "${id}" in this scene`);
    return e;
  };
  const object = (action: string, id: unknown): ObjectEntity => {
    const e = entity(action, id);
    if (e.kind !== 'object') throw fail(action, `"${e.id}" is a ${e.category.replace(/_/g, ' ')}, not an object`);
    return e;
  };
  const receptacle = (action: string, id: unknown): Receptacle => {
    const e = entity(action, id);
    if (e.kind === 'object') throw fail(action, `"${e.id}" is an object; things go on furniture or mats`);
    if (world.surfacesOf(e).length === 0) throw fail(action, `nothing can be put on "${e.id}" (a ${e.category})`);
    return e;
  };
  const acting = (action: string): void => {
    if (hook.kind !== 'event') throw fail(action, `only an event's do() may change the world`);
  };
  const event = (action: string, name: unknown): string => {
    if (typeof name !== 'string' || !host.events.includes(name)) {
      throw fail(action, `no event named ${describeValue(name)} (events: ${host.events.join(', ') || 'none'})`);
    }
    return name;
  };
  let rng: Rng | null = null;
  return {
    get step() {
      return host.step;
    },
    seed: host.seed,
    family: host.family,
    get instruction() {
      return host.instruction;
    },
    get goals() {
      return host.goalTask?.goals ?? [];
    },
    get targets() {
      return host.targets;
    },
    world,
    get vars() {
      return host.vars;
    },
    get rng() {
      rng ??= new Rng(`${host.scenario}|${host.family}|${host.seed}|${host.step}|${hookLabel(hook)}`);
      return rng;
    },
    holding: () => world.robot.held?.id ?? null,
    isVisible: (id) => host.visibleIds(world).has(entity('isVisible', id).id),
    hasSeen: (id) => host.hasSeen(entity('hasSeen', id).id),
    where: (id) => {
      const rel = relationOf(world, object('where', id));
      return rel.inside ?? rel.on_top_of ?? null;
    },
    holds: (goal) => {
      const [checked] = checkedGoals([goal], (id) => factsInWorld(world, id), failing('holds'));
      return goalHolds(world, checked as Goal);
    },
    goalsAchieved: () => {
      const g = host.goalTask;
      return g ? g.achieved : 0;
    },
    fired: (name) => host.firedAt(event('fired', name)) !== undefined,
    firedAt: (name) => host.firedAt(event('firedAt', name)) ?? null,
    moveObject: (id, receptacleId) => {
      acting('moveObject');
      const o = object('moveObject', id);
      const r = receptacle('moveObject', receptacleId);
      moveObject(world, o, r, failing('moveObject'));
      host.worldChanged();
    },
    setOpenness: (furnitureId, openness) => {
      acting('setOpenness');
      const e = entity('setOpenness', furnitureId);
      if (e.kind !== 'furniture' || !e.model.part) throw fail('setOpenness', `"${e.id}" (a ${e.category}) does not open or close`);
      if (typeof openness !== 'number' || !(openness >= 0 && openness <= 1)) throw fail('setOpenness', `openness must be a number in [0, 1], not ${describeValue(openness)}`);
      setOpenness(world, e, openness);
      host.worldChanged();
    },
    takeFromHand: (receptacleId) => {
      acting('takeFromHand');
      const r = receptacleId === undefined ? null : receptacle('takeFromHand', receptacleId);
      const taken = takeFromHand(world, r, failing('takeFromHand'));
      if (!taken) return null;
      host.worldChanged();
      return taken.id;
    },
    setInstruction: (text, goals, mode) => {
      acting('setInstruction');
      if (typeof text !== 'string' || text.trim().length === 0) throw fail('setInstruction', `expected the instruction's text, not ${describeValue(text)}`);
      if (goals === undefined) {
        if (mode !== undefined) throw fail('setInstruction', 'a mode needs goals');
        host.instruct(text);
        return;
      }
      const checked = checkedGoals(goals, (id) => factsInWorld(world, id), failing('setInstruction'));
      const parsedMode = ModeSchema.safeParse(mode ?? host.goalTask?.mode ?? 'sequence');
      if (!parsedMode.success) throw fail('setInstruction', `mode must be "sequence" or "all", not ${describeValue(mode)}`);
      host.instruct(text, new GoalTask<string>(host.family, text, checked, parsedMode.data));
    },
  };
}
