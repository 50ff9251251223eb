// sampleByUniform (and so sampleToken and chooseByUniform), which ranks the logits' values with a native sort and
// finds an id only for the rank it chooses, against the reference: tokenAt over samplingDistribution (ids sorted
// with a comparator) and drawsUniform. Bit for bit, on random logits, on logits full of ties (-0 among them),
// with masked (-infinity) ids, every id masked, top-k and top-p, and draws on and near the cumulative boundaries.
import { describe, expect, it } from 'vitest';
import { Prng } from '../../../agent/lm/prng.ts';
import { drawsUniform, sampleByUniform, sampleToken, samplingDistribution, tokenAt, type SamplingOptions } from '../../../agent/lm/sampling.ts';

const OPTIONS: SamplingOptions[] = [
  { temperature: 1 },
  { temperature: 2.5 },
  { temperature: 0.3 },
  { temperature: 1, topK: 1 },
  { temperature: 0.7, topK: 5 },
  { temperature: 1.3, topP: 0.9 },
  { temperature: 0.8, topK: 12, topP: 0.6 },
  { temperature: 1, topP: 1e-9 },
  { temperature: 0 },
];

function reference(logits: ArrayLike<number>, options: SamplingOptions, u: number): { token: number; drew: boolean } {
  const dist = samplingDistribution(logits, options);
  return { token: tokenAt(dist, u), drew: drawsUniform(dist) };
}

/** Logits of every kind the sampler meets: spread, peaked, few distinct values (ties, -0 and 0), masked ids. */
function logitsOf(kind: number, n: number, g: Prng): Float32Array {
  const logits = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    switch (kind % 5) {
      case 0:
        logits[i] = (2 * g.next() - 1) * 6;
        break;
      case 1:
        logits[i] = i === n >> 1 ? 25 : (2 * g.next() - 1) * 3;
        break;
      case 2:
        logits[i] = [-0, 0, 1, -1, 2][Math.floor(g.next() * 5)]!;
        break;
      case 3:
        logits[i] = g.next() < 0.7 ? Number.NEGATIVE_INFINITY : (2 * g.next() - 1) * 4;
        break;
      default:
        logits[i] = g.next() < 0.5 ? Number.NEGATIVE_INFINITY : Math.round(g.next() * 3);
    }
  }
  return logits;
}

describe('sampleByUniform', () => {
  it('chooses as tokenAt(samplingDistribution) and draws as drawsUniform, bit for bit', () => {
    const g = new Prng('sampling-fast');
    let cases = 0;
    for (let kind = 0; kind < 40; kind++) {
      const n = [1, 2, 3, 7, 40, 1024][kind % 6]!;
      const logits = logitsOf(kind, n, g);
      for (const options of OPTIONS) {
        const dist = samplingDistribution(logits, options);
        // Draws at random, and on and just around each cumulative boundary of the reference.
        const us = [0, 0.5, 1 - 2 ** -53, ...Array.from({ length: 8 }, () => g.next())];
        let cumulative = 0;
        for (const { p } of dist.slice(0, 6)) {
          cumulative += p;
          for (const u of [cumulative, cumulative - 1e-16, cumulative + 1e-16]) if (u >= 0 && u < 1) us.push(u);
        }
        for (const u of us) {
          expect(sampleByUniform(logits, options, u), `kind ${kind} n ${n} ${JSON.stringify(options)} u ${u}`).toEqual(reference(logits, options, u));
          cases++;
        }
      }
    }
    expect(cases).toBeGreaterThan(3000);
  });

  it('every id masked: the lowest id, no draw; a single finite logit: that id, no draw', () => {
    const masked = new Float32Array(6).fill(Number.NEGATIVE_INFINITY);
    expect(sampleByUniform(masked, { temperature: 1 }, 0.7)).toEqual({ token: 0, drew: false });
    masked[4] = -3;
    expect(sampleByUniform(masked, { temperature: 1 }, 0.7)).toEqual({ token: 4, drew: false });
  });

  it('sampleToken draws from the rng only when it chooses among several tokens', () => {
    const logits = Float32Array.from([0.5, 2, -1, 2]);
    const a = new Prng(3);
    const b = new Prng(3);
    expect(sampleToken(logits, { temperature: 1 }, a)).toBe(reference(logits, { temperature: 1 }, b.next()).token);
    expect(sampleToken(logits, { temperature: 1, topK: 1 }, a)).toBe(1);
    expect(a.next()).toBe(b.next());
  });

  it('refuses a draw outside [0, 1) and options the reference refuses', () => {
    const logits = Float32Array.from([1, 2]);
    expect(() => sampleByUniform(logits, { temperature: 1 }, 1)).toThrow(RangeError);
    expect(() => sampleByUniform(logits, { temperature: 1, topP: 0 }, 0.5)).toThrow(RangeError);
    expect(() => sampleByUniform(logits, { temperature: -1 }, 0.5)).toThrow(RangeError);
  });
});
