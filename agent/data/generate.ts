// `umwelt data`: the oracle over the seeds of a split, for every family asked, into corpus passages and
// instruction examples (agent/data/episode.ts). Deterministic: the same options give the same data, in the same
// order (families in the order given, seeds ascending).
import { GenerationError } from '../../scenes/families.ts';
import type { FamilyName, Split } from '../../scenes/family-names.ts';
import { seedOf } from '../../scenes/splits.ts';
import { episodeData, type EpisodeData, type SftExample, type Student } from './episode.ts';

/** Bumped whenever the prompt format or the data change (5: prompt format 2, agent/prompt-format.ts). */
export const DATA_VERSION = 5;

export interface DataOptions {
  split: Split;
  /** Episodes per family. */
  episodes: number;
  families: readonly FamilyName[];
  /** Index of the first seed within the split. */
  start: number;
  maxSteps?: number;
  /** DAgger: a planner carrying out its own actions at a share of the steps, the oracle labelling every one. */
  student?: Student;
  /**
   * Runs one episode in `lane` (0 <= lane < lanes), null when it cannot be generated; default: in this thread
   * (episodeData). Lanes run at once, each one episode at a time; the data come out in the same order whatever
   * the lanes, so that it is byte-identical for any number of them.
   */
  episode?: (family: FamilyName, seed: number, lane: number) => Promise<EpisodeData | null>;
  lanes?: number;
  signal?: AbortSignal;
  /** Called after every episode, in completion order (done counts episodes over all families). */
  onEpisode?: (episode: EpisodeSummary, done: number, total: number) => void | Promise<void>;
}

export interface EpisodeSummary {
  family: FamilyName;
  seed: number;
  /** Episodes that could not be generated are skipped (and reported), as are failed episodes' examples. */
  status: 'success' | 'failure' | 'not_generated';
  steps: number;
  examples: number;
}

export interface Dataset {
  corpus: string[];
  examples: SftExample[];
  episodes: EpisodeSummary[];
  interrupted: boolean;
}

/** One episode in this thread, null when its scene cannot be generated. */
export async function episodeOrNull(family: FamilyName, seed: number, maxSteps?: number, student?: Student): Promise<EpisodeData | null> {
  try {
    return await episodeData(family, seed, maxSteps, student);
  } catch (e) {
    if (e instanceof GenerationError) return null;
    throw e;
  }
}

/**
 * Runs the oracle on `episodes` seeds of each family, starting at seed index `start` of the split. Only episodes
 * the oracle finishes successfully give examples and a trajectory; every generated episode gives a scene passage.
 * With a student every episode gives its examples, failed or not: each is labelled by the oracle.
 */
export async function generateData(options: DataOptions): Promise<Dataset> {
  const jobs = options.families.flatMap((family) => Array.from({ length: options.episodes }, (_, i) => ({ family, seed: seedOf(options.split, options.start + i) })));
  const run = options.episode ?? ((family: FamilyName, seed: number) => episodeOrNull(family, seed, options.maxSteps, options.student));
  const keeps = (data: EpisodeData): boolean => data.success || options.student !== undefined;
  const summaryOf = (job: { family: FamilyName; seed: number }, data: EpisodeData | null): EpisodeSummary =>
    data === null
      ? { family: job.family, seed: job.seed, status: 'not_generated', steps: 0, examples: 0 }
      : { family: job.family, seed: job.seed, status: data.success ? 'success' : 'failure', steps: data.steps, examples: keeps(data) ? data.examples.length : 0 };
  const results: (EpisodeData | null)[] = [];
  let next = 0;
  let done = 0;
  let interrupted = false;
  const lane = async (index: number): Promise<void> => {
    while (next < jobs.length) {
      if (options.signal?.aborted) {
        interrupted = true;
        return;
      }
      const at = next++;
      const job = jobs[at]!;
      const data = await run(job.family, job.seed, index);
      results[at] = data;
      done++;
      await options.onEpisode?.(summaryOf(job, data), done, jobs.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.lanes ?? 1, jobs.length)) }, (_, i) => lane(i)));
  const corpus: string[] = [];
  const examples: SftExample[] = [];
  const episodes: EpisodeSummary[] = [];
  for (const [i, job] of jobs.entries()) {
    if (!(i in results)) break;
    const data = results[i] ?? null;
    if (data !== null) {
      const [scene, trajectory] = data.corpus;
      if (scene !== undefined) corpus.push(scene);
      if (data.success && trajectory !== undefined) corpus.push(trajectory);
      if (keeps(data)) examples.push(...data.examples);
    }
    episodes.push(summaryOf(job, data));
  }
  return { corpus, examples, episodes, interrupted: interrupted || options.signal?.aborted === true };
}
