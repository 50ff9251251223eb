// What a decoder is to the sampler: feed a prompt, then one token at a time, and read next-token logits.
import type { ModelConfig } from '../config.ts';
import type { NamedTensors } from '../tensors.ts';

export interface DecodeEngine {
  readonly config: ModelConfig;
  /** Tokens consumed since the last reset. */
  readonly position: number;
  /** Consumes ids after what is already consumed; returns the logits [V] of the last of them. */
  prefill(ids: readonly number[]): Float32Array;
  /** Consumes one id; returns the logits [V] for the next. */
  step(id: number): Float32Array;
  /** Forgets every consumed token. */
  reset(): void;
}

/** The weight `name`, checked against `shape`. */
export function weight(weights: NamedTensors, name: string, shape: readonly number[]): Float32Array {
  const w = weights.get(name);
  if (w === undefined) throw new Error(`missing weight ${name}`);
  if (w.shape.length !== shape.length || w.shape.some((n, i) => n !== shape[i])) {
    throw new Error(`weight ${name} has shape [${w.shape.join(', ')}], expected [${shape.join(', ')}]`);
  }
  return w.data;
}

export function checkIds(ids: readonly number[], config: ModelConfig, position: number): void {
  if (position + ids.length > config.context) {
    throw new RangeError(`${position + ids.length} tokens exceed the context of ${config.context}`);
  }
  for (const id of ids) {
    if (!Number.isInteger(id) || id < 0 || id >= config.vocabSize) throw new RangeError(`token id ${id} out of range`);
  }
}
