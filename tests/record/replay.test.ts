// Replay on real recordings of real physics: verified re-simulation of every task family, a perturbed action and a
// tampered reset caught at their step, playback equal to re-simulation, branching, and truncated files.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS, type ActionMessage, type SnapshotMessage } from '../../record/format.ts';
import { runEpisode } from '../../agent/loop.ts';
import { makePlanner } from '../../agent/planners/index.ts';
import { Recording } from '../../record/reader.ts';
import { importScenario, rebuildEnv, recordedEnvConfig, ReplayError } from '../../record/rebuild.ts';
import { EpisodeRecorder } from '../../record/recorder.ts';
import { branch, restoreAt, stateAt, verify, type StepCheck } from '../../record/replay.ts';
import { FAMILY_NAMES } from '../../scenes/family-names.ts';
import { Env } from '../../sim/env.ts';
import type { Action } from '../../sim/types.ts';
import { ROOT } from '../cli/run-cli.ts';
import { recordEpisode, rewriteRecording } from '../fixtures/recordings.ts';

const dir = mkdtempSync(join(tmpdir(), 'umwelt-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function withRecording<T>(path: string, use: (r: Recording) => Promise<T>): Promise<T> {
  const recording = await Recording.open(path);
  try {
    return await use(recording);
  } finally {
    await recording.close();
  }
}

async function snapshotHashes(recording: Recording, upTo: number): Promise<string[]> {
  const hashes: string[] = [];
  for (let k = 0; k <= upTo; k++) hashes.push((await recording.snapshot(k)).stateHash);
  return hashes;
}

describe('verified re-simulation', () => {
  it.each(FAMILY_NAMES)('an oracle episode of %s re-simulates to the recorded state at every step', async (family) => {
    const path = join(dir, `${family}.mcap`);
    const result = await recordEpisode(path, family);
    await withRecording(path, async (recording) => {
      expect(recording.complete).toBe(true);
      expect(recording.steps).toBe(result.steps);
      const checks: StepCheck[] = [];
      const verdict = await verify(recording, { onStep: (c) => checks.push(c) });
      expect(verdict).toMatchObject({ steps: result.steps, verifiedSteps: result.steps, verified: true, complete: true, firstDivergence: null });
      expect(checks.map((c) => c.step)).toEqual(Array.from({ length: result.steps + 1 }, (_, i) => i));
      expect(checks.every((c) => c.ok)).toBe(true);
      expect(checks[checks.length - 1]?.actual).toBe(result.stateHash);
    });
  });
});

describe('perturbed and tampered recordings', () => {
  const original = join(dir, 'fetch-plain.mcap');
  let actions: ActionMessage[] = [];
  let k = 0;
  beforeAll(async () => {
    await recordEpisode(original, 'fetch', { compression: 'none' });
    actions = await withRecording(original, (r) => r.actions());
    // The last goto that is not the first step: change its target to another landmark.
    k = [...actions].reverse().find((a) => a.step > 1 && a.action?.kind === 'goto')?.step ?? 0;
    expect(k).toBeGreaterThan(1);
  });

  it('an action changed at step k diverges at step k, with the control step pinpointed', async () => {
    const perturbed = join(dir, 'fetch-perturbed.mcap');
    const metadata = await withRecording(original, async (r) => r.metadata);
    const recordedTarget = (actions[k - 1]?.action as Extract<Action, { kind: 'goto' }>).target;
    const other = metadata.scene.furniture.find((f) => f.id !== recordedTarget)?.id;
    expect(other).toBeDefined();
    const edited = await rewriteRecording(original, perturbed, (topic, message) =>
      topic === TOPICS.action && message.step === k ? { ...message, action: { kind: 'goto', target: other } } : message,
    );
    expect(edited).toBe(1);
    await withRecording(perturbed, async (recording) => {
      const verdict = await verify(recording);
      expect(verdict.verified).toBe(false);
      expect(verdict.verifiedSteps).toBe(k - 1);
      expect(verdict.firstDivergence).toMatchObject({ step: k, expected: actions[k - 1]?.stateHash, action: { kind: 'goto', target: other } });
      expect(verdict.firstDivergence?.actual).not.toBe(verdict.firstDivergence?.expected);
      // The changed goal diverges within the step's control steps.
      const states = (await recording.states(k, k)).filter((s) => s.step === k);
      expect(states.map((s) => s.controlStep)).toContain(verdict.firstDivergence?.controlStep);
    });
  });

  it('a tampered reset hash diverges at step 0', async () => {
    const tampered = join(dir, 'fetch-tampered.mcap');
    const edited = await rewriteRecording(original, tampered, (topic, message) =>
      topic === TOPICS.snapshot && message.step === 0 ? { ...message, stateHash: '0'.repeat(64) } : message,
    );
    expect(edited).toBe(1);
    await withRecording(tampered, async (recording) => {
      const verdict = await verify(recording);
      expect(verdict).toMatchObject({ verified: false, verifiedSteps: 0, firstDivergence: { step: 0, expected: '0'.repeat(64), action: null } });
    });
  });

  it('playback without simulating equals re-simulation at every step, and restores', async () => {
    await withRecording(original, async (recording) => {
      const resimulated: string[] = [];
      await verify(recording, { onStep: (c) => resimulated.push(c.actual) });
      for (let step = 0; step <= recording.steps; step++) {
        const state = await stateAt(recording, step);
        expect(state.stateHash).toBe(resimulated[step]);
        expect(state.snapshot.step).toBe(step);
        // One state after the reset; one per control step of a step (none for a step that ran no physics).
        if (step === 0) expect(state.states).toHaveLength(1);
        else if ((state.action?.physicsSteps ?? 0) > 0) expect(state.states.length).toBeGreaterThan(0);
        expect(state.states.every((s) => s.step === step && s.poses.length > 0)).toBe(true);
        expect(state.action?.step ?? 0).toBe(step);
      }
      const env = await restoreAt(recording, k);
      expect(env.stateHash()).toBe(resimulated[k]);
      expect(env.stepCount).toBe(k);
      await expect(stateAt(recording, recording.steps + 1)).rejects.toThrow(ReplayError);
    });
  });
});

describe('branching', () => {
  const original = join(dir, 'search-branch-src.mcap');
  let steps = 0;
  beforeAll(async () => {
    steps = (await recordEpisode(original, 'search')).steps;
    expect(steps).toBeGreaterThan(3);
  });

  it('reproduces steps 0..K exactly, then continues with another planner, recorded as a verifiable branch', async () => {
    const K = 3;
    const out = join(dir, 'search-branch.mcap');
    const result = await withRecording(original, (recording) => branch(recording, { from: K, planner: 'random', record: out, maxSteps: 10 }));
    expect(result).toMatchObject({ from: K, verifiedSteps: K, record: out });
    expect(result.result.planner).toBe('random');
    expect(result.result.steps).toBeGreaterThan(K);
    const originalHashes = await withRecording(original, (r) => snapshotHashes(r, K));
    await withRecording(out, async (branched) => {
      expect(branched.steps).toBe(result.result.steps);
      expect(await snapshotHashes(branched, K)).toEqual(originalHashes);
      // After K the random planner's episode is its own.
      const after = (await branched.snapshot(K + 1)) satisfies SnapshotMessage;
      const originalAfter = await withRecording(original, (r) => r.snapshot(K + 1));
      expect(after.stateHash).not.toBe(originalAfter.stateHash);
      expect(branched.metadata.planner.name).toBe('random');
      expect(branched.metadata.branchedFrom).toEqual({ path: original, step: K });
      expect(branched.metadata.seed).toBe(1_000_000);
      // A branch is itself a recording that re-simulates.
      expect((await verify(branched)).verified).toBe(true);
    });
  });

  it('continues an episode that ended only by its step limit when given a larger one', async () => {
    const truncated = join(dir, 'chain-truncated.mcap');
    const recorded = await recordEpisode(truncated, 'chain', { planner: 'random', maxSteps: 3 });
    expect(recorded).toMatchObject({ steps: 3, truncated: true });
    await withRecording(truncated, async (recording) => {
      await expect(branch(recording, { from: 3, planner: 'random' })).rejects.toThrow(/step limit \(3\) must be greater/);
      const result = await branch(recording, { from: 3, planner: 'oracle', maxSteps: 5 });
      expect(result.result.steps).toBeGreaterThan(3);
    });
  });

  it('is a clear error beyond the recorded steps, at the end of the episode, or with an unknown planner', async () => {
    await withRecording(original, async (recording) => {
      await expect(branch(recording, { from: steps + 1, planner: 'random' })).rejects.toThrow(/beyond the recording/);
      await expect(branch(recording, { from: steps, planner: 'random' })).rejects.toThrow(/ended there/);
      await expect(branch(recording, { from: 1, planner: 'gpt-9' })).rejects.toThrow(/unknown planner/);
      await expect(branch(recording, { from: 2, planner: 'random', maxSteps: 2 })).rejects.toThrow(ReplayError);
    });
  });
});

describe('truncated recordings and rebuilding', () => {
  it('a file cut at 60% is verified as far as it goes and reported incomplete', async () => {
    const whole = join(dir, 'rearrange-whole.mcap');
    const cut = join(dir, 'rearrange-cut.mcap');
    const result = await recordEpisode(whole, 'rearrange');
    const bytes = readFileSync(whole);
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    await withRecording(cut, async (recording) => {
      expect(recording.complete).toBe(false);
      expect(recording.problem).toBeTruthy();
      expect(recording.steps).toBeLessThan(result.steps);
      const verdict = await verify(recording);
      expect(verdict).toMatchObject({ verified: true, complete: false, firstDivergence: null });
      expect(verdict.steps).toBe((await recording.actions()).length);
      expect(verdict.steps).toBeGreaterThan(0);
    });
  });

  it('a scripted scenario episode (events inside the task) re-simulates from its module', async () => {
    const module = join(ROOT, 'scenes/scenarios/examples/moved-while-away.ts');
    const scenario = await importScenario(module);
    const family = scenario.families[0] ?? '';
    const seed = scenario.seeds[0] ?? 0;
    const env = new Env((s) => scenario.makeEpisode(family, s), { maxSteps: 20 });
    const path = join(dir, 'scripted.mcap');
    const recorder = await EpisodeRecorder.create(path, { env, source: { kind: 'scripted', path: module, family }, planner: { name: 'oracle' } });
    const result = await runEpisode({ env, planner: makePlanner('oracle', env), seed, onEvent: recorder.onEvent });
    await recorder.close();
    await withRecording(path, async (recording) => {
      expect(recording.metadata.source).toEqual({ kind: 'scripted', path: module, family });
      expect(await verify(recording)).toMatchObject({ steps: result.steps, verified: true });
    });
  });

  it('rebuilding refuses an unknown family, a missing scenario module and a foreign env config', async () => {
    const path = join(dir, 'goto-short.mcap');
    await recordEpisode(path, 'goto', { maxSteps: 2 });
    const metadata = await withRecording(path, async (r) => r.metadata);
    await expect(rebuildEnv({ ...metadata, source: { kind: 'family', family: 'juggle' } })).rejects.toThrow(/unknown task family "juggle"/);
    await expect(rebuildEnv({ ...metadata, source: { kind: 'scripted', path: join(dir, 'gone.ts'), family: 'fetch' } })).rejects.toThrow(/does not exist/);
    expect(() => recordedEnvConfig({ ...metadata, env: { ...metadata.env, gravity: 3 } as typeof metadata.env })).toThrow(/gravity/);
    await expect(rebuildEnv({ ...metadata, env: { ...metadata.env, controlDt: 0.1234 } })).rejects.toThrow(ReplayError);
    const env = await rebuildEnv(metadata, { maxSteps: 33 });
    expect(env.config.maxSteps).toBe(33);
  });
});
