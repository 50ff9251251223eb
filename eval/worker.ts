// The worker thread's side of the pool: runs episodes on request, through comlink. Started by eval/pool.ts via
// eval/ts-worker.mjs (which registers the TypeScript loader in this thread first).
import { expose } from 'comlink';
import { nodeEndpoint } from './comlink-node.ts';
import { parentPort } from 'node:worker_threads';
import { runSpec, type RunSpecOptions } from './episode.ts';
import type { EpisodeRecord, EpisodeSpec } from './record.ts';

export interface EpisodeWorker {
  run(spec: EpisodeSpec, options?: RunSpecOptions): Promise<EpisodeRecord>;
}

const api: EpisodeWorker = { run: (spec, options) => runSpec(spec, options) };

if (!parentPort) throw new Error('eval/worker.ts must run in a worker thread');
expose(api, nodeEndpoint(parentPort));
