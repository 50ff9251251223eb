// Re-simulating a recording into pose frames for drawing (the browser's playback): rebuild the env from the
// metadata, reset it with the recorded seed and execute the recorded actions (verify.ts's machinery), capturing
// every moving body's pose after every control step (sim/pose-frame.ts) and comparing each step's state hash with
// the recorded one. The result is plain data (typed arrays, strings, numbers, the scene description): it can be
// posted from a worker to the page (structured clone), where applyPoseFrame sets a World built from `scene`.
//
// No Node built-ins in this module's imports (tests/record/browser-safe.test.ts checks it). A scripted scenario's
// recording needs `loadScenario` (its module is a file on disk); without it resimulateFrames refuses it with a
// ReplayError that says so. Task family recordings need nothing.
import { formatAction } from '../agent/grammar.ts';
import type { SceneDescription } from '../sim/description.ts';
import type { Env } from '../sim/env.ts';
import { capturePoseFrame, POSE_STRIDE, poseFrameLayout } from '../sim/pose-frame.ts';
import type { Outcome } from '../sim/types.ts';
import { rebuildEnv, ReplayError, type ScenarioLoader } from './rebuild-core.ts';
import type { Recording } from './recording.ts';
import { applyRecorded, checkStep, decisionsUpTo, rebuildFailure, recordedActions } from './verify.ts';

/** One recorded step, re-simulated. */
export interface FrameStep {
  /** 1..steps. */
  step: number;
  /** The recorded action as text (`pick(mug_3)`), or null when the planner's output did not parse. */
  action: string | null;
  /** The planner's thought ('' when the file has no decision for the step). */
  thought: string;
  /** The recorded outcome. */
  outcome: Outcome;
  /** Physics steps the recorded step ran (0 for a rejected action). */
  physicsSteps: number;
  /** The recorded state hash after the step, and the re-simulated one. */
  recordedHash: string;
  stateHash: string;
  matches: boolean;
  /** Frames captured during the step: one after each of its control steps (0 when it ran no physics). */
  frameCount: number;
  /** frameCount frames of `ReplayTrack.frameLength` floats each, back to back (layout: ReplayTrack.layout). */
  frames: Float32Array;
}

export interface ReplayTrack {
  /** The recording's name (its path, or the name given to its bytes). */
  name: string;
  seed: number;
  family: string;
  instruction: string;
  /** The scene after reset (env.world.description), a structured-clone-safe copy: build the drawing World from it. */
  scene: SceneDescription;
  /** The ids of a frame's slots (sim/pose-frame.ts poseFrameLayout): `agent`, then objects and moving parts. */
  layout: string[];
  /** Floats per frame: layout.length * POSE_STRIDE. */
  frameLength: number;
  /** Seconds between frames (a control step), and physics steps per frame. */
  controlDt: number;
  physicsPerControl: number;
  /** The state after reset: its frame, the recorded and the re-simulated hash. */
  reset: { frame: Float32Array; recordedHash: string; stateHash: string; matches: boolean };
  /** Steps 1..n in order (n: the recorded steps, or toStep; fewer when the re-simulated episode ended early). */
  steps: FrameStep[];
  /** Whether the reset and every step re-simulated to the recorded hash. */
  verified: boolean;
  /** The first step (0: the reset) whose hash differs, or null. */
  firstDivergence: number | null;
  /** Set when re-simulation stopped before the recorded steps ran out (the re-simulated episode had ended). */
  stopped: string | null;
  /** Whether the file is whole, and what is wrong with it otherwise (re-simulated as far as it goes). */
  complete: boolean;
  problem: string | null;
}

export interface ResimulateOptions {
  /** Re-simulate only steps 1..toStep. */
  toStep?: number;
  /** Called after every step, in order (e.g. to draw while the rest is computed). */
  onStep?: (step: FrameStep) => void;
  signal?: AbortSignal;
  /** Supplies a scripted scenario's module; without it, scripted recordings are refused with a ReplayError. */
  loadScenario?: ScenarioLoader;
}

