import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useWasmBackend } from '../../../agent/lm/wasm-backend.ts';
import { makeConfig, ModelConfigError, parameterCount, validateConfig } from '../../../agent/lm/config.ts';
import { GptModel, initWeights } from '../../../agent/lm/model.ts';
import { elementCount } from '../../../agent/lm/tensors.ts';
import { maxAbsDiff, noisyWeights, randomIds, tinyConfig } from './helpers.ts';

beforeAll(async () => {
  await useWasmBackend();
});

describe('config', () => {
  it('validates with typed errors', () => {
    expect(() => makeConfig({ vocabSize: 64, context: 32, dModel: 30, heads: 4, layers: 2 })).toThrow(ModelConfigError);
    expect(() => makeConfig({ vocabSize: 0, context: 32, dModel: 32, heads: 2, layers: 2 })).toThrow(/vocabSize/);
    expect(() => makeConfig({ vocabSize: 64, context: 32, dModel: 32, heads: 2, layers: 2, layerNormEps: 0 })).toThrow(
      ModelConfigError,
    );
    // Rotary positions need an even head size.
    expect(() => makeConfig({ vocabSize: 64, context: 8, dModel: 6, heads: 2, layers: 1, positions: 'rope' })).toThrow(/even/);
    expect(() => validateConfig(tinyConfig('rope'))).not.toThrow();
  });

  it('parameterCount counts exactly the initialised tensors', () => {
    for (const positions of ['learned', 'rope'] as const) {
      const config = tinyConfig(positions);
      const weights = initWeights(config, 1);
      const total = [...weights.values()].reduce((n, w) => n + elementCount(w.shape), 0);
      expect(parameterCount(config)).toBe(total);
      expect(weights.has('wpe')).toBe(positions === 'learned');
    }
    const shipped = makeConfig({ vocabSize: 1024, context: 512, dModel: 128, heads: 4, layers: 4 });
    expect(parameterCount(shipped)).toBe(1024 * 128 + 512 * 128 + 4 * (12 * 128 * 128 + 13 * 128) + 2 * 128);
  });
});

describe('initWeights', () => {
  it('is a pure function of the seed, GPT-2 scaled', () => {
    const config = tinyConfig('learned');
    const a = initWeights(config, 5);
    const b = initWeights(config, 5);
    const c = initWeights(config, 6);
    expect([...a.keys()]).toEqual([...b.keys()]);
    for (const [name, w] of a) expect(w.data).toEqual(b.get(name)!.data);
    expect(a.get('wte')!.data).not.toEqual(c.get('wte')!.data);
    const wte = a.get('wte')!.data;
    const std = Math.sqrt(wte.reduce((s, x) => s + x * x, 0) / wte.length);
    expect(std).toBeGreaterThan(0.017);
    expect(std).toBeLessThan(0.023);
    expect([...a.get('h.0.ln1.g')!.data].every((x) => x === 1)).toBe(true);
    expect([...a.get('h.0.attn.qkv.b')!.data].every((x) => x === 0)).toBe(true);
  });
});

