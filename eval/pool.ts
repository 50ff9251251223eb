// A pool of worker threads that runs jobs of episode specs (one episode, or the episodes of a series that share a
// memory: eval/plan.ts jobsOf), each worker pulling the next job when it finishes one (comlink carries the calls
// across the thread boundary). Results arrive in completion order, a job's together in its order; the caller
// orders them. An abort terminates the workers at once: the jobs in flight are lost, nothing else.
import { wrap, type Remote } from 'comlink';
import type { LMSettings, RemoteSettings } from '../agent/planners/index.ts';
import { Worker } from 'node:worker_threads';
import { nodeEndpoint } from './comlink-node.ts';
import type { RunSpecOptions } from './episode.ts';
import type { EpisodeRecord, EpisodeSpec } from './record.ts';
import { EvalInputError } from './source.ts';
import type { EpisodeWorker } from './worker.ts';

export interface PoolOptions {
  workers: number;
  signal?: AbortSignal;
  /** Record every episode into this directory (see eval/episode.ts). */
  recordDir?: string | null;
  /** The lm planner's checkpoint file; null or absent: the default one. */
  checkpoint?: string | null;
  /** The remote planner's settings (plain data; each worker reads the key from its environment); null: none. */
  remote?: RemoteSettings | null;
  /** The lm planner's settings (absent: the defaults). */
  lm?: Partial<LMSettings>;
  /** Called once per finished episode, in completion order; awaited before that worker takes the next job. */
  onResult(record: EpisodeRecord): void | Promise<void>;
}

export interface PoolOutcome {
  /** Episodes finished. */
  completed: number;
  interrupted: boolean;
}

class Interrupted extends Error {}

interface Lane {
  worker: Worker;
  remote: Remote<EpisodeWorker>;
  /** Rejects when the thread dies or the run is aborted. */
  failed: Promise<never>;
}

function startLane(abort: Promise<never>): Lane {
  const worker = new Worker(new URL('./ts-worker.mjs', import.meta.url), {
    workerData: { module: new URL('./worker.ts', import.meta.url).href },
  });
  const died = new Promise<never>((_, reject) => {
    worker.once('error', (e) => reject(e));
    worker.once('exit', (code) => reject(new Error(`an evaluation worker exited (code ${code})`)));
  });
  const failed = Promise.race([died, abort]);
  failed.catch(() => undefined); // observed by whichever call races against it; terminating later is not an error
  return { worker, remote: wrap<EpisodeWorker>(nodeEndpoint(worker)), failed };
}

/** Errors cross comlink as plain Errors with their name: bring back the input error's type. */
function revive(e: unknown): unknown {
  if (e instanceof Error && e.name === 'EvalInputError' && !(e instanceof EvalInputError)) return new EvalInputError(e.message);
  return e;
}

export async function runPool(jobs: readonly (readonly EpisodeSpec[])[], options: PoolOptions): Promise<PoolOutcome> {
  const { signal } = options;
  if (jobs.length === 0 || signal?.aborted) return { completed: 0, interrupted: signal?.aborted ?? false };
  let abortListener: (() => void) | undefined;
  const abort = new Promise<never>((_, reject) => {
    abortListener = () => reject(new Interrupted());
    signal?.addEventListener('abort', abortListener, { once: true });
  });
  abort.catch(() => undefined);

  const lanes = Array.from({ length: Math.max(1, Math.min(options.workers, jobs.length)) }, () => startLane(abort));
  const runOptions: RunSpecOptions = { recordDir: options.recordDir ?? null, checkpoint: options.checkpoint ?? null, remote: options.remote ?? null, lm: options.lm ?? {} };
  let next = 0;
  let completed = 0;
  let stopping = false;
  const drive = async (lane: Lane): Promise<void> => {
    while (!stopping && next < jobs.length) {
      const job = [...(jobs[next++] as readonly EpisodeSpec[])];
      const records = await Promise.race([lane.remote.run(job, runOptions), lane.failed]);
      if (stopping) return;
      for (const record of records) {
        await options.onResult(record);
        completed++;
      }
    }
  };
  try {
    await Promise.all(
      lanes.map((lane) =>
        drive(lane).catch((e: unknown) => {
          stopping = true;
          throw revive(e);
        }),
      ),
    );
    return { completed, interrupted: false };
  } catch (e) {
    if (e instanceof Interrupted) return { completed, interrupted: true };
    throw e;
  } finally {
    stopping = true;
    if (abortListener) signal?.removeEventListener('abort', abortListener);
    await Promise.all(lanes.map((lane) => lane.worker.terminate()));
  }
}
