// The two halves of the OpenAI protocol together: RemotePlanner asking `umwelt serve` (a real server on
// 127.0.0.1) for its actions as tool calls, with the shipped planner model behind it, against the same model
// in-process (LMPlanner), greedy both, on smoke-scenario episodes (test seeds): the same prompt goes over the
// wire, so the successes must agree and most episodes must be decided identically throughout. Not all: the
// grammar's entity set differs where the model names an id outside the prompt's marks (the server allows the
// marks and ids the prompt's text mentions, LMPlanner the entities the agent knows), and the constrained action
// then differs; from there the episodes go their own ways.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultCheckpointPath, loadBundleFile } from '../../agent/lm/bundle-file.ts';
import type { PlannerBundle } from '../../agent/lm/bundle.ts';
import { runEpisode } from '../../agent/loop.ts';
import type { Planner } from '../../agent/planner.ts';
import { engineFor, LMPlanner } from '../../agent/planners/lm.ts';
import { CpuAsyncEngine } from '../../agent/lm/engine/async.ts';
import { RemotePlanner } from '../../agent/planners/remote.ts';
import { startServer, type RunningServer } from '../../cli/serve/server.ts';
import { familyEnv } from '../../scenes/env.ts';
import { FAMILY_NAMES } from '../../scenes/family-names.ts';
import { seedOf } from '../../scenes/splits.ts';

let bundle: PlannerBundle;
let server: RunningServer;

beforeAll(async () => {
  bundle = await loadBundleFile(defaultCheckpointPath());
  server = await startServer({ bundle, engine: new CpuAsyncEngine(engineFor(bundle)), modelName: 'umwelt-planner', host: '127.0.0.1', port: 0, maxBodyBytes: 1 << 20, maxTokens: 256, queueCapacity: 4, timeoutMs: 30_000 });
});

afterAll(async () => {
  await server.close();
});

/** The actions taken, and whether the episode succeeded. */
async function play(planner: Planner, family: (typeof FAMILY_NAMES)[number], seed: number): Promise<{ actions: (string | null)[]; success: boolean }> {
  const actions: (string | null)[] = [];
  const result = await runEpisode({ env: familyEnv(family, { maxSteps: 20 }), planner, seed, onEvent: (e) => {
      if (e.type === 'decision') actions.push(e.decision.action === null ? null : JSON.stringify(e.decision.action));
    } });
  return { actions, success: result.success };
}

describe('RemotePlanner against umwelt serve', () => {
  it('plays smoke episodes as the in-process LM planner does (same model, same prompt)', async () => {
    let local = 0;
    let remote = 0;
    let same = 0;
    let decisions = 0;
    let identical = 0;
    for (const family of FAMILY_NAMES) {
      const seed = seedOf('test', 0);
      const a = await play(new LMPlanner({ bundle }), family, seed);
      const b = await play(
        new RemotePlanner({ baseUrl: `${server.url}/v1`, model: 'umwelt-planner', mode: 'tools', temperature: 0, env: {}, promptFormat: bundle.promptFormat }),
        family,
        seed,
      );
      local += a.success ? 1 : 0;
      remote += b.success ? 1 : 0;
      const n = Math.min(a.actions.length, b.actions.length);
      for (let i = 0; i < n; i++) if (a.actions[i] === b.actions[i]) same++;
      decisions += Math.max(a.actions.length, b.actions.length);
      if (JSON.stringify(a.actions) === JSON.stringify(b.actions)) identical++;
    }
    console.log(`in-process ${local}/${FAMILY_NAMES.length}, over HTTP ${remote}/${FAMILY_NAMES.length}; ${identical} episodes decided identically, ${same}/${decisions} decisions at the same index`);
    expect(Math.abs(local - remote)).toBeLessThanOrEqual(1);
    // Measured with the shipped model: 7 of 9 episodes identical (the other two part where the model names an id
    // the prompt does not mark), 129 of 149 decisions at the same index.
    expect(identical).toBeGreaterThanOrEqual(6);
    expect(server.stats.completed).toBeGreaterThan(0);
  });
});
