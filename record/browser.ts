// The browser-safe part of record/, in one import: reading a recording from bytes, playback, verified
// re-simulation and re-simulation into pose frames; and recording into memory (EpisodeRecorder.toWritable over a
// BytesWritable, camera images included). Nothing here (nor anything it imports) uses a Node built-in;
// tests/record/browser-safe.test.ts walks the imports to keep it so. Node adds reader.ts (Recording.open by path),
// rebuild.ts (scripted scenario modules from disk), replay.ts (branching, recording a branch) and recorder.ts
// (EpisodeRecorder.create: a recording file, with the package versions read from disk).
import { Recording } from './recording.ts';

export { BytesReadable } from './bytes.ts';
export { BytesWritable } from './bytes-writable.ts';
export { cameraImageProblem, encodedSize } from './camera.ts';
export {
  CAMERA_FRAME,
  CAMERA_KINDS,
  CAMERA_TOPICS,
  DEPTH_RANGE_M,
  IMAGE_FORMATS,
  type CameraImage,
  type CameraKind,
  type ImageFormat,
} from './format.ts';
export { EpisodeRecorder, RecorderError, type RecorderOptions, type RecorderWritable } from './recorder-core.ts';
export { resimulateFrames, type FrameStep, type ReplayTrack, type ResimulateOptions } from './frames.ts';
export { rebuildEnv, recordedEnvConfig, ReplayError, type RebuildOptions, type ScenarioLoader } from './rebuild-core.ts';
export { Recording, RecordingError, type CameraFrame, type MessageRange, type RecordingInfo, type RecordingSource } from './recording.ts';
export {
  applyRecorded,
  restoreAt,
  stateAt,
  verify,
  type Divergence,
  type PlaybackState,
  type StepCheck,
  type VerifyOptions,
  type VerifyResult,
} from './verify.ts';

/** A recording held in memory (e.g. a fetched or dropped .mcap file), named `name` in every message and error. */
export function openRecordingBytes(bytes: Uint8Array, name: string): Promise<Recording> {
  return Recording.fromBytes(bytes, name);
}
