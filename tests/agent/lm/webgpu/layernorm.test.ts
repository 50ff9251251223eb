// LayerNorm on WebGPU against float64 plain loops, rows of odd widths.
import { describe, expect, it } from 'vitest';
import { Prng } from '../../../../agent/lm/prng.ts';
import { layerNormDispatch, layerNormProgram } from '../../../../agent/lm/webgpu/kernels/layernorm.ts';
import { testRunner } from './gpu.ts';
import { layerNormRef, maxAbsError, randomF32 } from './helpers.ts';

const runner = await testRunner();

describe.skipIf(runner === null)('layernorm kernel', () => {
  it('equals the float64 reference within 2e-5 (values of order 1) for widths 5, 33, 130, 257', async () => {
    const gpu = runner!;
    const rng = new Prng('layernorm');
    for (const [rows, d] of [[1, 5], [3, 33], [7, 130], [2, 257]] as const) {
      const eps = 1e-5;
      const x = randomF32(rows * d, rng, 3);
      for (let i = 0; i < x.length; i++) x[i] = x[i]! + 0.5; // a mean away from 0
      const g = randomF32(d, rng, 1.5);
      const b = randomF32(d, rng, 0.5);
      const y = gpu.buffer(rows * d * 4);
      await gpu.run(layerNormProgram(d, gpu.limits), layerNormDispatch({ rows, d, eps }, gpu.limits), [gpu.buffer(x), gpu.buffer(g), gpu.buffer(b), y]);
      const got = await gpu.readF32(y, rows * d);
      const error = maxAbsError(got, layerNormRef(x, rows, d, g, b, eps));
      console.info(`layernorm [${rows}, ${d}]: max abs error ${error.toExponential(2)}`);
      expect(error, `[${rows}, ${d}]`).toBeLessThan(2e-5);
    }
  });
});