describe('GptModel', () => {
  it('round-trips its weights and frees its tensors', () => {
    const config = tinyConfig('rope');
    const weights = noisyWeights(config, 2);
    const before = tf.memory().numTensors;
    const model = new GptModel(config, weights);
    const logits = model.forward([randomIds(10, config.vocabSize, 1)]);
    expect(logits.shape).toEqual([1, 10, config.vocabSize]);
    logits.dispose();
    const back = model.weights();
    expect([...back.keys()]).toEqual([...weights.keys()]);
    for (const [name, w] of weights) expect(maxAbsDiff(back.get(name)!.data, w.data)).toBe(0);
    model.trainStep([randomIds(10, config.vocabSize, 1)], [randomIds(10, config.vocabSize, 2)], { lr: 1e-3 });
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('masks the loss', () => {
    const config = tinyConfig('learned');
    const model = new GptModel(config, noisyWeights(config, 3));
    const ids = [randomIds(8, config.vocabSize, 4)];
    const targets = [randomIds(8, config.vocabSize, 5)];
    const all = model.loss(ids, targets).dataSync()[0]!;
    const ones = model.loss(ids, targets, [[1, 1, 1, 1, 1, 1, 1, 1]]).dataSync()[0]!;
    expect(ones).toBeCloseTo(all, 5);
    const firstOnly = model.loss(ids, targets, [[1, 0, 0, 0, 0, 0, 0, 0]]).dataSync()[0]!;
    const firstAlone = model.loss([ids[0]!.slice(0, 1)], [targets[0]!.slice(0, 1)]).dataSync()[0]!;
    expect(firstOnly).toBeCloseTo(firstAlone, 5); // causal: position 0 sees only itself
    // Nothing counted: a loss of 0 and zero gradients, not an error.
    const none = [[0, 0, 0, 0, 0, 0, 0, 0]];
    expect(model.loss(ids, targets, none).dataSync()[0]).toBe(0);
    expect(model.trainStep(ids, targets, { lr: 1e-3, mask: none }).gradNorm).toBe(0);
    model.dispose();
  });

  // Length 6 takes tf.matMul for the attention scores (6 columns), length 8 the SIMD batched product
  // (batch-matmul.ts); a mask takes the logits at the masked rows only.
  it.each([
    { T: 6, masked: false },
    { T: 8, masked: false },
    { T: 8, masked: true },
  ])('gradients match finite differences (length $T, masked $masked)', ({ T, masked }) => {
    const config = makeConfig({ vocabSize: 16, context: 8, dModel: 8, heads: 2, layers: 1, positions: 'rope' });
    const weights = noisyWeights(config, 9, 0.3);
    const ids = [randomIds(T, 16, 1), randomIds(T, 16, 2)];
    const targets = [randomIds(T, 16, 3), randomIds(T, 16, 4)];
    const mask = masked ? [Array.from({ length: T }, (_, t) => (t % 3 === 0 ? 0 : 1)), Array.from({ length: T }, (_, t) => (t > 4 ? 1 : 0))] : undefined;
    const model = new GptModel(config, weights, { weightDecay: 0, clipNorm: 0, beta1: 0, beta2: 0, epsilon: 0 });
    // With beta1 = beta2 = 0 and epsilon = 0, an AdamW step moves every weight by -lr * sign(gradient).
    const lr = 1e-3;
    model.trainStep(ids, targets, mask ? { lr, mask } : { lr });
    const after = model.weights();
    model.dispose();
    const lossAt = (w: typeof weights): number => {
      const m = new GptModel(config, w);
      const value = m.loss(ids, targets, mask).dataSync()[0]!;
      m.dispose();
      return value;
    };
    const h = 1e-2;
    let checked = 0;
    for (const name of ['wte', 'h.0.ln1.g', 'h.0.attn.qkv.w', 'h.0.attn.proj.b', 'h.0.mlp.fc.w', 'h.0.mlp.proj.w', 'lnf.b']) {
      const w = weights.get(name)!;
      for (const index of [0, Math.floor(w.data.length / 2), w.data.length - 1]) {
        const plus = new Map([...weights].map(([k, v]) => [k, { shape: v.shape, data: Float32Array.from(v.data) }]));
        const minus = new Map([...weights].map(([k, v]) => [k, { shape: v.shape, data: Float32Array.from(v.data) }]));
        plus.get(name)!.data[index] = w.data[index]! + h;
        minus.get(name)!.data[index] = w.data[index]! - h;
        const numeric = (lossAt(plus) - lossAt(minus)) / (2 * h);
        const moved = after.get(name)!.data[index]! - w.data[index]!;
        if (Math.abs(numeric) > 1e-2) {
          expect(Math.sign(moved), `${name}[${index}]`).toBe(-Math.sign(numeric));
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(5);
  });

  it.each(['learned', 'rope'] as const)('overfits one fixed batch on wasm (%s positions)', (positions) => {
    expect(tf.getBackend()).toBe('wasm');
    const config = tinyConfig(positions);
    const model = new GptModel(config, initWeights(config, 1), { weightDecay: 0 });
    const ids = [randomIds(32, config.vocabSize, 1), randomIds(32, config.vocabSize, 2)];
    const targets = [randomIds(32, config.vocabSize, 3), randomIds(32, config.vocabSize, 4)];
    const first = model.trainStep(ids, targets, { lr: 3e-3 });
    let last = first;
    for (let step = 1; step < 200; step++) last = model.trainStep(ids, targets, { lr: 3e-3 });
    model.dispose();
    expect(first.loss).toBeGreaterThan(3.5);
    expect(last.loss).toBeLessThan(0.1 * first.loss);
  });
});
