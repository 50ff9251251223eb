// sampleToken split into its draw and chooseByUniform: sampleToken gives, seed for seed, the ids the code gave
// before the split (recorded from it); it equals chooseByUniform with u = rng.next(), drawn only when the
// distribution has more than one token; CpuAsyncEngine's samplePrefill/sampleStep choose so over masked logits;
// and decodeAnswerAsync, sampling through the engine's sample calls with the draws of UniformDraws, gives the
// answers of decodeAnswer (sampleToken on the logits) on real prompts, at temperatures low enough that many
// choices have a single token and draw nothing.
import { describe, expect, it } from 'vitest';
import { defaultCheckpointPath, loadBundleFile } from '../../../agent/lm/bundle-file.ts';
import { chooseMasked, CpuAsyncEngine, samplePrefillOn, type AsyncPrefixEngine } from '../../../agent/lm/engine/async.ts';
import { CpuEngine } from '../../../agent/lm/engine/cpu.ts';
import { Prng } from '../../../agent/lm/prng.ts';
import { chooseByUniform, drawsUniform, sampleToken, samplingDistribution, UniformDraws, type SamplingOptions } from '../../../agent/lm/sampling.ts';
import { decodeAnswer, type AnswerOptions } from '../../../agent/planners/lm-answer.ts';
import { decodeAnswerAsync } from '../../../agent/planners/lm-answer-async.ts';
import { maskLogits, thoughtMarks } from '../../../agent/planners/thought-marks.ts';
import { episodePrompts } from '../episode-prompts.ts';
import { noisyWeights, randomIds, tinyConfig } from './helpers.ts';

const OPTION_SETS: SamplingOptions[] = [{ temperature: 1 }, { temperature: 0.7, topK: 5 }, { temperature: 1.3, topP: 0.9 }, { temperature: 0.8, topK: 12, topP: 0.6 }];

/** Ids sampleToken gave before the split: `options index:seed` -> 24 ids, alternating two spread logits with a
 *  peaked one (id 7 at 30), whose distribution has one token (no draw) under all but the first options. */
const GOLDEN = new Map<string, string>([
  ['0:1', '7 23 7 28 21 7 10 7 7 21 4 7 4 4 7 4 4 7 7 7 7 21 33 7'],
  ['0:golden', '9 4 7 7 3 7 28 7 7 10 30 7 4 17 7 7 21 7 25 7 7 2 25 7'],
  ['0:99', '33 7 7 30 7 7 7 36 7 4 4 7 30 4 7 30 33 7 25 7 7 25 7 7'],
  ['1:1', '7 28 7 4 4 7 10 4 7 4 7 7 25 10 7 7 25 7 7 7 7 25 7 7'],
  ['1:golden', '28 7 7 28 7 7 28 25 7 4 7 7 7 4 7 25 7 7 7 25 7 7 7 7'],
  ['1:99', '25 7 7 28 25 7 7 10 7 7 28 7 28 7 7 7 10 7 25 7 7 25 25 7'],
  ['2:1', '7 29 7 33 33 7 24 33 7 28 4 7 30 24 7 4 21 7 4 4 7 30 4 7'],
  ['2:golden', '23 4 7 27 7 7 36 33 7 28 7 7 4 28 7 17 25 7 4 21 7 7 7 7'],
  ['2:99', '33 7 7 23 17 7 7 13 7 7 27 7 36 4 7 25 20 7 17 4 7 30 30 7'],
  ['3:1', '7 28 7 25 4 7 10 25 7 4 7 7 25 10 7 7 10 7 7 7 7 25 7 7'],
  ['3:golden', '28 7 7 28 7 7 28 25 7 4 7 7 7 4 7 25 4 7 7 25 7 7 7 7'],
  ['3:99', '25 7 7 28 25 7 7 10 7 7 28 7 28 7 7 7 10 7 25 7 7 25 25 7'],
]);

function goldenLogits(): { spread: Float32Array; peaked: Float32Array } {
  const g = new Prng('sample-token-golden');
  const spread = Float32Array.from({ length: 40 }, () => (2 * g.next() - 1) * 3);
  const peaked = Float32Array.from({ length: 40 }, (_, i) => (i === 7 ? 30 : (2 * g.next() - 1) * 3));
  return { spread, peaked };
}

