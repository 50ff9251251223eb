// What the harness runs and what it writes: an EpisodeSpec is one (scenario, planner, memory, family, seed) to run; an
// EpisodeRecord is its line in DIR/episodes.jsonl. Everything in `result` is a deterministic function of the spec
// (the same bytes whatever the worker count or machine load); `timing` holds the wall-clock measurements.
import { z } from 'zod';
import { MEMORY_SCOPES, type MemoryMode, type MemoryScope } from '../scenes/family-names.ts';

export type ScenarioKind = 'json' | 'scripted';

/** The memory modes that give an episode a memory ('off' is the absence of one). */
export const SPEC_MEMORY_MODES = ['record', 'prompt'] as const;
export type SpecMemoryMode = (typeof SPEC_MEMORY_MODES)[number];

/** An episode's long-term memory (agent/memory): how the planner gets it, and which episodes share it. */
export interface SpecMemory {
  mode: SpecMemoryMode;
  scope: MemoryScope;
  /** Episodes with the same series share one memory and run in plan order in one worker (scope 'house': the
   *  episodes of one house); null: a fresh memory of the episode's own. */
  series: string | null;
}

export interface EpisodeSpec {
  /** Position in the plan; results are reported in this order. */
  index: number;
  /** `scenario:planner:family:seed`, unique within a run. */
  id: string;
  scenario: string;
  scenarioKind: ScenarioKind;
  /** Absolute path of the scenario file. */
  scenarioPath: string;
  planner: string;
  family: string;
  seed: number;
  maxSteps: number;
  /** Absent: no memory (the spec is then exactly what it was before memories existed, and so is its id). */
  memory?: SpecMemory;
}

/**
 * What reports call a planner run with a memory mode: the planner's name without a memory, `NAME+memory` with one
 * in the prompt, `NAME+memory-record` with one recorded only. Every arm is compared with the first on the same
 * episodes, as planners are.
 */
export function armLabel(planner: string, mode: MemoryMode): string {
  switch (mode) {
    case 'off':
      return planner;
    case 'prompt':
      return `${planner}+memory`;
    case 'record':
      return `${planner}+memory-record`;
  }
}

/** The spec's arm: its planner and memory mode, as reports name it. */
export const labelOf = (spec: EpisodeSpec): string => armLabel(spec.planner, spec.memory?.mode ?? 'off');

export const episodeId = (scenario: string, planner: string, family: string, seed: number): string =>
  `${scenario}:${planner}:${family}:${seed}`;

const count = z.int().min(0);

export const EpisodeResultSchema = z.strictObject({
  success: z.boolean(),
  terminated: z.boolean(),
  truncated: z.boolean(),
  failureReason: z.string().nullable(),
  /** An exception that ended the episode (a scenario's event throwing, a scene that cannot be generated). */
  error: z.string().nullable(),
  steps: count,
  instruction: z.string(),
  stateHash: z.string(),
  spl: z.number(),
  pathLength: z.number(),
  referencePathLength: z.number().nullable(),
  reward: z.number(),
  physicsSteps: count,
  simSeconds: z.number(),
  failures: z.record(z.string(), count),
  /** Tokens the planner generated (a remote server's completion tokens). */
  tokens: count,
  /** Tokens of the planner's prompts (a remote server's prompt tokens); absent in records written before they were counted. */
  promptTokens: count.optional(),
  custom: z.record(z.string(), z.number()),
});
export type EpisodeOutcome = z.infer<typeof EpisodeResultSchema>;

export const EpisodeTimingSchema = z.strictObject({
  /** Wall-clock milliseconds of the whole episode in its worker (including the oracle reference run). */
  wallMs: z.number().min(0),
  /** Each planner decision's latency, milliseconds, in step order. */
  decisionsMs: z.array(z.number().min(0)),
});
export type EpisodeTiming = z.infer<typeof EpisodeTimingSchema>;

export const EpisodeRecordSchema = z.strictObject({
  id: z.string(),
  scenario: z.string(),
  /** The arm: the planner's name, with `+memory` or `+memory-record` when the episode had a memory (armLabel). */
  planner: z.string(),
  /** The episode's memory; absent: none. */
  memory: z.strictObject({ mode: z.enum(SPEC_MEMORY_MODES), scope: z.enum(MEMORY_SCOPES) }).optional(),
  family: z.string(),
  seed: z.int().min(0),
  result: EpisodeResultSchema,
  timing: EpisodeTimingSchema,
});
export type EpisodeRecord = z.infer<typeof EpisodeRecordSchema>;

/** A record without its timing: what must be byte-identical across runs. */
export function deterministicPart(record: EpisodeRecord): Omit<EpisodeRecord, 'timing'> {
  const { timing: _timing, ...rest } = record;
  return rest;
}
