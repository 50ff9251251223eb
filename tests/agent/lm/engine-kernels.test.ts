// CpuEngine's two kernels, 'js' (plain loops, the reference) and 'simd' (WebAssembly, engine/simd.ts), on the same
// weights: logits within 1e-5 at every position and identical greedy tokens.
import { describe, expect, it } from 'vitest';
import { makeConfig, type ModelConfig } from '../../../agent/lm/config.ts';
import { CpuEngine } from '../../../agent/lm/engine/cpu.ts';
import { ReferenceEngine } from '../../../agent/lm/engine/reference.ts';
import { GEMM_PANEL, gemmPanels, lmKernels, lmModuleBytes, lmSimdAvailable } from '../../../agent/lm/engine/simd.ts';
import { generate } from '../../../agent/lm/sampling.ts';
import { maxAbsDiff, noisyWeights, randomIds, tinyConfig } from './helpers.ts';

describe('the SIMD module', () => {
  it('is valid WebAssembly and available in Node', () => {
    expect(WebAssembly.validate(lmModuleBytes())).toBe(true);
    expect(lmSimdAvailable()).toBe(true);
  });

  it('matvec equals plain loops (strides, bias, tails of 4)', () => {
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
    }
  });
});

describe('softmax and gelu', () => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const k = lmKernels(memory)!;
  const f = new Float32Array(memory.buffer);

  it('softmax: exp(s scale - max) within 4e-6 relative of Math.exp, and their total, over odd lengths padded with -inf', () => {
    for (const n of [1, 3, 4, 37, 250]) {
      const n4 = (n + 3) & ~3;
      const src = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7) * 25);
      f.set(src, 0);
      f.fill(-Infinity, n, n4);
      const scale = 0.35;
      const total = k.softmax(0, n4, scale);
      const max = Math.max(...Array.from(src, (v) => Math.fround(v * scale)));
      let want = 0;
      for (let j = 0; j < n; j++) {
        const e = Math.exp(Math.fround(src[j]! * scale) - max);
        want += e;
        expect(Math.abs(f[j]! - e) / e, `n ${n}, j ${j}`).toBeLessThan(4e-6);
      }
      for (let j = n; j < n4; j++) expect(f[j]).toBeLessThan(1e-37);
      expect(Math.abs(total - want) / want).toBeLessThan(1e-6);
    }
  });

  it('gelu: the tanh GELU within 1e-6 (relative, or absolute near 0), saturating cleanly', () => {
    const xs = Float32Array.from({ length: 4000 }, (_, i) => (i - 2000) / 97);
    f.set(xs, 0);
    k.gelu(0, xs.length);
    for (let i = 0; i < xs.length; i++) {
      const u = xs[i]!;
      const g = 0.5 * u * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (u + 0.044715 * u * u * u)));
      expect(Math.abs(f[i]! - g) / Math.max(1e-2, Math.abs(g)), `gelu(${u})`).toBeLessThan(1e-6);
    }
    f.set([-1e30, -100, 100, 1e30], 0);
    k.gelu(0, 4);
    expect(Math.abs(f[0]!)).toBeLessThan(1e-8); // u / (1 + exp(88.3)): the clamp leaves |u| / 2e38
    expect(Math.abs(f[1]!)).toBeLessThan(1e-30);
    expect(Array.from(f.subarray(2, 4))).toEqual([100, Math.fround(1e30)]);
  });
});

