// defineScenario: the default export of a scenario module. It checks the definition (definition.ts) and returns the
// ScriptedScenario the evaluation harness runs: its episodes are a task family's generated ones, or those the
// scenario's own scene builds (validated like a scene file), each with a ScriptedTask carrying the scenario's
// events, predicates and metrics.
import type { SceneDescription } from '../../sim/description.ts';
import type { EpisodeSetup } from '../../sim/env.ts';
import { Rng } from '../../sim/rng.ts';
import { isFamilyName, makeEpisode as makeFamilyEpisode } from '../families.ts';
import type { PlannerName, Split } from '../family-names.ts';
import { seedOf } from '../splits.ts';
import { GoalTask } from '../task.ts';
import { validateScene, ValidationError } from '../validate.ts';
import { checkDefinition, type ScenarioDefinition, type SceneSetup } from './definition.ts';
import { ScenarioError } from './errors.ts';
import { checkedGoals, factsInDescription, ModeSchema } from './goal-checks.ts';
import { ScriptedTask } from './task.ts';

/** Brand of a scenario made by defineScenario (a registered symbol: the same in every copy of this module). */
export const SCRIPTED_SCENARIO: unique symbol = Symbol.for('umwelt.scripted-scenario');

/** What defineScenario returns, and the evaluation harness runs. */
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

/** Whether a module's default export is a scenario made by defineScenario (of any copy of this module). */
export function isScriptedScenario(value: unknown): value is ScriptedScenario {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<Record<PropertyKey, unknown>>;
  return v[SCRIPTED_SCENARIO] === true && typeof v.makeEpisode === 'function' && typeof v.name === 'string';
}

/**
 * Define a scripted scenario: the default export of a scenario module. Checks the definition (every problem is
 * listed in one ScenarioDefinitionError, with the field it is about) and returns what the evaluation harness runs.
 */
export function defineScenario(definition: ScenarioDefinition): ScriptedScenario {
  const d = checkDefinition(definition);
  const { script, scene, families } = d;
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
    seeds: Object.freeze(d.indices.map((i) => seedOf(d.split, i))),
    events: Object.freeze(script.events.map((e) => e.name)),
    makeEpisode,
  });
}
