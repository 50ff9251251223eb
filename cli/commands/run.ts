// `umwelt run`: one episode of a task family with a planner, shown live (progress bar on a terminal, one line per
// step otherwise) or reported as one JSON object, and with --record written as an MCAP file. For planners other
// than the oracle, the oracle first runs the same episode in a separate env, and its path length is the reference
// for SPL. `--planner remote` asks a server that speaks the OpenAI chat-completions protocol (agent/planners/remote.ts).
import type { Command } from 'commander';
import { formatAction } from '../../agent/grammar.ts';
import { runEpisode, type EpisodeResult, type LoopEvent } from '../../agent/loop.ts';
import type { EpisodeMetrics } from '../../agent/metrics.ts';
import { AgentMemory, loopMemory, type MemoryMode } from '../../agent/memory/index.ts';
import type { Planner } from '../../agent/planner.ts';
import { FileLog } from '../../memory/persist/log.ts';
import { changedLMSettings, makePlanner, RUN_PLANNERS, usesCheckpoint, type LMSettings, type RemoteSettings, type RunPlannerName } from '../../agent/planners/index.ts';
import { LMPlanner, type LMEngineName } from '../../agent/planners/lm.ts';
import { EpisodeRecorder, RecorderError } from '../../record/recorder.ts';
import { familyEnv } from '../../scenes/env.ts';
import { GenerationError } from '../../scenes/families.ts';
import { TASK_FAMILY_NAMES, type FamilyName } from '../../scenes/family-names.ts';
import { splitOfSeed } from '../../scenes/splits.ts';
import { DEFAULT_ENV_CONFIG } from '../../sim/env.ts';
import { EXIT, UsageError } from '../errors.ts';
import { fixed, metres, plural } from '../format.ts';
import {
  CHECKPOINT_HELP,
  checkpointPath,
  engineHelp,
  engineLog,
  parseEngine,
  lmFlags,
  DEFAULT_FAMILY,
  DEFAULT_MAX_STEPS,
  DEFAULT_PLANNER,
  DEFAULT_SEED,
  INT8_HELP,
  NO_LOOP_GUARD_HELP,
  NO_THOUGHT_RULES_HELP,
  MAX_STEPS_LIMIT,
  parseFamily,
  parseMaxSteps,
  parseMemoryMode,
  parseRunPlanner,
  parseSeed,
  preloadCheckpoint,
  type CheckpointOptions,
} from '../options.ts';
import { printJson, type Output } from '../output.ts';
import { PlainDisplay, SilentDisplay, TerminalDisplay, type EpisodeDisplay, type StepView } from '../progress.ts';
import { addRemoteFlags, remoteSettings, type RemoteFlags } from '../remote-flags.ts';
import type { CliContext } from './context.ts';

export interface RunOptions extends CheckpointOptions, RemoteFlags {
  family: FamilyName;
  seed: number;
  planner: RunPlannerName;
  maxSteps: number;
  /** Print one JSON object and nothing else on standard output. */
  json?: boolean;
  /** Print only the final summary line. */
  quiet?: boolean;
  /** Record the episode as an MCAP file at this path. */
  record?: string;
  /** The lm planner's engine (default cpu). */
  engine?: LMEngineName;
  /** A long-term memory log file: opened (created if absent), written as the episode goes, kept for later runs. */
  memory?: string;
  /** What the episode does with it (default record: written and recalled, not in the planner's prompt). */
  memoryMode?: MemoryMode;
}

/** The JSON report of `umwelt run --json`. */
export interface RunReport {
  success: boolean;
  steps: number;
  spl: number;
  stateHash: string;
  family: string;
  seed: number;
  planner: string;
  instruction: string;
  pathLength: number;
  failureReason: string | null;
  metrics: EpisodeMetrics;
  /** The recording written (`umwelt run --record`). */
  recording?: string;
}

