// The shipped planner on the WebGPU engine:
// (1) the same greedy answers as the CPU engine for 20 real prompts (thoughts capped at 8 tokens to keep
//     SwiftShader's time down; then the marker and the whole action, chosen on the GPU under the grammar's bitmask),
//     and the same sampled answers for 6 of them and two seeds (the thought sampled on the GPU, under the
//     thought-marks mask for one seed, the action under the grammar's: only ids come back; sampling's f32
//     boundaries, sample.test.ts, are not met by these); the int8 checkpoint, kept int8 on the GPU, answers as the
//     CPU engine on its dequantized weights;
// (2) LMPlanner with engine 'webgpu' plays a short episode with the decisions of engine 'cpu';
// (3) no adapter, and a device lost mid-episode, fall back to the CPU engine with one logged line.
// Near-ties: none of these prompts has a greedy choice within the engines' logit error (~1e-6 of max|logit|,
// engine.test.ts) of the runner-up, so the answers must be equal token for token.
import { describe, expect, it } from 'vitest';
import { defaultCheckpointPath, loadBundleFile } from '../../../../agent/lm/bundle-file.ts';
import { CpuEngine } from '../../../../agent/lm/engine/cpu.ts';
import { runEpisode } from '../../../../agent/loop.ts';
import type { Decision } from '../../../../agent/planner.ts';
import { decodeAnswer, type AnswerOptions } from '../../../../agent/planners/lm-answer.ts';
import { decodeAnswerAsync } from '../../../../agent/planners/lm-answer-async.ts';
import { gpuEngineFor, type GpuSource } from '../../../../agent/planners/lm-gpu.ts';
import { LMPlanner, type LMPlannerOptions } from '../../../../agent/planners/lm.ts';
import { thoughtMarks } from '../../../../agent/planners/thought-marks.ts';
import { acquireDevice, type GpuResult } from '../../../../agent/lm/webgpu/device.ts';
import { nodeDevice } from '../../../../agent/lm/webgpu/device-node.ts';
import { isCpuAdapter, WebGpuEngine } from '../../../../agent/lm/webgpu/engine.ts';
import { familyEnv } from '../../../../scenes/env.ts';
import { seedOf } from '../../../../scenes/splits.ts';
import { episodePrompts } from '../../episode-prompts.ts';
import { testRunner } from './gpu.ts';

const runner = await testRunner();
const bundle = await loadBundleFile(defaultCheckpointPath());

/** The decisions of one short episode (goto, test seed 1, 3 steps). */
async function episode(options: Omit<LMPlannerOptions, 'bundle'>): Promise<Decision[]> {
  const decisions: Decision[] = [];
  const planner = new LMPlanner({ bundle, ...options });
  await runEpisode({
    env: familyEnv('goto', { maxSteps: 3 }),
    planner,
    seed: seedOf('test', 1),
    onEvent: (event) => {
      if (event.type === 'decision') decisions.push(event.decision);
    },
  });
  return decisions;
}

const withoutEngine = (decisions: Decision[]): Decision[] => decisions.map((d) => ({ ...d, stats: { ...d.stats, engine: undefined } }));

