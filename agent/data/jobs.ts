// The jobs of `umwelt data`: which episodes run together, and running one job. Without a memory every episode is
// a job of its own. With one (memory mode 'prompt', memory families only), the visits of one house (scenes/
// families.ts houseKey) are one job, run in order with one fresh memory that spans them (agent/memory/series.ts),
// as the eval harness runs a series (eval/episode.ts runJob): the examples of later visits carry the prompts a
// planner with that memory sees. A lane (a worker thread) runs a job whole, so the data do not depend on the lanes.
import type { PromptFormat } from '../prompt-format.ts';
import { loopMemory, seriesMemory } from '../memory/index.ts';
import { GenerationError, houseKey } from '../../scenes/families.ts';
import { MEMORY_FAMILY_NAMES, type FamilyName, type MemoryFamilyName, type MemoryMode, type Split } from '../../scenes/family-names.ts';
import { REVISIT_VISITS } from '../../scenes/revisit.ts';
import { seedOf } from '../../scenes/splits.ts';
import { assertNever } from '../../sim/types.ts';
import { episodeData, type EpisodeData, type EpisodeDataOptions, type Student } from './episode.ts';

/**
 * The memory modes data are made in: none, or the one a planner with a memory runs in ('prompt'). Not 'record':
 * the planner sees nothing of the memory there, so its examples would be those of 'off'.
 */
export const DATA_MEMORY_MODES = ['off', 'prompt'] as const satisfies readonly MemoryMode[];
export type DataMemoryMode = (typeof DATA_MEMORY_MODES)[number];

/** Options that ask for data that cannot be made; the message names the options as `umwelt data` spells them. */
export class DataOptionsError extends Error {
  override readonly name = 'DataOptionsError';
}

/** Episodes one lane runs in order, sharing one memory unless `memory` is 'off'. Structured-clone-safe. */
export interface DataJob {
  family: FamilyName;
  seeds: number[];
  memory: DataMemoryMode;
}

export interface JobPlan {
  split: Split;
  /** Episodes per family, from seed index `start` of the split. */
  episodes: number;
  start: number;
  families: readonly FamilyName[];
  /** Default 'off'. */
  memoryMode?: DataMemoryMode;
}

const isMemoryFamily = (family: FamilyName): family is MemoryFamilyName => (MEMORY_FAMILY_NAMES as readonly string[]).includes(family);

/** The visits of one house of a memory family: that many consecutive seeds from a multiple of it. */
function visitsPerHouse(family: MemoryFamilyName): number {
  switch (family) {
    case 'revisit':
      return REVISIT_VISITS;
    default:
      return assertNever(family, 'memory family');
  }
}

/** The seeds of a family, one job per house; throws DataOptionsError unless they are whole houses of a memory family. */
function houseJobs(family: FamilyName, seeds: readonly number[], plan: JobPlan, memory: DataMemoryMode): DataJob[] {
  const names = MEMORY_FAMILY_NAMES.join(',');
  if (!isMemoryFamily(family)) {
    throw new DataOptionsError(`--memory-mode ${memory} is for the memory families (${names}), whose episodes are visits of shared houses; "${family}" is not one (give --families ${names})`);
  }
  const visits = visitsPerHouse(family);
  if (plan.start % visits !== 0 || plan.episodes % visits !== 0) {
    throw new DataOptionsError(
      `--memory-mode ${memory} runs whole houses: a ${family} house is ${visits} consecutive seeds from a multiple of ${visits}, so --start and --episodes must be multiples of ${visits} (got --start ${plan.start} --episodes ${plan.episodes})`,
    );
  }
  const houses = new Map<string, number[]>();
  for (const seed of seeds) {
    const key = houseKey(family, seed);
    houses.set(key, [...(houses.get(key) ?? []), seed]);
  }
  return [...houses.values()].map((house) => ({ family, seeds: house, memory }));
}

/** The jobs of a plan, in data order: families as given, seeds ascending. */
export function dataJobs(plan: JobPlan): DataJob[] {
  const memory = plan.memoryMode ?? 'off';
  return plan.families.flatMap((family) => {
    const seeds = Array.from({ length: plan.episodes }, (_, i) => seedOf(plan.split, plan.start + i));
    switch (memory) {
      case 'off':
        return seeds.map((seed) => ({ family, seeds: [seed], memory }));
      case 'prompt':
        return houseJobs(family, seeds, plan, memory);
      default:
        return assertNever(memory, 'memory mode');
    }
  });
}

export interface JobRunOptions {
  maxSteps?: number;
  student?: Student;
  /** The prompt format of the examples (default LATEST_PROMPT_FORMAT). */
  format?: PromptFormat;
  /** Checked between a job's episodes: once aborted, the job returns the episodes it has. */
  signal?: AbortSignal;
}

/** One episode, null when its scene cannot be generated. */
async function episodeOrNull(family: FamilyName, seed: number, options: EpisodeDataOptions): Promise<EpisodeData | null> {
  try {
    return await episodeData(family, seed, options);
  } catch (e) {
    if (e instanceof GenerationError) return null;
    throw e;
  }
}

/** The episodes of a job in order (each null when it cannot be generated), with one fresh memory unless 'off'. */
export async function runDataJob(job: DataJob, options: JobRunOptions = {}): Promise<(EpisodeData | null)[]> {
  const memory = job.memory === 'off' ? undefined : loopMemory(seriesMemory(), job.memory);
  const out: (EpisodeData | null)[] = [];
  for (const seed of job.seeds) {
    if (options.signal?.aborted) break;
    const data = await episodeOrNull(job.family, seed, { maxSteps: options.maxSteps, student: options.student, memory, format: options.format });
    // Visits sharing a memory quote each other: training holds their house out for validation as one unit.
    const house = houseKey(job.family, seed);
    out.push(data === null || memory === undefined ? data : { ...data, examples: data.examples.map((e) => ({ ...e, house })) });
  }
  return out;
}
