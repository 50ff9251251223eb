// Real prompts for decoding tests: the planner contexts the oracle is given over the first steps of one test-seed
// episode per family (as bench/serve.bench.ts collects them), turned into the LM planner's prompt ids and allowed
// actions (fitPrompt, allowedEntities).
import type { AllowedActions } from '../../agent/constrained.ts';
import type { PlannerBundle } from '../../agent/lm/bundle.ts';
import { runEpisode } from '../../agent/loop.ts';
import type { Planner, PlannerContext } from '../../agent/planner.ts';
import { ACTION_MARKER, allowedEntities, ANSWER_RESERVE, fitPrompt, LM_ACTION_KINDS } from '../../agent/planners/lm.ts';
import { OraclePlanner } from '../../agent/planners/oracle.ts';
import { familyEnv } from '../../scenes/env.ts';
import { FAMILY_NAMES } from '../../scenes/family-names.ts';
import { seedOf } from '../../scenes/splits.ts';

export interface EpisodePrompt {
  name: string;
  ids: number[];
  /** The rendered prompt's text. */
  text: string;
  allowed: AllowedActions;
}

/** The oracle's contexts over the first `steps` steps of test seed 0 of every family, in family order. */
export async function oracleContexts(steps: number): Promise<{ name: string; context: PlannerContext }[]> {
  const out: { name: string; context: PlannerContext }[] = [];
  for (const family of FAMILY_NAMES) {
    const env = familyEnv(family, { maxSteps: steps });
    const oracle = new OraclePlanner(env);
    const recording: Planner = {
      name: 'oracle',
      decide: async (context) => {
        out.push({ name: `${family} step ${context.observation.step}`, context });
        return oracle.decide(context);
      },
    };
    await runEpisode({ env, planner: recording, seed: seedOf('test', 0) });
  }
  return out;
}

/** `count` prompts as the LM planner encodes them for `bundle` (the first of oracleContexts(steps)). */
export async function episodePrompts(bundle: PlannerBundle, count: number, steps = 3): Promise<EpisodePrompt[]> {
  const contexts = (await oracleContexts(steps)).slice(0, count);
  if (contexts.length < count) throw new Error(`only ${contexts.length} prompts in ${steps} steps per family`);
  const tokenizer = bundle.tokenizer;
  const markerIds = Array.from(tokenizer.encode(ACTION_MARKER, { allowSpecial: false }));
  return contexts.map(({ name, context }) => {
    const { prompt, ids } = fitPrompt(context, tokenizer, bundle.config.context - markerIds.length - ANSWER_RESERVE);
    return { name, ids, text: prompt.text, allowed: { kinds: LM_ACTION_KINDS, entities: allowedEntities(context, prompt) } };
  });
}
