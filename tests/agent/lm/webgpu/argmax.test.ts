// Argmax on WebGPU (only the id read back): exact on random logits with a unique maximum, the lowest index on ties
// (as sampling.ts argmax), and with a grammar bitmask only allowed ids win; none allowed gives NO_TOKEN.
import { describe, expect, it } from 'vitest';
import { Prng } from '../../../../agent/lm/prng.ts';
import { argmax } from '../../../../agent/lm/sampling.ts';
import { allowedMask, argmaxDispatch, argmaxProgram, NO_TOKEN } from '../../../../agent/lm/webgpu/kernels/argmax.ts';
import type { KernelRunner } from '../../../../agent/lm/webgpu/run-kernel.ts';
import { testRunner } from './gpu.ts';
import { randomF32 } from './helpers.ts';

const runner = await testRunner();

async function gpuArgmax(gpu: KernelRunner, logits: Float32Array, allowed: number[] | null): Promise<number> {
  const out = gpu.buffer(4);
  const program = argmaxProgram(allowed !== null, gpu.limits);
  const mask = allowed === null ? [] : [gpu.buffer(allowedMask(allowed, logits.length))];
  await gpu.run(program, argmaxDispatch({ vocab: logits.length }), [gpu.buffer(logits), ...mask, out]);
  return (await gpu.readU32(out, 1))[0]!;
}

describe.skipIf(runner === null)('argmax kernel', () => {
  it('finds the largest logit exactly (V = 1, 5, 33, 257, 8191)', async () => {
    const gpu = runner!;
    const rng = new Prng('argmax');
    for (const vocab of [1, 5, 33, 257, 8191]) {
      for (let trial = 0; trial < 3; trial++) {
        const logits = randomF32(vocab, rng, 10);
        expect(await gpuArgmax(gpu, logits, null), `V ${vocab}`).toBe(argmax(logits));
      }
    }
  });

  it('takes the lowest index on ties, as the CPU argmax', async () => {
    const gpu = runner!;
    const logits = new Float32Array(300).fill(-1);
    logits[250] = 3;
    logits[17] = 3;
    logits[260] = 3;
    expect(await gpuArgmax(gpu, logits, null)).toBe(17);
    expect(argmax(logits)).toBe(17);
  });

  it('with a mask, the largest allowed logit wins; none allowed gives NO_TOKEN', async () => {
    const gpu = runner!;
    const rng = new Prng('argmax-mask');
    for (const vocab of [5, 33, 257, 8191]) {
      const logits = randomF32(vocab, rng, 10);
      const allowed = Array.from({ length: vocab }, (_, i) => i).filter(() => rng.next() < 0.2);
      if (allowed.length === 0) allowed.push(vocab - 1);
      const want = allowed.reduce((best, i) => (logits[i]! > logits[best]! ? i : best), allowed[0]!);
      expect(await gpuArgmax(gpu, logits, allowed), `V ${vocab}`).toBe(want);
    }
    const logits = randomF32(100, rng);
    expect(await gpuArgmax(gpu, logits, [99])).toBe(99);
    expect(await gpuArgmax(gpu, logits, [])).toBe(NO_TOKEN);
  });
});