export function runReport(result: EpisodeResult): RunReport {
  return {
    success: result.success,
    steps: result.steps,
    spl: result.metrics.spl,
    stateHash: result.stateHash,
    family: result.family,
    seed: result.seed,
    planner: result.planner,
    instruction: result.instruction,
    pathLength: result.metrics.pathLength,
    failureReason: result.failureReason,
    metrics: result.metrics,
  };
}

/** The last line of a human-readable run. */
export function summaryLine(result: EpisodeResult): string {
  const m = result.metrics;
  const path = `path ${metres(m.pathLength)} m, ${fixed(m.simSeconds, 1)} s simulated`;
  const hash = `stateHash ${result.stateHash}`;
  if (result.success) return `✔ success in ${plural(result.steps, 'step')} (SPL ${fixed(m.spl, 2)}, ${path}) — ${hash}`;
  if (result.aborted) return `✘ interrupted after ${plural(result.steps, 'step')} (${path}) — ${hash}`;
  return `✘ failed after ${plural(result.steps, 'step')}: ${result.failureReason ?? 'the task was not achieved'} (${path}) — ${hash}`;
}

/** A planner that lets the event loop run before each decision, so that the display redraws and Ctrl-C lands. */
function yielding(planner: Planner): Planner {
  return {
    name: planner.name,
    reset: planner.reset?.bind(planner),
    decide: async (context, options) => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      return planner.decide(context, options);
    },
  };
}

/** The oracle's path length on the same episode, or undefined when the oracle does not succeed either. */
async function oracleReference(family: FamilyName, seed: number, maxSteps: number, signal?: AbortSignal): Promise<number | undefined> {
  const env = familyEnv(family, { maxSteps: Math.max(maxSteps, DEFAULT_ENV_CONFIG.maxSteps) });
  const result = await runEpisode({ env, planner: yielding(makePlanner('oracle', env)), seed, signal });
  return result.success ? result.metrics.pathLength : undefined;
}

function stepView(event: Extract<LoopEvent, { type: 'action-end' }>, thought: string): StepView {
  const { outcome } = event;
  return {
    step: event.step,
    action: event.action ? formatAction(event.action) : '(unparsable)',
    outcome: outcome.ok ? 'ok' : `failed: ${outcome.reason}`,
    detail: outcome.ok ? null : outcome.detail || null,
    thought,
  };
}

/** The remote planner's options from the flags, or undefined for other planners; a UsageError when they do not fit. */
export function remoteOptions(options: RunOptions): RemoteSettings | undefined {
  return remoteSettings(options, [options.planner]);
}

/** The lm planner's settings in a recording (changedLMSettings) and its checkpoint; none: undefined. */
function lmPlannerConfig(checkpoint: string | undefined, used: Partial<LMSettings>): Record<string, unknown> | undefined {
  const config = { ...(checkpoint === undefined ? {} : { checkpoint }), ...changedLMSettings(used) };
  return Object.keys(config).length > 0 ? config : undefined;
}

function chooseDisplay(options: RunOptions, out: Output): EpisodeDisplay {
  if (options.json || options.quiet) return new SilentDisplay();
  if (out.terminal) return new TerminalDisplay(out.terminal, options.maxSteps);
  return new PlainDisplay(out);
}

