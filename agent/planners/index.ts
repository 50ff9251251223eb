// Planners by name, for the CLI and the evaluation harness. PLANNERS are those a name alone builds (scenario
// files, replay and scenes list and accept them); RUN_PLANNERS add 'remote', which also needs a server and a model
// (`umwelt run --planner remote --base-url URL --model NAME`, and likewise `umwelt eval`).
import type { Env } from '../../sim/env.ts';
import type { PlannerBundle } from '../lm/bundle.ts';
import type { Planner } from '../planner.ts';
import { LMPlanner } from './lm.ts';
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

export interface PlannerOptions {
  /** The lm planner's checkpoint file (default: models/planner/planner.safetensors in the repository). */
  checkpoint?: string;
  /** The remote planner's server, model and settings (required for 'remote'). */
  remote?: RemotePlannerOptions;
  /** The lm planner's loop guard (default true; agent/planners/loop-guard.ts). */
  loopGuard?: boolean;
  /** The lm planner's thought rules, its `thoughtMarks` (default true; agent/planners/thought-marks.ts). */
  thoughtRules?: boolean;
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
    case 'lm':
      return new LMPlanner({ bundle: () => fileBundle(options.checkpoint), loopGuard: options.loopGuard ?? true, thoughtMarks: options.thoughtRules ?? true });
    case 'remote':
      if (options.remote === undefined) throw new RemotePlannerError('bad_option', 'the remote planner needs a base URL and a model (--base-url, --model)');
      return new RemotePlanner(options.remote);
  }
}