describe.skipIf(runner === null)('the shipped planner on the WebGPU engine', () => {
  it('gives the CPU engine greedy answers for 20 real prompts', async () => {
    const gpu = await WebGpuEngine.create(runner!, bundle.config, bundle.weights);
    const cpu = new CpuEngine(bundle.config, bundle.weights);
    const prompts = await episodePrompts(bundle, 20);
    expect(prompts).toHaveLength(20);
    let tokens = 0;
    for (const prompt of prompts) {
      const options = { allowed: prompt.allowed, seed: 'greedy', maxThoughtTokens: 8 };
      const want = decodeAnswer(cpu, bundle.tokenizer, prompt.ids, options);
      const got = await decodeAnswerAsync(gpu, bundle.tokenizer, prompt.ids, options);
      expect(got, prompt.name).toEqual(want);
      tokens += got.tokens;
    }
    console.info(`20 prompts on ${gpu.adapterName} (${gpu.kernels} kernels): ${tokens} answer tokens equal to the CPU engine's`);
    gpu.destroy();
  });

  it('gives the CPU engine sampled answers for 6 real prompts, two seeds', async () => {
    const gpu = await WebGpuEngine.create(runner!, bundle.config, bundle.weights);
    const cpu = new CpuEngine(bundle.config, bundle.weights);
    const prompts = await episodePrompts(bundle, 6);
    let tokens = 0;
    for (const prompt of prompts) {
      for (const seed of ['a', 'b']) {
        const options: AnswerOptions = { allowed: prompt.allowed, seed, maxThoughtTokens: 8, sampling: { temperature: 1.1, topK: 40, topP: 0.95 } };
        if (seed === 'b') options.thoughtMarks = thoughtMarks(prompt.text, bundle.tokenizer);
        const want = decodeAnswer(cpu, bundle.tokenizer, prompt.ids, options);
        const got = await decodeAnswerAsync(gpu, bundle.tokenizer, prompt.ids, options);
        expect(got, `${prompt.name}, seed ${seed}`).toEqual(want);
        tokens += got.tokens;
      }
    }
    console.info(`6 prompts x 2 seeds on ${gpu.adapterName} (${gpu.kernels} kernels): ${tokens} sampled answer tokens equal to the CPU engine's`);
    gpu.destroy();
  });

  it('keeps the int8 checkpoint int8 on the GPU, answering as the CPU engine on its dequantized weights', async () => {
    const int8 = await loadBundleFile(defaultCheckpointPath(true));
    const source: GpuSource = () => Promise.resolve<GpuResult>({ ok: true, gpu: runner!.handle });
    const built = await gpuEngineFor(int8, source);
    if (!built.ok) throw new Error(built.message);
    const gpu = built.engine;
    const f32 = await WebGpuEngine.create(runner!, bundle.config, bundle.weights);
    // Matrices at a byte per weight plus row scales; vectors stay F32.
    expect(gpu.weightBytes).toBeLessThan(0.3 * f32.weightBytes);
    f32.destroy();
    const cpu = new CpuEngine(int8.config, int8.weights);
    let tokens = 0;
    for (const prompt of await episodePrompts(int8, 10)) {
      const options = { allowed: prompt.allowed, seed: 'greedy', maxThoughtTokens: 8 };
      const got = await decodeAnswerAsync(gpu, int8.tokenizer, prompt.ids, options);
      expect(got, prompt.name).toEqual(decodeAnswer(cpu, int8.tokenizer, prompt.ids, options));
      tokens += got.tokens;
    }
    console.info(`int8 on ${gpu.adapterName}: ${gpu.weightBytes} weight bytes on the GPU; 10 prompts, ${tokens} answer tokens equal to the CPU engine's`);
  });

  it("LMPlanner with engine 'webgpu' decides as with engine 'cpu'", async () => {
    const source: GpuSource = () => Promise.resolve<GpuResult>({ ok: true, gpu: runner!.handle });
    const lines: string[] = [];
    const onGpu = await episode({ engine: 'webgpu', gpu: source, log: (line, kind) => lines.push(`${kind}: ${line}`) });
    const onCpu = await episode({ engine: 'cpu' });
    expect(lines).toEqual([]);
    expect(onGpu.length).toBeGreaterThan(0);
    expect(onGpu.every((d) => d.stats.engine === 'webgpu')).toBe(true);
    expect(onCpu.every((d) => d.stats.engine === 'cpu')).toBe(true);
    expect(withoutEngine(onGpu)).toEqual(withoutEngine(onCpu));
  });

  it("LMPlanner with engine 'auto' declines an adapter that runs on the CPU (saying so once), takes a GPU", async () => {
    const source: GpuSource = () => Promise.resolve<GpuResult>({ ok: true, gpu: runner!.handle });
    const lines: string[] = [];
    const decisions = await episode({ engine: 'auto', gpu: source, log: (line, kind) => lines.push(`${kind}: ${line}`) });
    expect(decisions.length).toBeGreaterThan(0);
    if (isCpuAdapter(runner!.handle.adapterName)) {
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^declined: .*runs on the CPU, where the CPU engine is faster/);
      expect(decisions.every((d) => d.stats.engine === 'cpu')).toBe(true);
    } else {
      expect(lines).toEqual([]);
      expect(decisions.every((d) => d.stats.engine === 'webgpu')).toBe(true);
    }
  });

  it('falls back to the CPU engine, saying so once, when there is no adapter', async () => {
    const noAdapter = { requestAdapter: () => Promise.resolve(null) } as unknown as GPU;
    const lines: string[] = [];
    const decisions = await episode({ engine: 'auto', gpu: () => acquireDevice(noAdapter), log: (line, kind) => lines.push(`${kind}: ${line}`) });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^declined: lm planner: WebGPU engine unavailable \(no_adapter: .*\); decoding on the CPU engine/);
    expect(decisions.every((d) => d.stats.engine === 'cpu')).toBe(true);
    expect(withoutEngine(decisions)).toEqual(withoutEngine(await episode({ engine: 'cpu' })));
  });

  it('falls back to the CPU engine when the device is lost mid-episode, and the episode goes on', async () => {
    const own = await nodeDevice({ timeoutMs: 20_000 });
    if (!own.ok) throw new Error(own.reason.message);
    const lines: string[] = [];
    const planner = new LMPlanner({ bundle, engine: 'webgpu', gpu: () => Promise.resolve(own), log: (line, kind) => lines.push(`${kind}: ${line}`), maxThoughtTokens: 4 });
    const engines: (string | undefined)[] = [];
    const result = await runEpisode({
      env: familyEnv('goto', { maxSteps: 3 }),
      planner,
      seed: seedOf('test', 1),
      onEvent: (event) => {
        if (event.type !== 'decision') return;
        engines.push(event.decision.stats.engine);
        if (engines.length === 1) own.gpu.device.destroy();
      },
    });
    expect(result.steps).toBe(3);
    expect(engines).toEqual(['webgpu', 'cpu', 'cpu']);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^fallback: lm planner: WebGPU engine unavailable .*lost.*; decoding on the CPU engine/i);
  });
});
