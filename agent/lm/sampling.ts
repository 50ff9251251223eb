// Choosing the next token from logits (greedy, temperature, top-k, top-p), deterministic per seed, and
// `generate`, the decode loop over any DecodeEngine. sampleToken is a uniform draw from the Prng (only when the
// distribution has more than one token) and chooseByUniform, the pure choice for a given draw u, which an engine
// can make where the logits are (engine/async.ts samplePrefill, webgpu/kernels/sample.ts).
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

/** The options with their defaults, or a RangeError (topK and topP are checked only when sampling). */
export function checkSampling(options: SamplingOptions): Required<SamplingOptions> {
  const temperature = options.temperature ?? 0;
  if (!(temperature >= 0) || !Number.isFinite(temperature)) throw new RangeError(`temperature must be >= 0, got ${temperature}`);
  const topK = options.topK ?? 0;
  const topP = options.topP ?? 1;
  if (temperature === 0) return { temperature, topK, topP };
  if (!Number.isInteger(topK) || topK < 0) throw new RangeError(`topK must be an integer >= 0, got ${topK}`);
  if (!(topP > 0 && topP <= 1)) throw new RangeError(`topP must be in (0, 1], got ${topP}`);
  return { temperature, topK, topP };
}

/** Throws unless u is a uniform draw, in [0, 1). */
export function checkUniform(u: number): void {
  if (!(u >= 0 && u < 1)) throw new RangeError(`u must be in [0, 1), got ${u}`);
}

/**
 * The distribution sampling draws from: softmax(logits / temperature) restricted by top-k then top-p and
 * renormalised, as (token, probability) pairs, most likely first (the lower id first on ties). Greedy (temperature
 * 0) gives one pair. A logit of -infinity (an id a mask forbids: engine/async.ts, thought-marks.ts) takes no part,
 * unless every logit is -infinity: sampling masked logits is then, step for step, sampling the allowed ids' logits
 * alone listed in ascending id order (constrained.ts's sub-vector), top-k counting allowed ids only; without that
 * rule, rounding that leaves u past the allowed ids' cumulative probability would choose a forbidden id.
 */
