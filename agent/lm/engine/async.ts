// A decoder whose results come back asynchronously (WebGPU reads back through mapAsync), with greedy choices made
// where the logits are, so that only the chosen id comes back: `AsyncPrefixEngine`. `CpuAsyncEngine` makes any
// synchronous PrefixEngine (the CPU engine) one, choosing greedily on the CPU by the same rule, so that one decode
// path (planners/lm-answer-async.ts) serves both.
import type { ModelConfig } from '../config.ts';
import { commonPrefix, type PrefixEngine } from './types.ts';

export interface AsyncPrefixEngine {
  readonly config: ModelConfig;
  /** Tokens consumed since the last reset. */
  readonly position: number;
  /** The ids consumed since the last reset, in order; a live view that later calls change. */
  readonly tokens: readonly number[];
  /** The unconstrained greedy id of the logits the last greedy call chose from (its choice when it had no mask). */
  readonly lastBest: number;
  /** Consumes ids after what is already consumed; the logits [V] of the last of them. */
  prefill(ids: readonly number[]): Promise<Float32Array>;
  /** Consumes one id; the logits [V] for the next. */
  step(id: number): Promise<Float32Array>;
  /** As prefill, then the greedy id among those the mask allows (bit v % 32 of word v / 32; none: all), the lowest
   *  on ties (sampling.ts argmax). A mask that allows no id is a RangeError. */
  greedyPrefill(ids: readonly number[], mask?: Uint32Array): Promise<number>;
  /** As step, then the greedy id among those the mask allows. */
  greedyStep(id: number, mask?: Uint32Array): Promise<number>;
  /** Forgets every consumed token. */
  reset(): void;
  /** Forgets every consumed token after the first n (0 <= n <= position). */
  truncate(n: number): void;
}

/** The index of the largest logit among those `mask` allows (all when absent), the lowest on ties; -1 when the
 *  mask allows none. Equal to sampling.ts argmax without a mask. */
export function maskedArgmax(logits: ArrayLike<number>, mask?: Uint32Array): number {
  let best = -1;
  for (let i = 0; i < logits.length; i++) {
    if (mask !== undefined && ((mask[i >>> 5] ?? 0) & (1 << (i & 31))) === 0) continue;
    if (best < 0 || logits[i]! > logits[best]!) best = i;
  }
  return best;
}

/** Throws unless the mask covers a vocabulary of V and allows at least one id. */
export function checkMask(mask: Uint32Array | undefined, vocab: number): void {
  if (mask === undefined) return;
  if (mask.length !== Math.ceil(vocab / 32)) throw new RangeError(`a mask over ${vocab} ids has ${Math.ceil(vocab / 32)} words, got ${mask.length}`);
  if (!mask.some((w) => w !== 0)) throw new RangeError('the mask allows no token');
}

/**
 * Truncates the engine to the longest prefix of `ids` it holds (at most ids.length - 1, so that at least the last
 * id is read again and gives logits); returns how many ids were kept. What prefillReusing does before prefilling.
 */
export function keepPrefix(engine: { readonly tokens: readonly number[]; truncate(n: number): void }, ids: readonly number[]): number {
  if (ids.length === 0) throw new RangeError('prefill needs at least one token');
  const reused = Math.min(commonPrefix(engine.tokens, ids), ids.length - 1);
  engine.truncate(reused);
  return reused;
}

/** A synchronous PrefixEngine as an AsyncPrefixEngine: the same logits, greedy ids by maskedArgmax. */
export class CpuAsyncEngine implements AsyncPrefixEngine {
  private best = -1;

  constructor(readonly engine: PrefixEngine) {}

  get config(): ModelConfig {
    return this.engine.config;
  }

  get position(): number {
    return this.engine.position;
  }

  get tokens(): readonly number[] {
    return this.engine.tokens;
  }

  get lastBest(): number {
    return this.best;
  }

  prefill(ids: readonly number[]): Promise<Float32Array> {
    return Promise.resolve(this.engine.prefill(ids));
  }

  step(id: number): Promise<Float32Array> {
    return Promise.resolve(this.engine.step(id));
  }

  greedyPrefill(ids: readonly number[], mask?: Uint32Array): Promise<number> {
    checkMask(mask, this.config.vocabSize);
    return Promise.resolve(this.choose(this.engine.prefill(ids), mask));
  }

  greedyStep(id: number, mask?: Uint32Array): Promise<number> {
    checkMask(mask, this.config.vocabSize);
    return Promise.resolve(this.choose(this.engine.step(id), mask));
  }

  reset(): void {
    this.engine.reset();
  }

  truncate(n: number): void {
    this.engine.truncate(n);
  }

  private choose(logits: Float32Array, mask: Uint32Array | undefined): number {
    this.best = maskedArgmax(logits);
    return mask === undefined ? this.best : maskedArgmax(logits, mask);
  }
}
