// The attention path on WebGPU: qkv-split (rotary positions as rope.ts and cpu.ts apply them, k and v appended to
// the cache) and causal multi-head attention over the cache, against float64 plain loops.
import { describe, expect, it } from 'vitest';
import { Prng } from '../../../../agent/lm/prng.ts';
import { ropeTables } from '../../../../agent/lm/rope.ts';
import { attentionDispatch, attentionProgram } from '../../../../agent/lm/webgpu/kernels/attention.ts';
import { qkvSplitDispatch, qkvSplitProgram } from '../../../../agent/lm/webgpu/kernels/qkv-split.ts';
import { testRunner } from './gpu.ts';
import { attentionRef, maxAbs, maxAbsError, randomF32, rotateRef } from './helpers.ts';

const runner = await testRunner();

describe.skipIf(runner === null)('attention kernels', () => {
  it.each(['rope', 'learned'] as const)('qkv-split (%s): q out, k and v into cache rows p0..p0+T-1, other rows untouched', async (positions) => {
    const gpu = runner!;
    const rng = new Prng(`qkv-${positions}`);
    let worst = 0;
    for (const [rows, heads, hd, p0, context] of [[1, 1, 6, 0, 4], [3, 3, 10, 5, 9], [7, 2, 34, 20, 40]] as const) {
      const d = heads * hd;
      const qkv = randomF32(rows * 3 * d, rng, 2);
      const sentinel = new Float32Array(context * d).fill(7);
      const q = gpu.buffer(rows * d * 4);
      const kCache = gpu.buffer(sentinel);
      const vCache = gpu.buffer(sentinel);
      const rope = ropeTables(context, hd);
      const tables = positions === 'rope' ? [gpu.buffer(rope.cos), gpu.buffer(rope.sin)] : [];
      const program = qkvSplitProgram(positions, gpu.limits);
      await gpu.run(program, qkvSplitDispatch(program, { rows, d, hd, p0 }, gpu.limits), [gpu.buffer(qkv), ...tables, q, kCache, vCache]);
      const wantQ = new Float64Array(rows * d);
      const wantK = Float64Array.from(sentinel);
      const wantV = Float64Array.from(sentinel);
      for (let t = 0; t < rows; t++) {
        const row = Float64Array.from(qkv.subarray(t * 3 * d, (t + 1) * 3 * d));
        if (positions === 'rope') {
          for (let h = 0; h < heads; h++) {
            rotateRef(row, h * hd, hd, p0 + t, rope.cos, rope.sin);
            rotateRef(row, d + h * hd, hd, p0 + t, rope.cos, rope.sin);
          }
        }
        wantQ.set(row.subarray(0, d), t * d);
        wantK.set(row.subarray(d, 2 * d), (p0 + t) * d);
        wantV.set(row.subarray(2 * d), (p0 + t) * d);
      }
      const error = Math.max(
        maxAbsError(await gpu.readF32(q, rows * d), wantQ),
        maxAbsError(await gpu.readF32(kCache, context * d), wantK),
        maxAbsError(await gpu.readF32(vCache, context * d), wantV),
      );
      worst = Math.max(worst, error);
      // One rotation: two products and a difference of values up to 2, each rounded in F32 (an ulp at 2 is 2.4e-7).
      expect(error, `T ${rows}, ${heads} x ${hd} at ${p0}`).toBeLessThan(1e-6);
    }
    console.info(`qkv-split ${positions}: max abs error ${worst.toExponential(2)}`);
  });

  it('attention: T rows at p0 over the cache, odd head sizes, chunks of keys beyond one workgroup', async () => {
    const gpu = runner!;
    const rng = new Prng('attention');
    let worst = 0;
    for (const [rows, heads, hd, p0] of [[1, 1, 8, 0], [1, 3, 6, 70], [3, 2, 5, 2], [7, 4, 8, 60], [2, 1, 130, 129], [1, 2, 33, 200]] as const) {
      const d = heads * hd;
      const context = p0 + rows + 3; // rows past the last one attended hold values that must not count
      const q = randomF32(rows * d, rng, 1.5);
      const kCache = randomF32(context * d, rng, 1.5);
      const vCache = randomF32(context * d, rng, 2);
      const out = gpu.buffer(rows * d * 4);
      await gpu.run(attentionProgram(hd, gpu.limits), attentionDispatch({ rows, heads, d, p0, scale: 1 / Math.sqrt(hd) }, gpu.limits), [
        gpu.buffer(q),
        gpu.buffer(kCache),
        gpu.buffer(vCache),
        out,
      ]);
      const error = maxAbsError(await gpu.readF32(out, rows * d), attentionRef(q, kCache, vCache, rows, heads, d, p0)) / maxAbs(vCache);
      worst = Math.max(worst, error);
      expect(error, `T ${rows}, ${heads} heads x ${hd} at ${p0}`).toBeLessThan(1e-5);
    }
    console.info(`attention: max abs error / max|v| = ${worst.toExponential(2)}`);
  });
});
