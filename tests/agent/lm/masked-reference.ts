// The reference of masked sampling: constrained.ts's constrainedAction samples the grammar's allowed ids by
// sampleToken over their logits alone, listed in ascending id order (`allowed.order`), and maps the index back.
// Engines sample masked logits (engine/async.ts samplePrefill with a mask, webgpu/kernels/sample.ts); the tests
// hold them to this.
import { chooseByUniform, drawsUniform, samplingDistribution, type SamplingOptions } from '../../../agent/lm/sampling.ts';

export interface Choice {
  id: number;
  /** Whether sampleToken would have drawn u (the distribution has more than one token). */
  drew: boolean;
}

/** The ids a bitmask allows (bit v % 32 of word v / 32), ascending. */
export function maskIds(mask: Uint32Array, vocab: number): number[] {
  const ids: number[] = [];
  for (let v = 0; v < vocab; v++) if (((mask[v >>> 5] ?? 0) & (1 << (v & 31))) !== 0) ids.push(v);
  return ids;
}

/** The allowed ids' logits, in the order of `ids`. */
export const subLogits = (logits: ArrayLike<number>, ids: readonly number[]): Float32Array => Float32Array.from(ids, (id) => logits[id]!);

/** constrainedAction's choice at draw u among `ids` (ascending): sampling the sub-vector, its index mapped back. */
export function allowedChoice(logits: ArrayLike<number>, ids: readonly number[], options: SamplingOptions, u: number): Choice {
  const sub = subLogits(logits, ids);
  return { id: ids[chooseByUniform(sub, options, u)]!, drew: drawsUniform(samplingDistribution(sub, options)) };
}

/** samplingDistribution of the sub-vector, its tokens mapped back to ids. */
export function allowedDistribution(logits: ArrayLike<number>, ids: readonly number[], options: SamplingOptions): { token: number; p: number }[] {
  return samplingDistribution(subLogits(logits, ids), options).map(({ token, p }) => ({ token: ids[token]!, p }));
}
