// The kernels chained into the model's forward pass for a tiny GPT (both position schemes): a prompt through the
// prefill kernels (matmul), then one token through the decode kernels (matvec), every layer's K and V in GPU
// cache buffers, logits by rowdot over wte, the greedy id by the argmax kernel. Logits against ReferenceEngine
// (float64) within 1e-4 of their largest magnitude; greedy ids equal to CpuEngine's. The layouts of the kernels fit
// together as an engine will chain them.
import { describe, expect, it } from 'vitest';
import { headDim, mlpWidth, type ModelConfig } from '../../../../agent/lm/config.ts';
import { CpuEngine } from '../../../../agent/lm/engine/cpu.ts';
import { ReferenceEngine } from '../../../../agent/lm/engine/reference.ts';
import { weight } from '../../../../agent/lm/engine/types.ts';
import { ropeTables } from '../../../../agent/lm/rope.ts';
import { argmax } from '../../../../agent/lm/sampling.ts';
import type { NamedTensors } from '../../../../agent/lm/tensors.ts';
import { argmaxDispatch, argmaxProgram } from '../../../../agent/lm/webgpu/kernels/argmax.ts';
import { attentionDispatch, attentionProgram } from '../../../../agent/lm/webgpu/kernels/attention.ts';
import { embeddingDispatch, embeddingProgram } from '../../../../agent/lm/webgpu/kernels/embedding.ts';
import type { Epilogue } from '../../../../agent/lm/webgpu/kernels/epilogue.ts';
import { layerNormDispatch, layerNormProgram } from '../../../../agent/lm/webgpu/kernels/layernorm.ts';
import { matmulDispatch, matmulProgram } from '../../../../agent/lm/webgpu/kernels/matmul.ts';
import { matvecDispatch, matvecProgram } from '../../../../agent/lm/webgpu/kernels/matvec.ts';
import { qkvSplitDispatch, qkvSplitProgram } from '../../../../agent/lm/webgpu/kernels/qkv-split.ts';
import { rowdotDispatch, rowdotProgram } from '../../../../agent/lm/webgpu/kernels/rowdot.ts';
import type { KernelRunner } from '../../../../agent/lm/webgpu/run-kernel.ts';
import { noisyWeights, randomIds, tinyConfig } from '../helpers.ts';
import { testRunner } from './gpu.ts';
import { maxAbs, maxAbsError } from './helpers.ts';

const runner = await testRunner();

/** The model's forward pass over T ids at position p0, one kernel per submission; returns logits [V] and the
 *  argmax kernel's id for the last row. */
class KernelChain {
  private readonly w = new Map<string, GPUBuffer>();
  private readonly kCache: GPUBuffer[] = [];
  private readonly vCache: GPUBuffer[] = [];
  private readonly rope: GPUBuffer[];
  private readonly x: GPUBuffer; // [C, d]
  private readonly a: GPUBuffer; // [C, d]
  private readonly qkv: GPUBuffer; // [C, 3d]
  private readonly q: GPUBuffer; // [C, d]
  private readonly att: GPUBuffer; // [C, d]
  private readonly hidden: GPUBuffer; // [C, m]
  private readonly hf: GPUBuffer; // [d]
  private readonly logits: GPUBuffer; // [V]
  private readonly id: GPUBuffer; // [1] u32

  constructor(
    private readonly gpu: KernelRunner,
    private readonly config: ModelConfig,
    weights: NamedTensors,
  ) {
    for (const [name, t] of weights) this.w.set(name, gpu.buffer(t.data, name));
    const { context: C, dModel: d, vocabSize: V } = config;
    for (let l = 0; l < config.layers; l++) {
      this.kCache.push(gpu.buffer(C * d * 4));
      this.vCache.push(gpu.buffer(C * d * 4));
    }
    const tables = ropeTables(C, headDim(config));
    this.rope = config.positions === 'rope' ? [gpu.buffer(tables.cos), gpu.buffer(tables.sin)] : [];
    [this.x, this.a, this.q, this.att] = [0, 1, 2, 3].map(() => gpu.buffer(C * d * 4)) as [GPUBuffer, GPUBuffer, GPUBuffer, GPUBuffer];
    this.qkv = gpu.buffer(C * 3 * d * 4);
    this.hidden = gpu.buffer(C * mlpWidth(config) * 4);
    this.hf = gpu.buffer(d * 4);
    this.logits = gpu.buffer(V * 4);
    this.id = gpu.buffer(4);
    weight(weights, 'wte', [V, d]);
  }

  private b(name: string): GPUBuffer {
    const buffer = this.w.get(name);
    if (buffer === undefined) throw new Error(`no weight ${name}`);
    return buffer;
  }

