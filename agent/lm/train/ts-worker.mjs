// Bootstraps a TypeScript module inside a worker thread (as eval/ts-worker.mjs does): tsx's loader is registered
// per thread. workerData.module is the module's URL.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.module);
