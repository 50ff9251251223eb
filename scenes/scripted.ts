// Scripted evaluation scenarios: a TypeScript module whose default export is `defineScenario({...})`. A scenario
// runs a task family's generated episodes or a scene of its own, fires scripted events during the episode (move
// an object while the agent looks away, close a door, change the instruction, take the object out of the agent's
// hand), and may judge the episode with its own success and failure predicates and report its own metrics.
//
// Everything scripted lives inside the episode's Task: a ScriptedTask wraps the base GoalTask. The Env calls
// Task.update once at reset (step 0) and once after every step; the events fire there, before the observation of
// that step is made, so the Env alone reproduces a scripted episode (snapshots, state hashes, recording and
// replay know nothing of scripts). The task's state holds the step, the events fired and when, the instruction,
// replaced goals, what has been seen, the scenario's own variables and the base task's state.
import { z } from 'zod';
import type { SceneDescription } from '../sim/description.ts';
import type { EpisodeSetup, Task, TaskState } from '../sim/env.ts';
import type { Entity, FurnitureEntity, MarkerEntity, ObjectEntity } from '../sim/entities.ts';
import { furnitureModel } from '../sim/furniture.ts';
import { rotateYaw } from '../sim/geometry.ts';
import { rectDistance } from '../sim/regions.ts';
import { relationOf } from '../sim/relations.ts';
import { Rng } from '../sim/rng.ts';
import { ROBOT } from '../sim/robot.ts';
import { DEFAULT_SENSOR, Sensor } from '../sim/sensor.ts';
import type { Vec3 } from '../sim/types.ts';
import { World, type WorldSurface } from '../sim/world.ts';
import { isFamilyName, makeEpisode as makeFamilyEpisode } from './families.ts';
import { FAMILY_NAMES, PLANNER_NAMES, SPLITS, type FamilyName, type PlannerName, type Split } from './family-names.ts';
import { goalHolds, type Goal } from './goals.ts';
import { SCENARIO_LIMITS, SeedListSchema, SeedRangeSchema } from './scenario.ts';
import { strictObject } from './spec.ts';
import { seedOf } from './splits.ts';
import { GoalTask, goalTaskOf, type GoalMode, type GoalTaskWrapper } from './task.ts';
import { validateScene, ValidationError } from './validate.ts';

// What a scenario file needs besides defineScenario, so that it can import everything from 'umwelt/scenario'.
export type { SceneDescription } from '../sim/description.ts';
export type { World } from '../sim/world.ts';
export type { Rng } from '../sim/rng.ts';
export type { Goal } from './goals.ts';
export type { GoalMode } from './task.ts';
export type { FamilyName, PlannerName, Split } from './family-names.ts';
export { HouseBuilder } from './house.ts';
export { OBJECT_COLORS, OBJECT_KINDS } from './catalog.ts';

// ---- the public types ----------------------------------------------------------------------------------------

/** Brand of a scenario made by defineScenario (a registered symbol: the same in every copy of this module). */
export const SCRIPTED_SCENARIO: unique symbol = Symbol.for('umwelt.scripted-scenario');

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

/** A scripted event: fires at most once, inside the task's update, before the observation of that step. */
export interface ScriptedEvent {
  /** Unique within the scenario; names the event in errors and in the `fired:<name>` metric. */
  name: string;
  /**
   * Fire after step `at` (0 = right after reset, n = right after the agent's n-th action). With `when`, the
   * earliest step from which `when` is tried. At least one of `at` and `when` is required.
   */
  at?: number;
  /** Fire at the first step (at or after `at`) where this holds. Must not change the world. */
  when?: (ctx: ScenarioContext) => boolean;
  /** What happens: use the context's actions. */
  do: (ctx: ScenarioContext) => void;
}

/** What a custom scene's build returns: the world, and what the agent is asked to do in it. */
export interface SceneSetup {
  /** The scene: from a HouseBuilder (`house.build(name)`) or a literal; it is validated like a scene file. */
  description: SceneDescription;
  /** The instruction the agent sees at the start. */
  instruction: string;
  /** The goals the episode is judged by (unless the scenario's own `success` replaces them). */
  goals: Goal[];
  /** 'sequence' (in order, progress kept; the default) or 'all' (all at once). */
  mode?: GoalMode;
  /** Objects that start hidden in closed containers: the oracle searches for them instead of going straight there. */
  hidden?: string[];
}

/** A scene of the scenario's own, built per seed. */
export interface CustomScene {
  /** The episode label reports group this scene's episodes under (in place of a family name). */
  label: string;
  /**
   * Build the episode of a seed. `rng` is seeded by the scenario's name, the label and the seed: use it (never
   * Math.random) for anything that varies between seeds.
   */
  build(seed: number, rng: Rng): SceneSetup;
}

/** Seeds as in JSON scenarios: indices within the split, a range or a list. */
export type SeedSelection = { start: number; count: number } | readonly number[];

