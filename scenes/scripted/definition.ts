// What a scenario module passes to defineScenario: the definition's types, and their check (zod for the shape, then
// what zod cannot say: families or a scene, unique event names, events that can fire). Every problem is listed in
// one ScenarioDefinitionError with the field it is about; a definition that passes becomes a CheckedDefinition.
import { z } from 'zod';
import type { SceneDescription } from '../../sim/description.ts';
import type { Rng } from '../../sim/rng.ts';
import { FAMILY_NAMES, PLANNER_NAMES, SPLITS, TASK_FAMILY_NAMES, type FamilyName, type PlannerName, type Split } from '../family-names.ts';
import type { Goal } from '../goals.ts';
import { SCENARIO_LIMITS, SeedListSchema, SeedRangeSchema } from '../scenario.ts';
import { strictObject } from '../spec.ts';
import type { GoalMode } from '../task.ts';
import type { ScenarioContext } from './context.ts';
import { describeValue, formatPath } from './errors.ts';

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
        /** Generated episodes (scenes/families.ts) of these task families, or 'all' (the standard ones, FAMILY_NAMES). */
        families: readonly FamilyName[] | 'all';
        scene?: undefined;
      }
    | {
        /** A scene of the scenario's own. */
        scene: CustomScene;
        families?: undefined;
      }
  );

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

/** The scenario's hooks, as the task runs them. */
export interface Script {
  name: string;
  events: readonly ScriptedEvent[];
  success: ((ctx: ScenarioContext) => boolean) | undefined;
  failure: ((ctx: ScenarioContext) => string | null) | undefined;
  metrics: readonly [string, (ctx: ScenarioContext) => number][];
}

/** A definition that passed, with its defaults applied. */
export interface CheckedDefinition {
  name: string;
  description: string | undefined;
  split: Split;
  maxSteps: number;
  planner: PlannerName;
  /** Episode labels: family names for generated scenes, or the custom scene's label. */
  families: string[];
  /** The custom scene, if the scenario has one. */
  scene: CustomScene | undefined;
  /** Seed indices within the split, in order. */
  indices: number[];
  script: Script;
}

const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', { error: 'expected a function' });

const familyName = z.enum(TASK_FAMILY_NAMES, {
  error: (iss) => `unknown task family ${describeValue(iss.input)} (families: ${TASK_FAMILY_NAMES.join(', ')})`,
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
      error: `expected "all" or a non-empty list of family names (${TASK_FAMILY_NAMES.join(', ')}; "all" is ${FAMILY_NAMES.join(', ')})`,
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

/** Check a definition: every problem is listed in one ScenarioDefinitionError, with the field it is about. */
export function checkDefinition(definition: ScenarioDefinition): CheckedDefinition {
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
  return { name: d.name, description: d.description, split: d.split, maxSteps: d.maxSteps, planner: d.planner, families, scene, indices, script };
}
