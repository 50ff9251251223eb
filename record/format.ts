// The recording format: one MCAP file per episode (profile "umwelt", JSON message encoding, JSON Schema schemas).
// Message times are SIMULATED time in nanoseconds (physics steps x physics dt), never the wall clock, so a
// recording is a function of the episode (only decision latencies are measured). This file is the contract
// between the recorder, the reader and replay: topics, metadata names and message shapes.
//
// Order: messages are written in the order things happen; log times never decrease, and the MCAP `sequence` of
// every message is one counter over the whole file (0, 1, 2, ...), so that messages at the same simulated time
// (a step that runs no physics) keep their order and belong to exactly one step (see StepIndexMetadata).
// Frames: the umwelt topics use the simulator's frame (metres, y up, the agent's yaw about +y). The foxglove
// topics use a z-up `world` frame, as Foxglove and ROS do: a simulator point (x, y, z) is (x, -z, y) there.
import type { Decision } from '../agent/planner.ts';
import type { EnvConfig, EnvSnapshot } from '../sim/env.ts';
import type { SceneDescription } from '../sim/description.ts';
import type { Action, Observation, Outcome } from '../sim/types.ts';

export const RECORDING_FORMAT_VERSION = 1;
export const MCAP_PROFILE = 'umwelt';

export const TOPICS = {
  /** ObservationMessage, after reset (step 0) and after every step. */
  observation: '/umwelt/observation',
  /** DecisionMessage, once per step, before the action. */
  decision: '/umwelt/decision',
  /** ActionMessage, once per step: the action executed (or null) and its outcome. */
  action: '/umwelt/action',
  /** RewardMessage, once per step. */
  reward: '/umwelt/reward',
  /** StateMessage, after reset and after EVERY control step: poses, parts, held object, stateHash. */
  state: '/umwelt/state',
  /** SnapshotMessage, after reset and after every step: the full EnvSnapshot (restorable) and its stateHash. */
  snapshot: '/umwelt/snapshot',
  /** MemoryMessage: memory reads and writes (once the agent has a memory). */
  memory: '/umwelt/memory',
  /** ResultMessage, once, at the end. */
  result: '/umwelt/result',
  /** foxglove.SceneUpdate: every entity as cubes/spheres/cylinders in its own frame, once after reset. */
  scene: '/foxglove/scene',
  /**
   * foxglove.FrameTransforms: poses of the frames relative to `world`, one message with every StateMessage (after
   * reset and every control step). The one after reset and the first one of every step hold every frame: the
   * moving ones (robot, hand, objects, door and drawer parts) and the static ones (rooms, walls, furniture, mats),
   * so that a viewer that seeks finds them all; the others hold the robot, its hand and what moved since the last.
   */
  transforms: '/foxglove/transforms',
  /** foxglove.Log: thoughts (INFO), actions (INFO) and outcomes (INFO, WARNING when the action failed). */
  log: '/foxglove/log',
  /**
   * foxglove.CompressedImage: the agent's camera, rendered by the browser app when it records (never by `umwelt run`):
   * one frame after reset and one after every step, written after that step's snapshot (so it belongs to that step),
   * timestamped with the simulated time, frame_id CAMERA_FRAME. `data` is base64 in the JSON encoding; `format` is
   * 'png' or 'jpeg'. RGB: what the scene looks like (lit as the app draws it).
   */
  cameraRgb: '/foxglove/camera/rgb',
  /**
   * Depth: z-depth (metres along the camera's view axis) as 8-bit grey (R = G = B): round(255 * min(d, R) / R) with R
   * DEPTH_RANGE_M (the sensor's range); 255 also where nothing is within R.
   */
  cameraDepth: '/foxglove/camera/depth',
  /**
   * Segmentation: every mesh of an entity in one flat colour, from a stable hash of the entity's id
   * (segmentationColor); floors and walls likewise from `floor:<room>` and `wall`; black where nothing is.
   */
  cameraSegmentation: '/foxglove/camera/segmentation',
} as const;
export type Topic = (typeof TOPICS)[keyof typeof TOPICS];

/** The kinds of camera image a recording may hold, each on its own topic. */
export const CAMERA_KINDS = ['rgb', 'depth', 'segmentation'] as const;
export type CameraKind = (typeof CAMERA_KINDS)[number];
export const CAMERA_TOPICS = {
  rgb: TOPICS.cameraRgb,
  depth: TOPICS.cameraDepth,
  segmentation: TOPICS.cameraSegmentation,
} as const satisfies Record<CameraKind, Topic>;
/** The image encodings foxglove.CompressedImage allows here. */
export const IMAGE_FORMATS = ['png', 'jpeg'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];
/**
 * The frame_id of the camera images: the agent's eye, ROBOT.eyeHeight above the `robot` frame's origin, looking along
 * the robot's forward axis (pitched by the sensor's pitch). No transform is recorded for it.
 */
