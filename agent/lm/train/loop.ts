// One training stage (pretrain, sft, dagger or dagger2) from a config: data, tokenizer, model (fresh, from the stage before,
// or from the resumable state), then AdamW steps with the stage's schedule, validation loss and the onEvaluate hook
// every evalEvery steps, a resumable state every checkpointEvery steps, and at the end the stage's model file, its
// loss CSV and its SVG chart. The training math never reads the clock; tokens/s is measured around it.
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { saveCheckpoint } from '../checkpoint-file.ts';
import { makeConfig, type ModelConfig } from '../config.ts';
import { GptModel, initWeights } from '../model.ts';
import type { NamedTensors } from '../tensors.ts';
import type { Tokenizer } from '../tokenizer.ts';
import { DAGGER_STAGES, stageBefore, stageConfigOf, studentDirs, type DaggerStage, type Stage, type StageConfig, type TrainConfig } from './config.ts';
import { readDataDir, readPromptFormat, readSftExamples, StageData, TrainDataError, type DataCounts } from './data.ts';
import { evalModelPath, lineageAfter, lossCsvPath, lossSvgPath, META, modelPath, statePath, loadPlannerModel, type StageRecord } from './files.ts';
import { lastLosses, lossCsv, lossSvg, type LogRow } from './report.ts';
import { learningRate } from './schedule.ts';
import { loadState, saveState, type TrainState } from './state.ts';
import { ensureTokenizer } from './tokenizer.ts';
import { DataParallel } from './parallel.ts';

const isDaggerStage = (stage: Stage): stage is DaggerStage => (DAGGER_STAGES as readonly Stage[]).includes(stage);

/** For a state saved before lineage was kept: the lineage of the file the stage started from, if it is still there. */
async function startedFromLineage(config: TrainConfig, stage: Stage, stageConfig: StageConfig): Promise<StageRecord[]> {
  const from = isDaggerStage(stage) ? modelPath(config.out, stageBefore(stage)) : stage === 'sft' && stageConfig.init === 'pretrained' ? modelPath(config.out, 'pretrain') : null;
  return from !== null && existsSync(from) ? lineageAfter((await loadPlannerModel(from)).metadata) : [];
}

export class TrainStateError extends Error {
  override readonly name = 'TrainStateError';
}

/** Where a stage's weights came from: fresh, the pretrained model (SFT), the model of the stage before (a DAgger
 *  round: sft, dagger, dagger2), or its own state. */
export type StageInit = 'scratch' | 'pretrained' | 'sft' | 'dagger' | 'dagger2' | 'resumed';

export interface ProgressInfo {
  step: number;
  steps: number;
  loss: number;
  lr: number;
  tokensPerSec: number;
  valLoss?: number;
}

export interface TrainStageOptions {
  config: TrainConfig;
  stage: Stage;
  /** Continue from OUT/<stage>.state.safetensors (required when it exists, so no run is overwritten by mistake). */
  resume?: boolean;
  /** Overrides the stage's step count (quick runs); the schedule spans this many steps. */
  steps?: number;
  /** Overrides the config's worker threads (data parallel; 1: the main thread alone). */
  workers?: number;
  /** Checked between steps: when aborted, the state is saved and the stage returns 'interrupted'. */
  signal?: AbortSignal;
  onStart?(info: { step: number; steps: number; counts: DataCounts; tokenizerTrained: boolean; init: StageInit }): void;
  onProgress?(info: ProgressInfo): void;
  /** Called at every evaluation with a model file of the current weights; the metrics go into the CSV. */
  onEvaluate?(checkpointPath: string, step: number): Promise<Record<string, number>>;
  /** Wall clock in ms, injected (agent/ reads no clock), for tokens/s only; without it tokens/s is NaN. */
  clock?: () => number;
}

export interface StageResult {
  status: 'done' | 'interrupted';
  stage: Stage;
  step: number;
  steps: number;
  counts: DataCounts;
  /** Last train loss and last validation loss (NaN when none). */
  loss: number;
  valLoss: number;
  /** Mean tokens/s over the steps of this run (NaN when no step ran). */
  tokensPerSec: number;
  trainSeconds: number;
  files: string[];
}

/** The model config of a run: the config's shape with the tokenizer's vocabulary. */
export const modelConfigOf = (config: TrainConfig, tokenizer: Tokenizer): ModelConfig =>
  makeConfig({ ...config.model, vocabSize: tokenizer.vocabSize });

async function writeText(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, text);
}

/** Mean masked loss over the whole validation set, in batches, no gradient (NaN when there is none). */
async function validationLoss(model: GptModel, data: StageData, batchSize: number, padId: number): Promise<number> {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < data.validation.length; i += batchSize) {
    const rows = data.validation.slice(i, i + batchSize);
    const T = Math.max(...rows.map((r) => r.ids.length));
    const pad = (xs: readonly number[], fill: number): number[] => [...xs, ...new Array<number>(T - xs.length).fill(fill)];
    const r = await model.lossSumAsync(
      rows.map((x) => pad(x.ids, padId)),
      rows.map((x) => pad(x.targets, padId)),
      rows.map((x) => pad(x.mask, 0)),
    );
    sum += r.sum;
    count += r.count;
  }
  return count > 0 ? sum / count : NaN;
}

