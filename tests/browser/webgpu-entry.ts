// The browser side of tests/agent/lm/webgpu/chromium.test.ts: bundled with esbuild and loaded by headless Chromium
// (--enable-unsafe-webgpu), it acquires a device with browserDevice() and exposes `window.webgpuTest`, whose functions
// the Node test calls through page.evaluate. Kernels run as the Node kernel tests run them: xxxProgram(variant,
// limits) and xxxDispatch(shape) through KernelRunner.run, one submission each, outputs read back with readF32 /
// readU32. The planner runs on WebGpuEngine with decodeAnswerAsync, as planner-gpu.test.ts runs it in Node.

import { decodeBundle } from '../../agent/lm/bundle.ts';
import { ropeTables } from '../../agent/lm/rope.ts';
import { browserDevice, type GpuHandle } from '../../agent/lm/webgpu/device.ts';
import { WebGpuEngine } from '../../agent/lm/webgpu/engine.ts';
import { argmaxDispatch, argmaxProgram } from '../../agent/lm/webgpu/kernels/argmax.ts';
import { argmaxScalarDispatch, argmaxScalarProgram } from '../../agent/lm/webgpu/kernels/argmax-scalar.ts';
import { attentionDispatch, attentionProgram } from '../../agent/lm/webgpu/kernels/attention.ts';
import { attentionScalarDispatch, attentionScalarProgram } from '../../agent/lm/webgpu/kernels/attention-scalar.ts';
import { embeddingDispatch, embeddingProgram } from '../../agent/lm/webgpu/kernels/embedding.ts';
import { layerNormDispatch, layerNormProgram } from '../../agent/lm/webgpu/kernels/layernorm.ts';
import { linearScalarDispatch, linearScalarProgram } from '../../agent/lm/webgpu/kernels/linear-scalar.ts';
import { matmulDispatch, matmulProgram } from '../../agent/lm/webgpu/kernels/matmul.ts';
import { matvecDispatch, matvecProgram } from '../../agent/lm/webgpu/kernels/matvec.ts';
import type { Dispatch, KernelProgram } from '../../agent/lm/webgpu/kernels/program.ts';
import { qkvSplitDispatch, qkvSplitProgram } from '../../agent/lm/webgpu/kernels/qkv-split.ts';
import { rowdotDispatch, rowdotProgram } from '../../agent/lm/webgpu/kernels/rowdot.ts';
import { layerNormScalarDispatch, layerNormScalarProgram, rowdotScalarDispatch, rowdotScalarProgram } from '../../agent/lm/webgpu/kernels/rows-scalar.ts';
import { KernelRunner } from '../../agent/lm/webgpu/run-kernel.ts';
import { decodeAnswerAsync } from '../../agent/planners/lm-answer-async.ts';
import type { Answer } from '../../agent/planners/lm-answer.ts';
import type { KernelCase, PageGpu, WebGpuTestApi, Words } from './webgpu-api.ts';

let acquired: Promise<{ page: PageGpu; runner: KernelRunner | null }> | null = null;

function acquire(): Promise<{ page: PageGpu; runner: KernelRunner | null }> {
  acquired ??= browserDevice({ timeoutMs: 20_000 }).then((result) => {
    if (!result.ok) return { page: { ok: false, ...result.reason }, runner: null };
    const handle: GpuHandle = result.gpu;
    return {
      page: { ok: true, adapterName: handle.adapterName, limits: handle.limits, features: [...handle.features] },
      runner: new KernelRunner(handle),
    };
  });
  return acquired;
}

async function runner(): Promise<KernelRunner> {
  const { page, runner } = await acquire();
  if (runner === null) throw new Error(page.ok ? 'no runner' : `no WebGPU device (${page.code}): ${page.message}`);
  return runner;
}

const typed = (words: Words): Float32Array | Uint32Array => (words.type === 'f32' ? Float32Array.from(words.data) : Uint32Array.from(words.data));

/** Binds the inputs, runs one dispatch, reads back the outputs (F32, or u32 when `u32`), frees every buffer. */
async function once(gpu: KernelRunner, program: KernelProgram, dispatch: Dispatch, inputs: (Float32Array | Uint32Array)[], outputs: (Float32Array | number)[], u32 = false): Promise<number[][]> {
  const ins = inputs.map((data) => gpu.buffer(data));
  const outs = outputs.map((o) => (typeof o === 'number' ? gpu.buffer(o * 4) : gpu.buffer(o)));
  try {
    await gpu.run(program, dispatch, [...ins, ...outs]);
    const lengths = outputs.map((o) => (typeof o === 'number' ? o : o.length));
    return await Promise.all(outs.map(async (b, i) => Array.from(u32 ? await gpu.readU32(b, lengths[i]!) : await gpu.readF32(b, lengths[i]!))));
  } finally {
    for (const b of [...ins, ...outs]) b.destroy();
  }
}