/** Everything a scenario may say besides where its episodes come from. */
export interface ScenarioDefinitionCommon {
  /** Shown in reports; unique within a suite. */
  name: string;
  /** What the scenario tests, for people. */
  description?: string;
  /** The seed split: 'train', 'test' (the default) or 'heldout'. */
  split?: Split;
  /** Seed indices within the split: `{ start, count }` or a list; episode seed = split base + index. */
  seeds: SeedSelection;
  /** Actions per episode before it is cut off (default 40). */
  maxSteps?: number;
  /** The planner that runs it unless the command line says otherwise (default 'oracle'). */
  planner?: PlannerName;
  /** Scripted events, tried in this order at every step. */
  events?: readonly ScriptedEvent[];
  /** Replaces the goals' success when given: the episode succeeds as soon as this holds after a step. */
  success?: (ctx: ScenarioContext) => boolean;
  /** Checked after every step besides the base task's own failures: a reason ends the episode as failed. */
  failure?: (ctx: ScenarioContext) => string | null;
  /**
   * The scenario's own metrics, evaluated once at the end of an episode (finite numbers). They appear, with
   * `fired:<event>` (1 or 0) for every event, in EpisodeMetrics.custom.
   */
  metrics?: Readonly<Record<string, (ctx: ScenarioContext) => number>>;
}

/** A scenario definition: generated episodes of task families, or a scene of its own (exactly one of the two). */
export type ScenarioDefinition = ScenarioDefinitionCommon &
  (
    | {
        /** Generated episodes (scenes/families.ts) of these task families, or 'all' of them. */
        families: readonly FamilyName[] | 'all';
        scene?: undefined;
      }
    | {
        /** A scene of the scenario's own. */
        scene: CustomScene;
        families?: undefined;
      }
  );

export interface ScriptedScenario {
  readonly [SCRIPTED_SCENARIO]: true;
  readonly name: string;
  readonly description: string | undefined;
  readonly split: Split;
  readonly maxSteps: number;
  readonly planner: PlannerName;
  /** Episode labels: family names for generated scenes, or the scenario's own label(s) for custom scenes. */
  readonly families: readonly string[];
  /** Absolute seeds in order (indices within the split, as in JSON scenarios: absolute = seedOf(split, index)). */
  readonly seeds: readonly number[];
  /** Names of the scripted events, in order. */
  readonly events: readonly string[];
  /** Build one episode; the returned task carries the scenario's events, predicates and metrics. */
  makeEpisode(family: string, seed: number): EpisodeSetup & { task: ScriptedTask };
}

/** A definition defineScenario refuses; `issues` lists every problem with the field it is about. */
export class ScenarioDefinitionError extends Error {
  override readonly name = 'ScenarioDefinitionError';
  constructor(
    readonly scenario: string | null,
    readonly issues: { path: string; message: string }[],
  ) {
    const head = scenario === null ? 'defineScenario' : `defineScenario(${JSON.stringify(scenario)})`;
    super(issues.length === 1 ? `${head}: ${issues[0]?.path}: ${issues[0]?.message}` : [`${head}:`, ...issues.map((i) => `  ${i.path}: ${i.message}`)].join('\n'));
  }
}

/** A problem while running a scenario: a bad argument to an action, a hook that threw or returned nonsense. */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
}

export function isScriptedScenario(value: unknown): value is ScriptedScenario {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<Record<PropertyKey, unknown>>;
  return v[SCRIPTED_SCENARIO] === true && typeof v.makeEpisode === 'function' && typeof v.name === 'string';
}

// ---- goals as data -------------------------------------------------------------------------------------------

const idString = z.string().min(1, { error: 'expected an entity id' });
const GoalSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('near'), object: idString }),
    z.strictObject({ kind: z.literal('holding'), object: idString }),
    z.strictObject({ kind: z.literal('on'), object: idString, receptacle: idString }),
    z.strictObject({ kind: z.literal('in'), object: idString, container: idString }),
    z.strictObject({ kind: z.literal('open'), container: idString }),
    z.strictObject({ kind: z.literal('closed'), container: idString }),
  ],
  { error: 'expected a goal: {kind: "near" | "holding" | "on" | "in" | "open" | "closed", ...}' },
);
const GoalsSchema = z.array(GoalSchema).min(1, { error: 'expected at least one goal' });
const ModeSchema = z.enum(['sequence', 'all'], { error: 'expected "sequence" or "all"' });

/** What a goal needs to know of an entity. */
interface EntityFacts {
  kind: Entity['kind'];
  category: string;
  /** A door or drawer. */
  openable: boolean;
  /** Things go in it (it has an interior). */
  container: boolean;
  /** Things go on it. */
  top: boolean;
}

function factsInWorld(world: World, id: string): EntityFacts | undefined {
  const e = world.entity(id);
  if (!e) return undefined;
  if (e.kind !== 'furniture') return { kind: e.kind, category: e.category, openable: false, container: false, top: e.kind === 'marker' };
  return { kind: 'furniture', category: e.category, openable: e.model.part !== null, container: e.model.interior !== null, top: e.model.surfaces.some((s) => s.kind === 'on') };
}

function factsInDescription(d: SceneDescription): (id: string) => EntityFacts | undefined {
  return (id) => {
    const f = d.furniture.find((x) => x.id === id);
    if (f) {
      const m = furnitureModel(f.category, f.size);
      return { kind: 'furniture', category: f.category, openable: m.part !== null, container: m.interior !== null, top: m.surfaces.some((s) => s.kind === 'on') };
    }
    const mat = d.markers.find((x) => x.id === id);
    if (mat) return { kind: 'marker', category: mat.category, openable: false, container: false, top: true };
    const o = d.objects.find((x) => x.id === id);
    return o ? { kind: 'object', category: o.category, openable: false, container: false, top: false } : undefined;
  };
}

