// Sampling on WebGPU (sample.ts, and sample-scalar.ts for CPU adapters; only the id and whether u was used read
// back) against sampling.ts chooseByUniform, on random logits and on logits full of ties (-0 among them), odd
// vocabulary sizes, temperatures, top-k, top-p, and many u, some just either side of a cumulative probability.
// Under a grammar mask (random ids, one id, every id but the unconstrained best, a few ids without it) the
// reference is constrained.ts's: chooseByUniform over the allowed ids' logits alone in ascending id order
// (masked-reference.ts; sampling-masked.test.ts shows it equal to sampling the logits with the others at
// -infinity). The tolerance rule: the kernel computes in f32 (the CPU in float64, summing in another order), so
// its choice must be the CPU's exactly, unless the CPU's choice changes when u, top-p or the temperature move by
// EPS (relative for the temperature): then it must be one of the choices the CPU makes under those moves (the
// choice sits on a boundary). Such cases must stay rare. Then the WebGPU engine's sampleStep against the same
// references on its own logits, both kernel sets, with the unconstrained best (lastBest) beside each choice.
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../../../agent/lm/config.ts';
import { Prng } from '../../../../agent/lm/prng.ts';
import { argmax, chooseByUniform, drawsUniform, samplingDistribution, type SamplingOptions } from '../../../../agent/lm/sampling.ts';
import { WebGpuEngine } from '../../../../agent/lm/webgpu/engine.ts';
import type { GpuLimits } from '../../../../agent/lm/webgpu/device.ts';
import { allowedMask, NO_TOKEN } from '../../../../agent/lm/webgpu/kernels/argmax.ts';
import type { KernelProgram } from '../../../../agent/lm/webgpu/kernels/program.ts';
import { sampleDispatch, sampleProgram } from '../../../../agent/lm/webgpu/kernels/sample.ts';
import { sampleScalarProgram } from '../../../../agent/lm/webgpu/kernels/sample-scalar.ts';
import type { KernelRunner } from '../../../../agent/lm/webgpu/run-kernel.ts';
import { noisyWeights, randomIds } from '../helpers.ts';
import { allowedChoice, allowedDistribution, maskIds, type Choice } from '../masked-reference.ts';
import { testRunner } from './gpu.ts';
import { randomF32 } from './helpers.ts';

const runner = await testRunner();

/** How far u, top-p and the temperature (relatively) may move for a differing choice to count as on a boundary. */
const EPS = 2e-5;

type Options = SamplingOptions & { temperature: number };

/** The CPU's choice: chooseByUniform over the logits, or constrained.ts's over the ids the mask allows. */
function cpuChoice(logits: Float32Array, options: Options, u: number, mask: Uint32Array | null = null): Choice {
  if (mask !== null) return allowedChoice(logits, maskIds(mask, logits.length), options, u);
  return { id: chooseByUniform(logits, options, u), drew: drawsUniform(samplingDistribution(logits, options)) };
}

/** The distribution the CPU's choice draws from (its tokens ids). */
const cpuDistribution = (logits: Float32Array, options: Options, mask: Uint32Array | null): { p: number }[] =>
  mask === null ? samplingDistribution(logits, options) : allowedDistribution(logits, maskIds(mask, logits.length), options);

/** The CPU's choices with u, top-p and the temperature moved by up to EPS, as `id/drew`. */
function boundaryChoices(logits: Float32Array, options: Options, u: number, mask: Uint32Array | null): Set<string> {
  const out = new Set<string>();
  const topP = options.topP ?? 1;
  for (const t of [options.temperature * (1 - EPS), options.temperature, options.temperature * (1 + EPS)]) {
    for (const p of [topP - EPS, topP, Math.min(1, topP + EPS)]) {
      for (const v of [u - EPS, u, u + EPS]) {
        const c = cpuChoice(logits, { ...options, temperature: t, topP: p }, Math.min(Math.max(v, 0), 1 - 1e-12), mask);
        out.add(`${c.id}/${c.drew}`);
      }
    }
  }
  return out;
}

