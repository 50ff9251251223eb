// The task of a scripted episode. Everything scripted lives inside the episode's Task: a ScriptedTask wraps the base
// GoalTask. The Env calls Task.update once at reset (step 0) and once after every step; the events fire there,
// before the observation of that step is made, so the Env alone reproduces a scripted episode (snapshots, state
// hashes, recording and replay know nothing of scripts). The task's state holds the step, the events fired and
// when, the instruction, replaced goals, what has been seen, the scenario's own variables and the base task's state.
import type { Task, TaskState } from '../../sim/env.ts';
import { DEFAULT_SENSOR, Sensor } from '../../sim/sensor.ts';
import type { World } from '../../sim/world.ts';
import { GoalTask, goalTaskOf, type GoalTaskWrapper } from '../task.ts';
import { hookLabel, makeContext, type ContextHost, type Hook, type ScenarioContext, type ScenarioValue } from './context.ts';
import type { Script } from './definition.ts';
import { describeValue, ScenarioError } from './errors.ts';
import { GoalsSchema, ModeSchema } from './goal-checks.ts';

const sensors = new WeakMap<World, Sensor>();

/** One sensor per world, with the default configuration (it keeps only scratch buffers between calls). */
function sensorOf(world: World): Sensor {
  let s = sensors.get(world);
  if (!s) sensors.set(world, (s = new Sensor(world, DEFAULT_SENSOR)));
  return s;
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
  /** What the hooks' contexts see of this task. */
  private readonly host: ContextHost;

  constructor(script: Script, family: string, seed: number, base: Task) {
    this.script = script;
    this.family = family;
    this.seed = seed;
    this.original = base;
    this.currentInstruction = base.instruction;
    this.host = this.makeHost();
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
      return fn(makeContext(world, hook, this.host));
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

  private makeHost(): ContextHost {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the host's getters and methods close over the task
    const task = this;
    return {
      scenario: task.script.name,
      family: task.family,
      seed: task.seed,
      get step() {
        return task.step;
      },
      get instruction() {
        return task.currentInstruction;
      },
      get goalTask() {
        return task.goalTask;
      },
      get targets() {
        return task.targets;
      },
      get vars() {
        return task.vars;
      },
      events: task.script.events.map((e) => e.name),
      firedAt: (event) => task.fired.get(event),
      visibleIds: (world) => task.visibleIds(world),
      hasSeen: (id) => task.seen.has(id),
      error: (hook, message) => task.error(hook, message),
      worldChanged: () => {
        task.visibleCache = null;
      },
      instruct: (text, goals) => {
        if (goals) task.replacement = goals;
        task.currentInstruction = text;
      },
    };
  }
}

/** A task-state field that holds a JSON object, every value checked by `valid`; throws `bad(what is wrong)`. */
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
