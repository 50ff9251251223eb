// Replaying a recorded episode, three ways (playback and verification are in verify.ts, which has no Node built-ins
// and is re-exported here with scripted scenario modules loaded from disk; branching is Node's):
//   playback       stateAt / restoreAt: the recorded state of a step (poses at every control step, the snapshot),
//                  read from the file without simulating; restoreAt puts it into a live Env.
//   verification   verify: rebuild the env from the metadata, reset it with the recorded seed and execute the
//                  recorded actions, comparing Env.stateHash() with the recorded one after reset and after every
//                  step. The first divergence names the step (and, where the file has them, the control step).
//   branching      branch: re-simulate steps 1..K (verified the same way), then let another planner continue the
//                  episode from that state, optionally recording the branch as a new file.
import { unlink } from 'node:fs/promises';
import { resolve } from 'node:path';
import { formatAction } from '../agent/grammar.ts';
import { runEpisode, type EpisodeResult, type LoopEvent } from '../agent/loop.ts';
import type { Decision, EpisodeInfo, Planner, PlannerContext } from '../agent/planner.ts';
import { isPlannerName, makePlanner, PLANNERS } from '../agent/planners/index.ts';
import type { Env } from '../sim/env.ts';
import type { ActionMessage, DecisionMessage } from './format.ts';
import { importScenario, rebuildEnv, recordedEnvConfig, ReplayError, type RebuildOptions } from './rebuild.ts';
import type { Recording } from './recording.ts';
import { EpisodeRecorder } from './recorder.ts';
import {
  checkStep,
  decisionsUpTo,
  recordedActions,
  restoreAt as restoreAtWith,
  verify as verifyWith,
  type Divergence,
  type VerifyOptions,
  type VerifyResult,
} from './verify.ts';

export { rebuildEnv, ReplayError } from './rebuild.ts';
export { applyRecorded, stateAt, type Divergence, type PlaybackState, type StepCheck, type VerifyOptions, type VerifyResult } from './verify.ts';

/**
 * An Env in the recorded state of step `step`: `env` (one built for this recording) or a rebuilt one (a scripted
 * scenario's module imported from disk unless `options.loadScenario` says otherwise).
 */
export function restoreAt(recording: Recording, step: number, env?: Env, options: RebuildOptions = {}): Promise<Env> {
  return restoreAtWith(recording, step, env, { ...options, loadScenario: options.loadScenario ?? importScenario });
}

/** Re-simulate the recording and compare the state hash after the reset and after every recorded step. */
export function verify(recording: Recording, options: VerifyOptions = {}): Promise<VerifyResult> {
  return verifyWith(recording, { ...options, loadScenario: options.loadScenario ?? importScenario });
}

// ---- branching -------------------------------------------------------------------------------------------------

export interface BranchOptions {
  /** The step to branch at: steps 1..from are re-simulated from the recording, the rest is the new planner's. */
  from: number;
  /** The planner that continues the episode. */
  planner: string;
  /** The lm planner's checkpoint file (default: models/planner/planner.safetensors). */
  checkpoint?: string;
  /** Write the branch (steps 0..from included) as a new recording at this path. */
  record?: string;
  /** The branch's step limit (default: the recorded one); must exceed `from`. */
  maxSteps?: number;
  compression?: 'zstd' | 'none';
  onEvent?: (event: LoopEvent) => void;
  /** Milliseconds, for decision latency only. */
  clock?: () => number;
  signal?: AbortSignal;
}

export interface BranchResult {
  from: number;
  /** Steps re-simulated and matched before the new planner took over (= from). */
  verifiedSteps: number;
  /** The whole branched episode (its steps count from the reset, the re-simulated ones included). */
  result: EpisodeResult;
  /** The branch recording, when one was written. */
  record: string | null;
}

/** A divergence found while re-simulating the steps a branch starts from. */
export class BranchDivergenceError extends ReplayError {
  constructor(readonly divergence: Pick<Divergence, 'step' | 'expected' | 'actual'>) {
    super(
      `cannot branch: re-simulation diverges from the recording at step ${divergence.step} ` +
        `(recorded state ${divergence.expected}, re-simulated ${divergence.actual}); run --verify for details`,
    );
  }
}

/**
 * Replays the recorded decisions of steps 1..from (so that the loop executes, reports and records them exactly as
 * the original run did), then hands over to the new planner.
 */
class PrefixPlanner implements Planner {
  readonly name: string;
  constructor(
    private readonly next: Planner,
    private readonly from: number,
    private readonly actions: readonly ActionMessage[],
    private readonly decisions: ReadonlyMap<number, DecisionMessage>,
  ) {
    this.name = next.name;
  }

