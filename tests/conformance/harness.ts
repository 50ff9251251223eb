// Shared pieces of the conformance suite: run an episode while recording its actions and per-step hashes.
import { runEpisode, type EpisodeResult, type LoopMemory } from '../../agent/loop.ts';
import { makePlanner, type PlannerName } from '../../agent/planners/index.ts';
import type { FamilyName } from '../../scenes/family-names.ts';
import { familyEnv } from '../../scenes/env.ts';
import type { Env, EnvConfig } from '../../sim/env.ts';
import type { Action } from '../../sim/types.ts';

export interface Trace {
  result: EpisodeResult;
  /** Actions executed (null for rejected steps), in order. */
  actions: (Action | null)[];
  /** stateHash after reset, then after every step. */
  hashes: string[];
}

export async function trace(
  family: FamilyName,
  seed: number,
  planner: PlannerName = 'oracle',
  config: Partial<EnvConfig> = {},
  memory?: LoopMemory,
): Promise<Trace & { env: Env }> {
  const env = familyEnv(family, config);
  const actions: (Action | null)[] = [];
  const hashes: string[] = [];
  const result = await runEpisode({
    env,
    planner: makePlanner(planner, env),
    seed,
    memory,
    onEvent: (e) => {
      if (e.type === 'episode-start') hashes.push(e.stateHash);
      if (e.type === 'action-end') {
        actions.push(e.action);
        hashes.push(e.stateHash);
      }
    },
  });
  return { env, result, actions, hashes };
}

/** Replay recorded actions on an env that is already reset or restored; returns the hash after each. */
export function replay(env: Env, actions: (Action | null)[]): string[] {
  return actions.map((a) =>
    a === null ? env.reject({ ok: false, reason: 'invalid_action', detail: 'replayed rejection' }).info.stateHash : env.step(a).info.stateHash,
  );
}
