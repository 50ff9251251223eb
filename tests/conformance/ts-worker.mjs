// Bootstraps a TypeScript module inside a worker thread (tsx's loader is registered per thread).
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.module);
