// The planner interface every planner implements (oracle, random, and the language-model planners to come),
// and the context the loop hands it: the shared prompt ingredients.
import type { ActionParseError } from './grammar.ts';
import type { Action, Observation, Outcome, SeenEntity } from '../sim/types.ts';

/** One past step as the planner sees it. */
export interface HistoryEntry {
  step: number;
  /** The action as text, or null when the planner's output did not parse. */
  action: string | null;
  outcome: Outcome;
  /** The reward the environment gave for the step (absent: none known, as 0). Only a sequence's or a
   *  rearrangement's parts earn one before the end: the prompt's Task marks what they were about (format 4). */
  reward?: number;
}

export interface PlannerContext {
  instruction: string;
  observation: Observation;
  /** The most recent steps, oldest first. */
  history: HistoryEntry[];
  /** Retrieved long-term memories, most relevant first (empty until a memory is attached). */
  memories: string[];
  /** What the agent saw earlier in this episode and does not see now, each as it was last seen, in the order first
   *  seen (the loop keeps it from the observations; absent: nothing is known beyond the observation). */
  seenBefore?: readonly SeenEntity[];
  /** Containers an earlier episode looked into, whose contents the long-term memory holds (absent: none). The
   *  prompt's Unsearched containers leave them out, as it does the containers opened in this episode. */
  searchedBefore?: readonly string[];
  /** The sightings a long-term memory supplied at the start (an earlier episode saw the thing there) that this
   *  episode has not replaced with one of its own (absent: none). The prompt's Unsearched lines put the places
   *  where the task's things were remembered first. */
  recalled?: readonly SeenEntity[];
}

export interface DecisionStats {
  /** Tokens generated, for language-model planners. */
  tokens?: number;
  promptTokens?: number;
  /** The engine that decoded, for the language-model planner (agent/planners/lm.ts). */
  engine?: 'cpu' | 'webgpu';
}

/** Transport-level reasons a planner that asks a server has no action (agent/planners/remote.ts). */
export const DECISION_FAILURE_CODES = ['timeout', 'rate_limited', 'http_error', 'network', 'refusal', 'empty', 'budget_exhausted', 'aborted'] as const;
export type DecisionFailureCode = (typeof DECISION_FAILURE_CODES)[number];

export interface DecisionFailure {
  code: DecisionFailureCode;
  message: string;
}

export interface Decision {
  /** A short chain of thought, shown in logs and the UI. */
  thought: string;
  /** The action to execute, or null when the raw output could not be turned into one. */
  action: Action | null;
  /** The planner's raw output. */
  raw: string;
  /** Why `action` is null: the output did not parse into a usable action. */
  error?: ActionParseError;
  /** Why `action` is null: no usable output came back at all (a timeout, an HTTP error, a refusal...). */
  failure?: DecisionFailure;
  stats: DecisionStats;
}

export interface EpisodeInfo {
  seed: number;
  family: string;
  instruction: string;
}

export interface Planner {
  readonly name: string;
  /** Called once before each episode. */
  reset?(info: EpisodeInfo): void;
  decide(context: PlannerContext, options: { signal?: AbortSignal }): Promise<Decision>;
}
