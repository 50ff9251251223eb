// Language-model decoding benchmark for the model size we plan to ship (vocab 1024, context 512, d 128, 4 heads,
// 4 layers, random weights): prefill and decode throughput of the KV-cache CpuEngine (both kernels, 'js' loops and
// 'simd' WebAssembly, side by side with their ratio) and of the tfjs
// model on the wasm backend (prefill: one forward; decode: a tfjs KV-cache decoder written here, and one forward
// over the growing sequence per token), on the same weights in the same run, their ratios, and the latency of decoding one 20-token action after a planner-sized prompt.
// Everything runs on one core (tfjs wasm threads do not work in Node).
// Prints ONE JSON object to stdout, progress to stderr.
// Usage: npx tsx bench/lm.bench.ts [--prompt N] [--decode N] [--reps N] [--quick]
import * as os from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { makeConfig, parameterCount, type ModelConfig } from '../agent/lm/config.ts';
import { CpuEngine } from '../agent/lm/engine/cpu.ts';
import { GptModel, initWeights } from '../agent/lm/model.ts';
import { Prng } from '../agent/lm/prng.ts';
import type { NamedTensors } from '../agent/lm/tensors.ts';
import { intOption } from './args.ts';
import { median, percentile, round } from './numbers.ts';
import { useWasmBackend } from '../agent/lm/wasm-backend.ts';

const DECODE_TARGET_TOKENS_PER_S = 2000;
const ACTION_TOKENS = 20;

const SHIPPED = {
  vocabSize: 1024,
  context: 512,
  dModel: 128,
  heads: 4,
  layers: 4,
} as const;

const log = (message: string): void => {
  process.stderr.write(`[bench:lm] ${message}\n`);
};

interface Options {
  quick: boolean;
  /** Planner prompt length: prefill size and the context decoding starts from. */
  prompt: number;
  /** Tokens decoded per CpuEngine measurement. */
  decode: number;
  /** Tokens decoded per tfjs measurement (each one a full forward). */
  tfjsDecode: number;
  reps: number;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      prompt: { type: 'string' },
      decode: { type: 'string' },
      'tfjs-decode': { type: 'string' },
      reps: { type: 'string' },
    },
    strict: true,
  });
  const quick = values.quick === true;
  return {
    quick,
    prompt: intOption(values.prompt, 256, 'prompt', 1),
    decode: intOption(values.decode, quick ? 64 : 128, 'decode', 1),
    tfjsDecode: intOption(values['tfjs-decode'], quick ? 8 : 32, 'tfjs-decode', 1),
    reps: intOption(values.reps, quick ? 3 : 7, 'reps', 1),
  };
}

const seconds = (start: number): number => (performance.now() - start) / 1000;

function randomIds(n: number, vocab: number, seed: number): number[] {
  const rng = new Prng(seed);
  return Array.from({ length: n }, () => rng.nextUint32() % vocab);
}

/** CpuEngine: prefill of `prompt` tokens, then `decode` steps; seconds of each part. */
function cpuRun(engine: CpuEngine, prompt: number[], decode: number): { prefill: number; decode: number; stepSeconds: number[] } {
  engine.reset();
  let start = performance.now();
  let logits = engine.prefill(prompt);
  const prefill = seconds(start);
  const stepSeconds: number[] = [];
  const begin = performance.now();
  let next = 0;
  for (let i = 0; i < decode; i++) {
    next = (next + logits.length - 1) % logits.length; // cheap, fixed token choice: sampling is not measured
    start = performance.now();
    logits = engine.step(next);
    stepSeconds.push(seconds(start));
  }
  return { prefill, decode: seconds(begin), stepSeconds };
}

/** tfjs: forward over the prompt, then one forward over the growing sequence per decoded token. */
function tfjsRun(model: GptModel, prompt: number[], decode: number): { prefill: number; decode: number; lastLogits: Float32Array } {
  const V = model.config.vocabSize;
  const lastOf = (ids: number[]): Float32Array => {
    const logits = model.forward([ids]);
    const row = tf.tidy(() => tf.slice(logits, [0, ids.length - 1, 0], [1, 1, V]));
    const data = row.dataSync() as Float32Array;
    row.dispose();
    logits.dispose();
    return data;
  };
  let start = performance.now();
  const first = lastOf(prompt);
  const prefill = seconds(start);
  const sequence = [...prompt];
  start = performance.now();
  let next = 0;
  for (let i = 0; i < decode; i++) {
    next = (next + V - 1) % V;
    sequence.push(next);
    lastOf(sequence);
  }
  return { prefill, decode: seconds(start), lastLogits: first };
}

