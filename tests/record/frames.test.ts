// Re-simulating a recording into pose frames (record/frames.ts, the browser's playback) on real recordings of real
// oracle episodes read from bytes: every step's hash matches, one frame per control step (the recorded physics
// steps / physics per control step), each frame the pose the recorded StateMessage of that control step has, the
// reset frame and the last frame equal to an env replayed by hand, and the whole track survives structuredClone.
// A scripted scenario's recording is refused without a loader (its module is a file on disk), and works with one.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEpisode } from '../../agent/loop.ts';
import { makePlanner } from '../../agent/planners/index.ts';
import { TOPICS } from '../../record/format.ts';
import { resimulateFrames, type ReplayTrack } from '../../record/frames.ts';
import { Recording as FileRecording } from '../../record/reader.ts';
import { importScenario } from '../../record/rebuild.ts';
import { rebuildEnv, ReplayError } from '../../record/rebuild-core.ts';
import { EpisodeRecorder } from '../../record/recorder.ts';
import { Recording } from '../../record/recording.ts';
import { applyRecorded } from '../../record/verify.ts';
import { Env } from '../../sim/env.ts';
import { capturePoseFrame, POSE_STRIDE, poseFrameLayout } from '../../sim/pose-frame.ts';
import { ROOT } from '../cli/run-cli.ts';
import { recordEpisode, rewriteRecording } from '../fixtures/recordings.ts';

