// constrainedActionAsync sampling on the WebGPU engine: each choice made on the GPU under the grammar's bitmask
// (samplePrefill with the mask: sample.ts, only the id, whether u was used and the unconstrained best come back,
// never the logits), against the CPU engine (CpuAsyncEngine, and constrainedAction on CpuEngine, the reference):
// the same action text, tokens and `masked` count for the shipped planner's real prompts, several seeds and
// sampling options, with the engine's default kernels for its adapter and with the other set on fewer cases.
// Near-boundaries: the GPU samples in f32 (sample.test.ts's tolerance rule), so a choice could differ only where u
// lies within ~1e-6 of a cumulative probability; none of these does, so the lines must be equal token for token.
import { describe, expect, it, vi } from 'vitest';
import { constrainedAction } from '../../../../agent/constrained.ts';
import { constrainedActionAsync } from '../../../../agent/constrained-async.ts';
import { defaultCheckpointPath, loadBundleFile } from '../../../../agent/lm/bundle-file.ts';
import { CpuAsyncEngine } from '../../../../agent/lm/engine/async.ts';
import { CpuEngine } from '../../../../agent/lm/engine/cpu.ts';
import type { SamplingOptions } from '../../../../agent/lm/sampling.ts';
import { kernelSetFor, WebGpuEngine, type KernelSet } from '../../../../agent/lm/webgpu/engine.ts';
import { actionCases } from '../action-cases.ts';
import { testRunner } from './gpu.ts';

const runner = await testRunner();
const bundle = await loadBundleFile(defaultCheckpointPath());

const SAMPLING: SamplingOptions[] = [{ temperature: 1.2 }, { temperature: 0.9, topK: 40, topP: 0.95 }, { temperature: 1.5, topK: 8 }];

describe.skipIf(runner === null)('constrainedActionAsync sampling on the WebGPU engine', async () => {
  const cases = await actionCases(bundle, 6);
  const defaultSet = runner === null ? 'scalar' : kernelSetFor(runner.handle.adapterName);
  const other: KernelSet = defaultSet === 'scalar' ? 'tiled' : 'scalar';
  const runs = [
    { kernels: defaultSet, cases: 6, seeds: [1, 2, 'three'] },
    { kernels: other, cases: 1, seeds: [1] },
  ];

  it.each(runs)('$kernels kernels: the CPU engine\'s lines for $cases prompts, seeds $seeds, no logits read back', async ({ kernels, cases: count, seeds }) => {
    const gpu = await WebGpuEngine.create(runner!, bundle.config, bundle.weights, { kernels });
    const cpu = new CpuAsyncEngine(new CpuEngine(bundle.config, bundle.weights));
    const sync = new CpuEngine(bundle.config, bundle.weights);
    const reads = [vi.spyOn(gpu, 'prefill'), vi.spyOn(gpu, 'step')];
    let tokens = 0;
    let masked = 0;
    let time = 0;
    for (const c of cases.slice(0, count)) {
      // The prompt is read once; each line starts from it, its last id read in the line's first call.
      const last = c.pending.length - 1;
      gpu.reset();
      await gpu.prefill(c.pending.slice(0, last));
      for (const r of reads) r.mockClear();
      for (const sampling of SAMPLING) {
        for (const seed of seeds) {
          const options = { allowed: c.allowed, sampling, seed, maxTokens: 48 };
          const label = `${c.name}, ${JSON.stringify(sampling)}, seed ${seed}`;
          const want = constrainedAction(sync, bundle.tokenizer, { ...options, prompt: c.pending });
          cpu.reset();
          expect(await constrainedActionAsync(cpu, bundle.tokenizer, { ...options, pending: c.pending }), label).toEqual(want);
          gpu.truncate(last);
          const start = performance.now();
          const got = await constrainedActionAsync(gpu, bundle.tokenizer, { ...options, pending: c.pending.slice(last) });
          time += performance.now() - start;
          expect(got, label).toEqual(want);
          expect(gpu.tokens, label).toEqual(sync.tokens);
          tokens += got.tokens.length;
          masked += got.masked;
        }
      }
      for (const r of reads) expect(r).not.toHaveBeenCalled();
    }
    expect(masked, 'steps whose unconstrained best the grammar excluded').toBeGreaterThan(0);
    console.info(`${gpu.adapterName} (${kernels} kernels): ${tokens} sampled action tokens equal to the CPU engine's (${masked} with the best excluded), ${(time / tokens).toFixed(1)} ms a token`);
    gpu.destroy();
  });
});
