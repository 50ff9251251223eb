// The shipped planner model (models/planner/) holds its stated success rate: greedy decoding makes every episode
// a function of its seed, so the smoke scenario's 27 test-seed episodes (three per family, never seen in training)
// must succeed at least as often as models/planner/card.json says they did when the model was shipped. A model
// that regresses fails here. Likewise the first houses of the memory suite: with a memory per house the planner
// must succeed as often as the card says, at least as often as without one, and in fewer steps.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultCheckpointPath, loadBundleFile } from '../../agent/lm/bundle-file.ts';
import { runEpisode } from '../../agent/loop.ts';
import { LMPlanner } from '../../agent/planners/lm.ts';
import { familyEnv } from '../../scenes/env.ts';
import { FAMILY_NAMES } from '../../scenes/family-names.ts';
import { seedOf } from '../../scenes/splits.ts';
import { evaluate } from '../../eval/evaluate.ts';
import { ROOT } from '../cli/run-cli.ts';

interface MemoryArm {
  successes: number;
  stepsMean: number;
}

interface ShippedCard {
  ci: { scenario: string; seedsPerFamily: number; maxSteps: number; episodes: number; successes: number };
  memoryCi: { scenario: string; episodes: number; without: MemoryArm; withMemory: MemoryArm };
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

  it(`with a memory per house, succeeds on at least ${card.memoryCi.withMemory.successes} of the memory suite's first ${card.memoryCi.episodes} visits, in fewer steps than without`, async () => {
    const out = mkdtempSync(join(tmpdir(), 'umwelt-lm-memory-'));
    try {
      const run = await evaluate({ source: join(ROOT, card.memoryCi.scenario), planners: ['lm'], episodesPerFamily: card.memoryCi.episodes, workers: 2, out });
      const arm = (name: string): MemoryArm => {
        const g = run.report?.overall.find((o) => o.planner === name);
        if (g === undefined) throw new Error(`no ${name} arm in the report`);
        expect(g.episodes).toBe(card.memoryCi.episodes);
        return { successes: g.successes, stepsMean: g.steps.mean };
      };
      const without = arm('lm');
      const withMemory = arm('lm+memory');
      console.log(`shipped planner, memory suite: without ${without.successes} in ${without.stepsMean} steps, with ${withMemory.successes} in ${withMemory.stepsMean}`);
      expect(withMemory.successes).toBeGreaterThanOrEqual(card.memoryCi.withMemory.successes);
      expect(withMemory.successes).toBeGreaterThanOrEqual(without.successes);
      expect(withMemory.stepsMean).toBeLessThan(without.stepsMean);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
