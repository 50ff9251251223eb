// `umwelt eval`: run a scenario or suite with one or more planners on worker threads, resumably, and write
// report.json, report.md and report.html. A progress bar on a terminal; nothing live otherwise or under --json.
import { basename, extname, join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { BundleError } from '../../agent/lm/bundle.ts';
import { isRunPlannerName, RUN_PLANNERS } from '../../agent/planners/index.ts';
import { MEMORY_MODES, MEMORY_SCOPES, type MemoryMode, type MemoryScope } from '../../scenes/family-names.ts';
import { defaultWorkers, evaluate, type EvalProgress, type EvaluateResult } from '../../eval/evaluate.ts';
import type { Comparison, GroupSummary } from '../../eval/report-schema.ts';
import { EvalInputError } from '../../eval/source.ts';
import { errorLine, EXIT, UsageError } from '../errors.ts';
import { fixed, plural } from '../format.ts';
import type { LMEngineName } from '../../agent/planners/lm-gpu.ts';
import {
  CHECKPOINT_HELP,
  checkpointPath,
  engineHelp,
  INT8_HELP,
  lmFlags,
  NO_LOOP_GUARD_HELP,
  NO_THOUGHT_RULES_HELP,
  parseEngine,
  parseMemoryMode,
  type CheckpointOptions,
} from '../options.ts';
import { printJson, type Output } from '../output.ts';
import { addRemoteFlags, remoteSettings, type RemoteFlags } from '../remote-flags.ts';
import type { CliContext } from './context.ts';

export interface EvalCommandOptions extends CheckpointOptions, RemoteFlags {
  planner: string[];
  episodes?: number;
  workers: number;
  out?: string;
  json?: boolean;
  /** Also record every episode as DIR/recordings/<id>.mcap. */
  record?: boolean;
  /** Memory modes for every scenario (each an arm); absent: each scenario's own. */
  memoryModes?: MemoryMode[];
  /** Which episodes share a memory, for every scenario; absent: each scenario's own (default house). */
  memoryScope?: MemoryScope;
  /** The lm planner's engine (default cpu). */
  engine?: LMEngineName;
}

/** `umwelt eval --json`: the report's summary and where the files are. */
export interface EvalSummary {
  complete: boolean;
  source: string;
  out: string;
  episodes: { total: number; done: number; resumed: number };
  overall: GroupSummary[];
  comparisons: Comparison[];
  files: string[];
  /** The directory of the recordings (`--record`), or null. */
  recordings: string | null;
  /** The engine the lm planner decoded on, or null without one. */
  lmEngine: 'cpu' | 'webgpu' | null;
}

function positiveInteger(what: string, max: number): (value: string) => number {
  return (value) => {
    const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`${what} must be an integer from 1 to ${max}, got "${value}"`);
    return n;
  };
}

/** Repeatable and comma-separated: `-p oracle -p random` or `-p oracle,random`. */
function collectPlanners(value: string, previous: string[]): string[] {
  const names = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  for (const name of names) {
    if (!isRunPlannerName(name)) throw new InvalidArgumentError(`unknown planner "${name}"; valid planners: ${RUN_PLANNERS.join(', ')}`);
  }
  return [...previous, ...names.filter((n) => !previous.includes(n))];
}

/** Repeatable and comma-separated: `--memory-modes off --memory-modes prompt` or `--memory-modes off,prompt`. */
function collectMemoryModes(value: string, previous: MemoryMode[] | undefined): MemoryMode[] {
  const before = previous ?? [];
  const modes = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(parseMemoryMode);
  return [...before, ...modes.filter((m) => !before.includes(m))];
}

function parseMemoryScope(value: string): MemoryScope {
  const scope = MEMORY_SCOPES.find((s) => s === value);
  if (scope === undefined) throw new InvalidArgumentError(`unknown memory scope "${value}"; valid scopes: ${MEMORY_SCOPES.join(', ')}`);
  return scope;
}

export const defaultOutDir = (source: string): string => join('runs', basename(source, extname(source)));

const interval = (g: GroupSummary): string => `${fixed(g.successRate, 2)} [${fixed(g.successCi95.low, 2)}, ${fixed(g.successCi95.high, 2)}]`;

