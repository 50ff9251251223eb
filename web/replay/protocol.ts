// What the replay worker (workers/replay.worker.ts) hands the page: everything needed to draw and scrub a recorded
// episode, structured-clone-safe, the frames in one transferred Float32Array.
import type { SceneDescription } from '../../sim/description.ts';
import type { Outcome } from '../../sim/types.ts';

/** One recorded step, for the thought log. */
export interface ReplayRow {
  /** 1..steps. */
  step: number;
  thought: string;
  /** The recorded action as text, or null when the planner's output did not parse. */
  action: string | null;
  outcome: Outcome;
  /** The recorded Env.stateHash() after the step. */
  stateHash: string;
  latencyMs: number;
  tokens: number;
}

export interface ReplayInfo {
  /** The name the recording was opened under (a file name or URL). */
  name: string;
  seed: number;
  family: string;
  planner: string;
  instruction: string;
  /** Steps recorded after reset. */
  steps: number;
  /** Whether the file is whole; what is wrong with it otherwise (shown as far as it goes). */
  complete: boolean;
  problem: string | null;
  /** The episode's end, when recorded. */
  result: { success: boolean; steps: number; reason: string | null } | null;
}

export interface ReplayLoad {
  info: ReplayInfo;
  /** The scene after reset (the rebuilt env's description): build the drawing World from it. */
  description: SceneDescription;
  /** Pose frame slot ids (sim/pose-frame.ts), `agent` first. */
  layout: string[];
  frameLength: number;
  /** Seconds between frames (one control step). */
  controlDt: number;
  /** One frame per recorded state (after reset, then after every control step), back to back. */
  frameCount: number;
  frames: Float32Array;
  /** The step of each frame (0: the reset). */
  frameSteps: Int32Array;
  /** lastFrame[k]: the index of the last frame at or before the end of step k (k = 0..steps). */
  lastFrame: Int32Array;
  rows: ReplayRow[];
  /** The recorded state hash after reset. */
  resetHash: string;
}

/** The replay worker's API (comlink). */
export interface ReplayApi {
  /** Reads, rebuilds and converts a recording; rejects with a readable message (the error's `message`). */
  load(bytes: Uint8Array, name: string): Promise<ReplayLoad>;
}
