// The replay worker: reads a recording (MCAP bytes), rebuilds its scene (the env from the recorded metadata, reset
// with the recorded seed) and turns every recorded state into a pose frame for that scene's layout, off the page's
// thread. It draws what was recorded, never a re-simulation: the browser's floating point (Math.sin, Math.cos) is
// not Node's, so a re-simulation here would not be the recorded episode.
import * as Comlink from 'comlink';
import { Recording } from '../../record/recording.ts';
import { rebuildEnv } from '../../record/rebuild-core.ts';
import { StateFrames } from '../../record/state-frames.ts';
import { decisionsUpTo, recordedActions } from '../../record/verify.ts';
import { formatAction } from '../../agent/grammar.ts';
import type { ReplayApi, ReplayLoad, ReplayRow } from '../replay/protocol.ts';

async function load(bytes: Uint8Array, name: string): Promise<ReplayLoad> {
  const recording = await Recording.fromBytes(bytes, name);
  try {
    const metadata = recording.metadata;
    const env = await rebuildEnv(metadata);
    env.reset({ seed: metadata.seed });
    const converter = new StateFrames(env.world);
    const steps = recording.steps;
    const states = await recording.states(0, steps);
    if (states.length === 0 || states[0]!.step !== 0) throw new Error(`${name}: the recording has no state after reset`);
    const track = converter.track(states);
    const lastFrame = new Int32Array(steps + 1);
    let k = 0;
    for (let step = 0; step <= steps; step++) {
      while (k + 1 < track.count && track.steps[k + 1]! <= step) k++;
      lastFrame[step] = k;
    }
    const actions = (await recordedActions(recording)).slice(0, steps);
    const decisions = await decisionsUpTo(recording, steps);
    const rows: ReplayRow[] = actions.map((a) => {
      const d = decisions.get(a.step);
      return {
        step: a.step,
        thought: d?.thought ?? '',
        action: a.action ? formatAction(a.action) : (d?.action ?? null),
        outcome: a.outcome,
        stateHash: a.stateHash,
        latencyMs: d?.latencyMs ?? 0,
        tokens: d?.tokens ?? 0,
      };
    });
    const info = recording.info();
    const result = info.result;
    const out: ReplayLoad = {
      info: {
        name,
        seed: metadata.seed,
        family: metadata.family,
        planner: metadata.planner.name,
        instruction: metadata.instruction,
        steps,
        complete: recording.complete,
        problem: recording.problem,
        result: result === null ? null : { success: result.success, steps: result.steps, reason: result.failureReason },
      },
      description: structuredClone(env.world.description),
      layout: track.layout,
      frameLength: track.frameLength,
      controlDt: env.config.controlDt,
      frameCount: track.count,
      frames: track.frames,
      frameSteps: track.steps,
      lastFrame,
      rows,
      resetHash: states[0]!.stateHash,
    };
    return Comlink.transfer(out, [out.frames.buffer, out.frameSteps.buffer, out.lastFrame.buffer]);
  } finally {
    await recording.close();
  }
}

const api: ReplayApi = { load };
Comlink.expose(api);