function summaryLines(result: EvaluateResult): string[] {
  const report = result.report;
  if (!report) return [];
  const lines = [`${result.source.name}: ${plural(report.episodes, 'episode')} (${plural(report.families.length, 'family', 'families')}) in ${fixed(report.wallSeconds, 1)} s`];
  for (const g of report.overall) {
    lines.push(
      `  ${g.planner.padEnd(Math.max(8, ...report.overall.map((o) => o.planner.length)))} success ${interval(g)}  SPL ${fixed(g.spl, 2)}  steps ${fixed(g.steps.mean, 1)}  ` +
        `latency p50 ${fixed(g.latencyMs.p50, 2)} ms p95 ${fixed(g.latencyMs.p95, 2)} ms`,
    );
  }
  for (const c of report.comparisons.filter((c) => c.family === null)) {
    const p = c.mcnemarP === null ? 'no discordant episodes' : `McNemar p ${c.mcnemarP < 0.001 ? '< 0.001' : fixed(c.mcnemarP, 3)}`;
    const sign = c.successDiff >= 0 ? '+' : '';
    const steps = c.steps === undefined ? '' : `; steps ${fixed(c.steps.planner, 1)} vs ${fixed(c.steps.baseline, 1)}`;
    lines.push(`  ${c.planner} vs ${c.baseline}: success ${sign}${fixed(c.successDiff, 2)} (${c.intervalsOverlap ? 'intervals overlap' : 'intervals apart'}, ${p})${steps}`);
  }
  lines.push(`Reports: ${result.files.join(', ')}`);
  if (result.recordings) lines.push(`Recordings: ${result.recordings}`);
  return lines;
}

function progressBar(out: Output): { start(p: EvalProgress): void; update(p: EvalProgress): void; stop(): void } | null {
  if (!out.terminal) return null;
  const bar = new SingleBar(
    {
      stream: out.terminal,
      format: ' {bar} {value}/{total} episodes │ success {rate} │ ETA {eta_formatted}',
      barsize: 30,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 20,
    },
    Presets.shades_classic,
  );
  const rate = (p: EvalProgress): string => (p.done === 0 ? '–' : fixed(p.successes / p.done, 2));
  return {
    start: (p) => bar.start(p.total, p.done, { rate: rate(p) }),
    update: (p) => bar.update(p.done, { rate: rate(p) }),
    stop: () => bar.stop(),
  };
}

export async function evalCommand(source: string, options: EvalCommandOptions, out: Output, signal?: AbortSignal): Promise<number> {
  const dir = options.out ?? defaultOutDir(source);
  const checkpoint = checkpointPath(options);
  // Scenario files cannot name the remote planner (nor carry a server): without --planner, remote flags are an error.
  const remote = remoteSettings(options, options.planner, options.planner.length > 0 ? options.planner.join(', ') : "the scenario's planner");
  const bar = options.json ? null : progressBar(out);
  let result: EvaluateResult;
  try {
    result = await evaluate({
      source,
      planners: options.planner,
      ...(options.memoryModes === undefined && options.memoryScope === undefined
        ? {}
        : { memory: { ...(options.memoryModes === undefined ? {} : { modes: options.memoryModes }), ...(options.memoryScope === undefined ? {} : { scope: options.memoryScope }) } }),
      episodesPerFamily: options.episodes ?? null,
      workers: options.workers,
      out: dir,
      record: options.record ?? false,
      checkpoint,
      remote,
      lm: lmFlags(options),
      signal,
      onNote: (line) => out.error(line),
      onStart: (p) => bar?.start(p),
      onEpisode: (_, p) => bar?.update(p),
    });
  } catch (e) {
    if (e instanceof EvalInputError) throw new UsageError(e.message);
    if (e instanceof BundleError) {
      if (e.code === 'missing_file') throw new UsageError(e.message);
      out.error(errorLine(`invalid planner checkpoint: ${e.message}`));
      return EXIT.failure;
    }
    throw e;
  } finally {
    bar?.stop();
  }
  if (options.json) {
    const summary: EvalSummary = {
      complete: !result.interrupted,
      source: result.source.path,
      out: dir,
      episodes: { total: result.progress.total, done: result.progress.done, resumed: result.progress.resumed },
      overall: result.report?.overall ?? [],
      comparisons: result.report?.comparisons ?? [],
      files: result.files,
      recordings: result.recordings,
      lmEngine: result.lmEngine,
    };
    printJson(out, summary);
  } else if (result.interrupted) {
    out.line(`interrupted after ${result.progress.done} of ${plural(result.progress.total, 'episode')}; run the same command again to finish (results so far: ${join(dir, 'episodes.jsonl')})`);
  } else {
    for (const line of summaryLines(result)) out.line(line);
  }
  return result.interrupted ? EXIT.interrupted : EXIT.ok;
}

