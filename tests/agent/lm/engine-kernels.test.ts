// CpuEngine's two kernels, 'js' (plain loops, the reference) and 'simd' (WebAssembly, engine/simd.ts), on the same
// weights: logits within 1e-5 at every position and identical greedy tokens.
import { describe, expect, it } from 'vitest';
import { makeConfig, type ModelConfig } from '../../../agent/lm/config.ts';
import { CpuEngine } from '../../../agent/lm/engine/cpu.ts';
import { ReferenceEngine } from '../../../agent/lm/engine/reference.ts';
import { lmKernels, lmModuleBytes, lmSimdAvailable } from '../../../agent/lm/engine/simd.ts';
import { generate } from '../../../agent/lm/sampling.ts';
import { maxAbsDiff, noisyWeights, randomIds, tinyConfig } from './helpers.ts';

describe('the SIMD module', () => {
  it('is valid WebAssembly and available in Node', () => {
    expect(WebAssembly.validate(lmModuleBytes())).toBe(true);
    expect(lmSimdAvailable()).toBe(true);
  });

  it('matvec and wsum equal plain loops (strides, bias, tails of 4)', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const k = lmKernels(memory);
    expect(k).not.toBeNull();
    const f = new Float32Array(memory.buffer);
    for (let i = 0; i < 4096; i++) f[i] = Math.sin(i * 0.37);
    const [w, x, b, y] = [0, 2000, 2200, 2400];
    for (const [n, rows, stride] of [[4, 1, 4], [20, 7, 24], [36, 5, 40], [64, 3, 64]] as const) {
      k!.matvec(w * 4, x * 4, b * 4, y * 4, n, rows, stride * 4);
      for (let o = 0; o < rows; o++) {
        let s = f[b + o]!;
        for (let i = 0; i < n; i++) s += f[w + o * stride + i]! * f[x + i]!;
        expect(Math.abs(f[y + o]! - s)).toBeLessThan(1e-5);
      }
      const cols = n;
      k!.wsum(x * 4, w * 4, y * 4, rows, cols, stride * 4);
      for (let c = 0; c < cols; c++) {
        let s = 0;
        for (let j = 0; j < rows; j++) s += f[x + j]! * f[w + j * stride + c]!;
        expect(Math.abs(f[y + c]! - s)).toBeLessThan(1e-5);
      }
    }
  });
});

const configs: [string, ModelConfig][] = [
  ['learned', tinyConfig('learned')],
  ['rope', tinyConfig('rope')],
  // d 40, head 20: the 16-float steps and their tails of 4 in every product
  ['learned, d 40', makeConfig({ vocabSize: 72, context: 40, dModel: 40, heads: 2, layers: 2, positions: 'learned' })],
];

describe.each(configs)('CpuEngine kernels (%s)', (_, config) => {
  const weights = noisyWeights(config, 5);
  const ids = randomIds(config.context, config.vocabSize, 13);

  it('js and simd give logits within 1e-5 at every position (prefill, steps, a second prefill)', () => {
    const js = new CpuEngine(config, weights, { kernel: 'js' });
    const simd = new CpuEngine(config, weights, { kernel: 'simd' });
    expect(js.kernel).toBe('js');
    expect(simd.kernel).toBe('simd');
    expect(maxAbsDiff(simd.prefill(ids.slice(0, 7)), js.prefill(ids.slice(0, 7)))).toBeLessThan(1e-5);
    for (let t = 7; t < 20; t++) expect(maxAbsDiff(simd.step(ids[t]!), js.step(ids[t]!)), `position ${t}`).toBeLessThan(1e-5);
    expect(maxAbsDiff(simd.prefill(ids.slice(20)), js.prefill(ids.slice(20)))).toBeLessThan(1e-5);
    expect(simd.position).toBe(config.context);
    // After a reset, token by token, both against the float64 reference.
    const reference = new ReferenceEngine(config, weights).forwardAll(ids);
    simd.reset();
    js.reset();
    for (let t = 0; t < ids.length; t++) {
      const a = simd.step(ids[t]!);
      const b = js.step(ids[t]!);
      expect(maxAbsDiff(a, b), `position ${t}`).toBeLessThan(1e-5);
      expect(maxAbsDiff(a, reference[t]!), `position ${t}`).toBeLessThan(1e-5);
    }
  });

  it('greedy decoding gives the same tokens with both kernels', () => {
    const sharp = noisyWeights(config, 3, 0.3);
    const prompt = ids.slice(0, 8);
    const js = generate(new CpuEngine(config, sharp, { kernel: 'js' }), prompt, { maxTokens: 24 });
    const simd = generate(new CpuEngine(config, sharp, { kernel: 'simd' }), prompt, { maxTokens: 24 });
    expect(simd).toEqual(js);
    expect(new Set(simd.tokens).size).toBeGreaterThan(1);
  });
});

describe('kernel choice', () => {
  it('defaults to simd, and falls back to js where a width is not a multiple of 4', () => {
    const config = tinyConfig('learned');
    expect(new CpuEngine(config, noisyWeights(config, 1)).kernel).toBe('simd');
    const odd = makeConfig({ vocabSize: 40, context: 16, dModel: 18, heads: 2, layers: 1, positions: 'learned' });
    const engine = new CpuEngine(odd, noisyWeights(odd, 1), { kernel: 'simd' });
    expect(engine.kernel).toBe('js');
    const reference = new ReferenceEngine(odd, noisyWeights(odd, 1)).forwardAll([1, 2, 3]);
    expect(maxAbsDiff(engine.prefill([1, 2, 3]), reference[2]!)).toBeLessThan(1e-5);
  });
});