  /** y = x W + b then the epilogue: matmul for several rows, matvec for one. */
  private async linear(x: GPUBuffer, rows: number, w: string, k: number, n: number, epilogue: Epilogue, y: GPUBuffer): Promise<void> {
    const gpu = this.gpu;
    const buffers = [x, this.b(`${w}.w`), this.b(`${w}.b`), y];
    if (rows === 1) {
      const program = matvecProgram({ dtype: 'f32', epilogue }, gpu.limits);
      await gpu.run(program, matvecDispatch(program, { k, n }, gpu.limits), buffers);
    } else {
      const program = matmulProgram({ dtype: 'f32', epilogue }, gpu.limits);
      await gpu.run(program, matmulDispatch(program, { rows, k, n }), buffers);
    }
  }

  async forward(ids: readonly number[], p0: number): Promise<{ logits: Float32Array; id: number }> {
    const { gpu, config } = this;
    const { dModel: d, heads, layerNormEps: eps, vocabSize: V } = config;
    const m = mlpWidth(config);
    const T = ids.length;
    const learned = config.positions === 'learned';
    const embed = embeddingProgram({ token: 'f32', position: learned ? 'f32' : 'none' }, gpu.limits);
    await gpu.run(embed, embeddingDispatch(embed, { rows: T, d, p0 }, gpu.limits), [gpu.buffer(Uint32Array.from(ids)), this.b('wte'), ...(learned ? [this.b('wpe')] : []), this.x]);
    const ln = layerNormProgram(d, gpu.limits);
    const norm = (g: string, x: GPUBuffer, rows: number, y: GPUBuffer): Promise<void> =>
      gpu.run(ln, layerNormDispatch({ rows, d, eps }, gpu.limits), [x, this.b(`${g}.g`), this.b(`${g}.b`), y]);
    for (let l = 0; l < config.layers; l++) {
      const p = `h.${l}`;
      await norm(`${p}.ln1`, this.x, T, this.a);
      await this.linear(this.a, T, `${p}.attn.qkv`, d, 3 * d, 'bias', this.qkv);
      const split = qkvSplitProgram(config.positions, gpu.limits);
      await gpu.run(split, qkvSplitDispatch(split, { rows: T, d, hd: headDim(config), p0 }, gpu.limits), [this.qkv, ...this.rope, this.q, this.kCache[l]!, this.vCache[l]!]);
      await gpu.run(attentionProgram(headDim(config), gpu.limits), attentionDispatch({ rows: T, heads, d, p0, scale: 1 / Math.sqrt(headDim(config)) }, gpu.limits), [
        this.q,
        this.kCache[l]!,
        this.vCache[l]!,
        this.att,
      ]);
      await this.linear(this.att, T, `${p}.attn.proj`, d, d, 'bias_residual', this.x);
      await norm(`${p}.ln2`, this.x, T, this.a);
      await this.linear(this.a, T, `${p}.mlp.fc`, d, m, 'bias_gelu', this.hidden);
      await this.linear(this.hidden, T, `${p}.mlp.proj`, m, d, 'bias_residual', this.x);
    }
    await norm('lnf', this.x, T, this.a);
    const encoder = gpu.device.createCommandEncoder();
    encoder.copyBufferToBuffer(this.a, (T - 1) * d * 4, this.hf, 0, d * 4);
    gpu.device.queue.submit([encoder.finish()]);
    await gpu.run(rowdotProgram('f32', d, gpu.limits), rowdotDispatch({ rows: V, cols: d }, gpu.limits), [this.hf, this.b('wte'), this.logits]);
    await gpu.run(argmaxProgram(false, gpu.limits), argmaxDispatch({ vocab: V }), [this.logits, this.id]);
    return { logits: await gpu.readF32(this.logits, V), id: (await gpu.readU32(this.id, 1))[0]! };
  }
}

describe.skipIf(runner === null)('the kernels chained into a forward pass', () => {
  it.each(['rope', 'learned'] as const)('%s positions: a 9-token prompt, then 3 decoded tokens, as the CPU engines', async (positions) => {
    const gpu = runner!;
    const config = tinyConfig(positions, 67);
    const weights = noisyWeights(config, 5);
    const chain = new KernelChain(gpu, config, weights);
    const reference = new ReferenceEngine(config, weights);
    const cpu = new CpuEngine(config, weights);
    const prompt = randomIds(9, config.vocabSize, 11);
    let got = await chain.forward(prompt, 0);
    let want = reference.prefill(prompt);
    let cpuLogits = cpu.prefill(prompt);
    let worst = 0;
    for (let step = 0; ; step++) {
      const error = maxAbsError(got.logits, want) / maxAbs(want);
      worst = Math.max(worst, error);
      expect(error, `step ${step}`).toBeLessThan(1e-4);
      expect(got.id, `step ${step}`).toBe(argmax(cpuLogits));
      if (step === 3) break;
      const next = got.id; // equal to the CPU engine's choice (checked above)
      got = await chain.forward([next], cpu.position);
      want = reference.step(next);
      cpuLogits = cpu.step(next);
    }
    console.info(`chain ${positions}: max abs logit error / max|logit| = ${worst.toExponential(2)}`);
  });
});