/**
 * A stage finished earlier and kept as its model file alone (its state, three times larger with the optimizer's
 * moments, deleted or never carried over): the file of this stage, made by this very config with this many steps.
 * Null when there is no such file; the stage then trains as if new.
 */
async function finishedStage(config: TrainConfig, stage: Stage, steps: number, modelConfig: ModelConfig): Promise<Omit<StageResult, 'counts'> | null> {
  const path = modelPath(config.out, stage);
  if (!existsSync(path)) return null;
  const { metadata } = await loadPlannerModel(path);
  const same =
    metadata[META.stage] === stage &&
    metadata[META.steps] === String(steps) &&
    metadata[META.config] === JSON.stringify(modelConfig) &&
    metadata[META.trainConfig] === JSON.stringify(config);
  if (!same) return null;
  const csv = lossCsvPath(config.out, stage);
  const { loss, valLoss } = existsSync(csv) ? lastLosses(await readFile(csv, 'utf8')) : { loss: NaN, valLoss: NaN };
  const files = [path, ...[csv, lossSvgPath(config.out, stage)].filter((f) => existsSync(f))];
  return { status: 'done', stage, step: steps, steps, loss, valLoss, tokensPerSec: NaN, trainSeconds: Number(metadata[META.trainSeconds] ?? NaN), files };
}

