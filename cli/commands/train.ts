// `umwelt train`: one stage (pretrain, sft, dagger, dagger2 or dagger3) of the planner's language model, from a training config
// (models/planner/train.json by default; see agent/lm/train/). Resumable: --resume continues the stage's saved
// state exactly; Ctrl-C saves that state and exits 130. A bad config is one error line and exit code 2.
import { InvalidArgumentError, type Command } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import { CheckpointError } from '../../agent/lm/checkpoint.ts';
import { loadTrainConfig, STAGES, TrainConfigError, type Stage } from '../../agent/lm/train/config.ts';
import { TrainDataError } from '../../agent/lm/train/data.ts';
import { trainStage, TrainStateError, type StageResult, type TrainStageOptions } from '../../agent/lm/train/loop.ts';
import { TRAIN_BACKENDS, useTrainBackend, type TrainBackendName } from '../../agent/lm/train/backend.ts';
import { EXIT, UsageError } from '../errors.ts';
import { simSuccess } from '../train-success.ts';
import { printJson, type Output } from '../output.ts';
import type { CliContext } from './context.ts';

export const DEFAULT_TRAIN_CONFIG = 'models/planner/train.json';

export interface TrainCommandOptions {
  stage: Stage;
  config: string;
  resume?: boolean;
  steps?: number;
  workers?: number;
  /** The tfjs backend (default auto: webgpu on a GPU's adapter, else wasm). */
  backend?: TrainBackendName;
  json?: boolean;
}

function parseStage(value: string): Stage {
  if ((STAGES as readonly string[]).includes(value)) return value as Stage;
  throw new InvalidArgumentError(`unknown stage "${value}"; valid stages: ${STAGES.join(', ')}`);
}

function parseBackend(value: string): TrainBackendName {
  const backend = TRAIN_BACKENDS.find((b) => b === value);
  if (backend !== undefined) return backend;
  throw new InvalidArgumentError(`unknown backend "${value}"; valid backends: ${TRAIN_BACKENDS.join(', ')}`);
}

function parseSteps(value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`steps must be a positive integer, got "${value}"`);
  return n;
}

const fixed = (x: number, digits: number): string => (Number.isFinite(x) ? x.toFixed(digits) : '-');

type Hooks = Pick<TrainStageOptions, 'onStart' | 'onProgress'> & { stop(): void };

