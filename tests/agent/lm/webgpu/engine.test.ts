// WebGpuEngine against CpuEngine on small random-weight models of odd sizes (both position schemes, both kernel
// sets: tiled for GPUs, scalar for CPU adapters): logits of a
// prefill and of decode steps within 1e-4 of the largest logit magnitude (F32 sums in another order), greedy ids
// equal (masked by a grammar bitmask too, with the unconstrained id beside), truncate and prefix reuse giving what a
// fresh engine gives, and int8 weights kept int8 on the GPU against the CPU engine on the dequantized weights.
import { describe, expect, it } from 'vitest';
import { dequantize, quantizeInt8 } from '../../../../agent/lm/checkpoint.ts';
import { makeConfig, type ModelConfig, type PositionKind } from '../../../../agent/lm/config.ts';
import { CpuAsyncEngine, keepPrefix, maskedArgmax } from '../../../../agent/lm/engine/async.ts';
import { CpuEngine } from '../../../../agent/lm/engine/cpu.ts';
import { argmax } from '../../../../agent/lm/sampling.ts';
import type { NamedTensors } from '../../../../agent/lm/tensors.ts';
import { WebGpuEngine, type KernelSet } from '../../../../agent/lm/webgpu/engine.ts';
import type { EngineWeights } from '../../../../agent/lm/webgpu/engine-weights.ts';
import { allowedMask } from '../../../../agent/lm/webgpu/kernels/argmax.ts';
import { noisyWeights, randomIds } from '../helpers.ts';
import { testRunner } from './gpu.ts';
import { maxAbs, maxAbsError } from './helpers.ts';

const runner = await testRunner();

/** Tolerance of a logit, relative to the largest logit magnitude. */
const TOLERANCE = 1e-4;

const oddConfig = (positions: PositionKind): ModelConfig => makeConfig({ vocabSize: 101, context: 40, dModel: 36, heads: 3, layers: 2, positions });

const relError = (got: Float32Array, want: Float32Array): number => maxAbsError(got, want) / maxAbs(want);

async function pair(config: ModelConfig, gpuWeights: EngineWeights, cpuWeights: NamedTensors, kernels: KernelSet = 'scalar'): Promise<{ gpu: WebGpuEngine; cpu: CpuEngine }> {
  return { gpu: await WebGpuEngine.create(runner!, config, gpuWeights, { kernels }), cpu: new CpuEngine(config, cpuWeights) };
}

const CASES = [
  { positions: 'rope', kernels: 'tiled' },
  { positions: 'learned', kernels: 'tiled' },
  { positions: 'rope', kernels: 'scalar' },
  { positions: 'learned', kernels: 'scalar' },
] as const;

describe.skipIf(runner === null)('WebGpuEngine', () => {
  it.each(CASES)('$positions positions, $kernels kernels: prefill, steps, greedy and masked greedy as the CPU engine', async ({ positions, kernels }) => {
    const config = oddConfig(positions);
    const weights = noisyWeights(config, 3);
    const { gpu, cpu } = await pair(config, weights, weights, kernels);
    const prompt = randomIds(11, config.vocabSize, 5);
    let worst = relError(await gpu.prefill(prompt), cpu.prefill(prompt));
    let next = prompt[0]!;
    for (let i = 0; i < 5; i++) {
      const logits = cpu.step(next);
      worst = Math.max(worst, relError(await gpu.step(next), logits));
      next = argmax(logits);
    }
    // Greedy: one id back; with a mask, the best allowed id and the unconstrained one beside it.
    const logits = cpu.step(next);
    expect(await gpu.greedyStep(next)).toBe(argmax(logits));
    expect(gpu.lastBest).toBe(argmax(logits));
    const mask = allowedMask([3, 17, 50, 99, 100], config.vocabSize);
    const logits2 = cpu.prefill([4, 9]);
    expect(await gpu.greedyPrefill([4, 9], mask)).toBe(maskedArgmax(logits2, mask));
    expect(gpu.lastBest).toBe(argmax(logits2));
    expect(gpu.position).toBe(cpu.position);
    expect(gpu.tokens).toEqual(cpu.tokens);
    await expect(gpu.greedyStep(1, new Uint32Array(Math.ceil(config.vocabSize / 32)))).rejects.toThrow(RangeError);
    expect(worst).toBeLessThan(TOLERANCE);
    console.info(`engine ${positions} ${kernels}: max |logit error| / max|logit| = ${worst.toExponential(2)}`);
    gpu.destroy();
  });

  it.each(['tiled', 'scalar'] as const)('%s kernels: truncate and prefix reuse give what a fresh engine gives', async (kernels) => {
    const config = oddConfig('rope');
    const weights = noisyWeights(config, 8);
    const { gpu, cpu } = await pair(config, weights, weights, kernels);
    const first = randomIds(14, config.vocabSize, 1);
    const second = [...first.slice(0, 9), ...randomIds(6, config.vocabSize, 2)];
    await gpu.prefill(first);
    await gpu.step(7);
    const reused = keepPrefix(gpu, second);
    expect(reused).toBe(9);
    const got = await gpu.prefill(second.slice(reused));
    const want = cpu.prefill(second);
    expect(relError(got, want)).toBeLessThan(TOLERANCE);
    expect(gpu.tokens).toEqual(second);
    gpu.reset();
    expect(gpu.position).toBe(0);
    expect(relError(await gpu.prefill(second.slice(0, 3)), new CpuEngine(config, weights).prefill(second.slice(0, 3)))).toBeLessThan(TOLERANCE);
    expect(() => gpu.truncate(4)).toThrow(RangeError);
    await expect(gpu.prefill(randomIds(38, config.vocabSize, 3))).rejects.toThrow(RangeError);
    gpu.destroy();
  });

  it.each(CASES)('$positions positions, $kernels kernels: int8 weights on the GPU as the CPU engine on the dequantized weights', async ({ positions, kernels }) => {
    const config = oddConfig(positions);
    const stored = quantizeInt8(noisyWeights(config, 4));
    const { gpu, cpu } = await pair(config, stored, dequantize(stored), kernels);
    const prompt = randomIds(9, config.vocabSize, 6);
    let worst = relError(await gpu.prefill(prompt), cpu.prefill(prompt));
    for (const id of [5, 60, 100]) worst = Math.max(worst, relError(await gpu.step(id), cpu.step(id)));
    expect(worst).toBeLessThan(TOLERANCE);
    console.info(`engine int8 ${positions} ${kernels}: max |logit error| / max|logit| = ${worst.toExponential(2)}`);
    gpu.destroy();
  });

  it('the CPU adapter chooses as the CPU engine', async () => {
    const config = oddConfig('learned');
    const weights = noisyWeights(config, 2);
    const cpu = new CpuEngine(config, weights);
    const engine = new CpuAsyncEngine(new CpuEngine(config, weights));
    const prompt = randomIds(7, config.vocabSize, 9);
    const logits = cpu.prefill(prompt);
    expect(await engine.greedyPrefill(prompt)).toBe(argmax(logits));
    const mask = allowedMask([1, 2, 3], config.vocabSize);
    expect(await engine.greedyStep(4, mask)).toBe(maskedArgmax(cpu.step(4), mask));
    expect(engine.tokens).toEqual(cpu.tokens);
  });
});
