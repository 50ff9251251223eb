// Data-parallel steps over worker threads: the batch's rows are split into shares, the main thread computes the
// gradient of its share while each worker computes its own (from the main thread's current weights, sent every
// step), the summed gradients are divided by the number of counted targets (so the result is the gradient of the
// whole batch's mean masked loss), and the main thread takes the AdamW step. Shards are summed in a fixed order:
// the result does not depend on which thread finishes first.
import { Worker } from 'node:worker_threads';
import type { GptModel, StepResult } from '../model.ts';
import type { NamedTensors } from '../tensors.ts';
import type { Batch } from './data.ts';
import { buffersOf, type WorkerReply, type WorkerRequest } from './messages.ts';

interface Lane {
  worker: Worker;
  /** Resolves with the next reply (one request in flight per lane). */
  next(): Promise<WorkerReply>;
}

function startLane(): Lane {
  const worker = new Worker(new URL('./ts-worker.mjs', import.meta.url), { workerData: { module: new URL('./grad-worker.ts', import.meta.url).href } });
  let pending: { resolve(r: WorkerReply): void; reject(e: Error): void } | null = null;
  worker.on('message', (r: WorkerReply) => {
    const p = pending;
    pending = null;
    p?.resolve(r);
  });
  const fail = (e: Error): void => {
    const p = pending;
    pending = null;
    p?.reject(e);
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`a training worker exited (code ${code})`)));
  return {
    worker,
    next: () =>
      new Promise<WorkerReply>((resolve, reject) => {
        pending = { resolve, reject };
      }),
  };
}

async function ask(lane: Lane, request: WorkerRequest, transfer: ArrayBuffer[] = []): Promise<WorkerReply> {
  const reply = lane.next();
  lane.worker.postMessage(request, transfer);
  const r = await reply;
  if (r.type === 'error') throw new Error(`training worker: ${r.message}`);
  return r;
}

/** Splits rows into n contiguous shares as even as possible (the first shares get the extra rows). */
export function shares<T>(rows: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const size = Math.floor(rows.length / n) + (i < rows.length % n ? 1 : 0);
    out.push(rows.slice(start, start + size));
    start += size;
  }
  return out;
}

export class DataParallel {
  private constructor(private readonly lanes: Lane[]) {}

  /** Starts `threads - 1` workers (the main thread is the first). */
  static async start(threads: number, model: GptModel): Promise<DataParallel> {
    const lanes = Array.from({ length: threads - 1 }, startLane);
    const dp = new DataParallel(lanes);
    try {
      await Promise.all(lanes.map((lane) => ask(lane, { type: 'init', config: model.config, weights: model.weights() })));
    } catch (e) {
      await dp.close();
      throw e;
    }
    return dp;
  }

  async step(model: GptModel, batch: Batch, lr: number): Promise<StepResult> {
    const n = this.lanes.length + 1;
    const idShares = shares(batch.ids, n);
    const targetShares = shares(batch.targets, n);
    const maskShares = shares(batch.mask, n);
    const replies = this.lanes.map((lane, i) => {
      const weights = model.weights();
      return ask(lane, { type: 'grad', weights, ids: idShares[i + 1]!, targets: targetShares[i + 1]!, mask: maskShares[i + 1]! }, buffersOf(weights));
    });
    const own = model.gradientSum(idShares[0]!, targetShares[0]!, maskShares[0]!);
    const parts = [own];
    for (const r of await Promise.all(replies)) {
      if (r.type !== 'grad') throw new Error(`training worker: unexpected reply ${r.type}`);
      parts.push(r);
    }
    const count = parts.reduce((a, p) => a + p.count, 0);
    const sum = parts.reduce((a, p) => a + p.sum, 0);
    const grads: NamedTensors = new Map();
    for (const [name, g] of own.grads) {
      const data = new Float32Array(g.data.length);
      for (const p of parts) {
        const d = p.grads.get(name)?.data;
        if (d === undefined) throw new Error(`no gradient for ${name} from a worker`);
        for (let i = 0; i < data.length; i++) data[i] = data[i]! + d[i]!;
      }
      const scale = 1 / Math.max(count, 1);
      for (let i = 0; i < data.length; i++) data[i] = data[i]! * scale;
      grads.set(name, { shape: g.shape, data });
    }
    const gradNorm = model.applyGradients(grads, lr);
    return { loss: sum / Math.max(count, 1), gradNorm };
  }

  async close(): Promise<void> {
    await Promise.all(this.lanes.map((lane) => lane.worker.terminate()));
  }
}