/** A cli-progress bar on a terminal; on a pipe one line per evaluation; nothing with --json. */
function display(out: Output, json: boolean | undefined, stage: Stage): Hooks {
  if (json) return { stop: () => undefined };
  const start: TrainStageOptions['onStart'] = (info) => {
    const c = info.counts;
    out.line(
      `${stage}: ${info.init === 'resumed' ? `resuming at step ${info.step}` : `from ${info.init}`}, ${info.steps} steps; ` +
        `${c.trainSequences} train sequences (${c.trainEpisodes} episodes, ${c.rowsPerEpoch} rows/epoch), ${c.validationSequences} validation (${c.validationEpisodes} episodes)` +
        `${c.shortened ? `, ${c.shortened} shortened (oldest History, then last Memories lines)` : ''}${c.dropped ? `, ${c.dropped} dropped as too long` : ''}${info.tokenizerTrained ? '; tokenizer trained' : ''}`,
    );
  };
  if (!out.terminal) {
    return {
      onStart: start,
      onProgress: (p) => {
        if (p.valLoss !== undefined) out.line(`step ${p.step}/${p.steps}  loss ${fixed(p.loss, 4)}  val ${fixed(p.valLoss, 4)}  lr ${p.lr.toExponential(2)}  ${Math.round(p.tokensPerSec)} tok/s`);
      },
      stop: () => undefined,
    };
  }
  const bar = new SingleBar(
    { stream: out.terminal, format: ' {bar} step {value}/{total} │ loss {loss} │ val {val} │ {tps} tok/s │ ETA {eta_formatted}', barsize: 24, hideCursor: true, clearOnComplete: true, etaBuffer: 50 },
    Presets.shades_classic,
  );
  let val = '-';
  let started = false;
  return {
    onStart: (info) => {
      start(info);
      bar.start(info.steps, info.step, { loss: '-', val, tps: '-' });
      started = true;
    },
    onProgress: (p) => {
      if (p.valLoss !== undefined) val = fixed(p.valLoss, 3);
      bar.update(p.step, { loss: fixed(p.loss, 3), val, tps: String(Math.round(p.tokensPerSec)) });
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

export async function trainCommand(options: TrainCommandOptions, out: Output, signal?: AbortSignal): Promise<number> {
  let config;
  try {
    config = loadTrainConfig(options.config);
  } catch (e) {
    if (e instanceof TrainConfigError) throw new UsageError(`bad training config ${e.message}`);
    throw e;
  }
  const stageConfig = config[options.stage];
  if (stageConfig === undefined) throw new UsageError(`${options.config} has no ${options.stage} stage`);
  const backend = await useTrainBackend(options.backend ?? 'auto');
  // auto's choice of wasm is said only when --backend was given.
  if (backend.note !== null && options.backend !== undefined) out.error(`umwelt: warning: ${backend.note}`);
  if (backend.name === 'webgpu' && !options.json) {
    out.line(`training on tfjs webgpu (${backend.adapter ?? 'unknown adapter'}); one process drives the GPU, so no data-parallel workers`);
  }
  // Data-parallel workers are wasm threads: on the GPU the run is one process.
  const workers = backend.name === 'webgpu' ? 1 : options.workers;
  const hooks = display(out, options.json, options.stage);
  let result: StageResult;
  try {
    const successEpisodes = stageConfig.successEpisodes;
    const onEvaluate = successEpisodes > 0 ? (path: string): Promise<Record<string, number>> => simSuccess(path, successEpisodes, signal) : undefined;
    result = await trainStage({ config, stage: options.stage, resume: options.resume, steps: options.steps, workers, signal, clock: () => performance.now(), onStart: hooks.onStart, onProgress: hooks.onProgress, onEvaluate });
  } catch (e) {
    if (e instanceof TrainStateError || e instanceof TrainDataError) throw new UsageError(e.message);
    if (e instanceof CheckpointError) throw new UsageError(e.message);
    throw e;
  } finally {
    hooks.stop();
  }
  if (options.json) printJson(out, { ...result, backend: backend.name });
  else if (result.status === 'interrupted') out.error(`interrupted at step ${result.step}/${result.steps}; state saved, continue with --resume`);
  else {
    out.line(`${result.stage}: ${result.step} steps, loss ${fixed(result.loss, 4)}, validation ${fixed(result.valLoss, 4)}, ${Number.isFinite(result.tokensPerSec) ? `${Math.round(result.tokensPerSec)} tok/s` : 'no step run by this call'}, ${result.trainSeconds.toFixed(0)} s`);
    out.line(`Files: ${result.files.join(', ')}`);
  }
  return result.status === 'interrupted' ? EXIT.interrupted : EXIT.ok;
}

export function registerTrain(program: Command, cli: CliContext): void {
  program
    .command('train')
    .summary('train the language-model planner (pretrain on the corpus, SFT on the examples, then optionally DAgger)')
    .description(
      'Train one stage of the planner\'s GPT from a training config (data directory from `umwelt data`, output ' +
        'directory, tokenizer, model shape, per-stage optimisation). The first stage run trains the tokenizer into ' +
        'OUT/tokenizer.json. A stage writes OUT/<stage>.safetensors (with its config and tokenizer), ' +
        'OUT/<stage>-loss.csv and OUT/<stage>-loss.svg, and a resumable state every checkpointEvery steps; --resume ' +
        'continues it exactly. Ctrl-C saves the state and exits 130. SFT starts from OUT/pretrain.safetensors when ' +
        'it exists, unless the config says "init": "scratch". The dagger stage (when the config has one) starts ' +
        'from OUT/sft.safetensors and trains on the data directory\'s examples plus those of dagger.student ' +
        '(`umwelt data --student OUT/sft.safetensors`: the oracle labelling the states the SFT model reaches). ' +
        'A dagger2 stage is a second round: it starts from OUT/dagger.safetensors and adds the student data of ' +
        'dagger2.student (made with that model) to the data of the first round; dagger3, a third, starts from ' +
        'OUT/dagger2.safetensors. A round with "aggregate": "this-round" trains on the data directory\'s examples ' +
        'and its own student data only.',
    )
    .requiredOption('--stage <name>', `stage: ${STAGES.join(', ')}`, parseStage)
    .option('-c, --config <file>', 'training config (JSON)', DEFAULT_TRAIN_CONFIG)
    .option('--resume', "continue the stage's saved state (needed when one exists); with no state, a model file of this stage made by this config with these steps is taken as done")
    .option('--steps <n>', "train this many steps instead of the config's (quick runs)", parseSteps)
    .option('--workers <n>', "data-parallel threads instead of the config's workers (wasm only)", parseSteps)
    .option('--backend <name>', `tfjs backend: ${TRAIN_BACKENDS.join(', ')} (default auto: webgpu where the adapter is a GPU, else wasm)`, parseBackend)
    .option('--json', 'print the result as one JSON object, nothing else')
    .addHelpText(
      'after',
      `
Examples:
  $ umwelt train --stage pretrain --resume
  $ umwelt train --stage sft --config models/planner/train.json --resume
  $ umwelt train --stage pretrain --steps 20 --config my-train.json
  $ umwelt train --stage sft --backend webgpu --resume   # on the GPU through tfjs-webgpu`,
    )
    .action(async (opts: TrainCommandOptions) => cli.exit(await trainCommand(opts, cli.out, cli.signal)));
}
