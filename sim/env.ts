// The environment API, Gymnasium-style: reset({seed}) -> {obs, info}; step(action) -> {obs, reward, terminated,
// truncated, info}. One step runs one action, which takes a whole number of control steps, each a whole number of
// physics steps. The task (what counts as success) is separate from the physics, as in dm_control.
import { actionProblem } from './action-check.ts';
import type { SceneDescription } from './description.ts';
import { SimConfigError } from './errors.ts';
import { round, roundVec } from './geometry.ts';
import { entityState } from './relations.ts';
import { DEFAULT_SENSOR, Sensor, type SensorConfig, type Sighting } from './sensor.ts';
import { SkillExecutor } from './skills.ts';
import { hashWorld, restoreWorld, snapshotWorld, type WorldSnapshot } from './snapshot.ts';
import type { Action, Landmark, Observation, Outcome, SeenEntity } from './types.ts';
import { DEFAULT_PHYSICS_DT, World } from './world.ts';

/** JSON-safe task state, kept in snapshots and hashed with the world. */
export type TaskState = Record<string, number | string | boolean | number[] | string[]>;

/** What the agent is asked to do, and how the world is judged. Evaluated on world state only. */
export interface Task {
  readonly family: string;
  readonly instruction: string;
  /** Entities the task is about (targets first); used by metrics and by privileged planners. */
  readonly targets: string[];
  /**
   * Called once at reset (after settling, before the first observation) and once after every step, before
   * `success` and `failure`; may advance internal progress (ordered subgoals) or change the world (a scripted
   * scenario's events). Returns the step's reward.
   */
  update(world: World): number;
  success(world: World): boolean;
  /** A reason the episode can no longer succeed, or null. */
  failure(world: World): string | null;
  state(): TaskState;
  restore(state: TaskState): void;
  /** The task's own metrics of the episode, read once when it ends (a scripted scenario's, for example). */
  metrics?(world: World): Record<string, number>;
}

export interface EpisodeSetup {
  description: SceneDescription;
  task: Task;
}

export interface EnvConfig {
  physicsDt: number;
  /** Duration of a control step; must be a whole number of physics steps. */
  controlDt: number;
  /** Actions per episode before truncation. */
  maxSteps: number;
  sensor: SensorConfig;
  gotoSeconds: number;
}

export const DEFAULT_ENV_CONFIG: EnvConfig = {
  physicsDt: DEFAULT_PHYSICS_DT,
  controlDt: 0.1,
  maxSteps: 40,
  sensor: DEFAULT_SENSOR,
  gotoSeconds: 90,
};

export interface StepInfo {
  outcome: Outcome;
  success: boolean;
  failure: string | null;
  physicsSteps: number;
  /** Physics steps this action took. */
  actionPhysicsSteps: number;
  pathLength: number;
  stateHash: string;
}

export interface ResetResult {
  obs: Observation;
  info: { seed: number; family: string; instruction: string; targets: string[]; stateHash: string };
}

export interface StepResult {
  obs: Observation;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  info: StepInfo;
}

export interface EnvSnapshot {
  seed: number;
  step: number;
  ended: boolean;
  known: string[];
  pathLength: number;
  lastAction: Action | null;
  lastOutcome: Outcome | null;
  task: TaskState;
  world: WorldSnapshot;
}

export class EnvStateError extends Error {
  override readonly name = 'EnvStateError';
}

export class Env {
  readonly config: EnvConfig;
  readonly physicsPerControl: number;
  private readonly makeEpisode: (seed: number) => EpisodeSetup;
  private current: {
    seed: number;
    world: World;
    task: Task;
    sensor: Sensor;
    skills: SkillExecutor;
    step: number;
    ended: boolean;
    lastAction: Action | null;
    lastOutcome: Outcome | null;
  } | null = null;

  private readonly controlStepListeners = new Set<(env: Env) => void>();

  constructor(makeEpisode: (seed: number) => EpisodeSetup, config: Partial<EnvConfig> = {}) {
    this.config = { ...DEFAULT_ENV_CONFIG, ...config };
    const ratio = this.config.controlDt / this.config.physicsDt;
    this.physicsPerControl = Math.round(ratio);
    if (!(this.physicsPerControl >= 1) || Math.abs(ratio - this.physicsPerControl) > 1e-9 * ratio) {
      throw new SimConfigError(
        `a control step (${this.config.controlDt} s) must be a whole number of physics steps (${this.config.physicsDt} s): the ratio is ${ratio}`,
      );
    }
    if (!Number.isInteger(this.config.maxSteps) || this.config.maxSteps < 1) {
      throw new SimConfigError(`maxSteps must be a positive integer, got ${this.config.maxSteps}`);
    }
    this.makeEpisode = makeEpisode;
  }

  private get ep(): NonNullable<Env['current']> {
    if (!this.current) throw new EnvStateError('call reset() before step()');
    return this.current;
  }

  /**
   * Call `listener` after every control step from now on (the settling ones of reset() included), with this env,
   * whose world is then between physics steps. Listeners observe; they must not change the world. Returns the
   * unsubscribe function.
   */
  onControlStep(listener: (env: Env) => void): () => void {
    this.controlStepListeners.add(listener);
    return () => this.controlStepListeners.delete(listener);
  }

  get world(): World {
    return this.ep.world;
  }

  get task(): Task {
    return this.ep.task;
  }

  get skills(): SkillExecutor {
    return this.ep.skills;
  }

  get stepCount(): number {
    return this.ep.step;
  }

