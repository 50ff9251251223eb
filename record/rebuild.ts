// Rebuilding a recording's env in Node: rebuild-core.ts's rebuildEnv with scripted scenario modules imported from
// disk by their recorded path. The browser-safe part (families, the env configuration, ReplayError) is in
// rebuild-core.ts, which this module re-exports.
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { isScriptedScenario, type ScriptedScenario } from '../scenes/scripted.ts';
import type { Env } from '../sim/env.ts';
import type { EpisodeMetadata } from './format.ts';
import { rebuildEnv as rebuildEnvWith, ReplayError, type RebuildOptions } from './rebuild-core.ts';

export { recordedEnvConfig, ReplayError, type RebuildOptions, type ScenarioLoader } from './rebuild-core.ts';

/** Import a scripted scenario module by path and check its default export. */
export async function importScenario(path: string): Promise<ScriptedScenario> {
  if (!existsSync(path)) throw new ReplayError(`the scripted scenario module ${path} does not exist (the recording names it by absolute path)`);
  let module: unknown;
  try {
    module = await import(pathToFileURL(path).href);
  } catch (e) {
    throw new ReplayError(`cannot load the scripted scenario ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const value = typeof module === 'object' && module !== null && 'default' in module ? module.default : undefined;
  if (!isScriptedScenario(value)) throw new ReplayError(`${path}: the default export is not a scenario made with defineScenario({...})`);
  return value;
}

/** A fresh env (not yet reset) that reproduces the recorded episode when reset with the recorded seed. */
export function rebuildEnv(metadata: EpisodeMetadata, options: RebuildOptions = {}): Promise<Env> {
  return rebuildEnvWith(metadata, { ...options, loadScenario: options.loadScenario ?? importScenario });
}