/** Why a goal cannot be about these entities, or null. */
function goalProblem(facts: (id: string) => EntityFacts | undefined, g: Goal): string | null {
  const need = (id: string, what: string, ok: (f: EntityFacts) => boolean): string | null => {
    const f = facts(id);
    if (!f) return `no entity "${id}" in this scene`;
    return ok(f) ? null : `"${id}" is a ${f.category.replace(/_/g, ' ')}, not ${what}`;
  };
  const object = (id: string): string | null => need(id, 'an object', (f) => f.kind === 'object');
  switch (g.kind) {
    case 'near':
    case 'holding':
      return object(g.object);
    case 'on':
      return object(g.object) ?? need(g.receptacle, 'something with a top to put things on', (f) => f.top);
    case 'in':
      return object(g.object) ?? need(g.container, 'a container', (f) => f.container);
    case 'open':
    case 'closed':
      return need(g.container, 'something that opens', (f) => f.openable);
  }
}

/** Goals checked for shape and against a scene's entities; throws `fail(message)`. */
function checkedGoals(value: unknown, facts: (id: string) => EntityFacts | undefined, fail: (message: string) => Error): Goal[] {
  const parsed = GoalsSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw fail(`goals${issue ? formatPath(issue.path) : ''}: ${issue?.message ?? 'invalid goals'}`);
  }
  const goals = parsed.data.map((g): Goal => ({ ...g }));
  goals.forEach((g, i) => {
    const problem = goalProblem(facts, g);
    if (problem) throw fail(`goals[${i}] (${g.kind}): ${problem}`);
  });
  return goals;
}

// ---- the world-changing actions ------------------------------------------------------------------------------

/** Physics steps an event's change is given to settle: half a second at the default rate. */
const SETTLE_STEPS = 30;
/** Surfaces above this the eye cannot see onto (as in the house builder). */
const VISIBLE_SURFACE_HEIGHT = 1.3;

interface Spot {
  surface: WorldSurface;
  position: Vec3;
}

/**
 * The free spot nearest the middle of the receptacle's lowest visible surface (then higher ones), or why there is
 * none: 'full', or 'robot' when only the robot (standing on a mat) is in the way.
 */
function freeSpot(world: World, o: ObjectEntity, receptacle: FurnitureEntity | MarkerEntity): Spot | 'full' | 'robot' {
  const wantIn = receptacle.kind === 'furniture' && receptacle.model.interior !== null;
  const surfaces = world
    .surfacesOf(receptacle)
    .filter((s) => s.kind === (wantIn ? 'in' : 'on'))
    .sort((a, b) => Number(a.center[1] > VISIBLE_SURFACE_HEIGHT) - Number(b.center[1] > VISIBLE_SURFACE_HEIGHT) || a.level - b.level);
  const [w, h, d] = o.desc.size;
  const height = o.desc.shape === 'sphere' ? w : h;
  const others = world.entityList.filter((x): x is ObjectEntity => x.kind === 'object' && x !== o && world.robot.held !== x);
  const robot = world.robot.position;
  const footprint = o.desc.shape === 'sphere' ? w / 2 : Math.hypot(w / 2, d / 2);
  let robotInTheWay = false;
  for (const s of surfaces) {
    if (height + 0.02 > clearanceAbove(world, receptacle, s)) continue;
    const hx = w / 2 + 0.01;
    const hz = d / 2 + 0.01;
    const ux = s.half[0] - hx;
    const uz = s.half[1] - hz;
    if (ux < 0 || uz < 0) continue;
    const step = 0.03;
    const nx = Math.floor(ux / step);
    const nz = Math.floor(uz / step);
    let best: { p: Vec3; d: number } | null = null;
    for (let ix = -nx; ix <= nx; ix++) {
      for (let iz = -nz; iz <= nz; iz++) {
        const dist = Math.hypot(ix, iz);
        if (best && dist >= best.d) continue;
        const [ox, oz] = rotateYaw(ix * step, iz * step, s.yaw);
        const p: Vec3 = [s.center[0] + ox, s.center[1] + o.halfHeight + 0.004, s.center[2] + oz];
        const overlaps = others.some((x) => {
          const q = x.body.position;
          if (Math.abs(q.y - p[1]) >= x.halfHeight + o.halfHeight + 0.02) return false;
          const r = (x.desc.shape === 'sphere' ? x.desc.size[0] / 2 : Math.hypot(x.desc.size[0] / 2, x.desc.size[2] / 2)) + 0.005;
          const [lx, lz] = rotateYaw(q.x - p[0], q.z - p[2], -s.yaw);
          return rectDistance(lx, lz, hx, hz) < r;
        });
        if (overlaps) continue;
        // Not into the robot (it may stand on a mat).
        if (p[1] < ROBOT.height + 0.1 && Math.hypot(p[0] - robot[0], p[2] - robot[2]) < ROBOT.radius + footprint + 0.05) {
          robotInTheWay = true;
          continue;
        }
        best = { p, d: dist };
      }
    }
    if (best) return { surface: s, position: best.p };
  }
  return robotInTheWay ? 'robot' : 'full';
}

