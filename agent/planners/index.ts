// Planners by name, for the CLI and the evaluation harness. PLANNERS are those a name alone builds (scenario
// files, replay and scenes list and accept them); RUN_PLANNERS add 'remote', which also needs a server and a model
// (`umwelt run --planner remote --base-url URL --model NAME`, and likewise `umwelt eval`).
import type { Env } from '../../sim/env.ts';
import type { PlannerBundle } from '../lm/bundle.ts';
import type { Planner } from '../planner.ts';
import { LMPlanner } from './lm.ts';
import type { EngineNoteKind, LMEngineName } from './lm-gpu.ts';
import { OraclePlanner } from './oracle.ts';
import { RandomPlanner } from './random.ts';
import { RemotePlanner, RemotePlannerError, type RemotePlannerOptions } from './remote.ts';

export const PLANNERS = ['oracle', 'random', 'lm'] as const;
export type PlannerName = (typeof PLANNERS)[number];

export function isPlannerName(name: string): name is PlannerName {
  return (PLANNERS as readonly string[]).includes(name);
}

/** Every planner `umwelt run` and `umwelt eval --planner` offer: those of PLANNERS, and the remote LLM. */
export const RUN_PLANNERS = [...PLANNERS, 'remote'] as const;
export type RunPlannerName = (typeof RUN_PLANNERS)[number];

export function isRunPlannerName(name: string): name is RunPlannerName {
  return (RUN_PLANNERS as readonly string[]).includes(name);
}

/** Planners that read a checkpoint (`--checkpoint`). */
export const usesCheckpoint = (name: string): boolean => name === 'lm';

/**
 * The lm planner's settings as plain data: what `--no-loop-guard`, `--no-thought-rules` and `--engine` settle on
 * `umwelt run` and `umwelt eval`, and what crosses to eval's worker threads.
 */
export interface LMSettings {
  /** The loop guard (agent/planners/loop-guard.ts). */
  loopGuard: boolean;
  /** The thought rules, LMPlanner's `thoughtMarks` (agent/planners/thought-marks.ts). */
  thoughtRules: boolean;
  /** Which engine decodes (agent/planners/lm-gpu.ts). */
  engine: LMEngineName;
}

/** The engine is chosen where the planner runs ('auto': a GPU's adapter where there is one). */
export const DEFAULT_LM_SETTINGS: Readonly<LMSettings> = { loopGuard: true, thoughtRules: true, engine: 'auto' };

/** The settings given, the defaults for the rest. */
export const lmSettings = (given: Partial<LMSettings> = {}): LMSettings => ({
  loopGuard: given.loopGuard ?? DEFAULT_LM_SETTINGS.loopGuard,
  thoughtRules: given.thoughtRules ?? DEFAULT_LM_SETTINGS.thoughtRules,
  engine: given.engine ?? DEFAULT_LM_SETTINGS.engine,
});

/** What a recording's planner config says of the settings a run used: a loop guard or thought rules turned off,
 *  and the engine unless it is the CPU's (`used.engine`: the engine decided on, not 'auto'). */
export function changedLMSettings(used: Partial<LMSettings>): Partial<LMSettings> {
  const s = lmSettings(used);
  return {
    ...(s.loopGuard === DEFAULT_LM_SETTINGS.loopGuard ? {} : { loopGuard: s.loopGuard }),
    ...(s.thoughtRules === DEFAULT_LM_SETTINGS.thoughtRules ? {} : { thoughtRules: s.thoughtRules }),
    ...(s.engine === 'cpu' ? {} : { engine: s.engine }),
  };
}

const warnFallback = (line: string, kind: EngineNoteKind): void => {
  if (kind === 'fallback') console.warn(line);
};

export interface PlannerOptions {
  /** The lm planner's checkpoint file (default: models/planner/planner.safetensors in the repository). */
  checkpoint?: string;
  /** The remote planner's server, model and settings (required for 'remote'). */
  remote?: RemotePlannerOptions;
  /** The lm planner's settings (the defaults for those absent). */
  lm?: Partial<LMSettings>;
  /** Where the lm planner says why it decodes on the CPU engine when it was to use WebGPU (default: console.warn,
   *  for a failed WebGPU engine only, not for auto's choice). */
  log?: (line: string, kind: EngineNoteKind) => void;
}

/**
 * The remote planner's settings as plain data (what `--base-url`, `--model`, `--api-key-env`, `--remote-mode` and
 * `--stream` settle, and what crosses to eval's worker threads): the NAME of the key's variable, never the key.
 */
export type RemoteSettings = Required<Pick<RemotePlannerOptions, 'baseUrl' | 'model' | 'apiKeyEnv' | 'mode' | 'stream'>>;

/**
 * The bundle in a checkpoint file, through a dynamic import: this module stays free of Node built-ins, so that a
 * browser build can import it (and give the lm planner a bundle decoded from bytes, agent/lm/bundle.ts).
 */
async function fileBundle(path: string | undefined): Promise<PlannerBundle> {
  const { loadBundleFile } = await import('../lm/bundle-file.ts');
  return loadBundleFile(path);
}

/**
 * A planner for an env (the oracle reads that env's world and task). Synchronous: the lm planner loads its
 * checkpoint on its first decision, once per file and process (LMPlanner.ready() loads it ahead of time).
 */
export function makePlanner(name: RunPlannerName, env: Env, options: PlannerOptions = {}): Planner {
  switch (name) {
    case 'oracle':
      return new OraclePlanner(env);
    case 'random':
      return new RandomPlanner();
    case 'lm': {
      const lm = lmSettings(options.lm);
      return new LMPlanner({
        bundle: () => fileBundle(options.checkpoint),
        loopGuard: lm.loopGuard,
        thoughtMarks: lm.thoughtRules,
        engine: lm.engine,
        log: options.log ?? warnFallback,
      });
    }
    case 'remote':
      if (options.remote === undefined) throw new RemotePlannerError('bad_option', 'the remote planner needs a base URL and a model (--base-url, --model)');
      return new RemotePlanner(options.remote);
  }
}