export async function runCommand(options: RunOptions, out: Output, signal?: AbortSignal): Promise<number> {
  const { family, seed, planner: plannerName, maxSteps } = options;
  const checkpoint = checkpointPath(options);
  const remote = remoteOptions(options);
  if (!usesCheckpoint(plannerName) && (options.checkpoint !== undefined || options.int8)) {
    throw new UsageError(`--checkpoint and --int8 are for --planner lm, not ${plannerName}`);
  }
  if (!usesCheckpoint(plannerName) && options.engine !== undefined) throw new UsageError(`--engine is for --planner lm, not ${plannerName}`);
  const lm = lmFlags(options);
  if (!usesCheckpoint(plannerName) && lm.loopGuard === false) throw new UsageError(`--no-loop-guard is for --planner lm, not ${plannerName}`);
  if (!usesCheckpoint(plannerName) && lm.thoughtRules === false) throw new UsageError(`--no-thought-rules is for --planner lm, not ${plannerName}`);
  if (options.memoryMode !== undefined && options.memory === undefined) throw new UsageError('--memory-mode needs --memory FILE');
  if (usesCheckpoint(plannerName)) {
    const failed = await preloadCheckpoint(checkpoint, out);
    if (failed !== null) return failed;
  }
  const display = chooseDisplay(options, out);
  let result: EpisodeResult;
  try {
    const reference = plannerName === 'oracle' ? undefined : await oracleReference(family, seed, maxSteps, signal);
    const env = familyEnv(family, { maxSteps });
    const log = engineLog(options.engine !== undefined, (line) => out.error(line));
    const made = makePlanner(plannerName, env, { checkpoint, remote, lm, log });
    // The checkpoint is already read; this builds the engine, so that the first decision's latency is its own.
    if (made instanceof LMPlanner) await made.ready();
    const planner = yielding(made);
    // The key is never recorded: only the name of the variable that holds it.
    const plannerConfig =
      remote !== undefined
        ? { baseUrl: remote.baseUrl, model: remote.model, apiKeyEnv: remote.apiKeyEnv, mode: remote.mode, stream: remote.stream }
        : usesCheckpoint(plannerName)
          ? lmPlannerConfig(checkpoint, { ...lm, engine: made instanceof LMPlanner ? made.engineInUse : 'cpu' })
          : undefined;
    let recorder: EpisodeRecorder | null = null;
    if (options.record !== undefined) {
      try {
        recorder = await EpisodeRecorder.create(options.record, { env, source: { kind: 'family', family }, planner: { name: plannerName, config: plannerConfig } });
      } catch (e) {
        if (e instanceof RecorderError) throw new UsageError(e.message);
        throw e;
      }
    }
    const memory = options.memory === undefined ? null : await openMemoryFile(options.memory, out);
    let thought = '';
    const onEvent = (event: LoopEvent): void => {
      recorder?.onEvent(event);
      if (event.type === 'episode-start') {
        const split = splitOfSeed(event.seed);
        const ref = plannerName === 'oracle' ? '' : ` · SPL reference: ${reference === undefined ? 'none (the oracle fails too)' : `oracle path ${metres(reference)} m`}`;
        display.header([
          `${event.family} #${event.seed} (${split} split) · planner ${event.planner} · at most ${plural(maxSteps, 'step')}${ref}`,
          `Instruction: ${event.instruction}`,
        ]);
      } else if (event.type === 'decision') {
        thought = event.decision.thought;
      } else if (event.type === 'action-end') {
        display.step(stepView(event, thought));
      }
    };
    try {
      const loop = memory === null ? undefined : loopMemory(memory, options.memoryMode ?? 'record');
      result = await runEpisode({ env, planner, seed, clock: () => performance.now(), onEvent, referencePathLength: reference, signal, memory: loop });
    } finally {
      display.stop();
      memory?.store.close();
      // Also when interrupted: the file is finished with the steps recorded so far.
      await recorder?.close();
    }
  } catch (e) {
    if (e instanceof GenerationError) throw new UsageError(`cannot generate the ${family} episode for seed ${seed}: ${e.message}`);
    throw e;
  }
  if (options.json) printJson(out, options.record === undefined ? runReport(result) : { ...runReport(result), recording: options.record });
  else {
    out.line(summaryLine(result));
    if (options.record !== undefined && !options.quiet) out.line(`Recording: ${options.record}`);
    if (options.memory !== undefined && !options.quiet) out.line(`Memory: ${options.memory} (umwelt memory inspect ${options.memory})`);
  }
  return result.aborted ? EXIT.interrupted : EXIT.ok;
}

