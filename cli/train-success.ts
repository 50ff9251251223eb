// The small success-rate evaluation `umwelt train` runs at every evaluation: the LM planner, loaded from the
// checkpoint the trainer just wrote, plays a few episodes of every task family in the sim. Its seeds come from
// the train split far beyond the ones `umwelt data` uses for training examples (which start at index 0), so the
// model has never seen these houses, and the test and held-out splits stay untouched until the final evaluation.
import { readFile } from 'node:fs/promises';
import { decodeBundle } from '../agent/lm/bundle.ts';
import { runEpisode } from '../agent/loop.ts';
import { LMPlanner } from '../agent/planners/lm.ts';
import { familyEnv } from '../scenes/env.ts';
import { FAMILY_NAMES } from '../scenes/family-names.ts';
import { seedOf } from '../scenes/splits.ts';

/** Index within the train split of the first seed played. */
export const SUCCESS_EVAL_START = 500_000;

export interface SuccessEvalResult extends Record<string, number> {
  /** Share of the episodes that succeeded, over all families. */
  success: number;
  /** Mean SPL is not measured here (it needs the oracle's path); mean steps of the episodes instead. */
  steps: number;
}

export async function simSuccess(checkpointPath: string, episodesPerFamily: number, signal?: AbortSignal): Promise<SuccessEvalResult> {
  const bundle = decodeBundle(new Uint8Array(await readFile(checkpointPath)));
  let successes = 0;
  let steps = 0;
  let episodes = 0;
  for (const family of FAMILY_NAMES) {
    for (let i = 0; i < episodesPerFamily; i++) {
      if (signal?.aborted) break;
      const seed = seedOf('train', SUCCESS_EVAL_START + i);
      const env = familyEnv(family);
      const result = await runEpisode({ env, planner: new LMPlanner({ bundle }), seed, signal });
      if (result.success) successes++;
      steps += result.steps;
      episodes++;
    }
  }
  return { success: episodes > 0 ? successes / episodes : NaN, steps: episodes > 0 ? steps / episodes : NaN };
}
