// Pose frames from a recording's own states (record/state-frames.ts, the browser's replay viewer) on a real
// recording of a real oracle episode that opens and closes a container: the frame of every recorded state equals
// the pose frame a Node re-simulation captures at that control step (record/frames.ts), within 1e-5 (states are
// rounded to 1e-6), for the reset and every control step of every step; a state missing an object or a part is a
// StateFrameError naming it.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StateMessage } from '../../record/format.ts';
import { resimulateFrames, type ReplayTrack } from '../../record/frames.ts';
import { rebuildEnv } from '../../record/rebuild-core.ts';
import { Recording } from '../../record/recording.ts';
import { StateFrameError, StateFrames } from '../../record/state-frames.ts';
import { recordEpisode } from '../fixtures/recordings.ts';

const dir = mkdtempSync(join(tmpdir(), 'umwelt-state-frames-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function maxDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

describe('StateFrames', () => {
  const path = join(dir, 'place-in.mcap');
  let recording: Recording;
  let states: StateMessage[];
  let resim: ReplayTrack;
  let frames: StateFrames;

  beforeAll(async () => {
    const result = await recordEpisode(path, 'place-in', { maxSteps: 20 });
    expect(result.steps).toBeGreaterThan(3);
    recording = await Recording.fromBytes(new Uint8Array(readFileSync(path)), path);
    states = await recording.states();
    resim = await resimulateFrames(recording);
    expect(resim.verified).toBe(true);
    const env = await rebuildEnv(recording.metadata);
    env.reset({ seed: recording.metadata.seed });
    frames = new StateFrames(env.world);
  });
  afterAll(() => recording.close());

  it('has the layout of the re-simulated world', () => {
    expect(frames.layout).toEqual(resim.layout);
    expect(frames.frameLength).toBe(resim.frameLength);
    expect(frames.layout.length).toBeGreaterThan(2);
  });

  it('gives every control step the pose frame the re-simulation captured there, within 1e-5', () => {
    const track = frames.track(states);
    expect(track.count).toBe(states.length);
    // The re-simulation's frames in the same order: the reset, then every control step of every step.
    const expected = [resim.reset.frame];
    const expectedSteps = [0];
    for (const s of resim.steps) {
      for (let k = 0; k < s.frameCount; k++) {
        expected.push(s.frames.subarray(k * resim.frameLength, (k + 1) * resim.frameLength));
        expectedSteps.push(s.step);
      }
    }
    expect(track.count).toBe(expected.length);
    expect([...track.steps]).toEqual(expectedSteps);
    expect(expected.length).toBeGreaterThan(recording.steps);
    let worst = 0;
    expected.forEach((e, i) => {
      const got = track.frames.subarray(i * track.frameLength, (i + 1) * track.frameLength);
      const d = maxDifference(got, e);
      if (d >= 1e-5) throw new Error(`frame ${i} (step ${track.steps[i]}) differs by ${d}`);
      worst = Math.max(worst, d);
    });
    expect(worst).toBeLessThan(1e-5);
  });

  it('moves a door or drawer during the episode (so the part slots were exercised)', () => {
    const opennesses = new Set(states.flatMap((s) => s.parts.map((p) => `${p.id}:${p.openness}`)));
    const parts = new Set(states.flatMap((s) => s.parts.map((p) => p.id)));
    expect(opennesses.size).toBeGreaterThan(parts.size);
  });

  it('refuses a state without a pose of an object, or without a part', () => {
    const state = states[0]!;
    const object = state.poses.find((p) => p.id !== 'robot' && p.id !== 'hand')!.id;
    expect(frames.layout).toContain(object);
    expect(() => frames.frame({ ...state, poses: state.poses.filter((p) => p.id !== object) })).toThrow(StateFrameError);
    expect(() => frames.frame({ ...state, poses: state.poses.filter((p) => p.id !== object) })).toThrow(`no pose of ${object}`);
    const part = state.parts[0];
    if (part !== undefined) {
      expect(() => frames.frame({ ...state, parts: state.parts.filter((p) => p.id !== part.id) })).toThrow(`no openness of ${part.id}`);
    }
    expect(() => frames.frame({ ...state, poses: state.poses.filter((p) => p.id !== 'robot') })).toThrow('no pose of robot');
  });
});
