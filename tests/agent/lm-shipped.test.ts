// The shipped planner model (models/planner/) holds its stated success rate: greedy decoding makes every episode
// a function of its seed, so the smoke scenario's 27 test-seed episodes (three per family, never seen in training)
// must succeed at least as often as models/planner/card.json says they did when the model was shipped. A model
// that regresses fails here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultCheckpointPath, loadBundleFile } from '../../agent/lm/bundle-file.ts';
import { runEpisode } from '../../agent/loop.ts';
import { LMPlanner } from '../../agent/planners/lm.ts';
import { familyEnv } from '../../scenes/env.ts';
import { FAMILY_NAMES } from '../../scenes/family-names.ts';
import { seedOf } from '../../scenes/splits.ts';

interface ShippedCard {
  ci: { scenario: string; seedsPerFamily: number; maxSteps: number; episodes: number; successes: number };
}

const card = JSON.parse(readFileSync(new URL('../../models/planner/card.json', import.meta.url), 'utf8')) as ShippedCard;

describe('the shipped planner model', () => {
  it(`succeeds on at least ${card.ci.successes} of the ${card.ci.episodes} smoke episodes, as its card states`, async () => {
    const bundle = await loadBundleFile(defaultCheckpointPath());
    const failed: string[] = [];
    let episodes = 0;
    for (const family of FAMILY_NAMES) {
      for (let i = 0; i < card.ci.seedsPerFamily; i++) {
        const seed = seedOf('test', i);
        const env = familyEnv(family, { maxSteps: card.ci.maxSteps });
        const result = await runEpisode({ env, planner: new LMPlanner({ bundle }), seed });
        episodes++;
        if (!result.success) failed.push(`${family} ${seed}: ${result.failureReason ?? 'unknown'}`);
      }
    }
    expect(episodes).toBe(card.ci.episodes);
    const successes = episodes - failed.length;
    console.log(`shipped planner: ${successes}/${episodes} smoke episodes${failed.length ? ` (failed: ${failed.join('; ')})` : ''}`);
    expect(successes, failed.join('\n')).toBeGreaterThanOrEqual(card.ci.successes);
  });
});
