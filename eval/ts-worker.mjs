// Bootstraps a TypeScript module inside a worker thread: tsx's loader is registered per thread, so a worker
// started from TypeScript code cannot import .ts files until this has run. workerData.module is the module's URL.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.module);