/** Free height above a surface: up to the next board or the roof of the container (as placement.ts). */
function clearanceAbove(world: World, receptacle: FurnitureEntity | MarkerEntity, s: WorldSurface): number {
  if (receptacle.kind !== 'furniture') return 2;
  const above = world
    .surfacesOf(receptacle)
    .filter((t) => t.kind === s.kind && t.center[1] > s.center[1] + 1e-6)
    .map((t) => t.center[1] - 0.03);
  if (s.kind === 'in') above.push(receptacle.desc.size[1] - 0.03);
  return above.length ? Math.min(...above) - s.center[1] : 2;
}

/** Put an object at a spot, upright and square to the surface, at rest; then let the world settle. */
function teleport(world: World, o: ObjectEntity, spot: Spot): void {
  const b = o.body;
  b.position.set(spot.position[0], spot.position[1], spot.position[2]);
  // A turn about +y, written out: what quaternion.setFromAxisAngle(UNIT_Y, yaw) computes.
  b.quaternion.set(0, Math.sin(spot.surface.yaw / 2), 0, Math.cos(spot.surface.yaw / 2));
  b.velocity.setZero();
  b.angularVelocity.setZero();
  b.force.setZero();
  b.torque.setZero();
  b.previousPosition.copy(b.position);
  b.previousQuaternion.copy(b.quaternion);
  b.aabbNeedsUpdate = true;
  b.updateInertiaWorld();
  settle(world, SETTLE_STEPS);
}

function settle(world: World, steps: number): void {
  world.robot.command = { forward: 0, turn: 0 };
  for (let i = 0; i < steps; i++) world.stepPhysics();
  world.syncScene();
}

/** Let go of what the robot holds and bring the empty hand back over the tray (as the place skill ends). */
function releaseHeld(world: World): ObjectEntity | null {
  const robot = world.robot;
  const o = robot.detach();
  if (!o) return null;
  o.body.velocity.setZero();
  o.body.angularVelocity.setZero();
  robot.handLocal = [0, ROBOT.trayHeight, 0];
  robot.handYaw = 0;
  robot.placeHand();
  return o;
}

const sensors = new WeakMap<World, Sensor>();

/** One sensor per world, with the default configuration (it keeps only scratch buffers between calls). */
function sensorOf(world: World): Sensor {
  let s = sensors.get(world);
  if (!s) sensors.set(world, (s = new Sensor(world, DEFAULT_SENSOR)));
  return s;
}

// ---- the task ------------------------------------------------------------------------------------------------

/** The scenario as the task runs it. */
interface Script {
  name: string;
  events: readonly ScriptedEvent[];
  success: ((ctx: ScenarioContext) => boolean) | undefined;
  failure: ((ctx: ScenarioContext) => string | null) | undefined;
  metrics: readonly [string, (ctx: ScenarioContext) => number][];
}

/** Which hook is running: for error messages, and because only an event's `do` may act. */
type Hook =
  | { kind: 'event'; name: string }
  | { kind: 'when'; name: string }
  | { kind: 'success' }
  | { kind: 'failure' }
  | { kind: 'metric'; name: string };

function hookLabel(h: Hook): string {
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

const isValue = (v: unknown): v is ScenarioValue => typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));

/**
 * The task of a scripted episode: the base task (a family's GoalTask, or one built from the custom scene's goals)
 * with the scenario's events, predicates and metrics. See the header of this file.
 */
export class ScriptedTask implements Task, GoalTaskWrapper {
  readonly family: string;
  readonly seed: number;
  private readonly script: Script;
  private readonly original: Task;
  /** The goal task setInstruction made, replacing the original. */
  private replacement: GoalTask<string> | null = null;
  private currentInstruction: string;
  private step = -1;
  private readonly fired = new Map<string, number>();
  private readonly seen = new Set<string>();
  private vars: Record<string, ScenarioValue> = {};
  private visibleCache: { physicsSteps: number; ids: Set<string> } | null = null;

  constructor(script: Script, family: string, seed: number, base: Task) {
    this.script = script;
    this.family = family;
    this.seed = seed;
    this.original = base;
    this.currentInstruction = base.instruction;
  }

  private get base(): Task {
    return this.replacement ?? this.original;
  }

  /** The instruction the agent sees now (the Env reads it for every observation). */
  get instruction(): string {
    return this.currentInstruction;
  }

  get targets(): string[] {
    return this.base.targets;
  }

  /** The current goal task: the original, or the one setInstruction made. */
  get goalTask(): GoalTask<string> | null {
    return goalTaskOf(this.base);
  }

  /** The steps at which events fired so far, by name. */
  get firedAt(): Readonly<Record<string, number>> {
    return Object.fromEntries(this.fired);
  }

  /** Steps taken: 0 after reset. */
  get currentStep(): number {
    return this.step;
  }