  reset({ seed }: { seed: number }): ResetResult {
    const { description, task } = this.makeEpisode(seed);
    const world = new World(description, { physicsDt: this.config.physicsDt });
    const sensor = new Sensor(world, this.config.sensor);
    const skills = new SkillExecutor(world, sensor, this.physicsPerControl, { gotoSeconds: this.config.gotoSeconds });
    skills.onControlStep = () => {
      for (const listener of this.controlStepListeners) listener(this);
    };
    this.current = { seed, world, task, sensor, skills, step: 0, ended: false, lastAction: null, lastOutcome: null };
    // Let everything come to rest before the first observation.
    for (let i = 0; i < 3; i++) skills.controlStep();
    task.update(world);
    return {
      obs: this.observe(),
      info: { seed, family: task.family, instruction: task.instruction, targets: [...task.targets], stateHash: this.stateHash() },
    };
  }

  /** Execute one action. */
  step(action: Action): StepResult {
    const ep = this.ep;
    if (ep.ended) throw new EnvStateError('the episode has ended: call reset()');
    const problem = actionProblem(action);
    if (problem !== null) return this.finish(null, { ok: false, reason: 'invalid_action', detail: problem }, 0);
    const before = ep.world.physicsSteps;
    const outcome = ep.skills.execute(action);
    return this.finish(action, outcome, ep.world.physicsSteps - before);
  }

  /** Count a step whose action could not be executed (unparsable or invalid): no physics runs. */
  reject(outcome: Outcome & { ok: false }): StepResult {
    if (this.ep.ended) throw new EnvStateError('the episode has ended: call reset()');
    return this.finish(null, outcome, 0);
  }

  private finish(action: Action | null, outcome: Outcome, actionPhysicsSteps: number): StepResult {
    const ep = this.ep;
    ep.step++;
    ep.lastAction = action;
    ep.lastOutcome = outcome;
    ep.world.syncScene();
    const reward = ep.task.update(ep.world);
    const success = ep.task.success(ep.world);
    let failure = ep.task.failure(ep.world);
    if (!success && action?.kind === 'done') failure = failure ?? 'declared done before the task was achieved';
    const terminated = success || failure !== null;
    const truncated = !terminated && ep.step >= this.config.maxSteps;
    ep.ended = terminated || truncated;
    return {
      obs: this.observe(),
      reward,
      terminated,
      truncated,
      info: {
        outcome,
        success,
        failure,
        physicsSteps: ep.world.physicsSteps,
        actionPhysicsSteps,
        pathLength: ep.skills.pathLength,
        stateHash: this.stateHash(),
      },
    };
  }

  get ended(): boolean {
    return this.ep.ended;
  }

  /** The agent's egocentric observation now. */
  observe(): Observation {
    const ep = this.ep;
    const world = ep.world;
    const robot = world.robot;
    const sightings = ep.skills.look();
    const inView = new Set(sightings.map((s) => s.entity.id));
    const glimpsed = ep.skills.takeGlimpses().filter((s) => !inView.has(s.entity.id));
    const pos = robot.position;
    const landmarks: Landmark[] = [];
    for (const e of world.entityList) {
      if (e.kind === 'furniture') landmarks.push({ id: e.id, category: e.category, color: e.color, room: e.room, openable: e.model.part !== null, holds: e.model.surfaces.length > 0 });
      else if (e.kind === 'marker') landmarks.push({ id: e.id, category: e.category, color: e.color, room: e.room, openable: false, holds: false });
    }
    return {
      step: ep.step,
      instruction: ep.task.instruction,
      agent: { position: roundVec(pos), yaw: round(robot.yaw), room: world.roomAt(pos[0], pos[2]) },
      holding: robot.held?.id ?? null,
      visible: sightings.map((s) => this.describe(s)),
      glimpsed: glimpsed.map((s) => this.describe(s)),
      landmarks,
      lastAction: ep.lastAction,
      lastOutcome: ep.lastOutcome,
    };
  }

  private describe(s: Sighting): SeenEntity {
    const e = s.entity;
    const world = this.ep.world;
    const room = e.kind === 'object' ? world.roomAt(s.center[0], s.center[2]) : e.room;
    return {
      id: e.id,
      kind: e.kind,
      category: e.category,
      color: e.color,
      room,
      distance: round(s.distance),
      bearing: round(s.bearing),
      height: round(s.center[1]),
      position: roundVec(s.center),
      state: entityState(world, e),
    };
  }

  snapshot(): EnvSnapshot {
    const ep = this.ep;
    return {
      seed: ep.seed,
      step: ep.step,
      ended: ep.ended,
      known: [...ep.skills.known].sort(),
      pathLength: ep.skills.pathLength,
      lastAction: ep.lastAction,
      lastOutcome: ep.lastOutcome,
      task: ep.task.state(),
      world: snapshotWorld(ep.world),
    };
  }

  /** Restore a snapshot of an episode of this env (after reset with the same seed, or mid-episode). */
  restore(s: EnvSnapshot): void {
    if (!this.current || this.current.seed !== s.seed) this.reset({ seed: s.seed });
    const ep = this.ep;
    restoreWorld(ep.world, s.world);
    ep.step = s.step;
    ep.ended = s.ended;
    ep.skills.known.clear();
    for (const id of s.known) ep.skills.known.add(id);
    ep.skills.takeGlimpses();
    ep.skills.pathLength = s.pathLength;
    ep.lastAction = s.lastAction;
    ep.lastOutcome = s.lastOutcome;
    ep.task.restore(s.task);
  }

  /** Digest of the world state together with the episode's discrete state. */
  stateHash(): string {
    const ep = this.ep;
    const extra = JSON.stringify([ep.step, [...ep.skills.known].sort(), ep.task.state()]);
    return hashWorld(ep.world, extra);
  }
}
