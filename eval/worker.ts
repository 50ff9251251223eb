// The worker thread's side of the pool: runs jobs of episodes on request, through comlink. Started by eval/pool.ts via
// eval/ts-worker.mjs (which registers the TypeScript loader in this thread first).
import { expose } from 'comlink';
import { nodeEndpoint } from './comlink-node.ts';
import { parentPort } from 'node:worker_threads';
import { runJob, type RunSpecOptions } from './episode.ts';
import type { EpisodeRecord, EpisodeSpec } from './record.ts';

export interface EpisodeWorker {
  /** One job (eval/plan.ts jobsOf): its episodes in order, those of a series sharing one memory. */
  run(job: EpisodeSpec[], options?: RunSpecOptions): Promise<EpisodeRecord[]>;
}

const api: EpisodeWorker = { run: (job, options) => runJob(job, options) };

if (!parentPort) throw new Error('eval/worker.ts must run in a worker thread');
expose(api, nodeEndpoint(parentPort));
