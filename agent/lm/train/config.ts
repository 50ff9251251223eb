// The training config file (models/planner/train.json): where the data is, where the run goes, the tokenizer, the
// model's shape and, per stage, the optimisation. A bad file is a TrainConfigError naming the file and the field.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';

/** pretrain (plain text), sft (the oracle's examples), dagger (optional: SFT again with the oracle's labels on the states
 *  the SFT model reaches itself, `umwelt data --student`), dagger2 and dagger3 (optional, each after the one before:
 *  further rounds, the student being the model of the round before). */
export const STAGES = ['pretrain', 'sft', 'dagger', 'dagger2', 'dagger3'] as const;
export type Stage = (typeof STAGES)[number];
/** The DAgger rounds, in order: each starts from the model of the stage before it. */
export const DAGGER_STAGES = ['dagger', 'dagger2', 'dagger3'] as const;
export type DaggerStage = (typeof DAGGER_STAGES)[number];

/** The stage whose model a DAgger round starts from (and whose model is that round's student). */
export function stageBefore(stage: DaggerStage): 'sft' | 'dagger' | 'dagger2' {
  switch (stage) {
    case 'dagger':
      return 'sft';
    case 'dagger2':
      return 'dagger';
    case 'dagger3':
      return 'dagger2';
    default: {
      const never: never = stage;
      throw new Error(`unknown DAgger stage ${String(never)}`);
    }
  }
}

/** What a DAgger round trains on besides dataDir's examples: the student data of every round up to it, as DAgger
 *  aggregates ('all-rounds'), or of this round only ('this-round': a round that fine-tunes where the model before
 *  falls short, the base examples keeping the rest). */
export const AGGREGATES = ['all-rounds', 'this-round'] as const;

export const LONG_EXAMPLES = ['drop', 'shorten-history'] as const;
export type LongExamples = (typeof LONG_EXAMPLES)[number];

const positiveInt = z.number().int().min(1);
const nonNegativeInt = z.number().int().min(0);
const positive = z.number().positive();

const stageFields = {
    steps: positiveInt,
    batchSize: positiveInt,
    /** Tokens per row: pretraining packs passages into windows of this length; SFT drops longer examples. */
    seqLen: positiveInt,
    lr: positive,
    /** Linear warm-up from 0 over this many steps. */
    warmupSteps: nonNegativeInt.default(0),
    /** 'cosine': from lr after warm-up down to minLr at the last step; 'constant': lr after warm-up. */
    schedule: z.enum(['cosine', 'constant']).default('cosine'),
    minLr: z.number().min(0).default(0),
    weightDecay: z.number().min(0).default(0.1),
    clipNorm: z.number().min(0).default(1),
    /** Validation loss (and the onEvaluate hook) every this many steps, and at the last step. */
    evalEvery: positiveInt.default(100),
    /** A resumable state every this many steps, and at the end. */
    checkpointEvery: positiveInt.default(100),
    /** Share of the episodes (family + seed) held out for validation. */
    validationFraction: z.number().min(0).max(0.5).default(0.1),
    /** Episodes per task family the planner plays in the sim at every evaluation (0: none; the CLI runs them). */
    successEpisodes: nonNegativeInt.default(0),
    /** Instruction examples longer than seqLen: left out ('drop'), or kept with the oldest History lines removed, then
     *  the last Memories lines, as the planner shortens a prompt that does not fit ('shorten-history'; dropped when
     *  even that is too long). */
    longExamples: z.enum(LONG_EXAMPLES).default('drop'),
    /** SFT only: start from OUT/pretrain.safetensors when it exists ('pretrained'), or from scratch. */
    init: z.enum(['pretrained', 'scratch']).default('pretrained'),
};
const lrOrdered = (s: { minLr: number; lr: number }): boolean => s.minLr <= s.lr;
const stageSchema = z.strictObject(stageFields).refine(lrOrdered, { message: 'must be <= lr', path: ['minLr'] });

/** One batch of student data: `umwelt data --student <the model before this round> --out dir ...`. */
const studentPartSchema = z.strictObject({
  /** Output directory of that data (its sft.jsonl joins dataDir's examples). */
  dir: z.string().min(1),
  /** Episodes per family, from this index of the train split (past the seeds of the data before, so the scenes are new). */
  episodes: positiveInt,
  start: nonNegativeInt,
  /** Share of the steps the student acts. */
  rate: z.number().min(0).max(1),
  /** The families played (default: all nine standard ones); a round may weigh the families it fails most. */
  families: z.array(z.string().min(1)).min(1).optional(),
  /** 'prompt': the visits of each house of a memory family share one memory (`umwelt data --memory-mode prompt`). */
  memoryMode: z.enum(['off', 'prompt']).optional(),
});
export type StudentPart = z.infer<typeof studentPartSchema>;

/**
 * A DAgger round starts from the model of the stage before (dagger: OUT/sft.safetensors, dagger2:
 * OUT/dagger.safetensors, dagger3: OUT/dagger2.safetensors) and trains on dataDir's examples plus the student data
 * of this round and (aggregate 'all-rounds', the default) every round before. `student` is one batch or a list of
 * them (scripts/train-planner.sh makes each with `umwelt data --student`).
 */
