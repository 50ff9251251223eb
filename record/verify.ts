// Replaying a recorded episode without Node built-ins (the browser uses it; replay.ts adds branching and, in Node,
// scripted scenario modules loaded from disk):
//   playback       stateAt / restoreAt: the recorded state of a step (poses at every control step, the snapshot),
//                  read from the file without simulating; restoreAt puts it into a live Env.
//   verification   verify: rebuild the env from the metadata, reset it with the recorded seed and execute the
//                  recorded actions, comparing Env.stateHash() with the recorded one after reset and after every
//                  step. The first divergence names the step (and, where the file has them, the control step).
// A scripted scenario's recording rebuilds only with a `loadScenario` option (replay.ts passes Node's import);
// without one it is refused with a ReplayError. frames.ts re-simulates into pose frames with the same parts.
import { actionEntities } from '../agent/grammar.ts';
import type { Env, StepResult } from '../sim/env.ts';
import type { Action, Observation, Outcome } from '../sim/types.ts';
import {
  TOPICS,
  type ActionMessage,
  type DecisionMessage,
  type ObservationMessage,
  type SnapshotMessage,
  type StateMessage,
} from './format.ts';
import { rebuildEnv, ReplayError, type RebuildOptions, type ScenarioLoader } from './rebuild-core.ts';
import type { Recording } from './recording.ts';

// ---- playback --------------------------------------------------------------------------------------------------

/** What the file holds about one step (step 0: the reset), read without simulating. */
export interface PlaybackState {
  step: number;
  /** Env.stateHash() after the step. */
  stateHash: string;
  /** The restorable env snapshot after the step. */
  snapshot: SnapshotMessage['snapshot'];
  /**
   * The recorded states of the step, in order (poses, part openness, held object, hash): for step 0 the one after
   * the reset; for a step, one after each of its control steps (none when it ran no physics).
   */
  states: StateMessage[];
  /** The action executed and its outcome (null for step 0). */
  action: ActionMessage | null;
  /** The planner's decision (null for step 0, or when the file does not have it). */
  decision: DecisionMessage | null;
  /** The agent's observation after the step, when the file has it. */
  observation: Observation | null;
}

/** Throws a ReplayError unless `step` is one of the recording's steps 0..steps. */
export function checkStep(recording: Recording, step: number, what: string): void {
  if (!Number.isInteger(step) || step < 0) throw new ReplayError(`${what}: the step must be a non-negative integer, got ${step}`);
  if (step > recording.steps) {
    const tail = recording.complete ? '' : ` (the file is incomplete: ${recording.problem ?? 'truncated'})`;
    throw new ReplayError(`${what}: step ${step} is beyond the recording, which has steps 0..${recording.steps}${tail}`);
  }
}

/** The messages of one topic recorded during one step, in order. */
async function messagesOfStep<T extends { step: number }>(recording: Recording, topic: (typeof TOPICS)[keyof typeof TOPICS], step: number): Promise<T[]> {
  const found: T[] = [];
  for await (const { message } of recording.messages<T>(topic, { fromStep: step, toStep: step })) {
    if (message.step === step) found.push(message);
  }
  return found;
}

/** The recorded state of step `step` (0 = after reset), without simulating. */
export async function stateAt(recording: Recording, step: number): Promise<PlaybackState> {
  checkStep(recording, step, 'playback');
  const snapshot = await recording.snapshot(step);
  const [states, actions, decisions, observations] = await Promise.all([
    recording.states(step, step),
    step === 0 ? Promise.resolve([]) : messagesOfStep<ActionMessage>(recording, TOPICS.action, step),
    step === 0 ? Promise.resolve([]) : messagesOfStep<DecisionMessage>(recording, TOPICS.decision, step),
    messagesOfStep<ObservationMessage>(recording, TOPICS.observation, step),
  ]);
  return {
    step,
    stateHash: snapshot.stateHash,
    snapshot: snapshot.snapshot,
    states: states.filter((s) => s.step === step),
    action: actions[0] ?? null,
    decision: decisions[0] ?? null,
    observation: observations[observations.length - 1]?.observation ?? null,
  };
}

/**
 * An Env in the recorded state of step `step`: `env` (one built for this recording) or a rebuilt one (`options`:
 * how to rebuild it, see rebuild-core.ts).
 */