describe('gemm', () => {
  /** Y[r, c] = b[c] + (((0 + x0 w0) + x1 w1) + ...) in float32, the order gemm promises. */
  function expected(x: Float32Array, w: Float32Array, b: Float32Array, n: number, cols: number, rows: number): Float32Array {
    const y = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        let acc = 0;
        for (let i = 0; i < n; i++) acc = Math.fround(acc + Math.fround(x[r * n + i]! * w[i * cols + c]!));
        y[r * cols + c] = Math.fround(acc + b[c]!);
      }
    }
    return y;
  }

  it('lays W out in panels of GEMM_PANEL columns, a last narrower one included', () => {
    const [n, cols] = [3, GEMM_PANEL + 4];
    const w = Float32Array.from({ length: n * cols }, (_, k) => k);
    const panels = gemmPanels(w, n, cols);
    // Panel 0: rows of GEMM_PANEL columns; panel 1: rows of 4.
    expect(Array.from(panels.subarray(0, 2))).toEqual([0, 1]);
    expect(panels[GEMM_PANEL]).toBe(cols);
    expect(Array.from(panels.subarray(n * GEMM_PANEL))).toEqual([32, 33, 34, 35, 68, 69, 70, 71, 104, 105, 106, 107]);
    expect(() => gemmPanels(w, n, cols + 1)).toThrow(RangeError);
  });

  it('equals the in-order float32 sum exactly, for odd sizes, and gives every row the same bits however many rows come at once', () => {
    const memory = new WebAssembly.Memory({ initial: 16 });
    const k = lmKernels(memory)!;
    const f = new Float32Array(memory.buffer);
    const rng = (seed: number) => (i: number): number => Math.sin(i * 0.37 + seed) * 2;
    const [W, X, B, Y] = [0, 80_000, 100_000, 110_000]; // float offsets
    for (const [n, cols, rows] of [[1, 4, 1], [5, 12, 7], [33, 36, 9], [20, 68, 4], [7, 100, 3], [64, 96, 6], [128, 384, 11]] as const) {
      const w = Float32Array.from({ length: n * cols }, (_, i) => rng(1)(i));
      const x = Float32Array.from({ length: rows * n }, (_, i) => rng(2)(i));
      const b = Float32Array.from({ length: cols }, (_, i) => rng(3)(i));
      const want = expected(x, w, b, n, cols, rows);
      f.set(gemmPanels(w, n, cols), W);
      f.set(b, B);
      // Rows of X and Y with padding between them (strides in bytes).
      const [xs, ys] = [n + 3, cols + 4];
      for (let r = 0; r < rows; r++) f.set(x.subarray(r * n, (r + 1) * n), X + r * xs);
      k.gemm(W * 4, X * 4, B * 4, Y * 4, n, cols, rows, xs * 4, ys * 4);
      for (let r = 0; r < rows; r++) expect(f.slice(Y + r * ys, Y + r * ys + cols), `[${n}, ${cols}] x ${rows}, row ${r}`).toEqual(want.subarray(r * cols, (r + 1) * cols));
      // Row by row: the same bits.
      for (let r = 0; r < rows; r++) {
        k.gemm(W * 4, (X + r * xs) * 4, B * 4, Y * 4, n, cols, 1, xs * 4, ys * 4);
        expect(f.slice(Y, Y + cols)).toEqual(want.subarray(r * cols, (r + 1) * cols));
      }
    }
  });
});

const configs: [string, ModelConfig][] = [
  ['learned', tinyConfig('learned')],
  ['rope', tinyConfig('rope')],
  // d 40, head 20: the 16-float steps and their tails of 4 in every product
  ['learned, d 40', makeConfig({ vocabSize: 72, context: 40, dModel: 40, heads: 2, layers: 2, positions: 'learned' })],
  // d 24, head 12: widths 24, 72, 96 that are not whole gemm panels
  ['rope, d 24', makeConfig({ vocabSize: 50, context: 37, dModel: 24, heads: 2, layers: 2, positions: 'rope' })],
  // head 64: two value panels; context 70: three key panels, prompts in three blocks of attention rows
  ['rope, head 64', makeConfig({ vocabSize: 60, context: 70, dModel: 128, heads: 2, layers: 1, positions: 'rope' })],
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

  it.each(['js', 'simd'] as const)('%s: the prompt split into prefill calls of 1..6 tokens gives the same bits as whole', (kernel) => {
    const whole = new CpuEngine(config, weights, { kernel });
    const split = new CpuEngine(config, weights, { kernel });
    const expected = whole.prefill(ids);
    for (const seed of [1, 2]) {
      split.reset();
      let got: Float32Array = new Float32Array(0);
      for (let i = 0, k = seed; i < ids.length; k++) {
        const n = 1 + ((k * 7) % 6);
        got = split.prefill(ids.slice(i, i + n));
        i += n;
      }
      expect(got).toEqual(expected);
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
