// The scalar kernels (one invocation per output block or row, no barriers: the WebGPU engine's set on CPU adapters)
// against float64 plain loops, on odd shapes, as the tiled kernels are tested (linear.test.ts, layernorm.test.ts,
// attention.test.ts), with the same tolerances: 1e-5 of sum |x w| for the linear layers and rowdot, 1e-5 of max|v|
// for attention, 1e-5 relative for LayerNorm; argmax exactly (ties to the lowest id).
import { describe, expect, it } from 'vitest';
import { Prng } from '../../../../agent/lm/prng.ts';
import { maskedArgmax } from '../../../../agent/lm/engine/async.ts';
import { argmax } from '../../../../agent/lm/sampling.ts';
import { allowedMask, NO_TOKEN } from '../../../../agent/lm/webgpu/kernels/argmax.ts';
import { argmaxScalarDispatch, argmaxScalarProgram } from '../../../../agent/lm/webgpu/kernels/argmax-scalar.ts';
import { attentionScalarDispatch, attentionScalarProgram } from '../../../../agent/lm/webgpu/kernels/attention-scalar.ts';
import { linearScalarDispatch, linearScalarProgram } from '../../../../agent/lm/webgpu/kernels/linear-scalar.ts';
import { layerNormScalarDispatch, layerNormScalarProgram, rowdotScalarDispatch, rowdotScalarProgram } from '../../../../agent/lm/webgpu/kernels/rows-scalar.ts';
import { testRunner } from './gpu.ts';
import { applyEpilogue, attentionRef, layerNormRef, linearRef, linearScale, maxAbs, maxAbsError, randomF32, testWeights } from './helpers.ts';

const runner = await testRunner();
const RELATIVE = 1e-5;