  update(world: World): number {
    this.step++;
    this.visibleCache = null;
    let reward = this.base.update(world);
    let changed = false;
    for (const event of this.script.events) {
      if (this.fired.has(event.name)) continue;
      if (event.at !== undefined && this.step < event.at) continue;
      if (event.when) {
        const hook: Hook = { kind: 'when', name: event.name };
        const go = this.call(world, hook, event.when);
        if (typeof go !== 'boolean') throw this.error(hook, `when must return true or false, not ${describeValue(go)}`);
        if (!go) continue;
      }
      this.fired.set(event.name, this.step);
      this.call(world, { kind: 'event', name: event.name }, event.do);
      this.visibleCache = null;
      changed = true;
    }
    if (changed) {
      world.syncScene();
      // Judge the world the agent will observe (and a replaced task from its first look). The base task has also
      // seen the world before the events: in 'sequence' mode a goal reached by this step's action stays reached.
      reward += this.base.update(world);
    }
    this.checkVars();
    for (const id of this.visibleIds(world)) this.seen.add(id);
    return reward;
  }

  success(world: World): boolean {
    const custom = this.script.success;
    if (!custom) return this.base.success(world);
    const hook: Hook = { kind: 'success' };
    const result = this.call(world, hook, custom);
    if (typeof result !== 'boolean') throw this.error(hook, `must return true or false, not ${describeValue(result)}`);
    return result;
  }

  failure(world: World): string | null {
    const base = this.base.failure(world);
    if (base !== null || !this.script.failure) return base;
    const hook: Hook = { kind: 'failure' };
    const result = this.call(world, hook, this.script.failure);
    if (result === null || result === undefined) return null;
    if (typeof result !== 'string' || result.length === 0) throw this.error(hook, `must return a reason (a non-empty string) or null, not ${describeValue(result)}`);
    return result;
  }

