import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useWasmBackend } from '../../../agent/lm/wasm-backend.ts';
import { CpuEngine } from '../../../agent/lm/engine/cpu.ts';
import { ReferenceEngine } from '../../../agent/lm/engine/reference.ts';
import { prefillReusing } from '../../../agent/lm/engine/types.ts';
import { Prng } from '../../../agent/lm/prng.ts';
import { GptModel } from '../../../agent/lm/model.ts';
import { argmax, generate } from '../../../agent/lm/sampling.ts';
import { maxAbsDiff, noisyWeights, randomIds, tinyConfig } from './helpers.ts';

beforeAll(async () => {
  await useWasmBackend();
});

/** tfjs logits [T][V] of one sequence. */
function tfjsLogits(model: GptModel, ids: number[]): Float32Array[] {
  const logits = model.forward([ids]);
  const data = logits.dataSync();
  logits.dispose();
  const V = model.config.vocabSize;
  return ids.map((_, t) => data.slice(t * V, (t + 1) * V) as Float32Array);
}

describe.each(['learned', 'rope'] as const)('decoders with %s positions', (positions) => {
  const config = tinyConfig(positions);
  const weights = noisyWeights(config, 7);
  const ids = randomIds(config.context, config.vocabSize, 11);

  it.each(['js', 'simd'] as const)('CpuEngine (%s kernel) prefill + step equal the tfjs forward at every position (1e-4)', (kernel) => {
    const model = new GptModel(config, weights);
    const expected = tfjsLogits(model, ids);
    model.dispose();
    const scale = Math.max(...expected.flatMap((row) => Array.from(row, Math.abs)));
    expect(scale).toBeGreaterThan(0.5); // the weights give logits worth comparing
    const engine = new CpuEngine(config, weights, { kernel });
    expect(engine.kernel).toBe(kernel);
    const prompt = 9;
    expect(maxAbsDiff(engine.prefill(ids.slice(0, prompt)), expected[prompt - 1]!)).toBeLessThan(1e-4);
    for (let t = prompt; t < ids.length; t++) {
      expect(maxAbsDiff(engine.step(ids[t]!), expected[t]!), `position ${t}`).toBeLessThan(1e-4);
    }
    // Token by token from the start, after a reset.
    engine.reset();
    for (let t = 0; t < ids.length; t++) {
      expect(maxAbsDiff(engine.step(ids[t]!), expected[t]!), `position ${t}`).toBeLessThan(1e-4);
    }
    expect(() => engine.step(0)).toThrow(RangeError); // context is full
  });

  it.each(['js', 'simd'] as const)('KV-cache decoding (%s kernel) equals the reference full recompute (1e-5)', (kernel) => {
    const reference = new ReferenceEngine(config, weights).forwardAll(ids);
    const engine = new CpuEngine(config, weights, { kernel });
    expect(maxAbsDiff(engine.prefill(ids.slice(0, 5)), reference[4]!)).toBeLessThan(1e-5);
    for (let t = 5; t < 20; t++) expect(maxAbsDiff(engine.step(ids[t]!), reference[t]!)).toBeLessThan(1e-5);
    // A second prefill chunk continues the cache.
    const logits = engine.prefill(ids.slice(20, 31));
    expect(maxAbsDiff(logits, reference[30]!)).toBeLessThan(1e-5);
  });

  it('the tfjs forward equals the reference (1e-4)', () => {
    const model = new GptModel(config, weights);
    const got = tfjsLogits(model, ids);
    model.dispose();
    const reference = new ReferenceEngine(config, weights).forwardAll(ids);
    for (let t = 0; t < ids.length; t++) expect(maxAbsDiff(got[t]!, reference[t]!)).toBeLessThan(1e-4);
  });

  it('greedy decoding: CpuEngine and the tfjs forward give the same 20 tokens', () => {
    const prompt = ids.slice(0, 8);
    const sharp = noisyWeights(config, 3, 0.3); // sharper logits: greedy output that does not repeat one token
    const cpu = generate(new CpuEngine(config, sharp), prompt, { maxTokens: 20 });
    const model = new GptModel(config, sharp);
    const sequence = [...prompt];
    const tokens: number[] = [];
    for (let i = 0; i < 20; i++) {
      const rows = tfjsLogits(model, sequence);
      const next = argmax(rows[rows.length - 1]!);
      tokens.push(next);
      sequence.push(next);
    }
    model.dispose();
    expect(cpu).toEqual({ tokens, reason: 'length' });
    expect(new Set(tokens).size).toBeGreaterThan(1);
  });
});

describe('engines', () => {
  it('reject ids out of range and empty prompts', () => {
    const config = tinyConfig('learned');
    const engine = new CpuEngine(config, noisyWeights(config, 1));
    expect(() => engine.prefill([])).toThrow(RangeError);
    expect(() => engine.prefill([config.vocabSize])).toThrow(RangeError);
    expect(() => engine.prefill(new Array<number>(config.context + 1).fill(0))).toThrow(RangeError);
    expect(tf.getBackend()).toBe('wasm');
  });
});

