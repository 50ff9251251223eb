// The worker thread's side of `umwelt data --workers N`: runs one data episode on request, through comlink.
// Started by cli/data-pool.ts via eval/ts-worker.mjs (which registers the TypeScript loader in this thread first).
import { expose } from 'comlink';
import { parentPort } from 'node:worker_threads';
import { episodeOrNull } from '../agent/data/generate.ts';
import type { EpisodeData } from '../agent/data/episode.ts';
import { loadBundleFile } from '../agent/lm/bundle-file.ts';
import { LMPlanner } from '../agent/planners/lm.ts';
import type { FamilyName } from '../scenes/family-names.ts';
import { nodeEndpoint } from '../eval/comlink-node.ts';

export interface StudentFile {
  checkpoint: string;
  rate: number;
}

export interface DataWorker {
  episode(family: FamilyName, seed: number, maxSteps: number | null, student: StudentFile | null): Promise<EpisodeData | null>;
}

/** One planner per checkpoint, made on first use (its engine and prefix cache stay warm across episodes). */
const students = new Map<string, LMPlanner>();

const api: DataWorker = {
  episode: (family, seed, maxSteps, student) => {
    let planner: LMPlanner | undefined;
    if (student !== null) {
      planner = students.get(student.checkpoint);
      if (planner === undefined) {
        const path = student.checkpoint;
        planner = new LMPlanner({ bundle: () => loadBundleFile(path), name: 'student' });
        students.set(path, planner);
      }
    }
    return episodeOrNull(family, seed, maxSteps ?? undefined, planner === undefined || student === null ? undefined : { planner, rate: student.rate });
  },
};

if (!parentPort) throw new Error('cli/data-worker.ts must run in a worker thread');
expose(api, nodeEndpoint(parentPort));
