// `umwelt data`: the oracle over the seeds of a split, for every family asked, into corpus passages and
// instruction examples (agent/data/episode.ts). Deterministic: the same options give the same data, in the same
// order (families in the order given, seeds ascending), whatever the lanes: jobs (agent/data/jobs.ts: an episode,
// or the visits of a house sharing a memory) run whole on one lane and their results are put back in order.
import type { PromptFormat } from '../prompt-format.ts';
import type { FamilyName, Split } from '../../scenes/family-names.ts';
import type { EpisodeData, SftExample, Student } from './episode.ts';
import { dataJobs, runDataJob, type DataJob, type DataMemoryMode } from './jobs.ts';

/**
 * Bumped whenever the prompt format or the data change (5: prompt format 2, agent/prompt-format.ts; 6: with a
 * memory, the Unsearched lines put where the task's things were remembered first and list searched containers
 * again when none is left, a remembered sighting is spent once its place is visited, and only memories that name
 * what the task names are recalled; data without a memory are as in 5; 7: a student decides under its loop guard,
 * agent/planners/loop-guard.ts, so that data made with a student differ; the oracle's alone are as in 6; 8: a
 * container gone to but not opened stays in the prompt's Unsearched containers, agent/prompt.ts searchedPlaces, so
 * that the prompts after a `goto` of a container differ; the oracle's actions are as in 7; 9: a goto to a thing
 * recalled from an earlier visit goes to where it was recalled, agent/loop.ts towardRecalled, so that a student's
 * steps with a memory differ, and the history keeps each step's reward, which prompt format 4 writes into the Task;
 * 10: format 4 gives a reward for a step about nothing the task names to the first part not yet marked done,
 * agent/prompt.ts taskWithProgress, so that a sequence's Task lines after such a step differ; students decide
 * under the thought rules 7-11 of agent/planners/thought-marks.ts).
 */
export const DATA_VERSION = 10;

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
  /** The prompt format of the examples (default LATEST_PROMPT_FORMAT). */
  format?: PromptFormat;
  /**
   * Long-term memory: 'off' (default), or 'prompt' (memory families only, whole houses): the visits of each house
   * run in order with one fresh memory in the planner's prompt (agent/data/jobs.ts). DataOptionsError otherwise.
   */
  memoryMode?: DataMemoryMode;
  /**
   * Runs one job in `lane` (0 <= lane < lanes): its episodes in order, each null when it cannot be generated;
   * default: in this thread (runDataJob). Lanes run at once, each one job at a time; the data come out in the
   * same order whatever the lanes, so that it is byte-identical for any number of them.
   */
  job?: (job: DataJob, lane: number) => Promise<(EpisodeData | null)[]>;
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

/**
 * Runs the oracle on `episodes` seeds of each family, starting at seed index `start` of the split. Only episodes
 * the oracle finishes successfully give examples and a trajectory; every generated episode gives a scene passage.
 * With a student every episode gives its examples, failed or not: each is labelled by the oracle.
 */
export async function generateData(options: DataOptions): Promise<Dataset> {
  const jobs = dataJobs(options);
  const episodes = jobs.flatMap((job) => job.seeds.map((seed) => ({ family: job.family, seed })));
  // Where each job's episodes start in `episodes`.
  let counted = 0;
  const firsts = jobs.map((job) => (counted += job.seeds.length) - job.seeds.length);
  const run = options.job ?? ((job: DataJob) => runDataJob(job, { maxSteps: options.maxSteps, student: options.student, format: options.format, signal: options.signal }));
  const keeps = (data: EpisodeData): boolean => data.success || options.student !== undefined;
  const summaryOf = (episode: { family: FamilyName; seed: number }, data: EpisodeData | null): EpisodeSummary =>
    data === null
      ? { family: episode.family, seed: episode.seed, status: 'not_generated', steps: 0, examples: 0 }
      : { family: episode.family, seed: episode.seed, status: data.success ? 'success' : 'failure', steps: data.steps, examples: keeps(data) ? data.examples.length : 0 };
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
      // Fewer results than seeds only when interrupted: the rest stay missing.
      for (const [k, data] of (await run(jobs[at]!, index)).entries()) {
        const i = firsts[at]! + k;
        results[i] = data;
        done++;
        await options.onEpisode?.(summaryOf(episodes[i]!, data), done, episodes.length);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.lanes ?? 1, jobs.length)) }, (_, i) => lane(i)));
  const corpus: string[] = [];
  const examples: SftExample[] = [];
  const summaries: EpisodeSummary[] = [];
  for (const [i, episode] of episodes.entries()) {
    if (!(i in results)) break;
    const data = results[i] ?? null;
    if (data !== null) {
      const [scene, trajectory] = data.corpus;
      if (scene !== undefined) corpus.push(scene);
      if (data.success && trajectory !== undefined) corpus.push(trajectory);
      if (keeps(data)) examples.push(...data.examples);
    }
    summaries.push(summaryOf(episode, data));
  }
  return { corpus, examples, episodes: summaries, interrupted: interrupted || options.signal?.aborted === true };
}
