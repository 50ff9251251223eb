// The linear kernels on WebGPU against float64 plain loops: matmul (prompt rows) and matvec (one row) with each
// epilogue, rowdot (the tied output projection), F32 weights and int8 weights (checkpoint.ts quantizeInt8)
// dequantized in the kernel, compared with the plain loops over dequantize()'s F32 weights.
// Tolerance: an f32 sum of K products differs from the exact one by a few ulps of sum |x w| (1e-5 of it here).
import { describe, expect, it } from 'vitest';
import { Prng } from '../../../../agent/lm/prng.ts';
import type { Epilogue } from '../../../../agent/lm/webgpu/kernels/epilogue.ts';
import { matmulDispatch, matmulProgram } from '../../../../agent/lm/webgpu/kernels/matmul.ts';
import { matvecDispatch, matvecProgram } from '../../../../agent/lm/webgpu/kernels/matvec.ts';
import type { WeightDtype } from '../../../../agent/lm/webgpu/kernels/program.ts';
import { rowdotDispatch, rowdotProgram } from '../../../../agent/lm/webgpu/kernels/rowdot.ts';
import { testRunner } from './gpu.ts';
import { applyEpilogue, geluRef, linearRef, linearScale, maxAbsError, randomF32, testWeights } from './helpers.ts';

const runner = await testRunner();
const RELATIVE = 1e-5;

const DTYPES: WeightDtype[] = ['f32', 'int8'];
const EPILOGUES: Epilogue[] = ['bias', 'bias_gelu', 'bias_residual'];

describe.skipIf(runner === null)('linear kernels', () => {
  it('matmul [T, K] x [K, N] + b: every epilogue, f32 and int8, odd shapes', async () => {
    const gpu = runner!;
    const rng = new Prng('matmul');
    const shapes = [[1, 5, 33], [3, 33, 130], [7, 130, 257], [17, 257, 5]] as const;
    for (const dtype of DTYPES) {
      for (const epilogue of EPILOGUES) {
        let worst = 0;
        for (const [rows, k, n] of shapes) {
          const x = randomF32(rows * k, rng);
          const w = testWeights(gpu, dtype, k, n, rng);
          const b = randomF32(n, rng, 0.5);
          const before = randomF32(rows * n, rng);
          const y = gpu.buffer(before);
          const program = matmulProgram({ dtype, epilogue }, gpu.limits);
          await gpu.run(program, matmulDispatch(program, { rows, k, n }), [gpu.buffer(x), ...w.buffers, gpu.buffer(b), y]);
          const want = applyEpilogue(epilogue, linearRef(x, rows, w.values, b, k, n), before);
          const relative = maxAbsError(await gpu.readF32(y, rows * n), want) / linearScale(x, rows, w.values, b, k, n);
          worst = Math.max(worst, relative);
          expect(relative, `${dtype} ${epilogue} [${rows}, ${k}] x [${k}, ${n}]`).toBeLessThan(RELATIVE);
        }
        console.info(`matmul ${dtype} ${epilogue}: max abs error / sum|xw| = ${worst.toExponential(2)}`);
      }
    }
  });

  it('matvec [K] x [K, N] + b: every epilogue, f32 and int8, odd shapes', async () => {
    const gpu = runner!;
    const rng = new Prng('matvec');
    const shapes = [[5, 33], [33, 130], [130, 257], [257, 5], [64, 64]] as const;
    for (const dtype of DTYPES) {
      for (const epilogue of EPILOGUES) {
        let worst = 0;
        for (const [k, n] of shapes) {
          const x = randomF32(k, rng);
          const w = testWeights(gpu, dtype, k, n, rng);
          const b = randomF32(n, rng, 0.5);
          const before = randomF32(n, rng);
          const y = gpu.buffer(before);
          const program = matvecProgram({ dtype, epilogue }, gpu.limits);
          await gpu.run(program, matvecDispatch(program, { k, n }, gpu.limits), [gpu.buffer(x), ...w.buffers, gpu.buffer(b), y]);
          const want = applyEpilogue(epilogue, linearRef(x, 1, w.values, b, k, n), before);
          const relative = maxAbsError(await gpu.readF32(y, n), want) / linearScale(x, 1, w.values, b, k, n);
          worst = Math.max(worst, relative);
          expect(relative, `${dtype} ${epilogue} [${k}] x [${k}, ${n}]`).toBeLessThan(RELATIVE);
        }
        console.info(`matvec ${dtype} ${epilogue}: max abs error / sum|xw| = ${worst.toExponential(2)}`);
      }
    }
  });

  it('rowdot: logits[r] = x . W[r] over W [R, C] (the tied wte), f32 and int8 with per-row scales', async () => {
    const gpu = runner!;
    const rng = new Prng('rowdot');
    for (const dtype of DTYPES) {
      let worst = 0;
      for (const [rows, cols] of [[5, 33], [130, 5], [257, 130], [33, 257]] as const) {
        const x = randomF32(cols, rng);
        const w = testWeights(gpu, dtype, rows, cols, rng);
        const y = gpu.buffer(rows * 4);
        const program = rowdotProgram(dtype, cols, gpu.limits);
        await gpu.run(program, rowdotDispatch({ rows, cols }, gpu.limits), [gpu.buffer(x), ...w.buffers, y]);
        // x . W[r] is x [1, C] times W^T: the reference multiplies by the transpose.
        const wT = new Float32Array(rows * cols);
        for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) wT[c * rows + r] = w.values[r * cols + c]!;
        const relative = maxAbsError(await gpu.readF32(y, rows), linearRef(x, 1, wT, null, cols, rows)) / linearScale(x, 1, wT, null, cols, rows);
        worst = Math.max(worst, relative);
        expect(relative, `${dtype} [${rows}, ${cols}]`).toBeLessThan(RELATIVE);
      }
      console.info(`rowdot ${dtype}: max abs error / sum|xw| = ${worst.toExponential(2)}`);
    }
  });

  it('the GELU epilogue is the tanh form within 1e-6 (relative above 1) from -1e4 to 1e4, never NaN', async () => {
    // matvec with x = [0]: y = gelu(bias), so the bias carries the test values.
    const gpu = runner!;
    const values = Float32Array.from([-1e4, -100, -30, -10, -5, -3, -1, -0.5, -1e-3, 0, 1e-3, 0.5, 1, 3, 5, 10, 30, 100, 1e4]);
    const n = values.length;
    const y = gpu.buffer(n * 4);
    const program = matvecProgram({ dtype: 'f32', epilogue: 'bias_gelu' }, gpu.limits);
    await gpu.run(program, matvecDispatch(program, { k: 1, n }, gpu.limits), [gpu.buffer(new Float32Array(1)), gpu.buffer(new Float32Array(n)), gpu.buffer(values), y]);
    const got = await gpu.readF32(y, n);
    let worst = 0;
    values.forEach((u, i) => {
      const want = geluRef(u);
      const error = Math.abs(got[i]! - want) / Math.max(1, Math.abs(want));
      worst = Math.max(worst, error);
      expect(error, `gelu(${u}) = ${got[i]}, want ${want}`).toBeLessThan(1e-6);
    });
    console.info(`gelu: max error ${worst.toExponential(2)}`);
  });
});