export function registerEval(program: Command, cli: CliContext): void {
  const command = program
    .command('eval')
    .summary('evaluate planners on a scenario or suite, in parallel, with reports')
    .description(
      'Run every episode of a scenario (a .json file or a scripted .ts module) or a suite (a .json file listing ' +
        'scenarios) with one or more planners, on worker threads, and write DIR/report.json, report.md and ' +
        'report.html: success with 95% Wilson intervals, SPL, steps, failures by reason, decision latency, and ' +
        'each planner against the first.\n\n' +
        'The remote planner (--planner remote --base-url URL --model NAME) asks an OpenAI-compatible server for every ' +
        'decision; its latency and token usage go into the reports. The key is read from the variable --api-key-env ' +
        'names, never recorded.\n\n' +
        'Each finished episode is appended to DIR/episodes.jsonl; running the same command again skips what is ' +
        'done, so an interrupted run loses at most the episodes in flight. Results do not depend on --workers.\n\n' +
        'With --memory-modes MODES (off, record, prompt; comma-separated) every episode is run once per mode, each mode an ' +
        'arm of its own in the reports (oracle, oracle+memory), compared with the first on the same episodes: the ' +
        "memory ablation. A scenario's \"memory\" key says the same in the file; --memory-scope house (the default) " +
        'gives the episodes of one house (the visits of a revisit house) one memory, run in order by one worker; ' +
        'episode gives each episode a fresh one.\n\n' +
        'With --record, every episode run is also written as DIR/recordings/<episode id>.mcap (the id with ":" ' +
        'replaced by "_"), which `umwelt replay` reads back; recording does not change any result.',
    )
    .argument('<scenario>', 'a scenario (.json or .ts) or a suite (.json)')
    .option('-p, --planner <name>', `a planner to evaluate, repeatable or comma-separated (${RUN_PLANNERS.join(', ')}; remote needs --base-url and --model); default: the scenario's`, collectPlanners, [])
    .option('-e, --episodes <n>', 'at most this many episodes per family', positiveInteger('episodes', 100_000))
    .option('-w, --workers <n>', 'worker threads (default: one per core)', positiveInteger('workers', 256), defaultWorkers())
    .option('-o, --out <dir>', 'output directory (default: runs/<scenario file name>)')
    .option('--json', 'print one JSON object with the summary and the report paths, nothing else')
    .option('-r, --record', 'also record every episode as an MCAP file in DIR/recordings/')
    .option('--memory-modes <modes>', `memory modes, each an arm, repeatable or comma-separated (${MEMORY_MODES.join(', ')}); default: the scenario's (off)`, collectMemoryModes)
    .option('--memory-scope <scope>', `which episodes share a memory (${MEMORY_SCOPES.join(', ')}); default: the scenario's (house)`, parseMemoryScope)
    .option('--checkpoint <file>', CHECKPOINT_HELP)
    .option('--int8', INT8_HELP)
    .option('--no-loop-guard', NO_LOOP_GUARD_HELP)
    .option('--no-thought-rules', NO_THOUGHT_RULES_HELP)
    .option('--engine <name>', engineHelp("the lm planner's") + '; settled once, before the workers start', parseEngine);
  addRemoteFlags(command)
    .addHelpText(
      'after',
      `
Examples:
  $ umwelt eval scenes/scenarios/smoke.json
  $ umwelt eval scenes/scenarios/standard.json --planner oracle,random --workers 4 --out runs/standard
  $ umwelt eval scenes/scenarios/examples/moved-while-away.ts --episodes 5
  $ umwelt eval scenes/scenarios/examples.suite.json --json | jq '.overall[].successRate'
  $ umwelt eval scenes/scenarios/smoke.json --record --out runs/smoke   # runs/smoke/recordings/*.mcap
  $ umwelt eval scenes/scenarios/memory.json                 # the memory ablation: oracle and oracle+memory
  $ umwelt eval scenes/scenarios/memory.json --planner lm --memory-modes off,prompt --out runs/memory-lm
  $ umwelt eval scenes/scenarios/smoke.json --planner oracle,lm --checkpoint runs/train/planner.safetensors
  $ umwelt eval scenes/scenarios/smoke.json --planner lm --engine webgpu --workers 1   # decode on the GPU
  $ umwelt eval scenes/scenarios/smoke.json --planner lm,remote --base-url http://127.0.0.1:8080/v1 --model umwelt-planner`,
    )
    .action(async (source: string, opts: EvalCommandOptions) => cli.exit(await evalCommand(source, opts, cli.out, cli.signal)));
}
