// A decoder whose results come back asynchronously (WebGPU reads back through mapAsync), with greedy and sampled
// choices made where the logits are, so that only the chosen id (and the unconstrained best) comes back:
// `AsyncPrefixEngine`. `CpuAsyncEngine` makes any synchronous PrefixEngine (the CPU engine) one, choosing on the
// CPU by the same rules (maskedArgmax, sampling.ts chooseByUniform over the masked logits: chooseMasked), so that
// one decode path (planners/lm-answer-async.ts, constrained-async.ts) serves both.
import type { ModelConfig } from '../config.ts';
import { checkSampling, checkUniform, sampleByUniform, type SamplingOptions } from '../sampling.ts';
import { commonPrefix, type PrefixEngine } from './types.ts';

export interface AsyncPrefixEngine {
  readonly config: ModelConfig;
  /** Tokens consumed since the last reset. */
  readonly position: number;
  /** The ids consumed since the last reset, in order; a live view that later calls change. */
  readonly tokens: readonly number[];
  /** The unconstrained greedy id (sampling.ts argmax) of the logits the last greedy or sample call chose from (a
   *  greedy call's choice when it had no mask): what constrained.ts counts as `masked` when the mask excludes it. */
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
  /** Whether the last sample call used its u: false when its distribution had a single token (temperature 0, top-k
   *  1, the most likely token reaching top-p alone), where sampling.ts sampleToken draws nothing. */
  readonly lastDrew: boolean;
  /** As prefill, then sampling.ts chooseByUniform(logits, sampling, u) over the logits with the ids the mask does
   *  not allow at -infinity (as thought-marks.ts maskLogits), which is the choice among the allowed ids' logits
   *  alone in ascending id order (samplingDistribution), as constrained.ts samples the grammar's allowed ids: the
   *  mask comes before top-k, top-p and the cumulative step. A mask that allows no id, bad sampling options or a u
   *  outside [0, 1) are a RangeError, before anything is consumed. An engine that only gives logits samples them
   *  on the CPU with chooseMasked. Sets lastDrew and lastBest. */
  samplePrefill(ids: readonly number[], sampling: SamplingOptions, u: number, mask?: Uint32Array): Promise<number>;
  /** As step, then the sampled id as samplePrefill chooses it. */
  sampleStep(id: number, sampling: SamplingOptions, u: number, mask?: Uint32Array): Promise<number>;
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

/** The logits with the ids the mask does not allow at -infinity (thought-marks.ts maskLogits; no mask: themselves). */
function maskedLogits(logits: Float32Array, mask: Uint32Array | undefined): Float32Array {
  if (mask === undefined) return logits;
  const out = Float32Array.from(logits);
  for (let i = 0; i < out.length; i++) if (((mask[i >>> 5] ?? 0) & (1 << (i & 31))) === 0) out[i] = Number.NEGATIVE_INFINITY;
  return out;
}

/** Throws what samplePrefill throws on its arguments (before it consumes anything). */
export function checkSample(sampling: SamplingOptions, u: number, mask: Uint32Array | undefined, vocab: number): void {
  checkSampling(sampling);
  checkUniform(u);
  checkMask(mask, vocab);
}

/** chooseByUniform over the masked logits, whether it used u (sampleToken would have drawn it: engine.lastDrew),
 *  and the unconstrained best id (engine.lastBest). */
export function chooseMasked(logits: Float32Array, sampling: SamplingOptions, u: number, mask: Uint32Array | undefined): { token: number; drew: boolean; best: number } {
  return { ...sampleByUniform(maskedLogits(logits, mask), sampling, u), best: maskedArgmax(logits) };
}

/** engine.samplePrefill: the id, and whether it used u (engine.lastDrew). */
export async function samplePrefillOn(
  engine: AsyncPrefixEngine,
  ids: readonly number[],
  sampling: SamplingOptions,
  u: number,
  mask?: Uint32Array,
): Promise<{ token: number; drew: boolean }> {
  const token = await engine.samplePrefill(ids, sampling, u, mask);
  return { token, drew: engine.lastDrew };
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

/** A synchronous PrefixEngine as an AsyncPrefixEngine: the same logits, greedy ids by maskedArgmax, sampled ids by
 *  chooseByUniform over the masked logits (chooseMasked). */
export class CpuAsyncEngine implements AsyncPrefixEngine {
  private best = -1;
  private drew = false;

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

  get lastDrew(): boolean {
    return this.drew;
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

  async samplePrefill(ids: readonly number[], sampling: SamplingOptions, u: number, mask?: Uint32Array): Promise<number> {
    checkSample(sampling, u, mask, this.config.vocabSize);
    return this.sample(this.engine.prefill(ids), sampling, u, mask);
  }

  async sampleStep(id: number, sampling: SamplingOptions, u: number, mask?: Uint32Array): Promise<number> {
    checkSample(sampling, u, mask, this.config.vocabSize);
    return this.sample(this.engine.step(id), sampling, u, mask);
  }

  reset(): void {
    this.engine.reset();
  }

  truncate(n: number): void {
    this.engine.truncate(n);
  }

  private sample(logits: Float32Array, sampling: SamplingOptions, u: number, mask: Uint32Array | undefined): number {
    const { token, drew, best } = chooseMasked(logits, sampling, u, mask);
    this.drew = drew;
    this.best = best;
    return token;
  }

  private choose(logits: Float32Array, mask: Uint32Array | undefined): number {
    this.best = maskedArgmax(logits);
    return mask === undefined ? this.best : maskedArgmax(logits, mask);
  }
}
