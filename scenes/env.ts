// An Env whose episodes come from a task family: reset({seed}) builds that family's house and task.
import { Env, type EnvConfig } from '../sim/env.ts';
import type { FamilyName } from './family-names.ts';
import { makeEpisode } from './families.ts';

export function familyEnv(family: FamilyName, config: Partial<EnvConfig> = {}): Env {
  return new Env((seed) => makeEpisode(family, seed), config);
}
