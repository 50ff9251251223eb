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

/**
 * A decoder that says which ids it holds and can forget the last of them, so that a prompt sharing a prefix with
 * what it holds re-reads only the rest (prefillReusing). A separate interface so that test doubles of
 * DecodeEngine need not implement it.
 */
export interface PrefixEngine extends DecodeEngine {
  /** The ids consumed since the last reset, in order (`position` of them); a live view that later calls change. */
  readonly tokens: readonly number[];
  /** Forgets every consumed token after the first n (0 <= n <= position): the engine is then exactly as after
   *  reset(); prefill(tokens[0..n)) (the same cache, so the same logits for whatever follows). */
  truncate(n: number): void;
}

/** The length of the longest common prefix of a and b. */
export function commonPrefix(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let k = 0;
  while (k < n && a[k] === b[k]) k++;
  return k;
}

export function checkTruncate(n: number, position: number): void {
  if (!Number.isInteger(n) || n < 0 || n > position) throw new RangeError(`cannot truncate to ${n} tokens of ${position}`);
}

/**
 * Consumes `ids` from the start, as reset(); prefill(ids) does, but keeps the longest prefix of them the engine
 * already holds and prefills only the rest (at least the last id: prefill returns its logits). For engines whose
 * cache rows do not depend on how a prompt was split into prefill calls (CpuEngine, ReferenceEngine), the state
 * and the logits are those of reset(); prefill(ids), bit for bit. Returns the logits [V] of the last id and how
 * many ids were kept.
 */
export function prefillReusing(engine: PrefixEngine, ids: readonly number[]): { logits: Float32Array; reused: number } {
  if (ids.length === 0) throw new RangeError('prefill needs at least one token');
  const reused = Math.min(commonPrefix(engine.tokens, ids), ids.length - 1);
  engine.truncate(reused);
  return { logits: engine.prefill(ids.slice(reused)), reused };
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
