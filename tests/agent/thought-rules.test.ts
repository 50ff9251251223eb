// `thoughtRules: false` (what --no-thought-rules sets) reaches the lm planner: through makePlanner and through an
// eval episode's options, the planner then decodes without the rules of thought-marks.ts (never asks for them).
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { runEpisode } from '../../agent/loop.ts';
import { makePlanner } from '../../agent/planners/index.ts';
import { thoughtMarks } from '../../agent/planners/thought-marks.ts';
import type * as ThoughtMarksModule from '../../agent/planners/thought-marks.ts';
import { runSpec } from '../../eval/episode.ts';
import type { EpisodeSpec } from '../../eval/record.ts';
import { familyEnv } from '../../scenes/env.ts';
import { tinyBundle, type TinyBundle } from '../fixtures/lm-bundle.ts';

// The real rules, counted.
vi.mock('../../agent/planners/thought-marks.ts', async (importOriginal) => {
  const actual = await importOriginal<typeof ThoughtMarksModule>();
  return { ...actual, thoughtMarks: vi.fn(actual.thoughtMarks) };
});

let tiny: TinyBundle;
beforeAll(async () => {
  tiny = await tinyBundle();
}, 240_000);
afterAll(() => rmSync(dirname(tiny.path), { recursive: true, force: true }));
beforeEach(() => {
  vi.mocked(thoughtMarks).mockClear();
});

describe('thoughtRules', () => {
  it('reaches the lm planner through makePlanner (default on)', async () => {
    const steps = async (thoughtRules?: boolean): Promise<number> => {
      vi.mocked(thoughtMarks).mockClear();
      const env = familyEnv('goto', { maxSteps: 2 });
      const result = await runEpisode({ env, planner: makePlanner('lm', env, { checkpoint: tiny.path, ...(thoughtRules === undefined ? {} : { lm: { thoughtRules } }) }), seed: 1_000_000 });
      return result.steps;
    };
    expect(await steps()).toBeGreaterThan(0);
    expect(thoughtMarks).toHaveBeenCalled();
    expect(await steps(true)).toBeGreaterThan(0);
    expect(thoughtMarks).toHaveBeenCalled();
    expect(await steps(false)).toBeGreaterThan(0);
    expect(thoughtMarks).not.toHaveBeenCalled();
  });

  it("reaches it through an eval episode's options", async () => {
    const spec: EpisodeSpec = { index: 0, id: 'tiny:lm:goto:1000000', scenario: 'tiny', scenarioKind: 'json', scenarioPath: '/nowhere/tiny.json', planner: 'lm', family: 'goto', seed: 1_000_000, maxSteps: 2 };
    const off = await runSpec(spec, { checkpoint: tiny.path, lm: { thoughtRules: false } });
    expect(off.result.error).toBeNull();
    expect(thoughtMarks).not.toHaveBeenCalled();
    const on = await runSpec(spec, { checkpoint: tiny.path });
    expect(on.result.error).toBeNull();
    expect(thoughtMarks).toHaveBeenCalled();
  });
});
