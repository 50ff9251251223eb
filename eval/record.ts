// What the harness runs and what it writes: an EpisodeSpec is one (scenario, planner, family, seed) to run; an
// EpisodeRecord is its line in DIR/episodes.jsonl. Everything in `result` is a deterministic function of the spec
// (the same bytes whatever the worker count or machine load); `timing` holds the wall-clock measurements.
import { z } from 'zod';

export type ScenarioKind = 'json' | 'scripted';

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
}

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
  planner: z.string(),
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