/** A memory log file as the agent's long-term memory, kept across runs; what a damaged file lost is said on stderr. */
async function openMemoryFile(path: string, out: Output): Promise<AgentMemory> {
  try {
    const { memory, report } = await AgentMemory.open({ backend: new FileLog(path, { fsync: 'batch' }), acrossEpisodes: true });
    if (report.dropped.length > 0) {
      const bytes = report.dropped.reduce((n, d) => n + d.bytes, 0);
      out.error(`umwelt: warning: ${path}: ${bytes} damaged bytes in ${report.dropped.length} range(s) dropped; the intact records are kept`);
    }
    return memory;
  } catch (e) {
    throw new UsageError(`cannot open the memory ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export function registerRun(program: Command, cli: CliContext): void {
  const command = program
    .command('run')
    .summary('run one episode with a planner and show it live')
    .description(
      'Run one episode: generate the house and task of a family for a seed, let a planner act until the task is ' +
        'achieved, fails or the step limit is reached, and report success, steps, SPL and the final state hash.\n\n' +
        'On a terminal a progress bar shows the steps; otherwise one line is printed per step. ' +
        'With --record, the episode is also written as an MCAP file (every step, the state after every control step, ' +
        'restorable snapshots, and a 3D scene and log that open in Foxglove); `umwelt replay` reads it back. ' +
        'Exits 0 whether or not the episode succeeds.',
    )
    .option('-f, --family <name>', `task family: ${TASK_FAMILY_NAMES.join(', ')}`, parseFamily, DEFAULT_FAMILY)
    .option('-s, --seed <n>', 'episode seed, a non-negative integer (test split: 1000000-1999999)', parseSeed, DEFAULT_SEED)
    .option('-p, --planner <name>', `planner: ${RUN_PLANNERS.join(', ')}`, parseRunPlanner, DEFAULT_PLANNER)
    .option('--checkpoint <file>', CHECKPOINT_HELP)
    .option('--int8', INT8_HELP)
    .option('--engine <name>', engineHelp("the lm planner's"), parseEngine)
    .option('--no-loop-guard', NO_LOOP_GUARD_HELP)
    .option('--no-thought-rules', NO_THOUGHT_RULES_HELP);
  addRemoteFlags(command)
    .option('-n, --max-steps <k>', `step limit of the episode, 1-${MAX_STEPS_LIMIT}`, parseMaxSteps, DEFAULT_MAX_STEPS)
    .option('--json', 'print one JSON object with the result and metrics, nothing else')
    .option('-q, --quiet', 'print only the final summary line')
    .option('-r, --record <file.mcap>', 'also record the episode as an MCAP file (zstd-compressed)')
    .option('--memory <file>', 'a long-term memory log: the agent writes what it saw and did, recalls before each decision, and the file keeps it for later runs')
    .option('--memory-mode <mode>', 'with --memory: record (written and recalled, not in the prompt; default) or prompt (the planner gets the recalled memories)', parseMemoryMode)
    .addHelpText(
      'after',
      `
Examples:
  $ umwelt run                                   # fetch, seed 1000000, oracle
  $ umwelt run --family goto --seed 1000042
  $ umwelt run --planner random --family pickup --max-steps 20
  $ umwelt run --family chain --json | jq .spl
  $ umwelt run --planner lm --family goto        # the trained GPT (models/planner/planner.safetensors)
  $ umwelt run --planner lm --checkpoint runs/train/planner.safetensors --max-steps 10
  $ umwelt run --planner lm --engine webgpu      # decode on the GPU (WebGPU), else on the CPU
  $ umwelt run --planner remote --base-url http://127.0.0.1:11434/v1 --model qwen2.5:7b   # Ollama
  $ OPENAI_API_KEY=... umwelt run --planner remote --base-url https://api.openai.com/v1 --model gpt-4o-mini
  $ umwelt run --family fetch --record fetch.mcap    # then: umwelt replay fetch.mcap, or open it in Foxglove
  $ umwelt run --family search --memory agent.mem    # then: umwelt memory search agent.mem "where is the white candle"`,
    )
    .action(async (opts: RunOptions) => cli.exit(await runCommand(opts, cli.out, cli.signal)));
}
