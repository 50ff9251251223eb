// Tiny configs and weights for the lm tests.
import { makeConfig, type ModelConfig, type PositionKind } from '../../../agent/lm/config.ts';
import { initWeights } from '../../../agent/lm/model.ts';
import { Prng } from '../../../agent/lm/prng.ts';
import type { NamedTensors } from '../../../agent/lm/tensors.ts';

export const tinyConfig = (positions: PositionKind, vocabSize = 64): ModelConfig =>
  makeConfig({ vocabSize, context: 32, dModel: 32, heads: 2, layers: 2, positions });

/** GPT-2 init plus N(0, std) on every parameter (LayerNorms and biases too), so every weight matters. */
export function noisyWeights(config: ModelConfig, seed: number, std = 0.1): NamedTensors {
  const weights = initWeights(config, seed);
  const rng = new Prng(`noise-${seed}`);
  for (const w of weights.values()) for (let i = 0; i < w.data.length; i++) w.data[i] = w.data[i]! + std * rng.normal();
  return weights;
}

export function randomIds(n: number, vocab: number, seed: number): number[] {
  const rng = new Prng(seed);
  return Array.from({ length: n }, () => rng.nextUint32() % vocab);
}

export const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return a.length === b.length ? m : Infinity;
};