const dir = mkdtempSync(join(tmpdir(), 'umwelt-frames-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function fromBytes(path: string): Promise<Recording> {
  return Recording.fromBytes(new Uint8Array(readFileSync(path)), path);
}

describe('resimulateFrames', () => {
  const path = join(dir, 'place-in.mcap');
  let recording: Recording;
  let track: ReplayTrack;
  beforeAll(async () => {
    const result = await recordEpisode(path, 'place-in', { maxSteps: 20 });
    expect(result.steps).toBeGreaterThan(3);
    recording = await fromBytes(path);
    track = await resimulateFrames(recording);
  });
  afterAll(() => recording.close());

  it('matches the recorded hash after the reset and every step, with the recorded actions, thoughts and outcomes', async () => {
    expect(track).toMatchObject({ verified: true, firstDivergence: null, stopped: null, complete: true, problem: null, name: path });
    expect(track.reset.matches).toBe(true);
    expect(track.reset.stateHash).toBe((await recording.snapshot(0)).stateHash);
    const actions = await recording.actions();
    expect(track.steps.map((s) => s.step)).toEqual(actions.map((a) => a.step));
    expect(track.steps).toHaveLength(recording.steps);
    const decisions = await Promise.all(actions.map(async (a) => (await stateAtDecision(recording, a.step)) ?? null));
    track.steps.forEach((s, i) => {
      const recorded = actions[i];
      expect(s.matches).toBe(true);
      expect(s.stateHash).toBe(recorded?.stateHash);
      expect(s.recordedHash).toBe(recorded?.stateHash);
      expect(s.outcome).toEqual(recorded?.outcome);
      expect(s.physicsSteps).toBe(recorded?.physicsSteps);
      expect(s.action).toBe(decisions[i]?.action);
      expect(s.thought).toBe(decisions[i]?.thought);
      expect(s.thought.length).toBeGreaterThan(0);
    });
    expect(track.steps[track.steps.length - 1]?.stateHash).toBe((await recording.result())?.stateHash);
  });

  it('one frame per control step: the recorded physics steps / physics per control step, each at the recorded pose', async () => {
    const env = await rebuildEnv(recording.metadata);
    expect(track.physicsPerControl).toBe(env.physicsPerControl);
    expect(track.controlDt).toBe(recording.metadata.env.controlDt);
    const states = await recording.states();
    let withFrames = 0;
    for (const s of track.steps) {
      expect(s.physicsSteps % track.physicsPerControl).toBe(0);
      expect(s.frameCount).toBe(s.physicsSteps / track.physicsPerControl);
      expect(s.frames).toBeInstanceOf(Float32Array);
      expect(s.frames.length).toBe(s.frameCount * track.frameLength);
      if (s.frameCount > 0) withFrames++;
      // The recorded StateMessages of the step: one per control step, robot first, rounded to 1e-6.
      const recorded = states.filter((m) => m.step === s.step);
      expect(recorded).toHaveLength(s.frameCount);
      recorded.forEach((m, f) => {
        const robot = m.poses.find((p) => p.id === 'robot');
        const o = f * track.frameLength;
        for (let c = 0; c < 3; c++) expect(Math.abs((s.frames[o + c] ?? NaN) - (robot?.position[c] ?? NaN))).toBeLessThan(1e-4);
        for (let c = 0; c < 4; c++) expect(Math.abs((s.frames[o + 3 + c] ?? NaN) - (robot?.quaternion[c] ?? NaN))).toBeLessThan(1e-4);
        for (const pose of m.poses) {
          const slot = track.layout.indexOf(pose.id);
          if (slot < 0) continue;
          for (let c = 0; c < 3; c++) expect(Math.abs((s.frames[o + slot * POSE_STRIDE + c] ?? NaN) - pose.position[c]!)).toBeLessThan(1e-4);
        }
      });
    }
    expect(withFrames).toBeGreaterThan(2);
  });

  it('the reset frame and the last frame equal capturePoseFrame of an env replayed by hand; the layout and scene are the world\'s', async () => {
    const env = await rebuildEnv(recording.metadata);
    env.reset({ seed: recording.metadata.seed });
    expect(track.layout).toEqual(poseFrameLayout(env.world));
    expect(track.frameLength).toBe(track.layout.length * POSE_STRIDE);
    expect(track.scene).toEqual(env.world.description);
    expect(track.reset.frame).toEqual(capturePoseFrame(env.world));
    for (const recorded of await recording.actions()) applyRecorded(env, recorded);
    const last = [...track.steps].reverse().find((s) => s.frameCount > 0);
    expect(last).toBeDefined();
    const lastFrame = last?.frames.subarray((last.frameCount - 1) * track.frameLength) ?? new Float32Array(0);
    expect(lastFrame).toEqual(capturePoseFrame(env.world));
    // Not vacuous: the agent moved.
    expect(lastFrame.subarray(0, 3)).not.toEqual(track.reset.frame.subarray(0, 3));
  });

  it('is plain data: structuredClone keeps every frame; toStep and onStep', async () => {
    const copy = structuredClone(track);
    expect(copy).toEqual(track);
    expect(copy.steps[1]?.frames).toBeInstanceOf(Float32Array);
    const seen: number[] = [];
    const part = await resimulateFrames(recording, { toStep: 2, onStep: (s) => seen.push(s.step) });
    expect(seen).toEqual([1, 2]);
    expect(part.steps).toEqual(track.steps.slice(0, 2));
    await expect(resimulateFrames(recording, { toStep: recording.steps + 1 })).rejects.toThrow(ReplayError);
    const aborted = new AbortController();
    aborted.abort();
    await expect(resimulateFrames(recording, { signal: aborted.signal })).rejects.toThrow(/interrupted at step 1/);
  });

  it('the same file read by its path gives the same track', async () => {
    const r = await FileRecording.open(path);
    try {
      expect(await resimulateFrames(r)).toEqual(track);
    } finally {
      await r.close();
    }
  });

  it('a recorded hash that differs is reported at its step, and the frames are still drawn', async () => {
    const tampered = join(dir, 'tampered.mcap');
    const wrong = '0'.repeat(64);
    const edited = await rewriteRecording(path, tampered, (topic, m) => (topic === TOPICS.action && m.step === 2 ? { ...m, stateHash: wrong } : m));
    expect(edited).toBe(1);
    const r = await fromBytes(tampered);
    try {
      const t = await resimulateFrames(r);
      expect(t).toMatchObject({ verified: false, firstDivergence: 2, stopped: null });
      expect(t.steps.map((s) => s.matches)).toEqual(track.steps.map((s) => s.step !== 2));
      expect(t.steps[1]).toMatchObject({ recordedHash: wrong, stateHash: track.steps[1]?.stateHash });
      expect(t.steps.map((s) => s.frames)).toEqual(track.steps.map((s) => s.frames));
    } finally {
      await r.close();
    }
  });
});

/** The recorded decision of a step (action text and thought). */
async function stateAtDecision(recording: Recording, step: number): Promise<{ action: string | null; thought: string } | undefined> {
  for await (const { message } of recording.messages<{ step: number; action: string | null; thought: string }>(TOPICS.decision, { fromStep: step, toStep: step })) {
    if (message.step === step) return message;
  }
  return undefined;
}

describe('resimulateFrames of a scripted scenario', () => {
  it('is refused without a loader (its module is on disk), and works with one', async () => {
    const module = join(ROOT, 'scenes/scenarios/examples/moved-while-away.ts');
    const scenario = await importScenario(module);
    const family = scenario.families[0] ?? '';
    const env = new Env((s) => scenario.makeEpisode(family, s), { maxSteps: 4 });
    const path = join(dir, 'scripted.mcap');
    const recorder = await EpisodeRecorder.create(path, { env, source: { kind: 'scripted', path: module, family }, planner: { name: 'oracle' } });
    const result = await runEpisode({ env, planner: makePlanner('oracle', env), seed: scenario.seeds[0] ?? 0, onEvent: recorder.onEvent });
    await recorder.close();
    const recording = await fromBytes(path);
    try {
      await expect(resimulateFrames(recording)).rejects.toThrow(ReplayError);
      await expect(resimulateFrames(recording)).rejects.toThrow(
        `the recording comes from the scripted scenario module ${module}, a file on disk: re-simulating it needs Node`,
      );
      const track = await resimulateFrames(recording, { loadScenario: importScenario });
      expect(track).toMatchObject({ verified: true, firstDivergence: null });
      expect(track.steps).toHaveLength(result.steps);
    } finally {
      await recording.close();
    }
  });
});
