// The resumable state of a stage, one safetensors file written atomically (temp file + rename, so a kill mid-write
// leaves the previous state whole): the weights, the Adam moments (`adam.m.*`, `adam.v.*`) and, in metadata, the
// step, the data cursor, the log so far and the wall time spent. Restoring all of it continues bit-identically.
import { loadCheckpoint, saveCheckpoint } from '../checkpoint-file.ts';
import { CheckpointError } from '../checkpoint.ts';
import type { NamedTensors } from '../tensors.ts';
import type { Stage } from './config.ts';
import type { Cursor } from './data.ts';
import type { StageRecord } from './files.ts';
import type { LogRow } from './report.ts';

const STATE_KEY = 'umwelt.train.state';
const STATE_VERSION = 1;

export interface TrainState {
  stage: Stage;
  /** Steps done. */
  step: number;
  /** The stage's planned number of steps (the schedule's length). */
  steps: number;
  cursor: Cursor;
  log: LogRow[];
  /** Wall-clock seconds spent training so far (reported only). */
  trainSeconds: number;
  /** The ModelConfig JSON the weights belong to (a resumed run must match it). */
  modelConfig: string;
  /** The stages before this one (the model file's META.lineage); absent in states written before it was kept. */
  lineage?: StageRecord[];
}

export async function saveState(path: string, state: TrainState, weights: NamedTensors, moments: NamedTensors): Promise<void> {
  const tensors: NamedTensors = new Map([...weights, ...moments]);
  await saveCheckpoint(path, tensors, { [STATE_KEY]: JSON.stringify({ version: STATE_VERSION, ...state }) });
}

export interface LoadedState {
  state: TrainState;
  weights: NamedTensors;
  moments: NamedTensors;
}

export async function loadState(path: string): Promise<LoadedState> {
  const { tensors, metadata } = await loadCheckpoint(path);
  const text = metadata[STATE_KEY];
  if (text === undefined) throw new CheckpointError(`${path}: not a training state (no ${STATE_KEY} metadata)`);
  const parsed = JSON.parse(text) as TrainState & { version: number };
  if (parsed.version !== STATE_VERSION) throw new CheckpointError(`${path}: training state version ${parsed.version}, expected ${STATE_VERSION}`);
  const { version: _version, ...state } = parsed;
  const weights: NamedTensors = new Map();
  const moments: NamedTensors = new Map();
  for (const [name, t] of tensors) (name.startsWith('adam.') ? moments : weights).set(name, t);
  return { state, weights, moments };
}