export async function restoreAt(recording: Recording, step: number, env?: Env, options: RebuildOptions = {}): Promise<Env> {
  checkStep(recording, step, 'restore');
  const target = env ?? (await rebuildEnv(recording.metadata, options));
  const snapshot = await recording.snapshot(step);
  target.restore(snapshot.snapshot);
  const actual = target.stateHash();
  if (actual !== snapshot.stateHash) {
    throw new ReplayError(`restoring step ${step} gives state ${actual}, not the recorded ${snapshot.stateHash}: this env does not reproduce the recording`);
  }
  return target;
}

// ---- verified re-simulation ------------------------------------------------------------------------------------

/** Where re-simulation first disagreed with the recording. */
export interface Divergence {
  /** The step (0: the reset itself). */
  step: number;
  /** The recorded state hash after that step, and the re-simulated one. */
  expected: string;
  actual: string;
  /** The recorded action of that step (null for step 0, or when the planner's output did not parse). */
  action: Action | null;
  /** The first control step (counted from reset, as in the StateMessages) whose hash differs, when known. */
  controlStep: number | null;
  /** The recorded outcome and the re-simulated one (null for step 0). */
  expectedOutcome: Outcome | null;
  actualOutcome: Outcome | null;
}

export interface VerifyResult {
  /** Steps checked: the recorded steps (up to `toStep`), the reset not counted. */
  steps: number;
  /** Steps whose state matched, the reset not counted (= steps when verified). */
  verifiedSteps: number;
  /** Whether every checked step (and the reset) matched. */
  verified: boolean;
  /** Whether the file is whole; an incomplete one is verified as far as it goes. */
  complete: boolean;
  problem: string | null;
  firstDivergence: Divergence | null;
  /** Simulated seconds re-simulated. */
  simSeconds: number;
}

export interface StepCheck {
  step: number;
  expected: string;
  actual: string;
  ok: boolean;
}

export interface VerifyOptions {
  /** Called after the reset (step 0) and every step, with the comparison. */
  onStep?: (check: StepCheck) => void;
  /** Verify only steps 1..toStep. */
  toStep?: number;
  signal?: AbortSignal;
  /** Supplies a scripted scenario's module (replay.ts's verify: imported from disk); without it they are refused. */
  loadScenario?: ScenarioLoader;
}

/** The recorded actions, checked to be the steps 1..n in order. */
export async function recordedActions(recording: Recording): Promise<ActionMessage[]> {
  const actions = [...(await recording.actions())].sort((a, b) => a.step - b.step);
  actions.forEach((a, i) => {
    if (a.step !== i + 1) throw new ReplayError(`the recording's actions are not steps 1..${actions.length} in order: found step ${a.step} at position ${i + 1}`);
  });
  return actions;
}

/** Execute a recorded step exactly as agent/loop.ts did: rejected output and unknown entities run no physics. */
export function applyRecorded(env: Env, recorded: ActionMessage): StepResult {
  const { action, outcome } = recorded;
  if (action === null) {
    return env.reject(outcome.ok ? { ok: false, reason: 'invalid_action', detail: 'no action in the output' } : outcome);
  }
  const unknown = actionEntities(action).filter((id) => env.world.entity(id) === undefined);
  if (unknown.length > 0) {
    return env.reject(outcome.ok ? { ok: false, reason: 'unknown_entity', detail: `no entity named ${unknown.join(', ')}` } : outcome);
  }
  return env.step(action);
}

/** Hashes after each control step of `run`. */
function hashesDuring(env: Env, run: () => void): string[] {
  const hashes: string[] = [];
  const stop = env.onControlStep((e) => hashes.push(e.stateHash()));
  try {
    run();
  } finally {
    stop();
  }
  return hashes;
}

/** The first control step whose re-simulated hash differs from the recorded StateMessages of the step. */
function firstControlStep(recorded: readonly StateMessage[], actual: readonly string[]): number | null {
  const n = Math.max(recorded.length, actual.length);
  for (let i = 0; i < n; i++) {
    const r = recorded[i];
    if (r?.stateHash !== actual[i]) {
      if (r) return r.controlStep;
      const last = recorded[recorded.length - 1];
      return last ? last.controlStep + (i - recorded.length + 1) : null;
    }
  }
  return null;
}

