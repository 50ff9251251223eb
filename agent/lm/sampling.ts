// Choosing the next token from logits (greedy, temperature, top-k, top-p), deterministic per seed, and
// `generate`, the decode loop over any DecodeEngine.
import type { DecodeEngine } from './engine/types.ts';
import { Prng } from './prng.ts';

export interface SamplingOptions {
  /** 0 (or absent) = greedy argmax. */
  temperature?: number;
  /** Keep only the k most likely tokens (0 or absent: all). */
  topK?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p (1 or absent: all). */
  topP?: number;
}

/** Index of the largest logit (the lowest index on ties). */
export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  return best;
}

/**
 * The distribution sampling draws from: softmax(logits / temperature) restricted by top-k then top-p and
 * renormalised, as (token, probability) pairs, most likely first. Greedy (temperature 0) gives one pair.
 */
export function samplingDistribution(logits: ArrayLike<number>, options: SamplingOptions = {}): { token: number; p: number }[] {
  const temperature = options.temperature ?? 0;
  if (!(temperature >= 0) || !Number.isFinite(temperature)) throw new RangeError(`temperature must be >= 0, got ${temperature}`);
  if (temperature === 0) return [{ token: argmax(logits), p: 1 }];
  const topK = options.topK ?? 0;
  const topP = options.topP ?? 1;
  if (!Number.isInteger(topK) || topK < 0) throw new RangeError(`topK must be an integer >= 0, got ${topK}`);
  if (!(topP > 0 && topP <= 1)) throw new RangeError(`topP must be in (0, 1], got ${topP}`);
  const order = Array.from({ length: logits.length }, (_, i) => i).sort((x, y) => logits[y]! - logits[x]! || x - y);
  const kept = topK > 0 ? order.slice(0, topK) : order;
  const max = logits[kept[0]!]!;
  const weights = kept.map((i) => Math.exp((logits[i]! - max) / temperature));
  const total = weights.reduce((s, w) => s + w, 0);
  const out: { token: number; p: number }[] = [];
  let mass = 0;
  for (let r = 0; r < kept.length; r++) {
    const p = weights[r]! / total;
    out.push({ token: kept[r]!, p });
    mass += p;
    if (mass >= topP) break;
  }
  return out.map(({ token, p }) => ({ token, p: p / mass }));
}

/** One token from logits; `rng` is consumed only when sampling (temperature > 0). */
export function sampleToken(logits: ArrayLike<number>, options: SamplingOptions, rng: Prng): number {
  const dist = samplingDistribution(logits, options);
  if (dist.length === 1) return dist[0]!.token;
  const u = rng.next();
  let cumulative = 0;
  for (const { token, p } of dist) {
    cumulative += p;
    if (u < cumulative) return token;
  }
  return dist[dist.length - 1]!.token;
}

export interface GenerateOptions {
  maxTokens: number;
  /** Generation ends after producing any of these (the stop token is included in the output). */
  stop?: readonly number[];
  sampling?: SamplingOptions;
  seed?: number | string;
}

export interface Generation {
  tokens: number[];
  /** 'stop': produced a stop token; 'length': maxTokens; 'context': the engine's context is full. */
  reason: 'stop' | 'length' | 'context';
}

/** Resets the engine, reads the prompt, then samples up to maxTokens tokens. */
export function generate(engine: DecodeEngine, promptIds: readonly number[], options: GenerateOptions): Generation {
  const rng = new Prng(options.seed ?? 0);
  const stop = new Set(options.stop ?? []);
  const sampling = options.sampling ?? {};
  engine.reset();
  let logits = engine.prefill(promptIds);
  const tokens: number[] = [];
  while (tokens.length < options.maxTokens) {
    const token = sampleToken(logits, sampling, rng);
    tokens.push(token);
    if (stop.has(token)) return { tokens, reason: 'stop' };
    if (tokens.length >= options.maxTokens) break;
    if (engine.position >= engine.config.context) return { tokens, reason: 'context' };
    logits = engine.step(token);
  }
  return { tokens, reason: 'length' };
}