/**
 * A tfjs KV-cache decoder (learned positions), for the decode comparison: one token per call, the same maths as
 * model.ts. Keys are cached transposed, [H, hd, T], and values as [H, T, hd], so both attention matmuls are plain.
 */
class TfjsKvDecoder {
  private readonly w = new Map<string, tf.Tensor>();
  private keys: tf.Tensor3D[] = [];
  private values: tf.Tensor3D[] = [];
  private pos = 0;

  constructor(
    private readonly config: ModelConfig,
    weights: NamedTensors,
  ) {
    for (const [name, t] of weights) this.w.set(name, tf.tensor(t.data, t.shape, 'float32'));
    this.w.set('wteT', tf.transpose(this.get('wte')));
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
    this.pos = 0;
  }

  step(id: number): Float32Array {
    const { dModel: d, heads: H, layers, layerNormEps: eps } = this.config;
    const hd = d / H;
    const ln = (x: tf.Tensor, g: string, b: string): tf.Tensor => {
      const mu = tf.mean(x, -1, true);
      const xc = tf.sub(x, mu);
      return tf.add(tf.mul(tf.mul(xc, tf.rsqrt(tf.add(tf.mean(tf.square(xc), -1, true), eps))), this.get(g)), this.get(b));
    };
    const logits = tf.tidy(() => {
      let x = tf.add(tf.slice(this.get('wte'), [id, 0], [1, d]), tf.slice(this.get('wpe'), [this.pos, 0], [1, d])); // [1, d]
      for (let l = 0; l < layers; l++) {
        const p = `h.${l}`;
        const qkv = tf.add(tf.matMul(ln(x, `${p}.ln1.g`, `${p}.ln1.b`), this.get(`${p}.attn.qkv.w`)), this.get(`${p}.attn.qkv.b`)); // [1, 3d]
        const [q, k, v] = tf.split(qkv, 3, 1) as [tf.Tensor, tf.Tensor, tf.Tensor]; // [1, d] each
        const kT = tf.reshape(k, [H, hd, 1]); // [H, hd, 1]
        const vH = tf.reshape(v, [H, 1, hd]); // [H, 1, hd]
        const oldK = this.keys[l];
        const oldV = this.values[l];
        const keys = oldK === undefined ? kT : tf.concat([oldK, kT], 2); // [H, hd, T]
        const values = oldV === undefined ? vH : tf.concat([oldV, vH], 1); // [H, T, hd]
        oldK?.dispose();
        oldV?.dispose();
        this.keys[l] = tf.keep(keys as tf.Tensor3D);
        this.values[l] = tf.keep(values as tf.Tensor3D);
        const scores = tf.mul(tf.matMul(tf.reshape(q, [H, 1, hd]), keys), 1 / Math.sqrt(hd)); // [H, 1, T]
        const o = tf.reshape(tf.matMul(tf.softmax(scores), values), [1, d]); // [1, d]
        x = tf.add(x, tf.add(tf.matMul(o, this.get(`${p}.attn.proj.w`)), this.get(`${p}.attn.proj.b`))); // [1, d]
        const u = tf.add(tf.matMul(ln(x, `${p}.ln2.g`, `${p}.ln2.b`), this.get(`${p}.mlp.fc.w`)), this.get(`${p}.mlp.fc.b`)); // [1, M]
        const inner = tf.mul(tf.add(u, tf.mul(tf.mul(tf.square(u), u), 0.044715)), Math.sqrt(2 / Math.PI));
        const hidden = tf.mul(tf.mul(u, 0.5), tf.add(tf.tanh(inner), 1)); // [1, M]
        x = tf.add(x, tf.add(tf.matMul(hidden, this.get(`${p}.mlp.proj.w`)), this.get(`${p}.mlp.proj.b`))); // [1, d]
      }
      return tf.matMul(ln(x, 'lnf.g', 'lnf.b'), this.get('wteT')); // [1, V]
    });
    this.pos += 1;
    const data = logits.dataSync() as Float32Array;
    logits.dispose();
    return data;
  }

