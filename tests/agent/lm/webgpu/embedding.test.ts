// Embedding lookup on WebGPU: token rows (+ learned position rows), F32 or int8 tables, against plain loops over
// the same F32 values (int8: dequantize()'s). Both sides round the same products and sums once to F32: exact.
import { describe, expect, it } from 'vitest';
import { dequantize, quantizeInt8 } from '../../../../agent/lm/checkpoint.ts';
import { Prng } from '../../../../agent/lm/prng.ts';
import { embeddingDispatch, embeddingProgram, type EmbeddingVariant } from '../../../../agent/lm/webgpu/kernels/embedding.ts';
import type { WeightDtype } from '../../../../agent/lm/webgpu/kernels/program.ts';
import { packInt8 } from '../../../../agent/lm/webgpu/pack.ts';
import type { KernelRunner } from '../../../../agent/lm/webgpu/run-kernel.ts';
import { testRunner } from './gpu.ts';
import { maxAbsError, randomF32 } from './helpers.ts';

const runner = await testRunner();

/** A table [rows, d] as bound, and the F32 values it stands for. */
function table(gpu: KernelRunner, dtype: WeightDtype, rows: number, d: number, rng: Prng): { values: Float32Array; buffers: GPUBuffer[] } {
  const data = randomF32(rows * d, rng, 0.7);
  switch (dtype) {
    case 'f32':
      return { values: data, buffers: [gpu.buffer(data)] };
    case 'int8': {
      const stored = quantizeInt8(new Map([['t', { shape: [rows, d], data }]]));
      const q = stored.get('t')!;
      const scale = stored.get('t.scale')!;
      if (q.dtype !== 'I8' || scale.dtype !== 'F32') throw new Error('quantizeInt8 gave no I8 tensor');
      return { values: dequantize(stored).get('t')!.data, buffers: [gpu.buffer(packInt8(q.data, rows, d)), gpu.buffer(scale.data)] };
    }
  }
}

describe.skipIf(runner === null)('embedding kernel', () => {
  const variants: EmbeddingVariant[] = [
    { token: 'f32', position: 'f32' },
    { token: 'f32', position: 'none' },
    { token: 'int8', position: 'int8' },
    { token: 'int8', position: 'none' },
  ];
  it.each(variants)('token $token, positions $position: x[t] = wte[id] (+ wpe[p0 + t]) exactly', async (variant) => {
    const gpu = runner!;
    const rng = new Prng(`embedding-${variant.token}-${variant.position}`);
    for (const [vocab, context, d, rows, p0] of [[7, 9, 5, 1, 0], [33, 16, 33, 3, 5], [130, 20, 130, 7, 13]] as const) {
      const wte = table(gpu, variant.token, vocab, d, rng);
      const wpe = variant.position === 'none' ? null : table(gpu, variant.position, context, d, rng);
      const ids = Uint32Array.from({ length: rows }, () => rng.nextUint32() % vocab);
      const x = gpu.buffer(rows * d * 4);
      const program = embeddingProgram(variant, gpu.limits);
      await gpu.run(program, embeddingDispatch(program, { rows, d, p0 }, gpu.limits), [gpu.buffer(ids), ...wte.buffers, ...(wpe?.buffers ?? []), x]);
      const want = new Float32Array(rows * d);
      for (let t = 0; t < rows; t++) {
        for (let i = 0; i < d; i++) want[t * d + i] = wte.values[ids[t]! * d + i]! + (wpe === null ? 0 : wpe.values[(p0 + t) * d + i]!);
      }
      expect(maxAbsError(await gpu.readF32(x, rows * d), want), `[${rows}, ${d}] at ${p0}`).toBe(0);
    }
  });
});
