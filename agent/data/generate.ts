// `umwelt data`: the oracle over the seeds of a split, for every family asked, into corpus passages and
// instruction examples (agent/data/episode.ts). Deterministic: the same options give the same data, in the same
// order (families in the order given, seeds ascending).
import { GenerationError } from '../../scenes/families.ts';
import type { FamilyName, Split } from '../../scenes/family-names.ts';
import { seedOf } from '../../scenes/splits.ts';
import { episodeData, type EpisodeData, type SftExample, type Student } from './episode.ts';

/** Bumped whenever the prompt format or the data change. */
export const DATA_VERSION = 3;

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
  signal?: AbortSignal;
  /** Called after every episode (done counts episodes over all families). */
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

/**
 * Runs the oracle on `episodes` seeds of each family, starting at seed index `start` of the split. Only episodes
 * the oracle finishes successfully give examples and a trajectory; every generated episode gives a scene passage.
 * With a student every episode gives its examples, failed or not: each is labelled by the oracle.
 */
export async function generateData(options: DataOptions): Promise<Dataset> {
  const corpus: string[] = [];
  const examples: SftExample[] = [];
  const episodes: EpisodeSummary[] = [];
  const total = options.families.length * options.episodes;
  for (const family of options.families) {
    for (let i = 0; i < options.episodes; i++) {
      if (options.signal?.aborted) return { corpus, examples, episodes, interrupted: true };
      const seed = seedOf(options.split, options.start + i);
      let data: EpisodeData | null = null;
      try {
        data = await episodeData(family, seed, options.maxSteps, options.student);
      } catch (e) {
        if (!(e instanceof GenerationError)) throw e;
      }
      let summary: EpisodeSummary;
      if (data === null) summary = { family, seed, status: 'not_generated', steps: 0, examples: 0 };
      else {
        const [scene, trajectory] = data.corpus;
        if (scene !== undefined) corpus.push(scene);
        const kept = data.success || options.student !== undefined;
        if (data.success && trajectory !== undefined) corpus.push(trajectory);
        if (kept) examples.push(...data.examples);
        summary = { family, seed, status: data.success ? 'success' : 'failure', steps: data.steps, examples: kept ? data.examples.length : 0 };
      }
      episodes.push(summary);
      await options.onEpisode?.(summary, episodes.length, total);
    }
  }
  return { corpus, examples, episodes, interrupted: false };
}