export const CAMERA_FRAME = 'camera';
/** Depth images map z-depth 0..DEPTH_RANGE_M metres to grey 0..255 (the default sensor's range). */
export const DEPTH_RANGE_M = 9;

/** A camera image as the recorder takes it and the reader gives it back (width and height from the image itself). */
export interface CameraImage {
  kind: CameraKind;
  format: ImageFormat;
  /** The encoded image (PNG or JPEG bytes). */
  data: Uint8Array;
  width: number;
  height: number;
}

/** Names of the MCAP metadata records. */
export const METADATA = {
  /** EpisodeMetadata (values are strings; structured ones are JSON), written first. */
  episode: 'umwelt.episode',
  /** StepIndexMetadata, written at the end: where each step starts, for random access by step. */
  steps: 'umwelt.steps',
} as const;

/** How to rebuild the episode's env for re-simulation. */
export type EpisodeSource =
  | { kind: 'family'; family: string }
  /** A scripted scenario module (absolute path when recorded) and its episode label. */
  | { kind: 'scripted'; path: string; family: string };

/** The episode metadata record, decoded (on disk every value is a string; objects are JSON). */
export interface EpisodeMetadata {
  formatVersion: number;
  seed: number;
  family: string;
  instruction: string;
  source: EpisodeSource;
  scene: SceneDescription;
  /** The task as the agent starts it: instruction and targets (goals when the task is goal-based). */
  task: { instruction: string; targets: string[]; goals?: unknown[]; mode?: string };
  planner: { name: string; config: Record<string, unknown> };
  env: EnvConfig;
  /** Versions of umwelt and of the packages the simulation depends on (cannon-es, three, ...). */
  packages: Record<string, string>;
  /** Set on a branch (record/replay.ts branch()): the recording it continues and the step it branched at. */
  branchedFrom?: { path: string; step: number };
}

/**
 * Per step: the log times and sequence numbers of its first and last message. Step 0 runs from the episode's first
 * message (after reset) to its snapshot; step k >= 1 from its decision to its snapshot (its last message), or to the
 * camera images written after the snapshot when the browser app records (they show the state after the step). The
 * result message comes after the last step and belongs to none. On disk: the keys `steps` and `sequences`, each a
 * JSON array, and `count` (the number of entries, steps + 1).
 */
export interface StepIndexMetadata {
  /** steps[k] = [startNs, endNs] of step k (step 0 = reset), decimal strings. */
  steps: [string, string][];
  /** sequences[k] = [first, last] MCAP sequence number of step k: exact where steps share a log time. */
  sequences: [number, number][];
}

export interface ObservationMessage {
  step: number;
  observation: Observation;
}

export interface DecisionMessage {
  step: number;
  /** The prompt the planner saw, when it is a language model (empty otherwise). */
  prompt: string;
  thought: string;
  raw: string;
  /** The parsed action as text, or null. */
  action: string | null;
  error: string | null;
  latencyMs: number;
  tokens: number;
  promptTokens: number;
}

export interface ActionMessage {
  step: number;
  action: Action | null;
  outcome: Outcome;
  physicsSteps: number;
  stateHash: string;
}

export interface RewardMessage {
  step: number;
  reward: number;
  total: number;
}

export interface EntityPose {
  id: string;
  position: [number, number, number];
  /** x, y, z, w. */
  quaternion: [number, number, number, number];
}

export interface StateMessage {
  /** The step being executed (0: the state after reset, written once, after the settling control steps). */
  step: number;
  /** Control steps since reset (the reset's settling ones included). */
  controlStep: number;
  physicsSteps: number;
  simSeconds: number;
  /** Env.stateHash() now. */
  stateHash: string;
  /** Robot base (id `robot`), hand (id `hand`) and every object, in that order (furniture and mats never move).
   * Rounded to 1e-6 (metres, quaternion components): for display; the stateHash is over the exact state. */
  poses: EntityPose[];
  /** Openness of every door and drawer. */
  parts: { id: string; openness: number }[];
  holding: string | null;
}

export interface SnapshotMessage {
  step: number;
  stateHash: string;
  snapshot: EnvSnapshot;
}

export interface MemoryMessage {
  step: number;
  op: 'read' | 'write';
  /** Free-form, JSON-safe. */
  detail: Record<string, unknown>;
}

export interface ResultMessage {
  success: boolean;
  terminated: boolean;
  truncated: boolean;
  aborted: boolean;
  failureReason: string | null;
  steps: number;
  stateHash: string;
  metrics: Record<string, unknown>;
}

/** Simulated seconds to an MCAP timestamp (nanoseconds). */
export function simTimeNs(simSeconds: number): bigint {
  return BigInt(Math.round(simSeconds * 1e9));
}

export type { Decision };
