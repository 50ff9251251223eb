// The perceive-recall-reason-act loop. It asks the planner for a decision, executes it through the env (never an
// unparsable action, nor one naming an entity that does not exist: those come back to the planner as failed
// outcomes), and emits typed events that recorders, metrics and the UI subscribe to.
import type { Env, ResetResult, StepResult } from '../sim/env.ts';
import { assertNever, type Action, type FailureReason, type Observation, type Outcome } from '../sim/types.ts';
import { formatAction } from './grammar.ts';
import { latencySummary, spl, type EpisodeMetrics } from './metrics.ts';
import type { Decision, HistoryEntry, Planner } from './planner.ts';

export type LoopEvent =
  | { type: 'episode-start'; seed: number; family: string; instruction: string; planner: string; stateHash: string }
  | { type: 'observation'; step: number; observation: Observation }
  | { type: 'decision'; step: number; decision: Decision; latencyMs: number }
  | { type: 'action-start'; step: number; action: Action }
  | { type: 'action-end'; step: number; action: Action | null; outcome: Outcome; physicsSteps: number; stateHash: string }
  | { type: 'reward'; step: number; reward: number; total: number }
  | { type: 'episode-end'; result: EpisodeResult };

export interface EpisodeResult {
  seed: number;
  family: string;
  /** The instruction at reset (a scripted scenario may change it later; the observations carry the current one). */
  instruction: string;
  planner: string;
  success: boolean;
  terminated: boolean;
  truncated: boolean;
  aborted: boolean;
  failureReason: string | null;
  steps: number;
  stateHash: string;
  metrics: EpisodeMetrics;
}

export interface RunOptions {
  env: Env;
  planner: Planner;
  seed: number;
  /** History entries handed to the planner (default: all; the prompt shows the last few and the places visited). */
  historyLength?: number;
  /** The oracle's path length for this episode, for SPL; omitted for the oracle itself. */
  referencePathLength?: number | null;
  signal?: AbortSignal;
  /** Milliseconds, for decision latency only (never for the simulation); defaults to a clock that reads 0. */
  clock?: () => number;
  onEvent?: (event: LoopEvent) => void;
}

/** Entity ids an action names. */
export function actionEntities(action: Action): string[] {
  switch (action.kind) {
    case 'goto':
    case 'open':
    case 'close':
    case 'toggle':
      return [action.target];
    case 'pick':
      return [action.object];
    case 'place':
      return [action.object, action.receptacle];
    case 'say':
    case 'done':
    case 'move':
    case 'grasp':
    case 'release':
      return [];
    default:
      return assertNever(action, 'action');
  }
}

export async function runEpisode(options: RunOptions): Promise<EpisodeResult> {
  const { env, planner, seed } = options;
  const emit = options.onEvent ?? (() => undefined);
  const clock = options.clock ?? (() => 0);
  const historyLength = options.historyLength ?? Number.POSITIVE_INFINITY;
  const reset: ResetResult = env.reset({ seed });
  planner.reset?.({ seed, family: reset.info.family, instruction: reset.info.instruction });
  emit({ type: 'episode-start', seed, family: reset.info.family, instruction: reset.info.instruction, planner: planner.name, stateHash: reset.info.stateHash });
  let observation = reset.obs;
  emit({ type: 'observation', step: 0, observation });
  const history: HistoryEntry[] = [];
  const failures: Partial<Record<FailureReason, number>> = {};
  const latencies: number[] = [];
  let tokens = 0;
  let total = 0;
  let last: StepResult | null = null;
  let aborted = false;

  while (!env.ended) {
    if (options.signal?.aborted) {
      aborted = true;
      break;
    }
    const step = env.stepCount + 1;
    const started = clock();
    // The instruction as the agent sees it now: a scripted scenario may change it mid-episode.
    const decision = await planner.decide(
      { instruction: observation.instruction, observation, history: history.slice(-historyLength), memories: [] },
      { signal: options.signal },
    );
    const latencyMs = clock() - started;
    latencies.push(latencyMs);
    tokens += decision.stats.tokens ?? 0;
    emit({ type: 'decision', step, decision, latencyMs });

    const action = decision.action;
    let result: StepResult;
    if (action === null) {
      result = env.reject({ ok: false, reason: 'invalid_action', detail: decision.error?.message ?? decision.failure?.message ?? 'no action in the output' });
    } else {
      const unknown = actionEntities(action).filter((id) => env.world.entity(id) === undefined);
      if (unknown.length > 0) {
        result = env.reject({ ok: false, reason: 'unknown_entity', detail: `no entity named ${unknown.join(', ')}` });
      } else {
        emit({ type: 'action-start', step, action });
        result = env.step(action);
      }
    }
    const outcome = result.info.outcome;
    if (!outcome.ok) failures[outcome.reason] = (failures[outcome.reason] ?? 0) + 1;
    emit({ type: 'action-end', step, action, outcome, physicsSteps: result.info.actionPhysicsSteps, stateHash: result.info.stateHash });
    total += result.reward;
    emit({ type: 'reward', step, reward: result.reward, total });
    history.push({ step, action: action ? formatAction(action) : null, outcome });
    observation = result.obs;
    emit({ type: 'observation', step, observation });
    last = result;
  }

  const success = last?.info.success ?? false;
  const pathLength = env.skills.pathLength;
  const reference = options.referencePathLength ?? (planner.name === 'oracle' ? pathLength : null);
  const physicsSteps = env.world.physicsSteps;
  const metrics: EpisodeMetrics = {
    success,
    steps: env.stepCount,
    failures,
    pathLength,
    spl: spl(success, pathLength, reference),
    referencePathLength: reference,
    physicsSteps,
    simSeconds: physicsSteps * env.world.physicsDt,
    reward: total,
    decisionLatencyMs: latencySummary(latencies),
    tokens,
    custom: env.task.metrics?.(env.world) ?? {},
  };
  const result: EpisodeResult = {
    seed,
    family: reset.info.family,
    instruction: reset.info.instruction,
    planner: planner.name,
    success,
    terminated: last?.terminated ?? false,
    truncated: last?.truncated ?? false,
    aborted,
    failureReason: last?.info.failure ?? (last?.truncated ? 'step budget exhausted' : null),
    steps: env.stepCount,
    stateHash: env.stateHash(),
    metrics,
  };
  emit({ type: 'episode-end', result });
  return result;
}