/** us: the u of each choice, all in one submission; the ids and whether u was used. */
async function gpuChoices(gpu: KernelRunner, program: KernelProgram, logits: Float32Array, mask: Uint32Array | null, options: Options, us: readonly number[]): Promise<Choice[]> {
  const compiled = await gpu.compile(program);
  const inputs = [gpu.buffer(logits), ...(mask === null ? [] : [gpu.buffer(mask)])];
  const outs = us.map(() => gpu.buffer(8));
  const all = gpu.buffer(8 * us.length);
  const encoder = gpu.device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  const uniforms = us.map((u, j) => gpu.encode(pass, compiled, program, sampleDispatch({ vocab: logits.length, topK: 0, topP: 1, ...options, u }), [...inputs, outs[j]!]));
  pass.end();
  outs.forEach((out, j) => encoder.copyBufferToBuffer(out, 0, all, 8 * j, 8));
  gpu.device.queue.submit([encoder.finish()]);
  const words = await gpu.readU32(all, 2 * us.length);
  for (const b of [...inputs, ...outs, ...uniforms, all]) b.destroy();
  return us.map((_, j) => ({ id: words[2 * j]!, drew: words[2 * j + 1] === 1 }));
}

interface Tally {
  total: number;
  boundary: number;
}

/** Checks a GPU choice by the tolerance rule (under the mask, if any). */
function check(got: Choice, logits: Float32Array, mask: Uint32Array | null, options: Options, u: number, label: string, tally: Tally): void {
  tally.total++;
  const want = cpuChoice(logits, options, u, mask);
  if (got.id === want.id && got.drew === want.drew) return;
  const near = boundaryChoices(logits, options, u, mask);
  expect(near.has(`${got.id}/${got.drew}`), `${label} u ${u}: GPU ${got.id}/${got.drew}, CPU ${want.id}/${want.drew}, on a boundary: ${[...near].join(' ')}`).toBe(true);
  tally.boundary++;
}

/** Random u, u = 0, and u just either side of the first cumulative probabilities and of the last. */
function drawsFor(dist: { p: number }[], rng: Prng, random: number): number[] {
  const us = [0, ...Array.from({ length: random }, () => rng.next())];
  let cumulative = 0;
  dist.forEach(({ p }, r) => {
    cumulative += p;
    if (r < 3 || r === dist.length - 2) for (const u of [cumulative - 1e-3, cumulative + 1e-3]) if (u > 0 && u < 1) us.push(u);
  });
  return us;
}

const OPTIONS: Options[] = [
  { temperature: 1 },
  { temperature: 0.6, topK: 5 },
  { temperature: 1.4, topP: 0.9 },
  { temperature: 0.8, topK: 20, topP: 0.7 },
  { temperature: 2, topK: 1 },
  { temperature: 1, topP: 0.02 },
  { temperature: 0.02 },
];

/** Random logits in [-4, 4], or integers in [-3, 3] (ties everywhere; -0 at odd ids). */
function logitsOf(kind: 'random' | 'ties', vocab: number, rng: Prng): Float32Array {
  const x = randomF32(vocab, rng, 4);
  if (kind === 'random') return x;
  return x.map((v, i) => {
    const r = Math.round(v * 0.75);
    return r === 0 && i % 2 === 1 ? -0 : r;
  });
}

/** No mask, random ids, one id, and (V > 1) every id but the unconstrained best, and three ids without it. */
function masksFor(logits: Float32Array, rng: Prng): { name: string; mask: Uint32Array | null }[] {
  const vocab = logits.length;
  const all = Array.from({ length: vocab }, (_, i) => i);
  const some = all.filter(() => rng.next() < 0.3);
  if (some.length === 0) some.push(vocab - 1);
  const masks = [
    { name: 'no mask', mask: null },
    { name: `${some.length} allowed`, mask: allowedMask(some, vocab) },
    { name: '1 allowed', mask: allowedMask([Math.floor(rng.next() * vocab)], vocab) },
  ];
  if (vocab === 1) return masks;
  const rest = all.filter((i) => i !== argmax(logits));
  const few = Array.from({ length: Math.min(3, rest.length) }, () => rest.splice(Math.floor(rng.next() * rest.length), 1)[0]!);
  return [
    ...masks,
    { name: 'all but the best', mask: allowedMask(all.filter((i) => i !== argmax(logits)), vocab) },
    { name: `${few.length} allowed, not the best`, mask: allowedMask(few, vocab) },
  ];
}

/** The limits of an adapter allowing at most `invocations` per workgroup. */
const narrower = (limits: GpuLimits, invocations: number): GpuLimits => ({ ...limits, maxComputeInvocationsPerWorkgroup: invocations });