describe.skipIf(runner === null)('scalar kernels', () => {
  it('linear [T, K] x [K, N] + b: row blocks of 1 and 4, every epilogue, f32 and int8, odd shapes', async () => {
    const gpu = runner!;
    const rng = new Prng('linear-scalar');
    let worst = 0;
    for (const dtype of ['f32', 'int8'] as const) {
      for (const epilogue of ['bias', 'bias_gelu', 'bias_residual'] as const) {
        for (const [rows, k, n] of [[1, 5, 33], [1, 130, 7], [3, 33, 130], [7, 130, 257], [17, 9, 5]] as const) {
          for (const rowBlock of rows === 1 ? ([1, 4] as const) : ([4] as const)) {
            const x = randomF32(rows * k, rng);
            const w = testWeights(gpu, dtype, k, n, rng);
            const b = randomF32(n, rng, 0.5);
            const before = randomF32(rows * n, rng);
            const y = gpu.buffer(before);
            const program = linearScalarProgram({ dtype, epilogue, rowBlock }, gpu.limits);
            await gpu.run(program, linearScalarDispatch(program, { rows, k, n }, gpu.limits), [gpu.buffer(x), ...w.buffers, gpu.buffer(b), y]);
            const want = applyEpilogue(epilogue, linearRef(x, rows, w.values, b, k, n), before);
            const relative = maxAbsError(await gpu.readF32(y, rows * n), want) / linearScale(x, rows, w.values, b, k, n);
            worst = Math.max(worst, relative);
            expect(relative, `${dtype} ${epilogue} rb ${rowBlock} [${rows}, ${k}] x [${k}, ${n}]`).toBeLessThan(RELATIVE);
          }
        }
      }
    }
    console.info(`linear-scalar: max abs error / sum|xw| = ${worst.toExponential(2)}`);
  });

  it('rowdot over W [R, C], f32 and int8', async () => {
    const gpu = runner!;
    const rng = new Prng('rowdot-scalar');
    for (const dtype of ['f32', 'int8'] as const) {
      for (const [rows, cols] of [[5, 33], [130, 5], [257, 130]] as const) {
        const x = randomF32(cols, rng);
        const w = testWeights(gpu, dtype, rows, cols, rng);
        const y = gpu.buffer(rows * 4);
        const program = rowdotScalarProgram(dtype, gpu.limits);
        await gpu.run(program, rowdotScalarDispatch(program, { rows, cols }, gpu.limits), [gpu.buffer(x), ...w.buffers, y]);
        const wT = new Float32Array(rows * cols);
        for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) wT[c * rows + r] = w.values[r * cols + c]!;
        const relative = maxAbsError(await gpu.readF32(y, rows), linearRef(x, 1, wT, null, cols, rows)) / linearScale(x, 1, wT, null, cols, rows);
        expect(relative, `${dtype} [${rows}, ${cols}]`).toBeLessThan(RELATIVE);
      }
    }
  });

  it('layernorm of every row', async () => {
    const gpu = runner!;
    const rng = new Prng('layernorm-scalar');
    for (const [rows, d] of [[1, 7], [3, 130], [70, 33]] as const) {
      const x = randomF32(rows * d, rng, 3);
      const g = randomF32(d, rng);
      const b = randomF32(d, rng);
      const y = gpu.buffer(rows * d * 4);
      const program = layerNormScalarProgram(gpu.limits);
      await gpu.run(program, layerNormScalarDispatch(program, { rows, d, eps: 1e-5 }, gpu.limits), [gpu.buffer(x), gpu.buffer(g), gpu.buffer(b), y]);
      const want = layerNormRef(x, rows, d, g, b, 1e-5);
      expect(maxAbsError(await gpu.readF32(y, rows * d), want) / maxAbs(want), `[${rows}, ${d}]`).toBeLessThan(RELATIVE);
    }
  });

  it('argmax: the first largest logit, among the ids a bitmask allows, NO_TOKEN when it allows none', async () => {
    const gpu = runner!;
    const rng = new Prng('argmax-scalar');
    for (const vocab of [1, 33, 934]) {
      const logits = randomF32(vocab, rng);
      logits[vocab - 1] = logits[0] = Math.max(...logits); // a tie: the lower id wins
      const allowed = Array.from({ length: vocab }, (_, i) => i).filter((i) => i % 3 === 1);
      const mask = allowedMask(allowed, vocab);
      for (const masked of [false, true]) {
        const out = gpu.buffer(4);
        const program = argmaxScalarProgram(masked);
        await gpu.run(program, argmaxScalarDispatch({ vocab }), [gpu.buffer(logits), ...(masked ? [gpu.buffer(mask)] : []), out]);
        const want = masked ? maskedArgmax(logits, mask) : argmax(logits);
        expect((await gpu.readU32(out, 1))[0], `V ${vocab}, masked ${masked}`).toBe(want < 0 ? NO_TOKEN : want);
      }
    }
  });

  it('attention: T rows at p0 over the cache, odd head sizes', async () => {
    const gpu = runner!;
    const rng = new Prng('attention-scalar');
    let worst = 0;
    for (const [rows, heads, hd, p0] of [[1, 1, 8, 0], [1, 3, 6, 70], [3, 2, 5, 2], [7, 4, 8, 60], [2, 1, 130, 129]] as const) {
      const d = heads * hd;
      const context = p0 + rows + 3;
      const q = randomF32(rows * d, rng, 1.5);
      const kCache = randomF32(context * d, rng, 1.5);
      const vCache = randomF32(context * d, rng, 2);
      const out = gpu.buffer(rows * d * 4);
      const program = attentionScalarProgram(hd, gpu.limits);
      await gpu.run(program, attentionScalarDispatch(program, { rows, heads, d, p0, scale: 1 / Math.sqrt(hd) }, gpu.limits), [
        gpu.buffer(q),
        gpu.buffer(kCache),
        gpu.buffer(vCache),
        out,
      ]);
      const error = maxAbsError(await gpu.readF32(out, rows * d), attentionRef(q, kCache, vCache, rows, heads, d, p0)) / maxAbs(vCache);
      worst = Math.max(worst, error);
      expect(error, `T ${rows}, ${heads} heads x ${hd} at ${p0}`).toBeLessThan(1e-5);
    }
    console.info(`attention-scalar: max abs error / max|v| = ${worst.toExponential(2)}`);
  });
});
