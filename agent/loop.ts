// The perceive-recall-reason-act loop. It asks the planner for a decision, executes it through the env (never an
// unparsable action, nor one naming an entity that does not exist: those come back to the planner as failed
// outcomes), and emits typed events that recorders, metrics and the UI subscribe to.
import type { Env, ResetResult, StepResult } from '../sim/env.ts';
import type { Action, FailureReason, Observation, Outcome, SeenEntity } from '../sim/types.ts';
import { actionEntities, formatAction } from './grammar.ts';
import { latencySummary, spl, type EpisodeMetrics } from './metrics.ts';
import type { Decision, HistoryEntry, Planner } from './planner.ts';
import { visitedPlaces } from './prompt.ts';
import type { MemoryKind } from '../memory/types.ts';

export type LoopEvent =
  | { type: 'episode-start'; seed: number; family: string; instruction: string; planner: string; stateHash: string }
  | { type: 'observation'; step: number; observation: Observation }
  | { type: 'decision'; step: number; decision: Decision; latencyMs: number }
  | { type: 'action-start'; step: number; action: Action }
  | { type: 'action-end'; step: number; action: Action | null; outcome: Outcome; physicsSteps: number; stateHash: string }
  | { type: 'reward'; step: number; reward: number; total: number }
  | { type: 'episode-end'; result: EpisodeResult }
  /** Memories written after step `step` (0: at reset; the episode's outcome comes with step = result.steps) and the
   *  older records they replaced. Only with a `memory`, and only when something was written or replaced. */
  | { type: 'memory-write'; step: number; records: MemoryWriteView[]; superseded: string[] }
  /** The memories handed to the planner for step `step`, most relevant first (emitted before its decision). */
  | { type: 'memory-recall'; step: number; memories: MemoryRecallView[] };

/** A written memory as events show it (JSON- and structured-clone-safe: no embedding). */
export interface MemoryWriteView {
  id: string;
  kind: MemoryKind;
  text: string;
  importance: number;
}

/** A recalled memory as events show it: `text` is what the planner got. */
export interface MemoryRecallView {
  id: string;
  text: string;
  score: number;
}

/** What one call wrote: new records, and the ids of older records they replaced (deleted). */
export interface MemoryWrites {
  records: MemoryWriteView[];
  superseded: string[];
}

export interface MemoryRecallRequest {
  step: number;
  instruction: string;
  observation: Observation;
  /** The history handed to the planner. */
  history: readonly HistoryEntry[];
  /** Simulated seconds since the episode's world began (physics steps x physics dt). */
  simTime: number;
}

type MaybePromise<T> = T | Promise<T>;

/**
 * The long-term memory as the loop uses it (agent/memory/AgentMemory implements it). Every call gets the simulated
 * time of the episode's world (never the wall clock); a memory that spans episodes keeps its own running clock.
 */
export interface LoopMemory {
  /** After reset, before anything else of the episode. */
  episodeStart(info: { seed: number; family: string; instruction: string; simTime: number }): MaybePromise<void>;
  /** After each observation (step 0 is the one at reset). */
  observe(step: number, observation: Observation, simTime: number): MaybePromise<MemoryWrites>;
  /** Before each decision: the memories for PlannerContext.memories (`texts`) and what they came from. */
  recall(request: MemoryRecallRequest): MaybePromise<{ texts: string[]; records: MemoryRecallView[] }>;
  /** After each step, with the observation that followed it (action null: the output had no usable action). */
  outcome(step: number, action: Action | null, outcome: Outcome, observation: Observation, simTime: number): MaybePromise<MemoryWrites>;
  /** At the end (also when aborted), before `episode-end` is emitted. */
  episodeEnd(result: EpisodeResult, simTime: number): MaybePromise<MemoryWrites>;
  /**
   * After episodeStart, with the observation at reset: the objects remembered from earlier episodes, each as last
   * remembered (where it rested), in the order first remembered. The loop starts its record of what the agent has
   * seen (PlannerContext.seenBefore) with them, so the planner is told where a thing was last seen, also on
   * another visit. The skills do not know them (`goto` to one fails as not_visible): the planner goes to where it
   * was. Absent, or empty for a memory that does not span episodes: the episode starts knowing nothing.
   */
  remembered?(observation: Observation): MaybePromise<readonly SeenEntity[]>;
  /**
   * After episodeStart, with the observation at reset: the containers earlier episodes looked into, whose contents
   * the memory holds (PlannerContext.searchedBefore: the prompt's Unsearched containers leave them out). Absent, or
   * empty: every container is unsearched at the start.
   */
  searched?(observation: Observation): MaybePromise<readonly string[]>;
}

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
  /** Long-term memory: written as the episode goes and recalled for every decision. Without one the planner gets
   *  no memories and no memory events are emitted (the episode is otherwise the same either way). */
  memory?: LoopMemory;
}

/** Copies of what a memory reports, so that events hold plain data whatever the implementation returns. */
function writeEvent(step: number, writes: MemoryWrites): LoopEvent | null {
  if (writes.records.length === 0 && writes.superseded.length === 0) return null;
  const records = writes.records.map(({ id, kind, text, importance }) => ({ id, kind, text, importance }));
  return { type: 'memory-write', step, records, superseded: [...writes.superseded] };
}

/** What was seen before and is not in view now (the held thing included), in the order first seen. */
function seenBefore(lastSeen: ReadonlyMap<string, SeenEntity>, observation: Observation, spent: ReadonlySet<SeenEntity>): SeenEntity[] {
  const inView = new Set(observation.visible.map((e) => e.id));
  return [...lastSeen.values()].filter((e) => !inView.has(e.id) && !spent.has(e));
}