export function samplingDistribution(logits: ArrayLike<number>, options: SamplingOptions = {}): { token: number; p: number }[] {
  const { temperature, topK, topP } = checkSampling(options);
  if (temperature === 0) return [{ token: argmax(logits), p: 1 }];
  const ranked = Array.from({ length: logits.length }, (_, i) => i).sort((x, y) => logits[y]! - logits[x]! || x - y);
  // -infinity ranks last (the comparator's NaN between two of them falls to the ids).
  let finite = ranked.length;
  while (finite > 1 && logits[ranked[finite - 1]!] === Number.NEGATIVE_INFINITY) finite--;
  const order = ranked.slice(0, finite);
  if (order.length === 1) return [{ token: order[0]!, p: 1 }];
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

/** One token from logits: chooseByUniform with u = rng.next(), drawn only when the distribution has more than one
 *  token (so `rng` is consumed only when sampling, and not when top-k, top-p or rounding leave a single token). */
export function sampleToken(logits: ArrayLike<number>, options: SamplingOptions, rng: Prng): number {
  if (checkSampling(options).temperature === 0) return argmax(logits);
  const ranked = new RankedLogits(logits, options);
  return ranked.size === 1 ? ranked.tokenAtRank(0) : ranked.tokenAtRank(ranked.rankAt(rng.next()));
}

/** Whether sampleToken draws u for this distribution (samplingDistribution): when it has more than one token. */
export const drawsUniform = (dist: readonly { token: number; p: number }[]): boolean => dist.length > 1;

/** The token of `dist` (samplingDistribution) at u in [0, 1): the first, most likely first, whose cumulative
 *  probability exceeds u; the last when rounding leaves u beyond them all. */
export function tokenAt(dist: readonly { token: number; p: number }[], u: number): number {
  let cumulative = 0;
  for (const { token, p } of dist) {
    cumulative += p;
    if (u < cumulative) return token;
  }
  return dist[dist.length - 1]!.token;
}

/** The token sampleToken gives when its draw is u in [0, 1) (any u when the distribution has a single token). */
export function chooseByUniform(logits: ArrayLike<number>, options: SamplingOptions, u: number): number {
  return sampleByUniform(logits, options, u).token;
}

/** chooseByUniform, and whether the choice draws u (drawsUniform(samplingDistribution(logits, options))). */
export function sampleByUniform(logits: ArrayLike<number>, options: SamplingOptions, u: number): { token: number; drew: boolean } {
  checkUniform(u);
  if (checkSampling(options).temperature === 0) return { token: argmax(logits), drew: false };
  const ranked = new RankedLogits(logits, options);
  return ranked.size === 1 ? { token: ranked.tokenAtRank(0), drew: false } : { token: ranked.tokenAtRank(ranked.rankAt(u)), drew: true };
}

/** A logit's sort key in RankedLogits: its negation; NaN (never a model's output) as a masked id, last. */
const rankKey = (logit: number): number => (Number.isNaN(logit) ? Number.POSITIVE_INFINITY : -logit);

/**
 * samplingDistribution and tokenAt without sorting the ids: the same arithmetic, in the same order, on the logits'
 * values sorted natively (a Float64Array sort, ~10x faster than sorting 1,024 ids with a comparator, which took
 * 0.24 ms a token and as long as the engine's step), and the id of a rank found only for the rank chosen (the ids
 * of equal logits rank in ascending order). Same tokens as tokenAt(samplingDistribution(...), u), bit for bit:
 * tests/agent/lm/sampling-fast.test.ts. Temperature > 0.
 */
class RankedLogits {
  /** -logit, ascending: the logits most likely first; -infinity logits (masked ids) last. */
  private readonly negated: Float64Array;
  /** The cumulative probabilities of the distribution's ranks, as tokenAt sums them. */
  private readonly cumulative: Float64Array;
  /** How many tokens the distribution has. */
  readonly size: number;

  constructor(
    private readonly logits: ArrayLike<number>,
    options: SamplingOptions,
  ) {
    const { temperature, topK, topP } = checkSampling(options);
    const n = logits.length;
    const negated = new Float64Array(n);
    for (let i = 0; i < n; i++) negated[i] = rankKey(logits[i]!);
    negated.sort();
    this.negated = negated;
    let finite = n;
    while (finite > 1 && negated[finite - 1] === Number.POSITIVE_INFINITY) finite--;
    if (finite === 1) {
      this.size = 1;
      this.cumulative = new Float64Array(0);
      return;
    }
    const kept = topK > 0 ? Math.min(topK, finite) : finite;
    const max = -negated[0]!;
    const weights = new Float64Array(kept);
    let total = 0;
    for (let r = 0; r < kept; r++) {
      weights[r] = Math.exp((-negated[r]! - max) / temperature);
      total += weights[r]!;
    }
    let mass = 0;
    let size = 0;
    for (let r = 0; r < kept; r++) {
      const p = weights[r]! / total;
      weights[r] = p;
      mass += p;
      size++;
      if (mass >= topP) break;
    }
    const cumulative = new Float64Array(size);
    let sum = 0;
    for (let r = 0; r < size; r++) {
      sum += weights[r]! / mass;
      cumulative[r] = sum;
    }
    this.size = size;
    this.cumulative = cumulative;
  }

  /** The rank tokenAt chooses at u: the first whose cumulative probability exceeds u, else the last. */
  rankAt(u: number): number {
    for (let r = 0; r < this.size; r++) if (u < this.cumulative[r]!) return r;
    return this.size - 1;
  }

  /** The id at a rank: among the ids whose logit equals the rank's (-0 and 0 alike), in ascending order, the one
   *  as far in as the rank is into its run of equal values. */
  tokenAtRank(rank: number): number {
    const value = this.negated[rank]!;
    let first = rank;
    while (first > 0 && this.negated[first - 1] === value) first--;
    let skip = rank - first;
    const logits = this.logits;
    for (let i = 0; i < logits.length; i++) {
      if (rankKey(logits[i]!) === value && skip-- === 0) return i;
    }
    throw new Error(`no id has the logit of rank ${rank}`);
  }
}

/**
 * The draws sampleToken makes from `rng`, for a caller that learns only after a choice whether it used its u (an
 * engine choosing where the logits are: engine/async.ts lastDrew): peek() is the next draw, and stays the next
 * until take(). Choices that used u taking it, the u of each choice is the one sampleToken would have drawn.
 */
export class UniformDraws {
  private pending: number | null = null;

  constructor(private readonly rng: Prng) {}

  peek(): number {
    this.pending ??= this.rng.next();
    return this.pending;
  }

  take(): void {
    this.pending = null;
  }
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
