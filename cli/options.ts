// Parsers for option values shared by several commands (family, seed, planner, step limit, the remote planner's
// server). Each throws
// commander's InvalidArgumentError with a message that says what is allowed, which the CLI turns into exit code 2.
import { isMemoryMode, MEMORY_MODES, type MemoryMode } from '../agent/memory/modes.ts';
import { resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { BundleError } from '../agent/lm/bundle.ts';
import { defaultCheckpointPath, loadBundleFile } from '../agent/lm/bundle-file.ts';
import { LM_ENGINES, type EngineNoteKind, type LMEngineName } from '../agent/planners/lm-gpu.ts';
import { isPlannerName, isRunPlannerName, PLANNERS, RUN_PLANNERS, type LMSettings, type PlannerName, type RunPlannerName } from '../agent/planners/index.ts';
import { baseUrlProblem, REMOTE_MODES, type RemoteMode } from '../agent/planners/remote.ts';
import { isFamilyName } from '../scenes/families.ts';
import { TASK_FAMILY_NAMES, type FamilyName } from '../scenes/family-names.ts';
import { SCENARIO_LIMITS } from '../scenes/scenario.ts';
import { SPLIT_BASE } from '../scenes/splits.ts';
import { errorLine, EXIT, UsageError } from './errors.ts';
import type { Output } from './output.ts';

export const DEFAULT_FAMILY: FamilyName = 'fetch';
/** The first seed of the test split. */
export const DEFAULT_SEED = SPLIT_BASE.test;
export const DEFAULT_PLANNER: PlannerName = 'oracle';
export const DEFAULT_MAX_STEPS = 40;
export const MAX_STEPS_LIMIT = SCENARIO_LIMITS.maxSteps;

export function parseFamily(value: string): FamilyName {
  if (isFamilyName(value)) return value;
  throw new InvalidArgumentError(`unknown task family "${value}"; valid families: ${TASK_FAMILY_NAMES.join(', ')}`);
}

export function parsePlanner(value: string): PlannerName {
  if (isPlannerName(value)) return value;
  throw new InvalidArgumentError(`unknown planner "${value}"; valid planners: ${PLANNERS.join(', ')}`);
}

/** A planner `umwelt run` offers (those of parsePlanner, and 'remote'). */
export function parseRunPlanner(value: string): RunPlannerName {
  if (isRunPlannerName(value)) return value;
  throw new InvalidArgumentError(`unknown planner "${value}"; valid planners: ${RUN_PLANNERS.join(', ')}`);
}

/** The remote planner's server: an http(s) URL such as http://127.0.0.1:8080/v1. */
export function parseBaseUrl(value: string): string {
  const problem = baseUrlProblem(value.trim());
  if (problem !== null) throw new InvalidArgumentError(`${problem}; give the server's API root, such as http://127.0.0.1:8080/v1`);
  return value.trim();
}

export function parseRemoteMode(value: string): RemoteMode {
  const mode = REMOTE_MODES.find((m) => m === value);
  if (mode !== undefined) return mode;
  throw new InvalidArgumentError(`unknown remote mode "${value}"; valid modes: ${REMOTE_MODES.join(', ')}`);
}

/** The NAME of an environment variable (the key itself never goes on the command line). */
export function parseMemoryMode(value: string): MemoryMode {
  if (isMemoryMode(value)) return value;
  throw new InvalidArgumentError(`unknown memory mode "${value}"; valid modes: ${MEMORY_MODES.join(', ')}`);
}

/** A commander parser for an integer from min to max, naming the flag (`what`) when the value is not one. */
export function parseInteger(what: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${what} must be an integer from ${min} to ${max}, got "${value}"`);
    return n;
  };
}

export function parseEnvName(value: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(value)) return value;
  throw new InvalidArgumentError(`"${value}" is not an environment variable name (letters, digits and _; give the variable's name, not the key)`);
}

/** A non-negative safe integer written in decimal digits (underscores allowed as separators: 1_000_000). */
export function parseSeed(value: string): number {
  const digits = value.trim();
  const seed = /^\d+(_\d+)*$/.test(digits) ? Number(digits.replace(/_/g, '')) : Number.NaN;
  if (!Number.isSafeInteger(seed)) {
    throw new InvalidArgumentError(`seed must be a non-negative integer up to ${Number.MAX_SAFE_INTEGER}, got "${value}"`);
  }
  return seed;
}

export function parseMaxSteps(value: string): number {
  const text = value.trim();
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_STEPS_LIMIT) {
    throw new InvalidArgumentError(`max steps must be an integer from 1 to ${MAX_STEPS_LIMIT}, got "${value}"`);
  }
  return n;
}

/** `--checkpoint FILE` and `--int8`, the lm planner's checkpoint. */
export interface CheckpointOptions {
  checkpoint?: string;
  int8?: boolean;
  /** False with --no-loop-guard (agent/planners/loop-guard.ts). */
  loopGuard?: boolean;
  /** False with --no-thought-rules (agent/planners/thought-marks.ts). */
  thoughtRules?: boolean;
}

/** The lm planner's settings that --no-loop-guard, --no-thought-rules and --engine give (only those given). */
export function lmFlags(options: CheckpointOptions & { engine?: LMEngineName }): Partial<LMSettings> {
  return {
    ...(options.loopGuard === false ? { loopGuard: false } : {}),
    ...(options.thoughtRules === false ? { thoughtRules: false } : {}),
    ...(options.engine === undefined ? {} : { engine: options.engine }),
  };
}

export const CHECKPOINT_HELP = 'the lm planner\'s checkpoint (default: models/planner/planner.safetensors)';
export const NO_LOOP_GUARD_HELP = 'the lm planner keeps its greedy choice even when it repeats one made in the same state (no sampled retry)';
export const NO_THOUGHT_RULES_HELP = 'the lm planner decodes its thought freely, without the rules that hold it to the prompt (agent/planners/thought-marks.ts)';
export const INT8_HELP = 'the lm planner reads the int8 checkpoint, models/planner/planner.int8.safetensors';

/** The absolute checkpoint path the options name (undefined: the default checkpoint). */
export function checkpointPath(options: CheckpointOptions): string | undefined {
  if (options.checkpoint !== undefined && options.int8) throw new UsageError('give --checkpoint FILE or --int8, not both');
  if (options.checkpoint !== undefined) return resolve(options.checkpoint);
  return options.int8 ? defaultCheckpointPath(true) : undefined;
}

/**
 * Loads (and caches, for the planners made next) the lm planner's checkpoint before anything runs. A missing file
 * is a UsageError (exit 2); an invalid one is reported here as one error line, and the exit code (1) returned.
 */
export async function preloadCheckpoint(path: string | undefined, out: Output): Promise<number | null> {
  try {
    await loadBundleFile(path);
    return null;
  } catch (e) {
    if (!(e instanceof BundleError)) throw e;
    if (e.code === 'missing_file') throw new UsageError(e.message);
    out.error(errorLine(`invalid planner checkpoint: ${e.message}`));
    return EXIT.failure;
  }
}

export function parseEngine(value: string): LMEngineName {
  const engine = LM_ENGINES.find((e) => e === value);
  if (engine !== undefined) return engine;
  throw new InvalidArgumentError(`unknown engine "${value}"; valid engines: ${LM_ENGINES.join(', ')}`);
}

/** Where an engine line goes: a failed WebGPU engine always; auto's choice of the CPU only when --engine was given
 *  (a CPU machine's default runs stay quiet). */
export const engineLog =
  (engineGiven: boolean, print: (line: string) => void) =>
  (line: string, kind: EngineNoteKind): void => {
    if (kind === 'fallback' || engineGiven) print(line);
  };

/** The help of --engine, for `whose` engine (run: "the lm planner's"; serve: "the model's"). */
export const engineHelp = (whose: string): string =>
  `${whose} engine: auto (default: webgpu where the adapter is a GPU, not a CPU emulation), cpu, or webgpu (the GPU ` +
  'through WebGPU; SwiftShader on the CPU where there is no GPU); without an adapter, or when the device is lost, it goes on on the CPU';