describe('sampleToken = a draw + chooseByUniform', () => {
  it('gives the ids it gave before the split, seed for seed', () => {
    const { spread, peaked } = goldenLogits();
    for (const [o, options] of OPTION_SETS.entries()) {
      for (const seed of [1, 'golden', 99]) {
        const rng = new Prng(seed);
        const ids = Array.from({ length: 24 }, (_, i) => sampleToken(i % 3 === 2 ? peaked : spread, options, rng));
        expect(ids.join(' '), `${o}:${seed}`).toBe(GOLDEN.get(`${o}:${seed}`));
      }
    }
  });

  it('is chooseByUniform at u = rng.next(), drawn only for a distribution of several tokens', () => {
    const rng = new Prng('split');
    const a = new Prng(5);
    const b = new Prng(5);
    let single = 0;
    for (let i = 0; i < 400; i++) {
      const logits = Float32Array.from({ length: 1 + (i % 50) }, () => (2 * rng.next() - 1) * (i % 7 === 0 ? 60 : 4));
      const options = OPTION_SETS[i % OPTION_SETS.length]!;
      const draws = drawsUniform(samplingDistribution(logits, options));
      if (!draws) single++;
      expect(sampleToken(logits, options, a)).toBe(chooseByUniform(logits, options, draws ? b.next() : rng.next()));
    }
    expect(a.next()).toBe(b.next());
    expect(single).toBeGreaterThan(20);
  });

  it('chooseByUniform picks by cumulative probability, most likely first, and refuses u outside [0, 1)', () => {
    const logits = Float32Array.from([0, Math.log(3), Math.log(2), Math.log(4), -Infinity]);
    // p: 4/10 (id 3), 3/10 (id 1), 2/10 (id 2), 1/10 (id 0).
    const pick = (u: number, options: SamplingOptions = { temperature: 1 }): number => chooseByUniform(logits, options, u);
    expect([0, 0.39, 0.41, 0.69, 0.71, 0.89, 0.91, 0.999].map((u) => pick(u))).toEqual([3, 3, 1, 1, 2, 2, 0, 0]);
    expect([0.1, 0.5, 0.6, 0.9].map((u) => pick(u, { temperature: 1, topK: 2 }))).toEqual([3, 3, 1, 1]); // 4/7, 3/7
    expect([0.1, 0.5, 0.9].map((u) => pick(u, { temperature: 1, topP: 0.65 }))).toEqual([3, 3, 1]); // 0.4 + 0.3 reaches 0.65
    expect(pick(0.99, {})).toBe(3);
    for (const u of [1, -0.01, Number.NaN]) expect(() => pick(u)).toThrow(RangeError);
  });

  it('UniformDraws holds a draw until it is taken', () => {
    const draws = new UniformDraws(new Prng(3));
    const plain = new Prng(3);
    const first = plain.next();
    expect(draws.peek()).toBe(first);
    expect(draws.peek()).toBe(first);
    draws.take();
    expect(draws.peek()).toBe(plain.next());
  });
});

describe('CpuAsyncEngine sampling', () => {
  const config = tinyConfig('rope');
  const weights = noisyWeights(config, 5, 0.3);

  it('samplePrefill and sampleStep are chooseByUniform over the masked logits, lastDrew whether u was used', async () => {
    const cpu = new CpuEngine(config, weights);
    const engine = new CpuAsyncEngine(new CpuEngine(config, weights));
    const prompt = randomIds(6, config.vocabSize, 1);
    const mask = new Uint32Array(Math.ceil(config.vocabSize / 32));
    for (const id of [1, 4, 9, 33, config.vocabSize - 1]) mask[id >>> 5] = (mask[id >>> 5]! | (1 << (id & 31))) >>> 0;
    const rng = new Prng('cpu-async');
    let logits = cpu.prefill(prompt);
    let next = await engine.samplePrefill(prompt, { temperature: 1 }, 0.3);
    expect(next).toBe(chooseByUniform(logits, { temperature: 1 }, 0.3));
    expect(engine.lastDrew).toBe(true);
    for (let i = 0; i < 12; i++) {
      const options = OPTION_SETS[i % OPTION_SETS.length]!;
      const m = i % 2 === 0 ? mask : undefined;
      const u = rng.next();
      logits = cpu.step(next);
      const masked = m === undefined ? logits : maskLogits(logits, m);
      next = await engine.sampleStep(next, options, u, m);
      expect(next, `step ${i}`).toBe(chooseByUniform(masked, options, u));
      expect(engine.lastDrew).toBe(drawsUniform(samplingDistribution(masked, options)));
    }
    expect(engine.tokens).toEqual(cpu.tokens);
    const position = engine.position;
    await expect(engine.sampleStep(next, { temperature: 1 }, 1)).rejects.toThrow(RangeError);
    await expect(engine.sampleStep(next, { temperature: 1, topK: -1 }, 0.5)).rejects.toThrow(RangeError);
    await expect(engine.sampleStep(next, { temperature: 1 }, 0.5, new Uint32Array(mask.length))).rejects.toThrow(RangeError);
    expect(engine.position).toBe(position);
  });
});