describe.skipIf(runner === null)('sample kernels', () => {
  const KERNELS = [
    { name: 'tiled, 256 invocations', program: (masked: boolean, gpu: KernelRunner) => sampleProgram(masked, gpu.limits), random: 1, vocabs: [1031] },
    { name: 'tiled, 32 invocations', program: (masked: boolean, gpu: KernelRunner) => sampleProgram(masked, narrower(gpu.limits, 32)), random: 10, vocabs: [7, 257, 1031] },
    { name: 'scalar', program: (masked: boolean) => sampleScalarProgram(masked), random: 12, vocabs: [1, 7, 33, 257, 1031] },
  ] as const;

  it.each(KERNELS)('$name: the choice of chooseByUniform, but on a boundary', async ({ name, program, random, vocabs }) => {
    const gpu = runner!;
    const rng = new Prng(`sample ${name}`);
    const tally: Tally = { total: 0, boundary: 0 };
    for (const vocab of vocabs) {
      for (const kind of ['random', 'ties'] as const) {
        const logits = logitsOf(kind, vocab, rng);
        for (const { name: maskName, mask } of masksFor(logits, rng)) {
          for (const options of OPTIONS) {
            const us = drawsFor(cpuDistribution(logits, options, mask), rng, random);
            const got = await gpuChoices(gpu, program(mask !== null, gpu), logits, mask, options, us);
            const label = `V ${vocab} ${kind} ${maskName} ${JSON.stringify(options)}`;
            got.forEach((choice, j) => check(choice, logits, mask, options, us[j]!, label, tally));
          }
        }
      }
    }
    console.info(`sample ${name}: ${tally.total} choices, ${tally.boundary} on a boundary`);
    expect(tally.boundary).toBeLessThanOrEqual(tally.total * 0.01);
  });

  it('ties go to the lower id, in top-k, top-p and the choice', async () => {
    const gpu = runner!;
    // Ids 2, 5, 9 tie at the top, 0 and 7 next; -0 and +0 tie.
    const logits = Float32Array.from([1, -2, 3, 0, -0, 3, -0, 1, 0, 3]);
    for (const program of [sampleProgram(false, gpu.limits), sampleScalarProgram(false)]) {
      for (const options of [{ temperature: 1 }, { temperature: 1, topK: 2 }, { temperature: 1, topK: 4 }, { temperature: 0.5, topP: 0.5 }, { temperature: 50, topK: 7 }, { temperature: 50, topK: 8, topP: 0.75 }]) {
        const us = [0, 0.2, 0.34, 0.5, 0.67, 0.8, 0.99];
        const got = await gpuChoices(gpu, program, logits, null, options, us);
        got.forEach((choice, j) => check(choice, logits, null, options, us[j]!, `${program.key} ${JSON.stringify(options)}`, { total: 0, boundary: 0 }));
      }
      // Three equal tokens: thirds of [0, 1), in id order.
      const third = await gpuChoices(gpu, program, logits, null, { temperature: 1, topK: 3 }, [0.1, 0.5, 0.9]);
      expect(third.map((c) => c.id)).toEqual([2, 5, 9]);
    }
  });

  it('uses u as sampleToken draws it: not for a single-token distribution (top-k 1, top-p, float64 rounding)', async () => {
    const gpu = runner!;
    const logits = Float32Array.from([0, 40, 2, 1, 3]);
    const cases: { options: Options; drew: boolean }[] = [
      { options: { temperature: 1, topK: 1 }, drew: false },
      // In float64 1 + w rounds to 1 for w <= 2^-53 = e^-36.74: e^-37 and e^-36.9 leave one token, e^-36.6 does not.
      { options: { temperature: 1 }, drew: false },
      { options: { temperature: 37 / 36.9 }, drew: false },
      { options: { temperature: 37 / 36.6 }, drew: true },
      { options: { temperature: 1, topP: 0.999 }, drew: false },
      // At temperature 20 the top token has p = 0.631: alone it reaches top-p 0.6, not 0.7.
      { options: { temperature: 20, topP: 0.7 }, drew: true },
      { options: { temperature: 20, topP: 0.6 }, drew: false },
    ];
    for (const program of [sampleProgram(false, gpu.limits), sampleScalarProgram(false)]) {
      for (const { options, drew } of cases) {
        expect(drawsUniform(samplingDistribution(logits, options)), JSON.stringify(options)).toBe(drew);
        const [got] = await gpuChoices(gpu, program, logits, null, options, [0.999]);
        expect(got, `${program.key} ${JSON.stringify(options)}`).toEqual({ id: drew ? chooseByUniform(logits, options, 0.999) : 1, drew });
      }
      // A mask that allows nothing: NO_TOKEN.
      const [none] = await gpuChoices(gpu, program.key.startsWith('sample-scalar') ? sampleScalarProgram(true) : sampleProgram(true, gpu.limits), logits, new Uint32Array(1), { temperature: 1 }, [0.5]);
      expect(none!.id).toBe(NO_TOKEN);
    }
  });

  it('sampleDispatch refuses what chooseByUniform refuses, and temperature 0', () => {
    const shape = { vocab: 10, temperature: 1, topK: 0, topP: 1, u: 0.5 };
    expect(() => sampleDispatch(shape)).not.toThrow();
    for (const bad of [{ u: 1 }, { u: -0.1 }, { temperature: 0 }, { topP: 0 }, { topP: 1.5 }, { topK: 2.5 }, { vocab: 0 }]) {
      expect(() => sampleDispatch({ ...shape, ...bad }), JSON.stringify(bad)).toThrow(RangeError);
    }
  });
});