  metrics(world: World): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, metric] of this.script.metrics) {
      const hook: Hook = { kind: 'metric', name };
      const value = this.call(world, hook, metric);
      if (typeof value !== 'number' || !Number.isFinite(value)) throw this.error(hook, `must return a finite number, not ${describeValue(value)}`);
      out[name] = value;
    }
    for (const e of this.script.events) out[`fired:${e.name}`] = this.fired.has(e.name) ? 1 : 0;
    return out;
  }

  state(): TaskState {
    const replaced = this.replacement;
    return {
      step: this.step,
      fired: JSON.stringify(Object.fromEntries(this.fired)),
      instruction: this.currentInstruction,
      goals: replaced ? JSON.stringify(replaced.goals) : '',
      mode: replaced ? replaced.mode : '',
      seen: [...this.seen].sort(),
      vars: JSON.stringify(this.vars),
      base: JSON.stringify(this.base.state()),
    };
  }

  restore(state: TaskState): void {
    const bad = (what: string): ScenarioError => new ScenarioError(`scenario "${this.script.name}": cannot restore the task state: ${what}`);
    const { step, fired, instruction, goals, mode, seen, vars, base } = state;
    if (typeof step !== 'number' || !Number.isInteger(step)) throw bad('no step');
    if (typeof fired !== 'string' || typeof instruction !== 'string' || typeof goals !== 'string' || typeof mode !== 'string') throw bad('not a scripted task state');
    if (typeof vars !== 'string' || typeof base !== 'string' || !Array.isArray(seen)) throw bad('not a scripted task state');
    const firedSteps = parseRecord(fired, (v) => typeof v === 'number', bad);
    const names = new Set(this.script.events.map((e) => e.name));
    for (const name of Object.keys(firedSteps)) if (!names.has(name)) throw bad(`this scenario has no event "${name}"`);
    const baseState = parseRecord(base, (v) => isValue(v) || (Array.isArray(v) && v.every((x) => typeof x === 'number' || typeof x === 'string')), bad) as TaskState;
    const restoredVars = parseRecord(vars, isValue, bad) as Record<string, ScenarioValue>;
    if (goals === '') this.replacement = null;
    else {
      let parsed: unknown;
      try {
        parsed = JSON.parse(goals);
      } catch {
        throw bad('goals are not JSON');
      }
      const goalList = GoalsSchema.safeParse(parsed);
      const goalMode = ModeSchema.safeParse(mode);
      if (!goalList.success || !goalMode.success) throw bad('bad goals or mode');
      this.replacement = new GoalTask<string>(this.family, instruction, goalList.data, goalMode.data);
    }
    this.base.restore(baseState);
    this.step = step;
    this.fired.clear();
    for (const [name, at] of Object.entries(firedSteps)) this.fired.set(name, at as number);
    this.currentInstruction = instruction;
    this.seen.clear();
    for (const id of seen) this.seen.add(String(id));
    this.vars = restoredVars;
    this.visibleCache = null;
  }

  // ---- running hooks ----

  private where(hook: Hook): string {
    return `scenario "${this.script.name}" (${this.family} #${this.seed}, step ${this.step}), ${hookLabel(hook)}`;
  }

  private error(hook: Hook, message: string, cause?: unknown): ScenarioError {
    return new ScenarioError(`${this.where(hook)}: ${message}`, cause === undefined ? undefined : { cause });
  }

  /** Run a hook with a fresh context; anything it throws comes back as a ScenarioError saying where. */
  private call<T>(world: World, hook: Hook, fn: (ctx: ScenarioContext) => T): T {
    try {
      return fn(this.context(world, hook));
    } catch (e) {
      if (e instanceof ScenarioError) throw e;
      throw this.error(hook, e instanceof Error ? `${e.name}: ${e.message}` : String(e), e);
    }
  }

  private checkVars(): void {
    for (const [key, value] of Object.entries(this.vars)) {
      if (!isValue(value)) {
        throw new ScenarioError(`scenario "${this.script.name}" (${this.family} #${this.seed}, step ${this.step}): vars.${key} must be a finite number, a string or a boolean, not ${describeValue(value)}`);
      }
    }
  }

  private visibleIds(world: World): Set<string> {
    const cached = this.visibleCache;
    if (cached && cached.physicsSteps === world.physicsSteps) return cached.ids;
    const ids = new Set(sensorOf(world).sense().map((s) => s.entity.id));
    this.visibleCache = { physicsSteps: world.physicsSteps, ids };
    return ids;
  }

  private context(world: World, hook: Hook): ScenarioContext {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the context object's methods close over the task
    const task = this;
    const fail = (action: string, message: string): ScenarioError => task.error(hook, `${action}: ${message}`);
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
    const receptacle = (action: string, id: unknown): FurnitureEntity | MarkerEntity => {
      const e = entity(action, id);
      if (e.kind === 'object') throw fail(action, `"${e.id}" is an object; things go on furniture or mats`);
      if (world.surfacesOf(e).length === 0) throw fail(action, `nothing can be put on "${e.id}" (a ${e.category})`);
      return e;
    };
    const acting = (action: string): void => {
      if (hook.kind !== 'event') throw fail(action, `only an event's do() may change the world`);
    };
    const event = (action: string, name: unknown): string => {
      if (typeof name !== 'string' || !task.script.events.some((e) => e.name === name)) {
        throw fail(action, `no event named ${describeValue(name)} (events: ${task.script.events.map((e) => e.name).join(', ') || 'none'})`);
      }
      return name;
    };
    const put = (action: string, o: ObjectEntity, r: FurnitureEntity | MarkerEntity): void => {
      const spot = freeSpot(world, o, r);
      if (typeof spot === 'string') {
        const why = spot === 'robot' ? ' (the robot stands in the way)' : '';
        throw fail(action, `no free spot for "${o.id}" ${r.kind === 'furniture' && r.model.interior ? 'in' : 'on'} "${r.id}"${why}`);
      }
      teleport(world, o, spot);
    };
    let rng: Rng | null = null;
    return {
      get step() {
        return task.step;
      },
      seed: task.seed,
      family: task.family,
      get instruction() {
        return task.currentInstruction;
      },
      get goals() {
        return task.goalTask?.goals ?? [];
      },
      get targets() {
        return task.targets;
      },
      world,
      get vars() {
        return task.vars;
      },
      get rng() {
        rng ??= new Rng(`${task.script.name}|${task.family}|${task.seed}|${task.step}|${hookLabel(hook)}`);
        return rng;
      },
      holding: () => world.robot.held?.id ?? null,
      isVisible: (id) => task.visibleIds(world).has(entity('isVisible', id).id),
      hasSeen: (id) => task.seen.has(entity('hasSeen', id).id),
      where: (id) => {
        const rel = relationOf(world, object('where', id));
        return rel.inside ?? rel.on_top_of ?? null;
      },
      holds: (goal) => {
        const [checked] = checkedGoals([goal], (id) => factsInWorld(world, id), (m) => fail('holds', m));
        return goalHolds(world, checked as Goal);
      },
      goalsAchieved: () => {
        const g = task.goalTask;
        return g ? g.achieved : 0;
      },
      fired: (name) => task.fired.has(event('fired', name)),
      firedAt: (name) => task.fired.get(event('firedAt', name)) ?? null,
      moveObject: (id, receptacleId) => {
        acting('moveObject');
        const o = object('moveObject', id);
        const r = receptacle('moveObject', receptacleId);
        if (world.robot.held === o) releaseHeld(world);
        put('moveObject', o, r);
        task.visibleCache = null;
      },
      setOpenness: (furnitureId, openness) => {
        acting('setOpenness');
        const e = entity('setOpenness', furnitureId);
        if (e.kind !== 'furniture' || !e.model.part) throw fail('setOpenness', `"${e.id}" (a ${e.category}) does not open or close`);
        if (typeof openness !== 'number' || !(openness >= 0 && openness <= 1)) throw fail('setOpenness', `openness must be a number in [0, 1], not ${describeValue(openness)}`);
        world.setTargetOpenness(e, openness);
        // As the open and close skills do: full speed until there (a full swing takes 0.8 s), then a moment to settle.
        const limit = Math.ceil(1 / (World.PART_SPEED * world.physicsDt)) + 2;
        for (let i = 0; i < limit && e.openness !== e.targetOpenness; i++) world.stepPhysics();
        settle(world, Math.round(SETTLE_STEPS / 2));
        task.visibleCache = null;
      },
      takeFromHand: (receptacleId) => {
        acting('takeFromHand');
        const r = receptacleId === undefined ? null : receptacle('takeFromHand', receptacleId);
        const held = world.robot.held;
        if (!held) return null;
        releaseHeld(world);
        if (r) put('takeFromHand', held, r);
        else {
          const here = world.robot.position;
          const distance = (e: Entity & { center: Vec3 }): number => Math.hypot(e.center[0] - here[0], e.center[2] - here[2]);
          const tops = world.entityList
            .filter((e): e is FurnitureEntity => e.kind === 'furniture' && e.model.interior === null && e.model.surfaces.some((s) => s.kind === 'on'))
            .sort((a, b) => distance(a) - distance(b) || (a.id < b.id ? -1 : 1));
          const mats = world.entityList.filter((e): e is MarkerEntity => e.kind === 'marker').sort((a, b) => distance(a) - distance(b) || (a.id < b.id ? -1 : 1));
          let spot: Spot | null = null;
          for (const e of [...tops, ...mats]) {
            const found = freeSpot(world, held, e);
            if (typeof found !== 'string') {
              spot = found;
              break;
            }
          }
          if (!spot) throw fail('takeFromHand', `no free spot anywhere to put "${held.id}" down`);
          teleport(world, held, spot);
        }
        task.visibleCache = null;
        return held.id;
      },
      setInstruction: (text, goals, mode) => {
        acting('setInstruction');
        if (typeof text !== 'string' || text.trim().length === 0) throw fail('setInstruction', `expected the instruction's text, not ${describeValue(text)}`);
        if (goals === undefined) {
          if (mode !== undefined) throw fail('setInstruction', 'a mode needs goals');
          task.currentInstruction = text;
          return;
        }
        const checked = checkedGoals(goals, (id) => factsInWorld(world, id), (m) => fail('setInstruction', m));
        const parsedMode = ModeSchema.safeParse(mode ?? task.goalTask?.mode ?? 'sequence');
        if (!parsedMode.success) throw fail('setInstruction', `mode must be "sequence" or "all", not ${describeValue(mode)}`);
        task.replacement = new GoalTask<string>(task.family, text, checked, parsedMode.data);
        task.currentInstruction = text;
      },
    };
  }
}