async function runCase(gpu: KernelRunner, c: KernelCase): Promise<number[][]> {
  const limits = gpu.limits;
  const f32 = (a: number[]): Float32Array => Float32Array.from(a);
  switch (c.kernel) {
    case 'matmul':
    case 'matvec':
    case 'linear-scalar': {
      const { dtype, epilogue, rows, k, n } = c;
      const inputs = [f32(c.x), ...c.w.map(typed), f32(c.b)];
      if (c.kernel === 'matmul') {
        const program = matmulProgram({ dtype, epilogue }, limits);
        return once(gpu, program, matmulDispatch(program, { rows, k, n }), inputs, [f32(c.before)]);
      }
      if (c.kernel === 'matvec') {
        if (rows !== 1) throw new RangeError(`matvec takes one row, got ${rows}`);
        const program = matvecProgram({ dtype, epilogue }, limits);
        return once(gpu, program, matvecDispatch(program, { k, n }, limits), inputs, [f32(c.before)]);
      }
      const program = linearScalarProgram({ dtype, epilogue, rowBlock: c.rowBlock ?? 4 }, limits);
      return once(gpu, program, linearScalarDispatch(program, { rows, k, n }, limits), inputs, [f32(c.before)]);
    }
    case 'rowdot': {
      const { rows, cols } = c;
      const inputs = [f32(c.x), ...c.w.map(typed)];
      if (c.set === 'tiled') return once(gpu, rowdotProgram(c.dtype, cols, limits), rowdotDispatch({ rows, cols }, limits), inputs, [rows]);
      const program = rowdotScalarProgram(c.dtype, limits);
      return once(gpu, program, rowdotScalarDispatch(program, { rows, cols }, limits), inputs, [rows]);
    }
    case 'layernorm': {
      const shape = { rows: c.rows, d: c.d, eps: c.eps };
      const inputs = [f32(c.x), f32(c.g), f32(c.b)];
      if (c.set === 'tiled') return once(gpu, layerNormProgram(c.d, limits), layerNormDispatch(shape, limits), inputs, [c.rows * c.d]);
      const program = layerNormScalarProgram(limits);
      return once(gpu, program, layerNormScalarDispatch(program, shape, limits), inputs, [c.rows * c.d]);
    }
    case 'embedding': {
      const program = embeddingProgram(c.variant, limits);
      const inputs = [Uint32Array.from(c.ids), ...c.wte.map(typed), ...(c.wpe ?? []).map(typed)];
      return once(gpu, program, embeddingDispatch(program, { rows: c.rows, d: c.d, p0: c.p0 }, limits), inputs, [c.rows * c.d]);
    }
    case 'qkv-split': {
      const { rows, d, hd, p0, context } = c;
      const rope = ropeTables(context, hd);
      const tables = c.positions === 'rope' ? [rope.cos, rope.sin] : [];
      const program = qkvSplitProgram(c.positions, limits);
      const sentinel = new Float32Array(context * d).fill(c.sentinel);
      return once(gpu, program, qkvSplitDispatch(program, { rows, d, hd, p0 }, limits), [f32(c.qkv), ...tables], [rows * d, sentinel, sentinel]);
    }
    case 'attention': {
      const { rows, heads, d, p0 } = c;
      const hd = d / heads;
      const shape = { rows, heads, d, p0, scale: 1 / Math.sqrt(hd) };
      const inputs = [f32(c.q), f32(c.kCache), f32(c.vCache)];
      if (c.set === 'tiled') return once(gpu, attentionProgram(hd, limits), attentionDispatch(shape, limits), inputs, [rows * d]);
      const program = attentionScalarProgram(hd, limits);
      return once(gpu, program, attentionScalarDispatch(program, shape, limits), inputs, [rows * d]);
    }
    case 'argmax': {
      const masked = c.mask !== null;
      const inputs = [f32(c.logits), ...(c.mask === null ? [] : [Uint32Array.from(c.mask)])];
      const shape = { vocab: c.logits.length };
      if (c.set === 'tiled') return once(gpu, argmaxProgram(masked, limits), argmaxDispatch(shape), inputs, [1], true);
      return once(gpu, argmaxScalarProgram(masked), argmaxScalarDispatch(shape), inputs, [1], true);
    }
  }
}

const api: WebGpuTestApi = {
  async init() {
    return (await acquire()).page;
  },

  async run(cases) {
    const gpu = await runner();
    const out: number[][][] = [];
    for (const c of cases) out.push(await runCase(gpu, c));
    return out;
  },

  async planner(url, prompts, options) {
    const gpu = await runner();
    const response = await fetch(url);
    if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
    const bundle = decodeBundle(new Uint8Array(await response.arrayBuffer()));
    const t0 = performance.now();
    const engine = await WebGpuEngine.create(gpu, bundle.config, bundle.weights);
    const t1 = performance.now();
    const answers: Answer[] = [];
    try {
      for (const prompt of prompts) {
        answers.push(await decodeAnswerAsync(engine, bundle.tokenizer, prompt.ids, { allowed: prompt.allowed, seed: options.seed, maxThoughtTokens: options.maxThoughtTokens }));
      }
    } finally {
      engine.destroy();
    }
    return { adapterName: gpu.handle.adapterName, kernels: engine.kernels, answers, createMs: t1 - t0, decodeMs: performance.now() - t1 };
  },
};

window.webgpuTest = api;
