// WebGPU engine benchmark: on the adapter Dawn finds (device-node.ts: a GPU's Vulkan driver, else SwiftShader on the
// CPU), prefill and greedy decode tokens/s of (a) WebGpuEngine, (b) tfjs's webgpu backend running the same model
// with the same weights on the same GPUDevice in this process (a KV-cache decoder written here in tfjs ops: one
// tf.tidy per call, softmax attention over cached K/V tensors, the argmax on the GPU, only the id read back), and
// (c) the CPU engine (CpuAsyncEngine over CpuEngine, WebAssembly SIMD, one core). Before timing, the logits of
// WebGpuEngine and of the tfjs decoder are checked against the CPU engine's on a short prompt and a few steps; a
// difference beyond CHECK_TOLERANCE of max|logit| stops the bench with an error.
// Models: the shipped planner (loadBundleFile: d 128, 4 layers, context 384, rotary positions); and, with --gpt2 or
// on an adapter that is not a CPU driver, a GPT-2-small shape with seeded random weights (12 layers, d 768, 12 heads,
// context 1024, learned positions, vocabulary 50257 or as much as one storage binding holds), for which a GPU also
// gets the memory-bandwidth bound of decoding (weight bytes read per token over --bandwidth-gbs).
// Engines take turns within each repetition, so that the machine's load falls on all of them alike; medians. tfjs
// times fewer decode steps (--tfjs-decode) from the same prompt, and on CPU adapters runs its tiled matmul
// (TFJS_MATMUL_ON_CPU_ADAPTERS).
// Prints ONE JSON object to stdout, progress to stderr.
// Usage: npx tsx bench/webgpu.bench.ts [--quick] [--gpt2] [--bandwidth-gbs GB/s] [--prompt N] [--decode N] [--reps N]
//        [--tfjs-decode N] [--tfjs-matmul -1..3] [--gpt2-prompt N] [--gpt2-decode N]
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { loadBundleFile } from '../agent/lm/bundle-file.ts';
import { headDim, makeConfig, mlpWidth, parameterCount, weightShapes, type ModelConfig } from '../agent/lm/config.ts';
import { checkSample, chooseMasked, CpuAsyncEngine, type AsyncPrefixEngine } from '../agent/lm/engine/async.ts';
import type { SamplingOptions } from '../agent/lm/sampling.ts';
import { CpuEngine } from '../agent/lm/engine/cpu.ts';
import { Prng } from '../agent/lm/prng.ts';
import { ropeTables } from '../agent/lm/rope.ts';
import type { NamedTensors } from '../agent/lm/tensors.ts';
import type { GpuHandle } from '../agent/lm/webgpu/device.ts';
import { nodeDevice } from '../agent/lm/webgpu/device-node.ts';
import { useWebGpuBackend } from '../agent/lm/tfjs-webgpu.ts';
import { kernelSetFor, WebGpuEngine } from '../agent/lm/webgpu/engine.ts';
import { intOption } from './args.ts';
import { machine } from './machine.ts';
import { median, round } from './numbers.ts';

const log = (message: string): void => {
  process.stderr.write(`[bench:webgpu] ${message}\n`);
};

// tfjs reports through console.log now and then; stdout carries only the report.
console.log = (...args: unknown[]): void => console.error(...args);

/** The target: WebGpuEngine decodes at least this many times as fast as tfjs-webgpu. */
const TARGET_WEBGPU_OVER_TFJS_DECODE = 3;
/** The target on a GPU: decode at least this share of the memory-bandwidth bound (GPT-2 small). */
const TARGET_SHARE_OF_BANDWIDTH_BOUND = 0.5;
/** Largest |logit difference| allowed against the CPU engine, as a fraction of the CPU logits' max |logit|. */
const CHECK_TOLERANCE = 1e-3;
/** The check: a prompt of this many ids, then this many single steps. */
const CHECK_PROMPT = 5;
const CHECK_STEPS = 3;
const TFJS_VERSION = '4.22.0';
/**
 * tfjs's matmul program on CPU adapters: 3, its tiled "packed" matmul. Its own choice for a decode step's one-row
 * products (small-output and reduce programs, many invocations per output meeting at barriers) suits GPUs; on
 * SwiftShader, where a barrier switches every invocation's coroutine, it made the planner's step ~5x slower
 * (1.5 s against 0.28 s), as WebGpuEngine's own tiled kernels are there (its scalar set, engine.ts kernelSetFor).
 */
const TFJS_MATMUL_ON_CPU_ADAPTERS = 3;
const GPT2_VOCAB = 50257;
const MIN_GPT2_VOCAB = 8192;

