// Runs the oracle's episode in a worker thread and posts its final stateHash back: the worker half of the
// determinism test.
import { parentPort, workerData } from 'node:worker_threads';
import type { FamilyName } from '../../scenes/family-names.ts';
import { trace } from './harness.ts';

const { family, seed } = workerData as { family: FamilyName; seed: number };
const { result } = await trace(family, seed);
parentPort?.postMessage(result.stateHash);
