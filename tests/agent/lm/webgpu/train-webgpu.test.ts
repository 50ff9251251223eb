// Training on tfjs's webgpu backend (over the Dawn device the WebGPU tests find: SwiftShader without a GPU) gives
// what training on wasm gives: the same losses, gradient norms and weights within f32 rounding after a few AdamW
// steps from the same start; and `umwelt train --backend webgpu` trains a stage there (reading every number
// asynchronously: Node cannot read a GPU tensor synchronously).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { makeConfig } from '../../../../agent/lm/config.ts';
import { GptModel, initWeights, type StepResult } from '../../../../agent/lm/model.ts';
import type { NamedTensors } from '../../../../agent/lm/tensors.ts';
import { useWebGpuBackend } from '../../../../agent/lm/tfjs-webgpu.ts';
import { loadPlannerModel } from '../../../../agent/lm/train/files.ts';
import { useWasmBackend } from '../../../../agent/lm/wasm-backend.ts';
import { memoryOutput } from '../../../../cli/output.ts';
import { runCli } from '../../../../cli/program.ts';
import { testRunner } from './gpu.ts';

const runner = await testRunner();
const dir = mkdtempSync(join(tmpdir(), 'umwelt-train-webgpu-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = makeConfig({ vocabSize: 64, context: 32, dModel: 32, heads: 2, layers: 2, positions: 'rope' });
const ids = (seed: number): number[] => Array.from({ length: 32 }, (_, i) => (i * 7919 + seed * 104729) % config.vocabSize);
const batch = { ids: [ids(1), ids(2)], targets: [ids(3), ids(4)], mask: [ids(5).map((x) => x % 3 === 0 ? 0 : 1), ids(6).map(() => 1)] };

/** Six AdamW steps from the same start, the masked loss sum after them, and the weights. */
async function train(): Promise<{ steps: StepResult[]; after: { sum: number; count: number }; weights: NamedTensors }> {
  const model = new GptModel(config, initWeights(config, 1), { weightDecay: 0.1 });
  const steps: StepResult[] = [];
  for (let i = 0; i < 6; i++) steps.push(await model.trainStepAsync(batch.ids, batch.targets, { lr: 3e-3, mask: batch.mask }));
  const after = await model.lossSumAsync(batch.ids, batch.targets, batch.mask);
  const weights = await model.weightsAsync();
  model.dispose();
  return { steps, after, weights };
}

const relative = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(a), 1e-12);

describe.skipIf(runner === null)('training on tfjs webgpu', () => {
  it('takes the steps wasm takes, within f32 rounding', async () => {
    await useWasmBackend();
    const onWasm = await train();
    await useWebGpuBackend(runner!.handle);
    expect(tf.getBackend()).toBe('webgpu');
    const onGpu = await train();
    onWasm.steps.forEach((s, i) => {
      expect(relative(s.loss, onGpu.steps[i]!.loss), `loss of step ${i + 1}`).toBeLessThan(1e-5);
      expect(relative(s.gradNorm, onGpu.steps[i]!.gradNorm), `gradient norm of step ${i + 1}`).toBeLessThan(1e-4);
    });
    expect(onGpu.after.count).toBe(onWasm.after.count);
    expect(relative(onWasm.after.sum, onGpu.after.sum)).toBeLessThan(1e-5);
    let worst = 0;
    for (const [name, w] of onWasm.weights) {
      const g = onGpu.weights.get(name)!.data;
      for (let i = 0; i < w.data.length; i++) worst = Math.max(worst, Math.abs(w.data[i]! - g[i]!));
    }
    console.info(`6 AdamW steps, wasm against webgpu (${runner!.handle.adapterName}): max |weight difference| ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-4);
  }, 300_000);

  it('umwelt train --backend webgpu trains a stage and writes a model that loads', async () => {
    const data = join(dir, 'data');
    const out = join(dir, 'run');
    expect(await runCli(['data', '--episodes', '1', '--families', 'goto', '--out', data], memoryOutput())).toBe(0);
    const stage = { steps: 2, batchSize: 2, seqLen: 32, lr: 0.005, evalEvery: 2, checkpointEvery: 2, validationFraction: 0.34, successEpisodes: 0 };
    const configFile = join(dir, 'train.json');
    writeFileSync(configFile, JSON.stringify({ dataDir: data, out, workers: 2, tokenizer: { vocabSize: 300 }, model: { context: 64, dModel: 16, heads: 2, layers: 1, positions: 'rope' }, pretrain: stage, sft: stage }));
    const o = memoryOutput();
    expect(await runCli(['train', '--stage', 'pretrain', '--config', configFile, '--backend', 'webgpu', '--json'], o), o.stderr()).toBe(0);
    expect(JSON.parse(o.stdout())).toMatchObject({ status: 'done', stage: 'pretrain', step: 2, backend: 'webgpu' });
    expect((await loadPlannerModel(join(out, 'pretrain.safetensors'))).config).toMatchObject({ dModel: 16, layers: 1 });
    const bad = memoryOutput();
    expect(await runCli(['train', '--stage', 'sft', '--config', configFile, '--backend', 'tpu'], bad)).toBe(2);
    expect(bad.stderr()).toContain('unknown backend "tpu"; valid backends: auto, wasm, webgpu');
  }, 300_000);
});
