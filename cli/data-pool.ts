// Worker threads for `umwelt data --workers N`: one data job at a time per thread (an episode, or the visits of a
// house sharing a memory; comlink carries the calls), so that generating training data uses every core.
// generateData orders what comes back.
import { wrap } from 'comlink';
import { Worker } from 'node:worker_threads';
import type { EpisodeData } from '../agent/data/episode.ts';
import type { DataJob } from '../agent/data/jobs.ts';
import { nodeEndpoint } from '../eval/comlink-node.ts';
import type { DataSettings, DataWorker } from './data-worker.ts';

export interface DataPool {
  /** Runs one job on the lane's thread; rejects if that thread dies. */
  job: (job: DataJob, lane: number) => Promise<(EpisodeData | null)[]>;
  close: () => Promise<void>;
}

export function startDataPool(lanes: number, settings: DataSettings): DataPool {
  const threads = Array.from({ length: lanes }, () => {
    const worker = new Worker(new URL('../eval/ts-worker.mjs', import.meta.url), { workerData: { module: new URL('./data-worker.ts', import.meta.url).href } });
    const died = new Promise<never>((_, reject) => {
      worker.once('error', (e) => reject(e));
      worker.once('exit', (code) => reject(new Error(`a data worker exited (code ${code})`)));
    });
    died.catch(() => undefined); // observed by the call racing against it; terminating later is not an error
    return { worker, remote: wrap<DataWorker>(nodeEndpoint(worker)), died };
  });
  return {
    job: (job, lane) => {
      const t = threads[lane];
      if (t === undefined) throw new RangeError(`no data worker lane ${lane}`);
      return Promise.race([t.remote.job(job, settings), t.died]);
    },
    close: async () => {
      await Promise.all(threads.map((t) => t.worker.terminate()));
    },
  };
}
