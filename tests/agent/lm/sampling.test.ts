import { describe, expect, it } from 'vitest';
import { CpuEngine } from '../../../agent/lm/engine/cpu.ts';
import { Prng } from '../../../agent/lm/prng.ts';
import { argmax, generate, sampleToken, samplingDistribution } from '../../../agent/lm/sampling.ts';
import { noisyWeights, randomIds, tinyConfig } from './helpers.ts';

const logits = Float32Array.from([0.5, 2.0, -1.0, 1.5, 0.0, 1.0, -3.0, 0.2]);

const draws = (options: Parameters<typeof sampleToken>[1], seed: number, n = 2000): number[] => {
  const rng = new Prng(seed);
  return Array.from({ length: n }, () => sampleToken(logits, options, rng));
};

describe('sampling', () => {
  it('temperature 0 is greedy', () => {
    expect(argmax(logits)).toBe(1);
    expect(samplingDistribution(logits, { temperature: 0 })).toEqual([{ token: 1, p: 1 }]);
    expect(new Set(draws({ temperature: 0, topK: 5 }, 1, 50))).toEqual(new Set([1]));
    expect(new Set(draws({}, 1, 50))).toEqual(new Set([1]));
  });

  it('is deterministic per seed', () => {
    const options = { temperature: 1 };
    expect(draws(options, 42)).toEqual(draws(options, 42));
    expect(draws(options, 42)).not.toEqual(draws(options, 43));
  });

  it('temperature 1 follows softmax', () => {
    const counts = new Array<number>(logits.length).fill(0);
    for (const t of draws({ temperature: 1 }, 3, 20000)) counts[t]!++;
    const z = Array.from(logits).reduce((s, x) => s + Math.exp(x), 0);
    logits.forEach((x, i) => expect(counts[i]! / 20000).toBeCloseTo(Math.exp(x) / z, 1));
  });

  it('top-k restricts the support to the k most likely tokens', () => {
    const seen = new Set(draws({ temperature: 5, topK: 3 }, 7));
    expect(seen).toEqual(new Set([1, 3, 5]));
    const dist = samplingDistribution(logits, { temperature: 1, topK: 3 });
    expect(dist.map((d) => d.token)).toEqual([1, 3, 5]);
    expect(dist.reduce((s, d) => s + d.p, 0)).toBeCloseTo(1, 10);
  });

  it('top-p keeps the smallest nucleus reaching p', () => {
    const dist = samplingDistribution(logits, { temperature: 1, topP: 0.5 });
    // softmax: p(1) ~ 0.34, p(3) ~ 0.21: the nucleus of 0.5 is {1, 3}.
    expect(dist.map((d) => d.token)).toEqual([1, 3]);
    expect(new Set(draws({ temperature: 1, topP: 0.5 }, 9))).toEqual(new Set([1, 3]));
    expect(samplingDistribution(logits, { temperature: 1, topP: 0.01 }).map((d) => d.token)).toEqual([1]);
  });

  it('rejects bad options', () => {
    expect(() => samplingDistribution(logits, { temperature: -1 })).toThrow(RangeError);
    expect(() => samplingDistribution(logits, { temperature: 1, topP: 0 })).toThrow(RangeError);
    expect(() => samplingDistribution(logits, { temperature: 1, topK: 1.5 })).toThrow(RangeError);
  });
});

describe('generate', () => {
  const config = tinyConfig('rope');
  const engine = new CpuEngine(config, noisyWeights(config, 5, 0.3));
  const prompt = randomIds(6, config.vocabSize, 1);

  it('is deterministic per seed and stops on length, stop tokens and context', () => {
    const sampling = { temperature: 1, topK: 20 };
    const a = generate(engine, prompt, { maxTokens: 15, sampling, seed: 1 });
    const b = generate(engine, prompt, { maxTokens: 15, sampling, seed: 1 });
    const c = generate(engine, prompt, { maxTokens: 15, sampling, seed: 2 });
    expect(a).toEqual(b);
    expect(a.tokens).toHaveLength(15);
    expect(a.reason).toBe('length');
    expect(c.tokens).not.toEqual(a.tokens);

    const stopAt = a.tokens[4]!;
    const stopped = generate(engine, prompt, { maxTokens: 15, sampling, seed: 1, stop: [stopAt] });
    const first = a.tokens.indexOf(stopAt);
    expect(stopped).toEqual({ tokens: a.tokens.slice(0, first + 1), reason: 'stop' });

    const long = generate(engine, prompt, { maxTokens: 100, sampling, seed: 1 });
    expect(long.reason).toBe('context');
    expect(prompt.length + long.tokens.length).toBe(config.context + 1);
  });

  it('temperature 0 equals argmax decoding', () => {
    const greedy = generate(engine, prompt, { maxTokens: 10, sampling: { temperature: 0 }, seed: 3 });
    engine.reset();
    let next = argmax(engine.prefill(prompt));
    const expected = [next];
    for (let i = 1; i < 10; i++) {
      next = argmax(engine.step(next));
      expected.push(next);
    }
    expect(greedy.tokens).toEqual(expected);
  });
});