const seconds = (start: number): number => (performance.now() - start) / 1000;
const describe = (e: unknown): string => (e instanceof Error ? e.message : String(e));

// ---------------------------------------------------------------------------------------------------------
// Options

interface Options {
  quick: boolean;
  gpt2: boolean;
  bandwidthGBs: number | null;
  prompt: number;
  decode: number;
  /** Decode steps timed for tfjs (slow on CPU adapters), at most `decode`. */
  tfjsDecode: number;
  reps: number;
  /** tfjs's WEBGPU_MATMUL_PROGRAM_TYPE (-1: its own choice per shape; 0 reduce, 1 split-K, 2 small output, 3 packed);
   *  null: TFJS_MATMUL_ON_CPU_ADAPTERS on a CPU adapter, else -1. */
  tfjsMatmul: number | null;
  /** null: chosen by the adapter (shorter on a CPU driver). */
  gpt2Prompt: number | null;
  gpt2Decode: number | null;
}

function positiveNumber(text: string | undefined, name: string): number | null {
  if (text === undefined) return null;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a number > 0, got ${text}`);
  return n;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      gpt2: { type: 'boolean', default: false },
      'bandwidth-gbs': { type: 'string' },
      prompt: { type: 'string' },
      decode: { type: 'string' },
      'tfjs-decode': { type: 'string' },
      reps: { type: 'string' },
      'tfjs-matmul': { type: 'string' },
      'gpt2-prompt': { type: 'string' },
      'gpt2-decode': { type: 'string' },
    },
    strict: true,
  });
  const quick = values.quick === true;
  const gpt2Prompt = values['gpt2-prompt'];
  const gpt2Decode = values['gpt2-decode'];
  const decode = intOption(values.decode, quick ? 16 : 64, 'decode', 1);
  const tfjsMatmul = values['tfjs-matmul'] === undefined ? null : intOption(values['tfjs-matmul'], -1, 'tfjs-matmul', -1);
  if (tfjsMatmul !== null && tfjsMatmul > 3) throw new Error(`--tfjs-matmul must be -1..3, got ${tfjsMatmul}`);
  return {
    quick,
    gpt2: values.gpt2 === true,
    bandwidthGBs: positiveNumber(values['bandwidth-gbs'], 'bandwidth-gbs'),
    prompt: intOption(values.prompt, quick ? 64 : 256, 'prompt', 1),
    decode,
    tfjsDecode: Math.min(decode, intOption(values['tfjs-decode'], quick ? 8 : 32, 'tfjs-decode', 1)),
    tfjsMatmul,
    reps: intOption(values.reps, quick ? 1 : 3, 'reps', 1),
    gpt2Prompt: gpt2Prompt === undefined ? null : intOption(gpt2Prompt, 0, 'gpt2-prompt', 1),
    gpt2Decode: gpt2Decode === undefined ? null : intOption(gpt2Decode, 0, 'gpt2-decode', 1),
  };
}

// ---------------------------------------------------------------------------------------------------------
// tfjs's webgpu backend on our device

/**
 * The GPT of model.ts in tfjs ops with a KV cache: keys and values of consumed positions per layer, [H, T, hd],
 * grown by concat. A call (a prompt of several ids, or one) is one tf.tidy; the logits of its last id are computed
 * and either read back ([V]) or reduced by argMax on the GPU (only the id read back).
 */
class TfjsKvDecoder implements AsyncPrefixEngine {
  private readonly w = new Map<string, tf.Tensor>();
  private readonly cos: tf.Tensor2D | null = null; // [C, hd/2]
  private readonly sin: tf.Tensor2D | null = null; // [C, hd/2]
  private keys: tf.Tensor3D[] = [];
  private values: tf.Tensor3D[] = [];
  private readonly held: number[] = [];
  private best = -1;
  private drew = false;
  /** Time spent in decode steps: building the ops in tf.tidy (tfjs encodes, and submits every
   *  WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE, dispatches there), and waiting for data() (the rest of the execution and
   *  the readback). */
  readonly timing = { steps: 0, encodeMs: 0, readMs: 0 };

  constructor(
    readonly config: ModelConfig,
    weights: NamedTensors,
  ) {
    for (const [name, shape] of weightShapes(config)) {
      const t = weights.get(name);
      if (t === undefined) throw new Error(`missing weight ${name}`);
      this.w.set(name, tf.tensor(t.data, shape, 'float32'));
    }
    if (config.positions === 'rope') {
      const tables = ropeTables(config.context, headDim(config));
      this.cos = tf.tensor2d(tables.cos, [config.context, tables.half]);
      this.sin = tf.tensor2d(tables.sin, [config.context, tables.half]);
    }
  }

  get position(): number {
    return this.held.length;
  }

  get tokens(): readonly number[] {
    return this.held;
  }

  get lastBest(): number {
    return this.best;
  }

  private get(name: string): tf.Tensor {
    const t = this.w.get(name);
    if (t === undefined) throw new Error(`no weight ${name}`);
    return t;
  }

  reset(): void {
    for (const t of [...this.keys, ...this.values]) t.dispose();
    this.keys = [];
    this.values = [];
    this.held.length = 0;
  }

  truncate(n: number): void {
    if (n === this.position) return;
    throw new Error('the tfjs decoder of the bench does not truncate');
  }

  /** The final hidden row [1, d] (after the last LayerNorm) of ids consumed after the cache; grows the cache. */
  private forward(ids: readonly number[]): tf.Tensor2D {
    const { dModel: d, heads: H, layers, layerNormEps: eps, context: C } = this.config;
    const hd = d / H;
    const T = ids.length;
    const p0 = this.position;
    const S = p0 + T;
    if (S > C) throw new RangeError(`${S} tokens exceed the context ${C}`);
    const ln = (x: tf.Tensor, g: string, b: string): tf.Tensor => {
      const mu = tf.mean(x, -1, true); // [T, 1]
      const xc = tf.sub(x, mu); // [T, d]
      const variance = tf.mean(tf.square(xc), -1, true); // [T, 1]
      return tf.add(tf.mul(tf.mul(xc, tf.rsqrt(tf.add(variance, eps))), this.get(g)), this.get(b)); // [T, d]
    };
    const gelu = (u: tf.Tensor): tf.Tensor => {
      const inner = tf.mul(tf.add(u, tf.mul(tf.mul(tf.square(u), u), 0.044715)), Math.sqrt(2 / Math.PI));
      return tf.mul(tf.mul(u, 0.5), tf.add(tf.tanh(inner), 1));
    };
    const heads = (t: tf.Tensor): tf.Tensor3D => tf.transpose(tf.reshape(t, [T, H, hd]), [1, 0, 2]); // [H, T, hd]
    let cos: tf.Tensor | null = null;
    let sin: tf.Tensor | null = null;
    if (this.cos !== null && this.sin !== null) {
      cos = tf.slice(this.cos, [p0, 0], [T, hd / 2]); // [T, hd/2]
      sin = tf.slice(this.sin, [p0, 0], [T, hd / 2]); // [T, hd/2]
    }
    const rope = (x: tf.Tensor3D): tf.Tensor3D => {
      if (cos === null || sin === null) return x;
      const [x1, x2] = tf.split(x, 2, 2) as [tf.Tensor3D, tf.Tensor3D]; // [H, T, hd/2] each
      return tf.concat([tf.sub(tf.mul(x1, cos), tf.mul(x2, sin)), tf.add(tf.mul(x2, cos), tf.mul(x1, sin))], 2) as tf.Tensor3D; // [H, T, hd]
    };
    // Causal mask over the S keys: query i (position p0 + i) sees keys 0..p0 + i. One row needs none.
    let mask: tf.Tensor2D | null = null;
    if (T > 1) {
      const m = new Float32Array(T * S);
      for (let i = 0; i < T; i++) for (let j = p0 + i + 1; j < S; j++) m[i * S + j] = -1e9;
      mask = tf.tensor2d(m, [T, S]);
    }
    let x = tf.gather(this.get('wte'), tf.tensor1d(Int32Array.from(ids), 'int32')) as tf.Tensor2D; // [T, d]
    if (this.config.positions === 'learned') x = tf.add(x, tf.slice(this.get('wpe'), [p0, 0], [T, d])); // [T, d]
    for (let l = 0; l < layers; l++) {
      const p = `h.${l}`;
      const qkv = tf.add(tf.matMul(ln(x, `${p}.ln1.g`, `${p}.ln1.b`), this.get(`${p}.attn.qkv.w`)), this.get(`${p}.attn.qkv.b`)); // [T, 3d]
      const [qf, kf, vf] = tf.split(qkv, 3, 1) as [tf.Tensor, tf.Tensor, tf.Tensor]; // [T, d] each
      const q = rope(heads(qf)); // [H, T, hd]
      const k = rope(heads(kf)); // [H, T, hd]
      const v = heads(vf); // [H, T, hd]
      const oldK = this.keys[l];
      const oldV = this.values[l];
      const keys: tf.Tensor3D = oldK === undefined ? k : tf.concat([oldK, k], 1); // [H, S, hd]
      const values: tf.Tensor3D = oldV === undefined ? v : tf.concat([oldV, v], 1); // [H, S, hd]
      oldK?.dispose();
      oldV?.dispose();
      this.keys[l] = tf.keep(keys);
      this.values[l] = tf.keep(values);
      let scores = tf.mul(tf.matMul(q, keys, false, true), 1 / Math.sqrt(hd)); // [H, T, S]
      if (mask !== null) scores = tf.add(scores, mask);
      const o = tf.matMul(tf.softmax(scores), values); // [H, T, hd]
      const merged = tf.reshape(tf.transpose(o, [1, 0, 2]), [T, d]); // [T, d]
      x = tf.add(x, tf.add(tf.matMul(merged, this.get(`${p}.attn.proj.w`)), this.get(`${p}.attn.proj.b`))); // [T, d]
      const hidden = gelu(tf.add(tf.matMul(ln(x, `${p}.ln2.g`, `${p}.ln2.b`), this.get(`${p}.mlp.fc.w`)), this.get(`${p}.mlp.fc.b`))); // [T, M]
      x = tf.add(x, tf.add(tf.matMul(hidden, this.get(`${p}.mlp.proj.w`)), this.get(`${p}.mlp.proj.b`))); // [T, d]
    }
    const last = T === 1 ? x : tf.slice(x, [T - 1, 0], [1, d]); // [1, d]
    return ln(last, 'lnf.g', 'lnf.b') as tf.Tensor2D; // [1, d]
  }

  /** Logits [1, V] of the last id (tied embeddings: hf wte^T). */
  private logitsTensor(ids: readonly number[]): tf.Tensor2D {
    return tf.matMul(this.forward(ids), this.get('wte'), false, true);
  }

  private async consume<T>(ids: readonly number[], read: (logits: tf.Tensor2D) => tf.Tensor, out: (data: Float32Array | Int32Array) => T): Promise<T> {
    if (ids.length === 0) throw new RangeError('prefill needs at least one token');
    const t0 = performance.now();
    const result = tf.tidy(() => read(this.logitsTensor(ids)));
    const t1 = performance.now();
    this.held.push(...ids);
    try {
      const data = await result.data();
      if (ids.length === 1) {
        this.timing.steps += 1;
        this.timing.encodeMs += t1 - t0;
        this.timing.readMs += performance.now() - t1;
      }
      if (!(data instanceof Float32Array || data instanceof Int32Array)) throw new Error(`unexpected ${result.dtype} data`);
      return out(data);
    } finally {
      result.dispose();
    }
  }

  prefill(ids: readonly number[]): Promise<Float32Array> {
    return this.consume(ids, (logits) => logits, (data) => Float32Array.from(data));
  }

  step(id: number): Promise<Float32Array> {
    return this.prefill([id]);
  }

  greedyPrefill(ids: readonly number[]): Promise<number> {
    return this.consume(
      ids,
      (logits) => tf.argMax(logits, 1),
      (data) => {
        this.best = data[0] ?? -1;
        return this.best;
      },
    );
  }

  greedyStep(id: number): Promise<number> {
    return this.greedyPrefill([id]);
  }

  /** Sampling reads the logits back and chooses on the CPU (the engine under test chooses on the GPU). */
  async samplePrefill(ids: readonly number[], sampling: SamplingOptions, u: number, mask?: Uint32Array): Promise<number> {
    checkSample(sampling, u, mask, this.config.vocabSize);
    const { token, drew, best } = chooseMasked(await this.prefill(ids), sampling, u, mask);
    this.drew = drew;
    this.best = best;
    return token;
  }

  sampleStep(id: number, sampling: SamplingOptions, u: number, mask?: Uint32Array): Promise<number> {
    return this.samplePrefill([id], sampling, u, mask);
  }

  get lastDrew(): boolean {
    return this.drew;
  }

  dispose(): void {
    this.reset();
    for (const t of this.w.values()) t.dispose();
    this.cos?.dispose();
    this.sin?.dispose();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Models

/** GPT-2 small's shape, the vocabulary cut to what one storage binding of wte [V, d] F32 holds. */
function gpt2Config(maxBindingBytes: number): ModelConfig {
  const d = 768;
  const vocab = Math.min(GPT2_VOCAB, Math.floor(maxBindingBytes / (d * 4)));
  if (vocab < MIN_GPT2_VOCAB) throw new Error(`a storage binding of ${maxBindingBytes} bytes holds only ${vocab} rows of wte`);
  return makeConfig({ vocabSize: vocab, context: 1024, dModel: d, heads: 12, layers: 12, positions: 'learned' });
}

/** Seeded random weights at GPT-2's initial scale, uniform: matrices std 0.02, biases and LayerNorm shifts std 0.01,
 *  LayerNorm gains 1 plus std 0.1 (none constant, so that the check sees every tensor). */
function randomWeights(config: ModelConfig, seed: string): NamedTensors {
  const rng = new Prng(seed);
  const uniform = (std: number): number => (rng.nextUint32() / 2 ** 32 - 0.5) * std * Math.sqrt(12);
  const out: NamedTensors = new Map();
  for (const [name, shape] of weightShapes(config)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    const std = shape.length === 2 ? 0.02 : name.endsWith('.g') ? 0.1 : 0.01;
    for (let i = 0; i < data.length; i++) data[i] = uniform(std) + (name.endsWith('.g') ? 1 : 0);
    out.set(name, { shape: [...shape], data });
  }
  return out;
}

/** Bytes a decode step reads of the weights (F32): every layer's matrices, biases and LayerNorms, the final
 *  LayerNorm, the token's rows of wte and wpe, and all of wte again for the logits. */
function weightBytesPerToken(config: ModelConfig): number {
  const d = config.dModel;
  const m = mlpWidth(config);
  const perLayer = d * 3 * d + 3 * d + d * d + d + d * m + m + m * d + d + 4 * d;
  const embedding = d + (config.positions === 'learned' ? d : 0);
  return 4 * (config.layers * perLayer + 2 * d + embedding + config.vocabSize * d);
}

// ---------------------------------------------------------------------------------------------------------
// Check and timing

class LogitsMismatch extends Error {
  override readonly name = 'LogitsMismatch';
}

interface Agreement {
  maxAbsError: number;
  /** maxAbsError over the CPU logits' max |logit|. */
  maxRelError: number;
}

/** Logits of CHECK_PROMPT ids then CHECK_STEPS steps on `engine` against `reference`; throws beyond the tolerance. */
async function checkAgainst(name: string, engine: AsyncPrefixEngine, reference: AsyncPrefixEngine, ids: readonly number[]): Promise<Agreement> {
  engine.reset();
  reference.reset();
  let maxAbs = 0;
  let scale = 0;
  const compare = (a: Float32Array, b: Float32Array): void => {
    if (a.length !== b.length) throw new LogitsMismatch(`${name}: ${a.length} logits against ${b.length}`);
    for (let i = 0; i < a.length; i++) {
      const diff = Math.abs(a[i]! - b[i]!);
      maxAbs = Math.max(maxAbs, Number.isNaN(diff) ? Infinity : diff);
      scale = Math.max(scale, Math.abs(b[i]!));
    }
  };
  const prompt = ids.slice(0, CHECK_PROMPT);
  compare(await engine.prefill(prompt), await reference.prefill(prompt));
  for (const id of ids.slice(CHECK_PROMPT, CHECK_PROMPT + CHECK_STEPS)) compare(await engine.step(id), await reference.step(id));
  engine.reset();
  reference.reset();
  const rel = maxAbs / Math.max(scale, 1e-30);
  if (!(rel <= CHECK_TOLERANCE)) {
    throw new LogitsMismatch(`${name}'s logits differ from the CPU engine's by ${maxAbs} (${rel} of max|logit| ${scale}), beyond the tolerance ${CHECK_TOLERANCE}`);
  }
  return { maxAbsError: Number(maxAbs.toPrecision(3)), maxRelError: Number(rel.toPrecision(3)) };
}

interface Run {
  prefillSeconds: number;
  decodeSeconds: number;
  /** The greedy ids: the prefill's, then each step's. */
  ids: number[];
}

/** From an empty cache: greedyPrefill of the prompt, then `decode` greedy steps, each fed the previous choice. */
async function greedyRun(engine: AsyncPrefixEngine, prompt: readonly number[], decode: number): Promise<Run> {
  engine.reset();
  let start = performance.now();
  let next = await engine.greedyPrefill(prompt);
  const prefillSeconds = seconds(start);
  const ids = [next];
  start = performance.now();
  for (let i = 0; i < decode; i++) {
    next = await engine.greedyStep(next);
    ids.push(next);
  }
  const decodeSeconds = seconds(start);
  engine.reset();
  return { prefillSeconds, decodeSeconds, ids };
}

interface Throughput {
  prefillTokensPerSec: number;
  decodeTokensPerSec: number;
  prefillMs: number;
  decodeMsPerToken: number;
}

const throughput = (runs: readonly Run[], prompt: number, decode: number): Throughput => {
  const prefill = median(runs.map((r) => r.prefillSeconds));
  const step = median(runs.map((r) => r.decodeSeconds)) / decode;
  return { prefillTokensPerSec: round(prompt / prefill), decodeTokensPerSec: round(1 / step), prefillMs: round(prefill * 1000), decodeMsPerToken: round(step * 1000) };
};

function randomIds(n: number, vocab: number, seed: string): number[] {
  const rng = new Prng(seed);
  return Array.from({ length: n }, () => rng.nextUint32() % vocab);
}

interface Contender {
  name: 'webgpu' | 'tfjs' | 'cpu';
  engine: AsyncPrefixEngine;
}

/** Checks, then measures the contenders on one model; the tfjs decoder's failures become its `error`. */
interface Lengths {
  prompt: number;
  /** Decode steps timed for WebGpuEngine and the CPU engine. */
  decode: number;
  /** Decode steps timed for tfjs (from the same prompt). */
  tfjsDecode: number;
  reps: number;
}

async function measureModel(label: string, config: ModelConfig, weights: NamedTensors, gpu: GpuHandle | null, tfjsReady: string | null, lengths: Lengths): Promise<Record<string, unknown>> {
  const { prompt, decode, tfjsDecode, reps } = lengths;
  const steps = (name: Contender['name']): number => (name === 'tfjs' ? tfjsDecode : decode);
  const ids = randomIds(prompt, config.vocabSize, `bench-webgpu-${label}`);
  let t0 = performance.now();
  const cpuEngine = new CpuEngine(config, weights);
  const cpu = new CpuAsyncEngine(cpuEngine);
  log(`${label}: CPU engine (${cpuEngine.kernel}) built in ${seconds(t0).toFixed(1)} s`);
  const contenders: Contender[] = [];
  const checks: Record<string, Agreement | { error: string }> = {};
  const errors: Record<string, string> = {};
  let webgpu: WebGpuEngine | null = null;
  if (gpu !== null) {
    t0 = performance.now();
    webgpu = await WebGpuEngine.create(gpu, config, weights);
    log(`${label}: WebGpuEngine (${webgpu.kernels} kernels) built in ${seconds(t0).toFixed(1)} s`);
    checks['webgpu'] = await checkAgainst('WebGpuEngine', webgpu, cpu, ids);
    contenders.push({ name: 'webgpu', engine: webgpu });
  }
  let tfjs: TfjsKvDecoder | null = null;
  if (tfjsReady !== null) errors['tfjs'] = tfjsReady;
  else if (gpu !== null) {
    try {
      t0 = performance.now();
      tfjs = new TfjsKvDecoder(config, weights);
      checks['tfjs'] = await checkAgainst('tfjs-webgpu', tfjs, cpu, ids);
      log(`${label}: tfjs-webgpu decoder checked in ${seconds(t0).toFixed(1)} s`);
      contenders.push({ name: 'tfjs', engine: tfjs });
    } catch (e) {
      if (e instanceof LogitsMismatch) throw e;
      errors['tfjs'] = `the tfjs-webgpu decoder failed: ${describe(e)}`;
      log(`${label}: ${errors['tfjs']}`);
      tfjs?.dispose();
      tfjs = null;
    }
  }
  contenders.push({ name: 'cpu', engine: cpu });
  for (const c of contenders) log(`${label}: ${c.name}: ${JSON.stringify(checks[c.name] ?? 'reference')}`);

  // Warm-up: the prompt and a few steps once per engine (pipelines compiled, weights uploaded), reported apart as
  // the first run; then the measured repetitions.
  const runs = new Map<string, Run[]>(contenders.map((c) => [c.name, []]));
  const firstRuns: Record<string, { prefillMs: number; decodeMsPerToken: number }> = {};
  const warmSteps = Math.min(decode, tfjsDecode, 4);
  for (const c of contenders) {
    const run = await greedyRun(c.engine, ids, warmSteps);
    firstRuns[c.name] = { prefillMs: round(run.prefillSeconds * 1000), decodeMsPerToken: round((run.decodeSeconds * 1000) / warmSteps) };
    log(`${label}: ${c.name} first run: prefill ${firstRuns[c.name]!.prefillMs} ms, decode ${firstRuns[c.name]!.decodeMsPerToken} ms/token`);
  }
  if (tfjs !== null) Object.assign(tfjs.timing, { steps: 0, encodeMs: 0, readMs: 0 });
  for (let rep = 0; rep < reps; rep++) {
    // Rotating the order so that no engine always follows another.
    const order = contenders.map((_, i) => contenders[(i + rep) % contenders.length]!);
    for (const c of order) {
      const run = await greedyRun(c.engine, ids, steps(c.name));
      runs.get(c.name)!.push(run);
      log(`${label}: rep ${rep + 1}/${reps} ${c.name}: prefill ${(run.prefillSeconds * 1000).toFixed(0)} ms, decode ${((run.decodeSeconds * 1000) / steps(c.name)).toFixed(1)} ms/token`);
    }
  }
  const results: Record<string, Throughput> = {};
  for (const c of contenders) results[c.name] = throughput(runs.get(c.name)!, prompt, steps(c.name));
  // How many greedy ids of each engine's last run (the prefill's, then each step's) equal the CPU engine's, from the
  // first on: all of them unless a near-tie of the logits flips one (then the sequences part).
  const cpuIds = runs.get('cpu')!.at(-1)!.ids;
  const sameIds: Record<string, { equal: number; of: number }> = {};
  for (const c of contenders) {
    if (c.name === 'cpu') continue;
    const theirs = runs.get(c.name)!.at(-1)!.ids;
    let n = 0;
    while (n < theirs.length && theirs[n] === cpuIds[n]) n++;
    sameIds[c.name] = { equal: n, of: theirs.length };
  }
  const ratio = (a: number | undefined, b: number | undefined): number | null => (a === undefined || b === undefined ? null : round(a / b));
  const w = results['webgpu'];
  const t = results['tfjs'];
  const c = results['cpu'];
  const tfjsSteps = tfjs === null || tfjs.timing.steps === 0 ? null : tfjs.timing;
  webgpu?.destroy();
  tfjs?.dispose();
  return {
    config,
    parameters: parameterCount(config),
    weightsMB: round((parameterCount(config) * 4) / 1e6),
    promptTokens: prompt,
    decodeTokens: decode,
    tfjsDecodeTokens: tfjsDecode,
    reps,
    promptIds: 'seeded random ids',
    check: {
      against: 'CPU engine logits',
      tokens: `a prompt of ${CHECK_PROMPT} ids, then ${CHECK_STEPS} steps`,
      tolerance: `max |logit difference| <= ${CHECK_TOLERANCE} x max |CPU logit|`,
      ...checks,
    },
    webgpu: w ?? { error: 'no WebGPU adapter' },
    tfjs:
      t === undefined
        ? { error: errors['tfjs'] ?? 'not run' }
        : {
            ...t,
            decodeStepMs: tfjsSteps === null ? null : { inTidy: round(tfjsSteps.encodeMs / tfjsSteps.steps), awaitingData: round(tfjsSteps.readMs / tfjsSteps.steps) },
          },
    cpu: c,
    firstRunWithCompilation: firstRuns,
    greedyIdsEqualToCpuPrefix: sameIds,
    ratios: {
      webgpuOverTfjsDecode: ratio(w?.decodeTokensPerSec, t?.decodeTokensPerSec),
      webgpuOverTfjsPrefill: ratio(w?.prefillTokensPerSec, t?.prefillTokensPerSec),
      webgpuOverCpuDecode: ratio(w?.decodeTokensPerSec, c?.decodeTokensPerSec),
      webgpuOverCpuPrefill: ratio(w?.prefillTokensPerSec, c?.prefillTokensPerSec),
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Main

async function main(): Promise<void> {
  const opts = options();
  const started = performance.now();
  const device = await nodeDevice();
  const gpu = device.ok ? device.gpu : null;
  const adapterName = gpu?.adapterName ?? null;
  const cpuDriver = adapterName === null || kernelSetFor(adapterName) === 'scalar';
  log(gpu === null ? `no WebGPU adapter: ${device.ok ? '' : device.reason.message}` : `adapter: ${adapterName} (${device.route}), ${kernelSetFor(adapterName!)} kernels`);

  let tfjsReady: string | null = null;
  if (gpu === null) tfjsReady = 'no WebGPU adapter';
  else {
    try {
      const matmulProgram = opts.tfjsMatmul ?? (cpuDriver ? TFJS_MATMUL_ON_CPU_ADAPTERS : -1);
      await useWebGpuBackend(gpu, matmulProgram >= 0 ? { matmulProgram } : {});
      log(`tfjs ${tf.version_core} on ${tf.getBackend()}`);
    } catch (e) {
      tfjsReady = `tfjs-backend-webgpu did not start in Node: ${describe(e)}`;
      log(tfjsReady);
    }
  }

  const bundle = await loadBundleFile();
  const plannerDecode = Math.min(opts.decode, bundle.config.context - 1);
  const planner = await measureModel('planner', bundle.config, bundle.weights, gpu, tfjsReady, {
    prompt: Math.min(opts.prompt, bundle.config.context - plannerDecode),
    decode: plannerDecode,
    tfjsDecode: Math.min(opts.tfjsDecode, plannerDecode),
    reps: opts.reps,
  });

  let gpt2: Record<string, unknown>;
  const runGpt2 = opts.gpt2 || (gpu !== null && !cpuDriver);
  if (!runGpt2) gpt2 = { skipped: 'on a CPU adapter (SwiftShader/llvmpipe) GPT-2 small runs only with --gpt2' };
  else {
    const config = gpt2Config(gpu?.limits.maxStorageBufferBindingSize ?? GPT2_VOCAB * 768 * 4);
    const prompt = opts.gpt2Prompt ?? (cpuDriver ? (opts.quick ? 8 : 32) : opts.quick ? 128 : 256);
    const decode = opts.gpt2Decode ?? (cpuDriver ? (opts.quick ? 2 : 8) : opts.quick ? 32 : 128);
    const t0 = performance.now();
    const weights = randomWeights(config, 'bench-webgpu-gpt2');
    log(`gpt2: ${parameterCount(config)} parameters (vocabulary ${config.vocabSize}) made in ${seconds(t0).toFixed(1)} s`);
    gpt2 = await measureModel('gpt2', config, weights, gpu, tfjsReady, { prompt, decode, tfjsDecode: Math.min(opts.tfjsDecode, decode), reps: opts.reps });
    const bytes = weightBytesPerToken(config);
    const webgpuResult = gpt2['webgpu'];
    const measured = typeof webgpuResult === 'object' && webgpuResult !== null && 'decodeTokensPerSec' in webgpuResult ? Number(webgpuResult.decodeTokensPerSec) : null;
    const boundTokensPerSec = !cpuDriver && opts.bandwidthGBs !== null ? (opts.bandwidthGBs * 1e9) / bytes : null;
    const share = boundTokensPerSec !== null && measured !== null ? round(measured / boundTokensPerSec) : null;
    gpt2['bandwidth'] = {
      weightBytesPerToken: bytes,
      kvCacheBytesPerTokenAtMeanPosition: 2 * config.layers * config.dModel * 4 * Math.round(prompt + decode / 2),
      bandwidthGBs: cpuDriver ? null : opts.bandwidthGBs,
      boundTokensPerSec: boundTokensPerSec === null ? null : round(boundTokensPerSec),
      reason:
        cpuDriver
          ? 'a CPU adapter (SwiftShader/llvmpipe) has no memory-bandwidth bound of a card: bound and share are null'
          : opts.bandwidthGBs === null
            ? "needs the card's memory bandwidth: pass --bandwidth-gbs (e.g. 4800 for an H200)"
            : 'bound: --bandwidth-gbs over the F32 weight bytes read per decoded token (the KV cache not counted)',
    };
    const ratios = gpt2['ratios'];
    if (typeof ratios === 'object' && ratios !== null) Object.assign(ratios, { decodeShareOfBandwidthBound: share });
  }

  const report = {
    bench: 'webgpu',
    environment: machine(),
    adapter: gpu === null ? { error: device.ok ? 'none' : device.reason.message } : { name: adapterName, route: device.route, cpuDriver, kernels: kernelSetFor(adapterName!) },
    tfjs: tfjsReady === null ? { version: TFJS_VERSION, backend: 'webgpu', device: 'the same GPUDevice as WebGpuEngine', flags: { WEBGPU_CPU_FORWARD: tf.env().getBool('WEBGPU_CPU_FORWARD'), WEBGPU_MATMUL_PROGRAM_TYPE: tf.env().getNumber('WEBGPU_MATMUL_PROGRAM_TYPE') } } : { error: tfjsReady },
    options: opts,
    models: { planner, gpt2 },
    targets: { webgpuOverTfjsDecode: TARGET_WEBGPU_OVER_TFJS_DECODE, decodeShareOfBandwidthBound: TARGET_SHARE_OF_BANDWIDTH_BOUND },
    seconds: round(seconds(started)),
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

await main();
