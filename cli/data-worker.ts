// The worker thread's side of `umwelt data --workers N`: runs one data job (an episode, or the visits of a house
// sharing a memory: agent/data/jobs.ts) on request, through comlink.
// Started by cli/data-pool.ts via eval/ts-worker.mjs (which registers the TypeScript loader in this thread first).
import { expose } from 'comlink';
import { parentPort } from 'node:worker_threads';
import type { EpisodeData } from '../agent/data/episode.ts';
import type { PromptFormat } from '../agent/prompt-format.ts';
import { runDataJob, type DataJob } from '../agent/data/jobs.ts';
import { loadBundleFile } from '../agent/lm/bundle-file.ts';
import { LMPlanner } from '../agent/planners/lm.ts';
import { nodeEndpoint } from '../eval/comlink-node.ts';

export interface StudentFile {
  checkpoint: string;
  rate: number;
}

/** What every job of a `umwelt data` run shares. */
export interface DataSettings {
  maxSteps: number | null;
  student: StudentFile | null;
  format: PromptFormat;
}

export interface DataWorker {
  job(job: DataJob, settings: DataSettings): Promise<(EpisodeData | null)[]>;
}

/** One planner per checkpoint, made on first use (its engine and prefix cache stay warm across episodes). */
const students = new Map<string, LMPlanner>();

function studentPlanner(checkpoint: string): LMPlanner {
  let planner = students.get(checkpoint);
  if (planner === undefined) {
    planner = new LMPlanner({ bundle: () => loadBundleFile(checkpoint), name: 'student' });
    students.set(checkpoint, planner);
  }
  return planner;
}

const api: DataWorker = {
  job: (job, { maxSteps, student, format }) =>
    runDataJob(job, {
      maxSteps: maxSteps ?? undefined,
      student: student === null ? undefined : { planner: studentPlanner(student.checkpoint), rate: student.rate },
      format,
    }),
};

if (!parentPort) throw new Error('cli/data-worker.ts must run in a worker thread');
expose(api, nodeEndpoint(parentPort));