/** Collects one pose frame per control step into a growing buffer. */
class FrameBuffer {
  private data: Float32Array;
  count = 0;

  constructor(private readonly length: number) {
    this.data = new Float32Array(length * 16);
  }

  capture(env: Env): void {
    const end = (this.count + 1) * this.length;
    if (end > this.data.length) {
      const grown = new Float32Array(Math.max(end, this.data.length * 2));
      grown.set(this.data);
      this.data = grown;
    }
    capturePoseFrame(env.world, this.data.subarray(this.count * this.length, end));
    this.count++;
  }

  /** The frames so far, in a buffer of their own; starts over. */
  take(): { frameCount: number; frames: Float32Array } {
    const out = { frameCount: this.count, frames: this.data.slice(0, this.count * this.length) };
    this.count = 0;
    return out;
  }
}

/**
 * Re-simulates a recording into pose frames: the frame after reset, then every control step's frame of every
 * recorded step, with the recorded and re-simulated state hash of each. A divergence does not stop it (the frames
 * show what this simulator does with the recorded actions; `verified` and `firstDivergence` say where it differs);
 * an episode that ends before the recorded steps do stops it (`stopped`).
 */
export async function resimulateFrames(recording: Recording, options: ResimulateOptions = {}): Promise<ReplayTrack> {
  const metadata = recording.metadata;
  const env = await rebuildEnv(metadata, { loadScenario: options.loadScenario });
  let actions = await recordedActions(recording);
  if (options.toStep !== undefined) {
    checkStep(recording, options.toStep, 'resimulate');
    actions = actions.slice(0, options.toStep);
  }
  const decisions = await decisionsUpTo(recording, actions.length);
  const step0 = await recording.snapshot(0);

  let resetHash = '';
  try {
    resetHash = env.reset({ seed: metadata.seed }).info.stateHash;
  } catch (e) {
    rebuildFailure(e);
  }
  const world = env.world;
  const layout = poseFrameLayout(world);
  const frameLength = layout.length * POSE_STRIDE;
  let firstDivergence: number | null = resetHash === step0.stateHash ? null : 0;
  const track: ReplayTrack = {
    name: recording.path,
    seed: metadata.seed,
    family: metadata.family,
    instruction: metadata.instruction,
    scene: structuredClone(world.description),
    layout,
    frameLength,
    controlDt: env.config.controlDt,
    physicsPerControl: env.physicsPerControl,
    reset: { frame: capturePoseFrame(world), recordedHash: step0.stateHash, stateHash: resetHash, matches: resetHash === step0.stateHash },
    steps: [],
    verified: false,
    firstDivergence: null,
    stopped: null,
    complete: recording.complete,
    problem: recording.problem,
  };

  const buffer = new FrameBuffer(frameLength);
  const stop = env.onControlStep((e) => buffer.capture(e));
  try {
    for (const recorded of actions) {
      if (options.signal?.aborted) throw new ReplayError(`re-simulation interrupted at step ${recorded.step}`);
      if (env.ended) {
        track.stopped = `the re-simulated episode ended after step ${recorded.step - 1}, before the recorded step ${recorded.step}`;
        firstDivergence ??= recorded.step;
        break;
      }
      const stateHash = applyRecorded(env, recorded).info.stateHash;
      const matches = stateHash === recorded.stateHash;
      if (!matches) firstDivergence ??= recorded.step;
      const decision = decisions.get(recorded.step);
      const step: FrameStep = {
        step: recorded.step,
        action: recorded.action ? formatAction(recorded.action) : null,
        thought: decision?.thought ?? '',
        outcome: recorded.outcome,
        physicsSteps: recorded.physicsSteps,
        recordedHash: recorded.stateHash,
        stateHash,
        matches,
        ...buffer.take(),
      };
      track.steps.push(step);
      options.onStep?.(step);
    }
  } finally {
    stop();
  }
  track.firstDivergence = firstDivergence;
  track.verified = firstDivergence === null;
  return track;
}
