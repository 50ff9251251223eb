// A fresh Env for a recording, from its metadata alone: a task family's generator, or the scripted scenario module
// the episode came from, with the env configuration it was recorded with. Re-simulation (verify.ts) resets it with
// the recorded seed and checks the state hashes, so a rebuilt env that differs (changed code, changed scenario
// file) shows up as a divergence at step 0 rather than here.
//
// No Node built-ins (the browser re-simulates family recordings with it): a scripted scenario is a module on disk,
// which only a `loadScenario` function can supply; rebuild.ts passes one that imports it by path (Node).
import { familyEnv } from '../scenes/env.ts';
import { isFamilyName } from '../scenes/families.ts';
import { FAMILY_NAMES } from '../scenes/family-names.ts';
import type { ScriptedScenario } from '../scenes/scripted.ts';
import { DEFAULT_ENV_CONFIG, Env, type EnvConfig } from '../sim/env.ts';
import { SimConfigError } from '../sim/errors.ts';
import { assertNever } from '../sim/types.ts';
import type { EpisodeMetadata } from './format.ts';

/** A recording that cannot be replayed as asked: unknown family, missing scenario module, bad config, bad step. */
export class ReplayError extends Error {
  override readonly name = 'ReplayError';
}

/** Supplies the scripted scenario a recording names by the absolute path of its module (rebuild.ts: Node's import). */
export type ScenarioLoader = (path: string) => Promise<ScriptedScenario>;

export interface RebuildOptions {
  /** Replace the recorded step limit (a branch may run longer than the original episode). */
  maxSteps?: number;
  /** How to get a scripted scenario's module; without it, scripted recordings are refused with a ReplayError. */
  loadScenario?: ScenarioLoader;
}

/** The keys of EnvConfig this code knows; a recorded config with other keys was made by another version. */
const CONFIG_KEYS = Object.keys(DEFAULT_ENV_CONFIG).sort();

/** The recorded env configuration, checked against what this version of the simulator understands. */
export function recordedEnvConfig(metadata: EpisodeMetadata, options: RebuildOptions = {}): EnvConfig {
  const recorded = metadata.env as Partial<EnvConfig> | undefined;
  if (typeof recorded !== 'object' || recorded === null) throw new ReplayError('the recording has no env configuration');
  const keys = Object.keys(recorded).sort();
  const unknown = keys.filter((k) => !CONFIG_KEYS.includes(k));
  const missing = CONFIG_KEYS.filter((k) => !keys.includes(k));
  if (unknown.length > 0 || missing.length > 0) {
    const parts = [unknown.length ? `unknown ${unknown.join(', ')}` : '', missing.length ? `missing ${missing.join(', ')}` : ''].filter(Boolean);
    throw new ReplayError(`the recorded env configuration does not match this simulator (${parts.join('; ')})`);
  }
  const config: EnvConfig = { ...DEFAULT_ENV_CONFIG, ...recorded };
  if (options.maxSteps !== undefined) config.maxSteps = options.maxSteps;
  return config;
}

function checkedEnv(make: () => Env): Env {
  try {
    return make();
  } catch (e) {
    if (e instanceof SimConfigError) throw new ReplayError(`the recorded env configuration is not valid: ${e.message}`);
    throw e;
  }
}

/**
 * A fresh env (not yet reset) that reproduces the recorded episode when reset with the recorded seed. A scripted
 * scenario's recording needs `options.loadScenario` (Node: rebuild.ts's rebuildEnv imports the module from disk).
 */
export async function rebuildEnv(metadata: EpisodeMetadata, options: RebuildOptions = {}): Promise<Env> {
  const config = recordedEnvConfig(metadata, options);
  const source = metadata.source;
  switch (source.kind) {
    case 'family': {
      const family = source.family;
      if (!isFamilyName(family)) throw new ReplayError(`unknown task family "${family}" in the recording; valid families: ${FAMILY_NAMES.join(', ')}`);
      return checkedEnv(() => familyEnv(family, config));
    }
    case 'scripted': {
      if (!options.loadScenario) {
        throw new ReplayError(
          `the recording comes from the scripted scenario module ${source.path}, a file on disk: re-simulating it needs ` +
            'Node (record/rebuild.ts imports the module), or a loadScenario option that supplies the scenario; ' +
            'only task family recordings re-simulate without one (e.g. in the browser)',
        );
      }
      const scenario = await options.loadScenario(source.path);
      if (!scenario.families.includes(source.family)) {
        throw new ReplayError(`the scripted scenario ${source.path} has no episodes labelled "${source.family}" (it has: ${scenario.families.join(', ')})`);
      }
      return checkedEnv(() => new Env((seed) => scenario.makeEpisode(source.family, seed), config));
    }
    default:
      return assertNever(source, 'episode source');
  }
}