export async function trainStage(options: TrainStageOptions): Promise<StageResult> {
  const { config, stage } = options;
  const stageConfig = stageConfigOf(config, stage, 'the train config');
  const clock = options.clock;
  const base = readDataDir(config.dataDir);
  // The tokenizer learns from the base data only, so the student's examples never change it.
  const students = studentDirs(config, stage);
  for (const dir of students) {
    if (readPromptFormat(dir) !== base.promptFormat) {
      throw new TrainDataError(`${dir}: its prompts are in format ${readPromptFormat(dir)}, those of ${config.dataDir} in format ${base.promptFormat}; make both with the same version`);
    }
  }
  const data = students.length > 0 ? { ...base, examples: [...base.examples, ...students.flatMap((dir) => readSftExamples(dir))] } : base;
  const { tokenizer, trained: tokenizerTrained } = await ensureTokenizer(config, base);
  const modelConfig = modelConfigOf(config, tokenizer);
  const padId = tokenizer.id('<pad>');
  const stageData = new StageData(data, tokenizer, { stage, seqLen: stageConfig.seqLen, longExamples: stageConfig.longExamples, seed: config.seed, validationFraction: stageConfig.validationFraction });

  const stateFile = statePath(config.out, stage);
  if (options.resume === true && !existsSync(stateFile)) {
    const finished = await finishedStage(config, stage, options.steps ?? stageConfig.steps, modelConfig);
    if (finished !== null) return { ...finished, counts: stageData.counts };
  }
  let state: TrainState;
  let weights: NamedTensors;
  let moments: NamedTensors = new Map();
  let init: StageInit;
  // The stages before this one (META.lineage), carried through the state file when resumed.
  let lineage: StageRecord[] = [];
  if (existsSync(stateFile)) {
    if (!options.resume) throw new TrainStateError(`${stateFile} exists: pass --resume to continue that run, or delete it to start over`);
    const loaded = await loadState(stateFile);
    if (loaded.state.stage !== stage) throw new TrainStateError(`${stateFile} is a ${loaded.state.stage} state, not ${stage}`);
    if (loaded.state.modelConfig !== JSON.stringify(modelConfig)) throw new TrainStateError(`${stateFile} was trained with another model config (or tokenizer); delete it to start over`);
    state = { ...loaded.state, steps: options.steps ?? loaded.state.steps };
    lineage = loaded.state.lineage ?? (await startedFromLineage(config, stage, stageConfig));
    weights = loaded.weights;
    moments = loaded.moments;
    init = 'resumed';
  } else if (isDaggerStage(stage)) {
    // A DAgger round starts from the model of the stage before it.
    const from = stageBefore(stage);
    const before = modelPath(config.out, from);
    if (!existsSync(before)) throw new TrainStateError(`the ${stage} stage starts from ${before}: train the ${from} stage first`);
    const file = await loadPlannerModel(before);
    if (JSON.stringify(file.config) !== JSON.stringify(modelConfig)) throw new TrainStateError(`${before} has another model config than this run`);
    weights = file.weights;
    lineage = lineageAfter(file.metadata);
    init = from;
    state = { stage, step: 0, steps: options.steps ?? stageConfig.steps, cursor: { epoch: 0, index: 0 }, log: [], trainSeconds: 0, modelConfig: JSON.stringify(modelConfig) };
  } else {
    const pretrained = modelPath(config.out, 'pretrain');
    if (stage === 'sft' && stageConfig.init === 'pretrained' && existsSync(pretrained)) {
      const file = await loadPlannerModel(pretrained);
      if (JSON.stringify(file.config) !== JSON.stringify(modelConfig)) throw new TrainStateError(`${pretrained} has another model config than this run`);
      weights = file.weights;
      lineage = lineageAfter(file.metadata);
      init = 'pretrained';
    } else {
      weights = initWeights(modelConfig, `${config.seed}:${stage}:init`);
      init = 'scratch';
    }
    state = { stage, step: 0, steps: options.steps ?? stageConfig.steps, cursor: { epoch: 0, index: 0 }, log: [], trainSeconds: 0, modelConfig: JSON.stringify(modelConfig) };
  }
  state.lineage = lineage;
  const schedule = { ...stageConfig, steps: state.steps };
  const model = new GptModel(modelConfig, weights, { weightDecay: stageConfig.weightDecay, clipNorm: stageConfig.clipNorm });
  const files: string[] = [];
  let parallel: DataParallel | null = null;
  try {
    model.loadOptimizerState(state.step, moments);
    const threads = Math.min(options.workers ?? config.workers, stageConfig.batchSize);
    if (threads > 1 && state.step < state.steps) parallel = await DataParallel.start(threads, model);
    options.onStart?.({ step: state.step, steps: state.steps, counts: stageData.counts, tokenizerTrained, init });

    const metadata = (): Record<string, string> => ({
      [META.config]: JSON.stringify(modelConfig),
      [META.tokenizer]: JSON.stringify(tokenizer.toJSON()),
      [META.stage]: stage,
      [META.steps]: String(state.step),
      [META.trainSeconds]: state.trainSeconds.toFixed(1),
      [META.data]: JSON.stringify(stageData.counts),
      [META.trainConfig]: JSON.stringify(config),
      [META.promptFormat]: String(base.promptFormat),
      [META.lineage]: JSON.stringify(lineage),
    });
    const writeLog = async (): Promise<void> => {
      await writeText(lossCsvPath(config.out, stage), lossCsv(state.log));
      await writeText(lossSvgPath(config.out, stage), lossSvg(state.log, `${stage}: loss vs step`));
    };
    const checkpoint = async (): Promise<void> => {
      await saveState(stateFile, state, await model.weightsAsync(), await model.optimizerStateAsync());
      await writeLog();
    };

    let tokens = 0;
    let seconds = 0;
    let status: StageResult['status'] = 'done';
    while (state.step < state.steps) {
      if (options.signal?.aborted) {
        status = 'interrupted';
        break;
      }
      const step = state.step + 1;
      const lr = learningRate(step, schedule);
      const { batch, cursor } = stageData.nextBatch(state.cursor, stageConfig.batchSize, padId);
      const t0 = clock?.() ?? NaN;
      const { loss } = parallel ? await parallel.step(model, batch, lr) : await model.trainStepAsync(batch.ids, batch.targets, { lr, mask: batch.mask });
      const dt = clock ? Math.max(1e-6, (clock() - t0) / 1000) : NaN;
      tokens += batch.tokens;
      if (clock) {
        seconds += dt;
        state.trainSeconds += dt;
      }
      state.step = step;
      state.cursor = cursor;
      const row: LogRow = { step, lr, loss, tokensPerSec: batch.tokens / dt };
      const last = step === state.steps;
      if (step % stageConfig.evalEvery === 0 || last) {
        row.valLoss = await validationLoss(model, stageData, stageConfig.batchSize, padId);
        // The weights of this evaluation as a planner model file, for the hook and for evaluating by hand
        // (`umwelt eval --planner lm --checkpoint OUT/<stage>-eval.safetensors`) while the run goes on.
        const path = evalModelPath(config.out, stage);
        await saveCheckpoint(path, await model.weightsAsync(), metadata());
        if (options.onEvaluate) row.metrics = await options.onEvaluate(path, step);
      }
      state.log.push(row);
      options.onProgress?.({ step, steps: state.steps, loss, lr, tokensPerSec: row.tokensPerSec, valLoss: row.valLoss });
      if (step % stageConfig.checkpointEvery === 0 || last) await checkpoint();
      // Let the event loop run between steps: progress redraws and Ctrl-C lands.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (status === 'interrupted') await checkpoint();
    else {
      await checkpoint();
      await saveCheckpoint(modelPath(config.out, stage), await model.weightsAsync(), metadata());
      files.push(modelPath(config.out, stage));
    }
    files.push(stateFile, lossCsvPath(config.out, stage), lossSvgPath(config.out, stage));
    const lastRow = state.log.at(-1);
    const lastVal = [...state.log].reverse().find((r) => r.valLoss !== undefined)?.valLoss;
    return {
      status,
      stage,
      step: state.step,
      steps: state.steps,
      counts: stageData.counts,
      loss: lastRow?.loss ?? NaN,
      valLoss: lastVal ?? NaN,
      tokensPerSec: seconds > 0 ? tokens / seconds : NaN,
      trainSeconds: state.trainSeconds,
      files,
    };
  } finally {
    await parallel?.close();
    model.dispose();
  }
}