  reset(info: EpisodeInfo): void {
    this.next.reset?.(info);
  }

  decide(context: PlannerContext, options: { signal?: AbortSignal }): Promise<Decision> {
    const step = context.observation.step + 1;
    if (step > this.from) return this.next.decide(context, options);
    const recorded = this.actions[step - 1];
    if (!recorded) throw new ReplayError(`the recording has no action for step ${step}`);
    const decision = this.decisions.get(step);
    const thought = decision?.thought ?? '';
    const raw = decision?.raw ?? (recorded.action ? `Action: ${formatAction(recorded.action)}` : '');
    if (recorded.action !== null) return Promise.resolve({ thought, action: recorded.action, raw, stats: {} });
    // The loop rejects a null action with the error's message as the outcome's detail: give it the recorded one.
    const message = recorded.outcome.ok ? (decision?.error ?? 'no action in the output') : recorded.outcome.detail;
    return Promise.resolve({ thought, action: null, raw, error: { code: 'syntax', message, position: 0, input: raw }, stats: {} });
  }
}

/**
 * Re-simulate steps 1..from of the recording, checking every state hash (a divergence is a BranchDivergenceError),
 * then continue the episode with another planner until it ends. With `record`, the branch is written as a new
 * recording whose steps 0..from equal the original's and whose metadata names the original and the step.
 */
export async function branch(recording: Recording, options: BranchOptions): Promise<BranchResult> {
  const { from } = options;
  checkStep(recording, from, 'branch');
  if (!isPlannerName(options.planner)) throw new ReplayError(`unknown planner "${options.planner}"; valid planners: ${PLANNERS.join(', ')}`);
  const metadata = recording.metadata;
  const recordedMaxSteps = recordedEnvConfig(metadata).maxSteps;
  const maxSteps = options.maxSteps ?? recordedMaxSteps;
  if (!Number.isInteger(maxSteps) || maxSteps <= from) throw new ReplayError(`branch: the step limit (${maxSteps}) must be greater than the step branched from (${from})`);
  const at = await recording.snapshot(from);
  // An episode that ended at `from` by success or failure (not merely by its step limit) cannot go on.
  const result = await recording.result();
  const terminatedAt = result !== null && result.steps === from && result.terminated;
  if (terminatedAt || (at.snapshot.ended && from < recordedMaxSteps)) {
    throw new ReplayError(`cannot branch from step ${from}: the recorded episode ended there (nothing is left to decide)`);
  }

  const actions = (await recordedActions(recording)).slice(0, from);
  const decisions = await decisionsUpTo(recording, from);
  const step0 = await recording.snapshot(0);
  const env = await rebuildEnv(metadata, { maxSteps });
  const planner = new PrefixPlanner(makePlanner(options.planner, env, { checkpoint: options.checkpoint }), from, actions, decisions);

  const check = (event: LoopEvent): void => {
    if (event.type === 'episode-start' && event.stateHash !== step0.stateHash) {
      throw new BranchDivergenceError({ step: 0, expected: step0.stateHash, actual: event.stateHash });
    }
    if (event.type === 'action-end' && event.step <= from) {
      const expected = actions[event.step - 1]?.stateHash ?? '';
      if (event.stateHash !== expected) throw new BranchDivergenceError({ step: event.step, expected, actual: event.stateHash });
    }
  };

  let recorder: EpisodeRecorder | null = null;
  if (options.record !== undefined) {
    recorder = await EpisodeRecorder.create(options.record, {
      env,
      source: metadata.source,
      planner: { name: options.planner },
      compression: options.compression,
      branchedFrom: { path: resolve(recording.path), step: from },
    });
  }
  const listeners = [check, recorder?.onEvent, options.onEvent].filter((l) => l !== undefined);
  let episode: EpisodeResult;
  try {
    episode = await runEpisode({
      env,
      planner,
      seed: metadata.seed,
      clock: options.clock,
      signal: options.signal,
      onEvent: (event) => {
        for (const listener of listeners) listener(event);
      },
    });
    if (episode.steps <= from && !episode.aborted) {
      throw new ReplayError(`cannot branch from step ${from}: the re-simulated episode ends there (nothing is left to decide)`);
    }
  } catch (e) {
    if (recorder && options.record !== undefined) {
      await recorder.close().catch(() => undefined);
      await unlink(options.record).catch(() => undefined);
    }
    throw e;
  }
  if (recorder) await recorder.close();
  return { from, verifiedSteps: from, result: episode, record: options.record ?? null };
}
