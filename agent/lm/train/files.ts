// Where a training run writes (OUT is the config's `out`), and the metadata a model file carries:
//   OUT/tokenizer.json               the tokenizer, trained by the first stage run, reused afterwards
//   OUT/<stage>.state.safetensors    the resumable state (weights, Adam moments, step, data cursor, log)
//   OUT/<stage>.safetensors          the stage's model (F32) with META metadata, loadable by loadCheckpoint
//   OUT/<stage>-eval.safetensors     the weights handed to the onEvaluate hook
//   OUT/<stage>-loss.csv, .svg       the loss log and its chart
import { join } from 'node:path';
import { z } from 'zod';
import { loadCheckpoint } from '../checkpoint-file.ts';
import { CheckpointError } from '../checkpoint.ts';
import { validateConfig, weightShapes, type ModelConfig } from '../config.ts';
import { Tokenizer } from '../tokenizer.ts';
import type { NamedTensors } from '../tensors.ts';
import type { Stage } from './config.ts';
import { PROMPT_FORMAT_KEY } from '../../prompt-format.ts';

export const tokenizerPath = (out: string): string => join(out, 'tokenizer.json');
export const statePath = (out: string, stage: Stage): string => join(out, `${stage}.state.safetensors`);
export const modelPath = (out: string, stage: Stage): string => join(out, `${stage}.safetensors`);
export const evalModelPath = (out: string, stage: Stage): string => join(out, `${stage}-eval.safetensors`);
export const lossCsvPath = (out: string, stage: Stage): string => join(out, `${stage}-loss.csv`);
export const lossSvgPath = (out: string, stage: Stage): string => join(out, `${stage}-loss.svg`);

/** Metadata keys of a model file (all values are strings; JSON where structured). */
export const META = {
  /** ModelConfig JSON. */
  config: 'config',
  /** TokenizerJSON. */
  tokenizer: 'tokenizer',
  stage: 'stage',
  steps: 'steps',
  trainSeconds: 'train_seconds',
  /** DataCounts JSON. */
  data: 'data',
  /** The whole training config, JSON. */
  trainConfig: 'train_config',
  /** The prompt format of the training data (agent/prompt-format.ts). */
  promptFormat: PROMPT_FORMAT_KEY,
  /** The stages before this one, oldest first, as StageRecord JSON: the file this stage started from and its lineage. */
  lineage: 'lineage',
} as const;

/** What a model file says of the stage that made it (its metadata's stage, steps, train_seconds and data). */
export interface StageRecord {
  stage: string;
  steps: string;
  trainSeconds: string;
  /** DataCounts JSON. */
  data: string;
}

const stageRecordSchema = z.strictObject({ stage: z.string(), steps: z.string(), trainSeconds: z.string(), data: z.string() });

/** The lineage a model file records (empty when it records none, as files from before it was kept do). */
export function lineageOf(metadata: Record<string, string>): StageRecord[] {
  const text = metadata[META.lineage];
  if (text === undefined) return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CheckpointError('lineage metadata is not JSON');
  }
  const parsed = z.array(stageRecordSchema).safeParse(value);
  if (!parsed.success) throw new CheckpointError(`lineage metadata is not a list of stage records: ${parsed.error.issues[0]?.message ?? ''}`);
  return parsed.data;
}

/** The lineage of a stage that starts from a model file with this metadata: that file's lineage, then that file. */
export function lineageAfter(metadata: Record<string, string>): StageRecord[] {
  const own: StageRecord = { stage: metadata[META.stage] ?? '?', steps: metadata[META.steps] ?? '', trainSeconds: metadata[META.trainSeconds] ?? '', data: metadata[META.data] ?? '{}' };
  return [...lineageOf(metadata), own];
}

export interface PlannerModelFile {
  config: ModelConfig;
  tokenizer: Tokenizer;
  weights: NamedTensors;
  metadata: Record<string, string>;
}

/** Loads a model file written by training (F32 or int8) with its config and tokenizer, checking the shapes. */
export async function loadPlannerModel(path: string): Promise<PlannerModelFile> {
  const { tensors, metadata } = await loadCheckpoint(path);
  const configText = metadata[META.config];
  const tokenizerText = metadata[META.tokenizer];
  if (configText === undefined || tokenizerText === undefined) throw new CheckpointError(`${path}: no ${META.config} or ${META.tokenizer} metadata: not a trained planner model`);
  let config: ModelConfig;
  let tokenizer: Tokenizer;
  try {
    config = JSON.parse(configText) as ModelConfig;
    validateConfig(config);
    tokenizer = Tokenizer.fromJSON(JSON.parse(tokenizerText));
  } catch (e) {
    throw new CheckpointError(`${path}: bad metadata: ${(e as Error).message}`, { cause: e });
  }
  for (const [name, shape] of weightShapes(config)) {
    const t = tensors.get(name);
    if (t === undefined || t.shape.join(',') !== shape.join(',')) throw new CheckpointError(`${path}: weight ${name} missing or of the wrong shape`);
  }
  return { config, tokenizer, weights: tensors, metadata };
}