/**
 * The remembered sightings (from an earlier episode) that this episode has not replaced with one of its own, split
 * by whether the agent has gone to or opened their place in this episode. A spent one leaves seenBefore: there,
 * what the agent sees (or does not) is the news, and the search goes on as any search does (open the container
 * it stands at). Kept, its `last seen in #k` drew a pocket-sized model back to "I remember it in #k, so I go there"
 * at the place itself, step after step. The standing ones are PlannerContext.recalled.
 */
function rememberedNow(
  remembered: readonly SeenEntity[],
  lastSeen: ReadonlyMap<string, SeenEntity>,
  history: readonly HistoryEntry[],
  observation: Observation,
): { standing: SeenEntity[]; spent: Set<SeenEntity> } {
  const current = remembered.filter((e) => lastSeen.get(e.id) === e);
  if (current.length === 0) return { standing: [], spent: new Set() };
  const visited = new Set(visitedPlaces(history, observation.landmarks));
  const gone = (e: SeenEntity): boolean => visited.has(e.state.inside ?? e.state.on_top_of ?? '');
  return { standing: current.filter((e) => !gone(e)), spent: new Set(current.filter(gone)) };
}

/**
 * A goto to a thing the agent has not seen in this episode but recalls from an earlier one (a standing sighting,
 * PlannerContext.recalled) goes to the place it was recalled at: what the prompt's `last seen in #k` says. The
 * skills only go to objects seen in this episode (anything else fails not_visible), and "go to the black apple"
 * from a planner that remembers it in the drawer means the drawer. The decision keeps what the planner chose; the
 * step (action-start, action-end, the history) is what was done.
 */
export function towardRecalled(action: Action, recalled: readonly SeenEntity[]): Action {
  if (action.kind !== 'goto') return action;
  const sighting = recalled.find((e) => e.id === action.target);
  const place = sighting?.state.inside ?? sighting?.state.on_top_of;
  return place === undefined ? action : { kind: 'goto', target: place };
}

export async function runEpisode(options: RunOptions): Promise<EpisodeResult> {
  const { env, planner, seed, memory } = options;
  const emit = options.onEvent ?? (() => undefined);
  const simTime = (): number => env.world.physicsSteps * env.world.physicsDt;
  const remember = (step: number, writes: MemoryWrites): void => {
    const event = writeEvent(step, writes);
    if (event) emit(event);
  };
  const clock = options.clock ?? (() => 0);
  const historyLength = options.historyLength ?? Number.POSITIVE_INFINITY;
  const reset: ResetResult = env.reset({ seed });
  planner.reset?.({ seed, family: reset.info.family, instruction: reset.info.instruction });
  emit({ type: 'episode-start', seed, family: reset.info.family, instruction: reset.info.instruction, planner: planner.name, stateHash: reset.info.stateHash });
  let observation = reset.obs;
  // The agent's own record of what it has seen this episode: each entity as last seen (PlannerContext.seenBefore).
  // With a memory that spans episodes it starts with what the memory places somewhere (seen on an earlier visit).
  const lastSeen = new Map<string, SeenEntity>();
  // The containers an earlier episode looked into (from a memory that spans episodes).
  const searchedBefore: string[] = [];
  // The remembered sightings (from that memory), each until the episode sees the thing itself.
  const remembered: SeenEntity[] = [];
  const see = (obs: Observation): void => {
    for (const e of [...(obs.glimpsed ?? []), ...obs.visible]) lastSeen.set(e.id, e);
  };
  emit({ type: 'observation', step: 0, observation });
  if (memory) {
    await memory.episodeStart({ seed, family: reset.info.family, instruction: reset.info.instruction, simTime: simTime() });
    for (const e of (await memory.remembered?.(observation)) ?? []) {
      lastSeen.set(e.id, e);
      remembered.push(e);
    }
    searchedBefore.push(...((await memory.searched?.(observation)) ?? []));
  }
  see(observation);
  if (memory) remember(0, await memory.observe(0, observation, simTime()));
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
    const shownHistory = history.slice(-historyLength);
    let memories: string[] = [];
    if (memory) {
      const recalled = await memory.recall({ step, instruction: observation.instruction, observation, history: shownHistory, simTime: simTime() });
      memories = [...recalled.texts];
      emit({ type: 'memory-recall', step, memories: recalled.records.map(({ id, text, score }) => ({ id, text, score })) });
    }
    const { standing, spent } = rememberedNow(remembered, lastSeen, history, observation);
    const started = clock();
    // The instruction as the agent sees it now: a scripted scenario may change it mid-episode.
    const decision = await planner.decide(
      { instruction: observation.instruction, observation, history: shownHistory, memories, seenBefore: seenBefore(lastSeen, observation, spent), searchedBefore, recalled: standing },
      { signal: options.signal },
    );
    const latencyMs = clock() - started;
    latencies.push(latencyMs);
    tokens += decision.stats.tokens ?? 0;
    emit({ type: 'decision', step, decision, latencyMs });

    const action = decision.action === null ? null : towardRecalled(decision.action, standing);
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
    history.push({ step, action: action ? formatAction(action) : null, outcome, reward: result.reward });
    observation = result.obs;
    see(observation);
    emit({ type: 'observation', step, observation });
    if (memory) {
      const t = simTime();
      const acted = await memory.outcome(step, action, outcome, observation, t);
      const seen = await memory.observe(step, observation, t);
      remember(step, { records: [...acted.records, ...seen.records], superseded: [...acted.superseded, ...seen.superseded] });
    }
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
  if (memory) remember(result.steps, await memory.episodeEnd(result, simTime()));
  emit({ type: 'episode-end', result });
  return result;
}