function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'function') return 'a function';
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'symbol') return v.toString();
  return 'undefined';
}

function parseRecord(text: string, valid: (v: unknown) => boolean, bad: (what: string) => Error): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw bad('a field is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('a field is not a JSON object');
  for (const v of Object.values(value)) if (!valid(v)) throw bad(`unexpected value ${describeValue(v)}`);
  return value as Record<string, unknown>;
}

// ---- defineScenario ------------------------------------------------------------------------------------------

const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', { error: 'expected a function' });

const familyName = z.enum(FAMILY_NAMES, {
  error: (iss) => `unknown task family ${describeValue(iss.input)} (families: ${FAMILY_NAMES.join(', ')})`,
});

const DefinitionSchema = strictObject({
  name: z.string().min(1, { error: 'expected a non-empty name' }).max(200),
  description: z.string().max(10_000).optional(),
  split: z.enum(SPLITS, { error: `expected one of ${SPLITS.join(', ')}` }).default('test'),
  seeds: z.union([SeedRangeSchema, SeedListSchema], { error: 'expected {start, count} or a non-empty list of seed indices (within the split)' }),
  maxSteps: z.int().min(1).max(SCENARIO_LIMITS.maxSteps).default(40),
  planner: z.enum(PLANNER_NAMES, { error: `expected one of ${PLANNER_NAMES.join(', ')}` }).default('oracle'),
  families: z
    .union([z.array(familyName).min(1, { error: 'expected at least one family' }).refine((v) => new Set(v).size === v.length, { error: 'families must be unique' }), z.literal('all')], {
      error: `expected "all" or a non-empty list of family names (${FAMILY_NAMES.join(', ')})`,
    })
    .optional(),
  scene: strictObject({ label: z.string().min(1, { error: 'expected a non-empty label' }).max(100), build: fn }).optional(),
  events: z
    .array(strictObject({ name: z.string().min(1, { error: 'expected a non-empty name' }).max(100), at: z.int().min(0).optional(), when: fn.optional(), do: fn }))
    .max(1000)
    .optional(),
  success: fn.optional(),
  failure: fn.optional(),
  metrics: z.record(z.string().min(1, { error: 'metric names must not be empty' }), fn).optional(),
});

type Issue = { path: string; message: string };

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const s of path) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (typeof s === 'string' && /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(s)) out += `.${s}`;
    else out += `[${JSON.stringify(String(s))}]`;
  }
  return out;
}

const fieldPath = (path: readonly PropertyKey[]): string => formatPath(path).replace(/^\./, '') || '(definition)';

/** zod issues with a field path each; of a union, the issues of the one branch that fits the value's shape. */
function collectIssues(issue: z.core.$ZodIssue, base: readonly PropertyKey[], out: Issue[]): void {
  const path = [...base, ...issue.path];
  if (issue.code === 'invalid_union') {
    const shape = new Set(['invalid_type', 'invalid_value', 'invalid_union', 'unrecognized_keys']);
    const fitting = issue.errors.filter((branch) => !branch.some((b) => b.path.length === 0 && shape.has(b.code)));
    const [only] = fitting;
    if (fitting.length === 1 && only && only.length > 0) {
      for (const nested of only) collectIssues(nested, path, out);
      return;
    }
  }
  if (issue.code === 'unrecognized_keys') {
    for (const key of issue.keys) out.push({ path: fieldPath([...path, key]), message: issue.message });
    return;
  }
  out.push({ path: fieldPath(path), message: issue.message });
}

/**
 * Define a scripted scenario: the default export of a scenario module. Checks the definition (every problem is
 * listed in one ScenarioDefinitionError, with the field it is about) and returns what the evaluation harness runs.
 */