/**
 * Pinpoint the control step of a divergence at step k > 0: restore the recorded snapshot of step k - 1 (which
 * re-simulation matched) into a fresh env, execute the step again with a hash after each control step, and
 * compare with the recorded StateMessages. Null when the file lacks them or anything goes wrong.
 */
async function pinpoint(recording: Recording, recorded: ActionMessage, options: RebuildOptions): Promise<number | null> {
  try {
    const states = (await recording.states(recorded.step, recorded.step)).filter((s) => s.step === recorded.step);
    if (states.length === 0) return null;
    const env = await restoreAt(recording, recorded.step - 1, undefined, options);
    const actual = hashesDuring(env, () => void applyRecorded(env, recorded));
    return firstControlStep(states, actual);
  } catch {
    return null;
  }
}

/** A failure while resetting a rebuilt env, as a ReplayError. */
export function rebuildFailure(e: unknown): never {
  if (e instanceof ReplayError) throw e;
  throw new ReplayError(`cannot rebuild the recorded episode: ${e instanceof Error ? e.message : String(e)}`);
}

/** Re-simulate the recording and compare the state hash after the reset and after every recorded step. */
export async function verify(recording: Recording, options: VerifyOptions = {}): Promise<VerifyResult> {
  const metadata = recording.metadata;
  const rebuild: RebuildOptions = { loadScenario: options.loadScenario };
  const env = await rebuildEnv(metadata, rebuild);
  let actions = await recordedActions(recording);
  if (options.toStep !== undefined) {
    checkStep(recording, options.toStep, 'verify');
    actions = actions.slice(0, options.toStep);
  }
  const base = { steps: actions.length, complete: recording.complete, problem: recording.problem };
  const done = (verifiedSteps: number, firstDivergence: Divergence | null): VerifyResult => ({
    ...base,
    verifiedSteps,
    verified: firstDivergence === null,
    firstDivergence,
    simSeconds: env.world.physicsSteps * env.world.physicsDt,
  });

  const step0 = await recording.snapshot(0);
  let resetHash = '';
  try {
    resetHash = env.reset({ seed: metadata.seed }).info.stateHash;
  } catch (e) {
    rebuildFailure(e);
  }
  options.onStep?.({ step: 0, expected: step0.stateHash, actual: resetHash, ok: resetHash === step0.stateHash });
  if (resetHash !== step0.stateHash) {
    // The reset's settling control steps have no state messages of their own (step 0 has one, after them).
    return done(0, { step: 0, expected: step0.stateHash, actual: resetHash, action: null, controlStep: null, expectedOutcome: null, actualOutcome: null });
  }

  for (const recorded of actions) {
    if (options.signal?.aborted) throw new ReplayError(`verification interrupted at step ${recorded.step}`);
    const verifiedSteps = recorded.step - 1;
    if (env.ended) {
      const divergence = { step: recorded.step, expected: recorded.stateHash, actual: '(the re-simulated episode had ended)', action: recorded.action };
      return done(verifiedSteps, { ...divergence, controlStep: null, expectedOutcome: recorded.outcome, actualOutcome: null });
    }
    const result = applyRecorded(env, recorded);
    const actual = result.info.stateHash;
    const ok = actual === recorded.stateHash;
    options.onStep?.({ step: recorded.step, expected: recorded.stateHash, actual, ok });
    if (!ok) {
      const controlStep = await pinpoint(recording, recorded, rebuild);
      const divergence = { step: recorded.step, expected: recorded.stateHash, actual, action: recorded.action, controlStep };
      return done(verifiedSteps, { ...divergence, expectedOutcome: recorded.outcome, actualOutcome: result.info.outcome });
    }
  }
  return done(actions.length, null);
}

/** The recorded decisions of steps 1..to, by step (the first of each step). */
export async function decisionsUpTo(recording: Recording, to: number): Promise<Map<number, DecisionMessage>> {
  const byStep = new Map<number, DecisionMessage>();
  if (to < 1) return byStep;
  for await (const { message } of recording.messages<DecisionMessage>(TOPICS.decision, { fromStep: 1, toStep: to })) {
    if (message.step >= 1 && message.step <= to && !byStep.has(message.step)) byStep.set(message.step, message);
  }
  return byStep;
}
