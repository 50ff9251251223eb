// What the main thread and a gradient worker (grad-worker.ts) say to each other.
import type { ModelConfig } from '../config.ts';
import type { NamedTensors } from '../tensors.ts';

export type WorkerRequest =
  | { type: 'init'; config: ModelConfig; weights: NamedTensors }
  | { type: 'grad'; weights: NamedTensors; ids: number[][]; targets: number[][]; mask: number[][] }
  | { type: 'close' };

export type WorkerReply =
  | { type: 'ready' }
  | { type: 'grad'; sum: number; count: number; grads: NamedTensors }
  | { type: 'error'; message: string };

/** The buffers of tensors, to transfer instead of copy. */
export const buffersOf = (tensors: NamedTensors): ArrayBuffer[] => [...tensors.values()].map((t) => t.data.buffer as ArrayBuffer);
