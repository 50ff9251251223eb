import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useWasmBackend } from '../../../agent/lm/wasm-backend.ts';
import { CpuEngine } from '../../../agent/lm/engine/cpu.ts';
import { ReferenceEngine } from '../../../agent/lm/engine/reference.ts';
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