/** `engine` sampling as an engine that only gives logits does (bench's tfjs decoder): chooseMasked over them. */
const logitsOnly = (engine: CpuAsyncEngine): AsyncPrefixEngine => {
  let drew = false;
  let best = -1;
  const sample = async (logits: Promise<Float32Array>, sampling: SamplingOptions, u: number, mask?: Uint32Array): Promise<number> => {
    const chosen = chooseMasked(await logits, sampling, u, mask);
    drew = chosen.drew;
    best = chosen.best;
    return chosen.token;
  };
  const greedy = async (id: Promise<number>): Promise<number> => {
    const chosen = await id;
    best = engine.lastBest;
    return chosen;
  };
  return {
  get lastDrew() {
    return drew;
  },
  samplePrefill: (ids, sampling, u, mask) => sample(engine.prefill(ids), sampling, u, mask),
  sampleStep: (id, sampling, u, mask) => sample(engine.step(id), sampling, u, mask),
  get config() {
    return engine.config;
  },
  get position() {
    return engine.position;
  },
  get tokens() {
    return engine.tokens;
  },
  get lastBest() {
    return best;
  },
  prefill: (ids) => engine.prefill(ids),
  step: (id) => engine.step(id),
  greedyPrefill: (ids, mask) => greedy(engine.greedyPrefill(ids, mask)),
  greedyStep: (id, mask) => greedy(engine.greedyStep(id, mask)),
  reset: () => engine.reset(),
  truncate: (n) => engine.truncate(n),
  };
};

/** Counts the sample calls that used u and those that drew nothing, so that the test shows both happening. */
class CountingEngine extends CpuAsyncEngine {
  drawn = 0;
  single = 0;

  override async samplePrefill(ids: readonly number[], sampling: SamplingOptions, u: number, mask?: Uint32Array): Promise<number> {
    const id = await super.samplePrefill(ids, sampling, u, mask);
    if (this.lastDrew) this.drawn++;
    else this.single++;
    return id;
  }
}

describe('decodeAnswerAsync sampling on the engine', async () => {
  const bundle = await loadBundleFile(defaultCheckpointPath());
  const prompts = await episodePrompts(bundle, 6);
  const variants: { name: string; sampling: SamplingOptions; marks: boolean }[] = [
    { name: 'temperature 0.3', sampling: { temperature: 0.3 }, marks: false },
    // Warm enough to draw: under the thought rules every choice of these prompts at 0.5, top-p 0.9 had one token.
    { name: 'temperature 1.5, top-p 0.95, thought marks', sampling: { temperature: 1.5, topP: 0.95 }, marks: true },
    { name: 'temperature 1, top-k 20', sampling: { temperature: 1, topK: 20 }, marks: false },
  ];

  it.each(variants)('$name: the answers of decodeAnswer, through the sample calls and without them', async ({ sampling, marks }) => {
    const sync = new CpuEngine(bundle.config, bundle.weights);
    const counted = new CountingEngine(new CpuEngine(bundle.config, bundle.weights));
    const plain = logitsOnly(new CpuAsyncEngine(new CpuEngine(bundle.config, bundle.weights)));
    for (const [i, prompt] of prompts.entries()) {
      const options: AnswerOptions = { sampling, allowed: prompt.allowed, seed: `u${i}` };
      if (marks) options.thoughtMarks = thoughtMarks(prompt.text, bundle.tokenizer);
      const want = decodeAnswer(sync, bundle.tokenizer, prompt.ids, options);
      expect(await decodeAnswerAsync(counted, bundle.tokenizer, prompt.ids, options), prompt.name).toEqual(want);
      expect(await decodeAnswerAsync(plain, bundle.tokenizer, prompt.ids, options), `${prompt.name}, logits only`).toEqual(want);
    }
    expect(counted.drawn, 'choices that used u').toBeGreaterThan(0);
    if (sampling.temperature! < 0.6 || marks) expect(counted.single, 'choices that drew nothing').toBeGreaterThan(0);
  });

  it('samplePrefillOn samples the logits of an engine without sample calls as the engine would', async () => {
    const a = new CpuAsyncEngine(new CpuEngine(bundle.config, bundle.weights));
    const b = logitsOnly(new CpuAsyncEngine(new CpuEngine(bundle.config, bundle.weights)));
    const ids = prompts[0]!.ids;
    const options = { temperature: 0.8, topP: 0.9 };
    const got = await samplePrefillOn(b, ids, options, 0.42);
    expect(got).toEqual({ token: await a.samplePrefill(ids, options, 0.42), drew: a.lastDrew });
  });
});