export function defineScenario(definition: ScenarioDefinition): ScriptedScenario {
  const name = typeof definition === 'object' && definition !== null && typeof definition.name === 'string' && definition.name.length > 0 ? definition.name : null;
  const parsed = DefinitionSchema.safeParse(definition);
  if (!parsed.success) {
    const issues: Issue[] = [];
    for (const issue of parsed.error.issues) collectIssues(issue, [], issues);
    throw new ScenarioDefinitionError(name, issues);
  }
  const d = parsed.data;
  const issues: Issue[] = [];
  if (d.families === undefined && d.scene === undefined) {
    issues.push({ path: 'families', message: 'give either `families` (generated episodes of task families) or `scene` (a scene of your own)' });
  }
  if (d.families !== undefined && d.scene !== undefined) {
    issues.push({ path: 'scene', message: 'give either `families` or `scene`, not both' });
  }
  const events = d.events ?? [];
  const names = new Map<string, number>();
  events.forEach((e, i) => {
    const first = names.get(e.name);
    if (first !== undefined) issues.push({ path: `events[${i}].name`, message: `"${e.name}" is also the name of events[${first}]; event names must be unique` });
    else names.set(e.name, i);
    if (e.at === undefined && e.when === undefined) issues.push({ path: `events[${i}]`, message: 'give `at` (a step), `when` (a condition) or both' });
    if (e.at !== undefined && e.at > d.maxSteps) issues.push({ path: `events[${i}].at`, message: `step ${e.at} is beyond maxSteps (${d.maxSteps}): the event could never fire` });
  });
  for (const metric of Object.keys(d.metrics ?? {})) {
    if (metric.startsWith('fired:')) issues.push({ path: `metrics${formatPath([metric])}`, message: 'names starting with "fired:" are kept for the events (fired:<event> is 1 when it fired)' });
  }
  if (issues.length > 0) throw new ScenarioDefinitionError(d.name, issues);

  // The definition's own functions, typed again (zod checked only that they are functions).
  const source = definition as ScenarioDefinitionCommon & { scene?: CustomScene };
  const script: Script = {
    name: d.name,
    events: (source.events ?? []).map((e) => ({ ...e })),
    success: source.success,
    failure: source.failure,
    metrics: Object.entries(source.metrics ?? {}),
  };
  const scene = source.scene;
  const families: string[] = scene ? [scene.label] : d.families === 'all' || d.families === undefined ? [...FAMILY_NAMES] : [...d.families];
  const indices = Array.isArray(d.seeds) ? [...d.seeds] : Array.from({ length: d.seeds.count }, (_, i) => (d.seeds as { start: number }).start + i);

  const makeEpisode = (family: string, seed: number): EpisodeSetup & { task: ScriptedTask } => {
    if (!families.includes(family)) {
      throw new ScenarioError(`scenario "${d.name}": no episodes labelled ${JSON.stringify(family)} (this scenario has: ${families.join(', ')})`);
    }
    if (!Number.isSafeInteger(seed) || seed < 0) throw new ScenarioError(`scenario "${d.name}": seed must be a non-negative integer, got ${seed}`);
    if (!scene) {
      if (!isFamilyName(family)) throw new ScenarioError(`scenario "${d.name}": unknown task family "${family}"`);
      const episode = makeFamilyEpisode(family, seed);
      return { description: episode.description, task: new ScriptedTask(script, family, seed, episode.task) };
    }
    const where = `scenario "${d.name}", scene "${scene.label}" (seed ${seed})`;
    const setup = scene.build(seed, new Rng(`${d.name}|${scene.label}|${seed}`)) as Partial<SceneSetup> | undefined;
    if (typeof setup !== 'object' || setup === null) throw new ScenarioError(`${where}: build must return {description, instruction, goals}`);
    let description: SceneDescription;
    try {
      description = validateScene(setup.description);
    } catch (e) {
      if (e instanceof ValidationError) throw new ScenarioError(`${where}: build returned an invalid scene:\n${e.message}`, { cause: e });
      throw e;
    }
    const instruction = setup.instruction;
    if (typeof instruction !== 'string' || instruction.trim().length === 0) throw new ScenarioError(`${where}: build must return a non-empty instruction`);
    const facts = factsInDescription(description);
    const goals = checkedGoals(setup.goals, facts, (m) => new ScenarioError(`${where}: ${m}`));
    const mode = ModeSchema.safeParse(setup.mode ?? 'sequence');
    if (!mode.success) throw new ScenarioError(`${where}: mode must be "sequence" or "all"`);
    const hidden = setup.hidden ?? [];
    for (const id of hidden) {
      if (facts(id)?.kind !== 'object') throw new ScenarioError(`${where}: hidden: "${String(id)}" is not an object of the scene`);
    }
    const base = new GoalTask<string>(scene.label, instruction, goals, mode.data, [...hidden]);
    return { description, task: new ScriptedTask(script, scene.label, seed, base) };
  };

  return Object.freeze({
    [SCRIPTED_SCENARIO]: true as const,
    name: d.name,
    description: d.description,
    split: d.split,
    maxSteps: d.maxSteps,
    planner: d.planner,
    families: Object.freeze(families),
    seeds: Object.freeze(indices.map((i) => seedOf(d.split, i))),
    events: Object.freeze(script.events.map((e) => e.name)),
    makeEpisode,
  });
}