const daggerSchema = z
  .strictObject({
    ...stageFields,
    student: z.union([studentPartSchema, z.array(studentPartSchema).min(1)]),
    aggregate: z.enum(AGGREGATES).default('all-rounds'),
  })
  .refine(lrOrdered, { message: 'must be <= lr', path: ['minLr'] });

const trainConfigSchema = z.strictObject({
  /** Relative paths are relative to the current directory (the repository root in the scripts). */
  dataDir: z.string().min(1),
  out: z.string().min(1),
  seed: nonNegativeInt.default(0),
  tokenizer: z.strictObject({ vocabSize: z.number().int().min(262), minFrequency: positiveInt.default(2) }),
  model: z.strictObject({
    context: positiveInt,
    dModel: positiveInt,
    heads: positiveInt,
    layers: positiveInt,
    mlpRatio: positiveInt.default(4),
    positions: z.enum(['learned', 'rope']).default('rope'),
  }),
  /** Data-parallel worker threads (1: train on the main thread). */
  workers: z.number().int().min(1).max(16).default(1),
  pretrain: stageSchema,
  sft: stageSchema,
  dagger: daggerSchema.optional(),
  dagger2: daggerSchema.optional(),
  dagger3: daggerSchema.optional(),
});

export type TrainConfig = z.infer<typeof trainConfigSchema>;
export type StageConfig = TrainConfig['sft'];

export class TrainConfigError extends Error {
  override readonly name = 'TrainConfigError';
  constructor(
    readonly file: string,
    readonly field: string,
    detail: string,
  ) {
    super(`${file}: ${field ? `${field}: ` : ''}${detail}`);
  }
}

/** Validates a parsed config; `file` names it in errors. */
export function parseTrainConfig(value: unknown, file: string): TrainConfig {
  const result = trainConfigSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue ? issue.path.map(String).join('.') : '';
    throw new TrainConfigError(file, field, issue?.message ?? 'invalid config');
  }
  const config = result.data;
  if (config.model.dModel % config.model.heads !== 0) throw new TrainConfigError(file, 'model.heads', `must divide model.dModel (${config.model.dModel})`);
  if (config.model.positions === 'rope' && (config.model.dModel / config.model.heads) % 2 !== 0) {
    throw new TrainConfigError(file, 'model.heads', 'rotary positions need an even head size (dModel / heads)');
  }
  if (config.dagger2 !== undefined && config.dagger === undefined) throw new TrainConfigError(file, 'dagger2', 'needs a dagger stage: the second round starts from its model');
  if (config.dagger3 !== undefined && config.dagger2 === undefined) throw new TrainConfigError(file, 'dagger3', 'needs a dagger2 stage: the third round starts from its model');
  for (const stage of STAGES) {
    const s = config[stage];
    if (s === undefined) continue;
    if (s.seqLen > config.model.context) throw new TrainConfigError(file, `${stage}.seqLen`, `must be <= model.context (${config.model.context}), got ${s.seqLen}`);
    if (s.warmupSteps > s.steps) throw new TrainConfigError(file, `${stage}.warmupSteps`, `must be <= ${stage}.steps (${s.steps})`);
  }
  return config;
}

/** The student batches of one DAgger stage, as a list. */
export function studentParts(config: TrainConfig, stage: DaggerStage): StudentPart[] {
  const student = config[stage]?.student;
  return student === undefined ? [] : Array.isArray(student) ? student : [student];
}

/** The student data directories a stage trains on: those of every DAgger round up to it, or of the round alone with
 *  aggregate 'this-round' (none for pretrain and sft). */
export function studentDirs(config: TrainConfig, stage: Stage): string[] {
  const index = (DAGGER_STAGES as readonly Stage[]).indexOf(stage);
  if (index < 0) return [];
  const round = DAGGER_STAGES[index] as DaggerStage;
  const upTo = config[round]?.aggregate === 'this-round' ? [round] : DAGGER_STAGES.slice(0, index + 1);
  return upTo.flatMap((round) => studentParts(config, round).map((part) => part.dir));
}

/** The stages a config trains, in order (the DAgger rounds only when configured). */
export const configuredStages = (config: TrainConfig): Stage[] => STAGES.filter((stage) => config[stage] !== undefined);

/** A stage's optimisation settings; a TrainConfigError when the config has no such stage. */
export function stageConfigOf(config: TrainConfig, stage: Stage, file: string): StageConfig {
  const s = config[stage];
  if (s === undefined) throw new TrainConfigError(file, stage, `this config has no ${stage} stage`);
  return s;
}

/** Reads and validates a config file. */
export function loadTrainConfig(path: string): TrainConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : '';
    throw new TrainConfigError(path, '', code === 'ENOENT' ? 'no such config file' : `cannot read: ${(e as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new TrainConfigError(path, '', `not JSON: ${(e as Error).message}`);
  }
  return parseTrainConfig(value, path);
}

/** A config path resolved against a base directory (absolute paths stay). */
export const resolveFrom = (base: string, path: string): string => (isAbsolute(path) ? path : resolve(base, path));
export const configDir = (file: string): string => dirname(resolve(file));