describe.skipIf(runner === null)('WebGpuEngine sampling', () => {
  it.each(['tiled', 'scalar'] as const)('%s kernels: sampleStep and samplePrefill choose as the CPU on the engine\'s logits, the unconstrained best beside', async (kernels) => {
    const config = makeConfig({ vocabSize: 101, context: 40, dModel: 36, heads: 3, layers: 2, positions: 'rope' });
    const gpu = await WebGpuEngine.create(runner!, config, noisyWeights(config, 3), { kernels });
    const rng = new Prng(`engine sampling ${kernels}`);
    const tally: Tally = { total: 0, boundary: 0 };
    const prompt = randomIds(9, config.vocabSize, 4);
    const mask = allowedMask([3, 17, 50, 51, 52, 99, 100], config.vocabSize);
    // The logits of the prompt (through the prefill kernels), then read again by samplePrefill.
    const first = await gpu.prefill(prompt);
    const options: Options = { temperature: 0.9, topK: 30, topP: 0.95 };
    for (const m of [undefined, mask]) {
      const u = rng.next();
      gpu.truncate(0);
      const id = await gpu.samplePrefill(prompt, options, u, m);
      check({ id, drew: gpu.lastDrew }, first, m ?? null, options, u, `prefill ${m === undefined ? '' : 'masked'}`, tally);
      expect(gpu.lastBest).toBe(argmax(first));
    }
    let next = prompt[0]!;
    let excluded = 0;
    for (let i = 0; i < 16; i++) {
      const logits = await gpu.step(next);
      gpu.truncate(gpu.position - 1);
      const u = rng.next();
      const best = argmax(logits);
      // No mask, the fixed mask, every id but the best, one id (the best's neighbour).
      const masks = [undefined, mask, allowedMask(Array.from({ length: config.vocabSize }, (_, v) => v).filter((v) => v !== best), config.vocabSize), allowedMask([(best + 1) % config.vocabSize], config.vocabSize)];
      const m = masks[i % 4];
      if (m !== undefined && !maskIds(m, config.vocabSize).includes(best)) excluded++;
      const o: Options = i % 5 === 4 ? { temperature: 0.01 } : options;
      next = await gpu.sampleStep(next, o, u, m);
      check({ id: next, drew: gpu.lastDrew }, logits, m ?? null, o, u, `step ${i}`, tally);
      expect(gpu.lastBest, `step ${i}`).toBe(best);
    }
    expect(excluded).toBeGreaterThanOrEqual(8);
    expect(tally.boundary).toBe(0);
    // Temperature 0 is the greedy choice and uses no u; bad arguments consume nothing.
    const logits = await gpu.step(next);
    gpu.truncate(gpu.position - 1);
    const position = gpu.position;
    await expect(gpu.sampleStep(next, { temperature: 1 }, 1)).rejects.toThrow(RangeError);
    await expect(gpu.sampleStep(next, { temperature: 1, topP: 0 }, 0.5)).rejects.toThrow(RangeError);
    await expect(gpu.sampleStep(next, { temperature: 1 }, 0.5, new Uint32Array(4))).rejects.toThrow(RangeError);
    expect(gpu.position).toBe(position);
    expect(await gpu.sampleStep(next, { temperature: 0 }, 0.5)).toBe(chooseByUniform(logits, {}, 0.5));
    expect(gpu.lastDrew).toBe(false);
    gpu.destroy();
  });
});