/** ids split into chunks of 1..maxChunk tokens, at random. */
function chunks(ids: readonly number[], rng: Prng, maxChunk: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < ids.length; ) {
    const n = 1 + (rng.nextUint32() % maxChunk);
    out.push(ids.slice(i, i + n));
    i += n;
  }
  return out;
}

describe.each(['learned', 'rope'] as const)('truncate and prefix reuse (%s positions)', (positions) => {
  const config = tinyConfig(positions);
  const weights = noisyWeights(config, 7);
  const ids = randomIds(config.context, config.vocabSize, 11);

  it.each(['js', 'simd'] as const)('CpuEngine (%s kernel): a prompt gives bit-identical logits however it is split into prefill calls', (kernel) => {
    const whole = new CpuEngine(config, weights, { kernel });
    const split = new CpuEngine(config, weights, { kernel });
    const rng = new Prng(3);
    for (const end of [1, 2, 5, 9, 17, config.context]) {
      whole.reset();
      const expected = whole.prefill(ids.slice(0, end));
      for (let trial = 0; trial < 3; trial++) {
        split.reset();
        let got: Float32Array = new Float32Array(0);
        for (const chunk of chunks(ids.slice(0, end), rng, 6)) got = chunk.length === 1 ? split.step(chunk[0]!) : split.prefill(chunk);
        expect(got, `end ${end}`).toEqual(expected);
      }
    }
  });

  it.each(['js', 'simd'] as const)('CpuEngine (%s kernel): after truncate(n), what follows reads as after a fresh prefill of the first n', (kernel) => {
    const engine = new CpuEngine(config, weights, { kernel });
    const fresh = new CpuEngine(config, weights, { kernel });
    const rng = new Prng(5);
    for (let trial = 0; trial < 12; trial++) {
      const held = 1 + (rng.nextUint32() % config.context);
      const n = rng.nextUint32() % (held + 1);
      engine.reset();
      engine.prefill(ids.slice(0, held));
      engine.truncate(n);
      expect(engine.position).toBe(n);
      expect(engine.tokens).toEqual(ids.slice(0, n));
      // Continue with other tokens than those forgotten.
      const rest = randomIds(Math.min(config.context - n, 1 + (rng.nextUint32() % 8)), config.vocabSize, 100 + trial);
      if (rest.length === 0) continue;
      fresh.reset();
      const expected = fresh.prefill([...ids.slice(0, n), ...rest]);
      expect(engine.prefill(rest), `trial ${trial}: held ${held}, kept ${n}`).toEqual(expected);
      expect(engine.tokens).toEqual(fresh.tokens);
      const next = rest[0]!;
      expect(engine.step(next)).toEqual(fresh.step(next));
    }
  });

  it('ReferenceEngine: truncate(n) then prefill equals the full recompute', () => {
    const engine = new ReferenceEngine(config, weights);
    engine.prefill(ids.slice(0, 12));
    engine.truncate(5);
    expect(engine.position).toBe(5);
    expect(engine.tokens).toEqual(ids.slice(0, 5));
    const other = [3, 1, 4, 1, 5];
    const expected = engine.forwardAll([...ids.slice(0, 5), ...other]);
    expect(engine.prefill(other)).toEqual(Float32Array.from(expected[9]!));
  });

  it.each(['js', 'simd'] as const)('prefillReusing (%s kernel) keeps the common prefix, re-reads the rest, and equals reset + prefill bit for bit', (kernel) => {
    const engine = new CpuEngine(config, weights, { kernel });
    const fresh = new CpuEngine(config, weights, { kernel });
    const reference = new ReferenceEngine(config, weights);
    const a = ids.slice(0, 20);
    const b = [...ids.slice(0, 12), ...randomIds(6, config.vocabSize, 99)];
    const cases: [readonly number[], number][] = [
      [a, 0], // nothing held
      [a, 19], // the same prompt: all but the last id
      [a.slice(0, 10), 9], // a prefix of what is held
      [b, 10], // shares 10 with a.slice(0, 10) + ...
      [[...b, 7, 7], 18],
      [[ids[1]!], 0],
    ];
    let previous: readonly number[] = [];
    for (const [prompt, reused] of cases) {
      const got = prefillReusing(engine, prompt);
      fresh.reset();
      expect(got.logits).toEqual(fresh.prefill(prompt));
      expect(got.reused).toBe(Math.min(reused, Math.max(0, prompt.length - 1)));
      expect(engine.tokens).toEqual(prompt);
      reference.reset();
      expect(maxAbsDiff(got.logits, reference.prefill(prompt))).toBeLessThan(1e-5);
      previous = prompt;
    }
    expect(previous.length).toBe(1);
    expect(() => prefillReusing(engine, [])).toThrow(RangeError);
  });

  it('truncate rejects what the engine does not hold', () => {
    for (const engine of [new CpuEngine(config, weights), new ReferenceEngine(config, weights)]) {
      engine.prefill([1, 2, 3]);
      expect(() => engine.truncate(4)).toThrow(RangeError);
      expect(() => engine.truncate(-1)).toThrow(RangeError);
      expect(() => engine.truncate(1.5)).toThrow(RangeError);
      engine.truncate(3);
      engine.truncate(0);
      expect(engine.position).toBe(0);
      expect(engine.tokens).toEqual([]);
    }
  });
});
