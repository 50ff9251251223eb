// The training path's batched product (agent/lm/batch-matmul.ts) against its reference, tf.matMul, on random
// shapes (odd sizes included), and the fallback where the SIMD gemm does not apply.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchMatMul, batchMatMulPath } from '../../../agent/lm/batch-matmul.ts';
import { lmSimdAvailable } from '../../../agent/lm/engine/simd.ts';
import { Prng } from '../../../agent/lm/prng.ts';
import { useWasmBackend } from '../../../agent/lm/wasm-backend.ts';

beforeAll(async () => {
  await useWasmBackend();
});

function random(rng: Prng, shape: number[]): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => rng.normal()), shape, 'float32');
}

describe('batchMatMul', () => {
  it('takes the SIMD path on this machine for every rank-3 product, n a multiple of 4 or not', () => {
    expect(lmSimdAvailable()).toBe(true);
    const rng = new Prng('batch-matmul-path');
    for (const n of [32, 321, 30, 1]) expect(batchMatMulPath(random(rng, [2, 5, 3]), random(rng, [2, 3, n])), `n ${n}`).toBe('simd');
    expect(batchMatMulPath(random(rng, [5, 3]), random(rng, [3, 4]))).toBe('tfjs');
  });

  it('computes an n that is not a multiple of 4 as the first n columns of the product widened by zero columns', () => {
    // The attention's scores of an odd-length batch ([G, T, hd] x [G, hd, T], T = 321) took tfjs-wasm's batched
    // loop before; now they are the SIMD product of the widened operand, bit for bit.
    const rng = new Prng('batch-matmul-odd');
    for (const [G, m, k, n] of [[32, 321, 32, 321], [3, 5, 7, 1], [2, 9, 6, 6], [4, 13, 9, 10]] as const) {
      const n4 = Math.ceil(n / 4) * 4;
      const a = random(rng, [G, m, k]);
      const b = random(rng, [G, k, n]);
      const wide = tf.concat([b, tf.zeros([G, k, n4 - n])], 2);
      const got = batchMatMul(a, b).dataSync();
      const widened = tf.slice(batchMatMul(a, wide), [0, 0, 0], [G, m, n]).dataSync();
      expect(got.length).toBe(G * m * n);
      expect(Array.from(got), `[${G}, ${m}, ${k}] x [${G}, ${k}, ${n}]`).toEqual(Array.from(widened));
    }
  });

  it('equals tf.matMul within 1e-4 relative on random shapes, odd sizes and growing workspaces included', () => {
    const rng = new Prng('batch-matmul');
    // [G, m, k, n]: the attention's shapes, odd m and k, one column panel and several, n not a multiple of 4.
    const shapes: [number, number, number, number][] = [
      [1, 1, 1, 4],
      [3, 5, 7, 8],
      [2, 33, 17, 36],
      [8, 41, 16, 44],
      [32, 61, 32, 64],
      [4, 13, 9, 10],
      [5, 7, 3, 1],
      [32, 321, 32, 321],
      [64, 120, 120, 32],
    ];
    for (const [G, m, k, n] of shapes) {
      const a = random(rng, [G, m, k]);
      const b = random(rng, [G, k, n]);
      const fast = batchMatMul(a, b);
      const reference = tf.matMul(a, b);
      expect(fast.shape).toEqual([G, m, n]);
      const got = fast.dataSync();
      const want = reference.dataSync();
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / (1 + Math.abs(want[i]!)));
      expect(worst, `[${G}, ${m}, ${k}] x [${G}, ${k}, ${n}]`).toBeLessThan(1e-4);
      tf.dispose([a, b, fast, reference]);
    }
  });

  it('passes rank-2 products to tf.matMul and rejects mismatched operands', () => {
    const rng = new Prng('batch-matmul-2d');
    const a = random(rng, [5, 3]);
    const b = random(rng, [3, 4]);
    expect(Array.from(batchMatMul(a, b).dataSync())).toEqual(Array.from(tf.matMul(a, b).dataSync()));
    expect(() => batchMatMul(random(rng, [2, 3, 4]), random(rng, [3, 4, 4]))).toThrow(RangeError);
    expect(() => batchMatMul(random(rng, [2, 3, 4]), random(rng, [2, 5, 4]))).toThrow(RangeError);
  });
});