  dispose(): void {
    this.reset();
    for (const t of this.w.values()) t.dispose();
  }
}

/** tfjs KV cache: the prompt token by token (not timed), then `decode` timed steps. */
function tfjsKvRun(decoder: TfjsKvDecoder, prompt: number[], decode: number): { decode: number; promptLogits: Float32Array } {
  decoder.reset();
  let logits: Float32Array = new Float32Array(0);
  for (const id of prompt) logits = decoder.step(id);
  const promptLogits = logits;
  const start = performance.now();
  let next = 0;
  for (let i = 0; i < decode; i++) {
    next = (next + logits.length - 1) % logits.length;
    logits = decoder.step(next);
  }
  return { decode: seconds(start), promptLogits };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

async function main(): Promise<void> {
  const opts = options();
  const config: ModelConfig = makeConfig({ ...SHIPPED, positions: 'learned' });
  if (opts.prompt + opts.decode > config.context) {
    throw new Error(`--prompt + --decode must be at most the context (${config.context})`);
  }
  await useWasmBackend();
  log(`model: ${parameterCount(config)} parameters; backend ${tf.getBackend()}`);
  const weights = initWeights(config, 'bench-lm');
  const prompt = randomIds(opts.prompt, config.vocabSize, 1);
  const jsEngine = new CpuEngine(config, weights, { kernel: 'js' });
  const engine = new CpuEngine(config, weights, { kernel: 'simd' });
  if (engine.kernel !== 'simd') log('WebAssembly SIMD unavailable: the "simd" engine runs the js kernel');
  const model = new GptModel(config, weights);

  // Warm-up (JIT, wasm kernels, tfjs shape caches).
  cpuRun(jsEngine, prompt.slice(0, 32), 16);
  cpuRun(engine, prompt.slice(0, 32), 16);
  tfjsRun(model, prompt.slice(0, 32), 2);

  // Same weights, same prompt: the engines agree.
  const check = tfjsRun(model, prompt, 0).lastLogits;
  engine.reset();
  const simdLogits = engine.prefill(prompt);
  const agreement = maxAbsDiff(simdLogits, check);
  jsEngine.reset();
  const jsLogits = jsEngine.prefill(prompt);
  const jsAgreement = maxAbsDiff(jsLogits, check);
  const kernelAgreement = maxAbsDiff(simdLogits, jsLogits);
  log(`CpuEngine vs tfjs prefill logits: max |diff| simd ${agreement.toExponential(2)}, js ${jsAgreement.toExponential(2)}; simd vs js ${kernelAgreement.toExponential(2)}`);

  log(`CpuEngine (js kernel): ${opts.reps} x (prefill ${opts.prompt} + decode ${opts.decode})`);
  const cpuJs = Array.from({ length: opts.reps }, () => cpuRun(jsEngine, prompt, opts.decode));
  log(`CpuEngine (simd kernel): ${opts.reps} x (prefill ${opts.prompt} + decode ${opts.decode})`);
  const cpu = Array.from({ length: opts.reps }, () => cpuRun(engine, prompt, opts.decode));
  const shortPrompt = prompt.slice(0, 16);
  const cpuShort = Array.from({ length: opts.reps }, () => cpuRun(engine, shortPrompt, opts.decode));
  const longPrompt = randomIds(config.context - opts.decode, config.vocabSize, 2);
  const cpuLong = Array.from({ length: Math.max(1, Math.ceil(opts.reps / 2)) }, () => cpuRun(engine, longPrompt, opts.decode));
  const actions = Array.from({ length: opts.reps * 3 }, () => cpuRun(engine, prompt, ACTION_TOKENS));

  log(`tfjs-wasm: ${opts.reps} x (prefill ${opts.prompt} + decode ${opts.tfjsDecode} by full forwards)`);
  const tfjs = Array.from({ length: opts.reps }, () => tfjsRun(model, prompt, opts.tfjsDecode));
  model.dispose();
  log(`tfjs-wasm KV cache: ${opts.reps} x decode ${opts.decode} after ${opts.prompt} tokens`);
  const kvDecoder = new TfjsKvDecoder(config, weights);
  const kv = Array.from({ length: opts.reps }, () => tfjsKvRun(kvDecoder, prompt, opts.decode));
  kvDecoder.dispose();
  const kvAgreement = maxAbsDiff(kv[0]!.promptLogits, check);
  log(`tfjs KV cache vs tfjs forward logits: max |diff| ${kvAgreement.toExponential(2)}`);

  const perSecond = (tokens: number, times: number[]): number => round(tokens / median(times));
  const cpuPrefill = perSecond(opts.prompt, cpu.map((r) => r.prefill));
  const cpuDecode = perSecond(opts.decode, cpu.map((r) => r.decode));
  const jsPrefill = perSecond(opts.prompt, cpuJs.map((r) => r.prefill));
  const jsDecode = perSecond(opts.decode, cpuJs.map((r) => r.decode));
  const tfjsPrefill = perSecond(opts.prompt, tfjs.map((r) => r.prefill));
  const tfjsDecode = perSecond(opts.tfjsDecode, tfjs.map((r) => r.decode));
  const tfjsKvDecode = perSecond(opts.decode, kv.map((r) => r.decode));
  const actionMs = actions.map((r) => r.decode * 1000);
  const actionPrefillMs = actions.map((r) => r.prefill * 1000);
  const stepMs = cpu.flatMap((r) => r.stepSeconds.map((s) => s * 1000));

  const report = {
    bench: 'lm',
    quick: opts.quick,
    host: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', node: process.version, loadAverage1m: round(os.loadavg()[0] ?? 0) },
    model: { ...config, parameters: parameterCount(config), weights: 'random (initWeights, seed "bench-lm")' },
    agreement: {
      cpuVsTfjsForward: Number(agreement.toExponential(3)),
      cpuJsVsTfjsForward: Number(jsAgreement.toExponential(3)),
      cpuSimdVsCpuJs: Number(kernelAgreement.toExponential(3)),
      tfjsKvVsTfjsForward: Number(kvAgreement.toExponential(3)),
      tolerance: 1e-4,
      ok: agreement < 1e-4 && jsAgreement < 1e-4 && kvAgreement < 1e-4 && kernelAgreement < 1e-5,
    },
    kernels: {
      js: { prefillTokensPerS: jsPrefill, decodeTokensPerS: jsDecode },
      simd: { prefillTokensPerS: cpuPrefill, decodeTokensPerS: cpuDecode },
      simdOverJs: { prefill: round(cpuPrefill / jsPrefill), decode: round(cpuDecode / jsDecode) },
    },
    cpuEngine: {
      kernel: engine.kernel,
      prefillTokensPerS: cpuPrefill,
      decodeTokensPerS: cpuDecode,
      decodeFrom: opts.prompt,
      decodeTokens: opts.decode,
      decodeTokensPerSShortContext: perSecond(opts.decode, cpuShort.map((r) => r.decode)),
      decodeTokensPerSFullContext: perSecond(opts.decode, cpuLong.map((r) => r.decode)),
      stepMs: { p50: round(percentile(stepMs, 50)), p95: round(percentile(stepMs, 95)) },
    },
    tfjsWasm: {
      prefillTokensPerS: tfjsPrefill,
      decodeTokensPerSFullForward: tfjsDecode,
      decodeFullForwardTokens: opts.tfjsDecode,
      decodeTokensPerSKvCache: tfjsKvDecode,
      decodeFrom: opts.prompt,
      decodeTokens: opts.decode,
    },
    ratio: {
      prefillCpuOverTfjs: round(cpuPrefill / tfjsPrefill),
      decodeCpuOverTfjsKvCache: round(cpuDecode / tfjsKvDecode),
      decodeCpuOverTfjsFullForward: round(cpuDecode / tfjsDecode),
    },
    action: {
      tokens: ACTION_TOKENS,
      promptTokens: opts.prompt,
      prefillMs: { p50: round(percentile(actionPrefillMs, 50)), p95: round(percentile(actionPrefillMs, 95)) },
      decodeMs: { p50: round(percentile(actionMs, 50)), p95: round(percentile(actionMs, 95)) },
    },
    target: {
      decodeTokensPerS: DECODE_TARGET_TOKENS_PER_S,
      measuredAt: `CpuEngine (${engine.kernel} kernel), one core, decoding after a ${opts.prompt}-token prompt`,
      met: cpuDecode >= DECODE_TARGET_TOKENS_PER_S,
    },
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

await main();
