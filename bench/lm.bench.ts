// Language-model decoding benchmark for the model size we plan to ship (vocab 1024, context 512, d 128, 4 heads,
// 4 layers, random weights): prefill and decode throughput of the KV-cache CpuEngine (both kernels, 'js' loops and
// 'simd' WebAssembly, side by side with their ratio) and of the tfjs
// model on the wasm backend (prefill: one forward; decode: a tfjs KV-cache decoder written here, and one forward
// over the growing sequence per token), on the same weights in the same run, their ratios, and the latency of decoding one 20-token action after a planner-sized prompt.
// Then the lm planner's decision latency (DECISION_MODEL: context 384, rotary positions) over the real prompts of
// oracle episodes of every family, in order, with and without prefix reuse (LMPlanner reusePrefix), the two
// interleaved decision by decision, and the prefill throughput over those prompts.
// Everything runs on one core (tfjs wasm threads do not work in Node).
// Prints ONE JSON object to stdout, progress to stderr.
// Usage: npx tsx bench/lm.bench.ts [--prompt N] [--decode N] [--reps N] [--thought N] [--decisions-only] [--quick]
import * as os from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { makeConfig, parameterCount, type ModelConfig } from '../agent/lm/config.ts';
import { CpuEngine } from '../agent/lm/engine/cpu.ts';
import { commonPrefix } from '../agent/lm/engine/types.ts';
import { GptModel, initWeights } from '../agent/lm/model.ts';
import { Prng } from '../agent/lm/prng.ts';
import { promptIds } from '../agent/lm/sequence.ts';
import type { NamedTensors } from '../agent/lm/tensors.ts';
import { Tokenizer, trainTokenizer } from '../agent/lm/tokenizer.ts';
import { runEpisode } from '../agent/loop.ts';
import type { Decision, Planner, PlannerContext } from '../agent/planner.ts';
import { engineFor, LMPlanner } from '../agent/planners/lm.ts';
import { OraclePlanner } from '../agent/planners/oracle.ts';
import { renderPrompt, renderResponse } from '../agent/prompt.ts';
import { LATEST_PROMPT_FORMAT } from '../agent/prompt-format.ts';
import type { PlannerBundle } from '../agent/lm/bundle.ts';
import { familyEnv } from '../scenes/env.ts';
import { FAMILY_NAMES } from '../scenes/family-names.ts';
import { intOption } from './args.ts';
import { median, percentile, round } from './numbers.ts';
import { useWasmBackend } from '../agent/lm/wasm-backend.ts';

const DECODE_TARGET_TOKENS_PER_S = 2000;
const ACTION_TOKENS = 20;
const DECISION_TARGET_P95_MS = 50;
/** The planner's model: the shipped widths with a context of 384 and rotary positions. */
const DECISION_MODEL = { vocabSize: 1024, context: 384, dModel: 128, heads: 4, layers: 4, positions: 'rope' } as const;
/** The oracle episodes measured: these seeds for every family, at most DECISION_STEPS steps each. */
const DECISION_SEEDS = [1_000_010, 1_000_011, 1_000_012];
const DECISION_STEPS = 6;
/** N(0, std) added to the GPT-2 init, so that greedy thoughts vary and run to the cap as an untrained model's do. */
const DECISION_WEIGHT_NOISE = 0.02;

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
  /** Most thought tokens per decision (random weights run to the cap). */
  thought: number;
  decisionsOnly: boolean;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      prompt: { type: 'string' },
      decode: { type: 'string' },
      'tfjs-decode': { type: 'string' },
      reps: { type: 'string' },
      thought: { type: 'string' },
      'decisions-only': { type: 'boolean', default: false },
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
    thought: intOption(values.thought, 45, 'thought', 0),
    decisionsOnly: values['decisions-only'] === true,
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

/** The contexts of every step of oracle episodes (every family, DECISION_SEEDS), in order, and the prompt and
 *  answer texts they give (for the tokenizer). */
async function oracleEpisodes(): Promise<{ episodes: PlannerContext[][]; texts: string[] }> {
  const episodes: PlannerContext[][] = [];
  const texts: string[] = [];
  for (const family of FAMILY_NAMES) {
    for (const seed of DECISION_SEEDS) {
      const env = familyEnv(family, { maxSteps: DECISION_STEPS });
      const oracle = new OraclePlanner(env);
      const contexts: PlannerContext[] = [];
      const recorder: Planner = {
        name: 'oracle',
        decide: async (context: PlannerContext): Promise<Decision> => {
          const rendered = renderPrompt(context);
          const decision = await oracle.decide(context);
          contexts.push(context);
          texts.push(rendered.text);
          if (decision.action) texts.push(renderResponse(decision.thought, decision.action, rendered.marks));
          return decision;
        },
      };
      await runEpisode({ env, planner: recorder, seed });
      episodes.push(contexts);
    }
  }
  return { episodes, texts };
}

/**
 * LMPlanner decision latency on the real prompts of oracle episodes, with prefix reuse and without, on two
 * engines with the same weights (two bundle objects); the two decide every context in turn, alternating which
 * goes first, so that both see the same load. Also prefill throughput over those prompts, from scratch.
 */
async function decisionLatency(thought: number): Promise<Record<string, unknown>> {
  const { episodes, texts } = await oracleEpisodes();
  const trained = trainTokenizer(texts, { vocabSize: DECISION_MODEL.vocabSize, minFrequency: 1 });
  // Padded to the model's vocabulary with pieces that never occur: the output layer costs what it will.
  const padding = Array.from({ length: DECISION_MODEL.vocabSize - trained.vocabSize }, (_, i) => `zq${i}x`);
  const tokenizer = Tokenizer.create(trained.specialTokens, [...trained.words, ...padding]);
  const config = makeConfig(DECISION_MODEL);
  const weights = initWeights(config, 'bench-lm-decisions');
  const rng = new Prng('bench-lm-decisions');
  for (const w of weights.values()) for (let i = 0; i < w.data.length; i++) w.data[i] = w.data[i]! + DECISION_WEIGHT_NOISE * rng.normal();
  const bundle = (): PlannerBundle => ({ config, tokenizer, weights, metadata: {}, promptFormat: LATEST_PROMPT_FORMAT });
  const withReuse = bundle();
  const without = bundle();
  const reuse = new LMPlanner({ bundle: withReuse, maxThoughtTokens: thought });
  const fresh = new LMPlanner({ bundle: without, maxThoughtTokens: thought, reusePrefix: false });
  const engine = (await reuse.ready()).engine;
  await fresh.ready();
  const time = async (planner: LMPlanner, context: PlannerContext): Promise<{ ms: number; decision: Decision }> => {
    const start = performance.now();
    const decision = await planner.decide(context);
    return { ms: performance.now() - start, decision };
  };
  // Warm-up: the first episode, both ways.
  for (const context of episodes[0]!) {
    await time(reuse, context);
    await time(fresh, context);
  }
  const reuseMs: number[] = [];
  const freshMs: number[] = [];
  const promptTokens: number[] = [];
  const reusedTokens: number[] = [];
  const generated: number[] = [];
  let differ = 0;
  for (const [e, contexts] of episodes.entries()) {
    const info = { seed: e, family: 'bench', instruction: '' };
    reuse.reset(info);
    fresh.reset(info);
    for (const [i, context] of contexts.entries()) {
      const held = [...engine.tokens];
      const order = (e + i) % 2 === 0 ? [reuse, fresh] : [fresh, reuse];
      const [a, b] = [await time(order[0]!, context), await time(order[1]!, context)];
      const [r, f] = order[0] === reuse ? [a, b] : [b, a];
      reuseMs.push(r.ms);
      freshMs.push(f.ms);
      if (JSON.stringify(r.decision) !== JSON.stringify(f.decision)) differ++;
      const ids = engine.tokens.slice(0, r.decision.stats.promptTokens ?? 0);
      promptTokens.push(ids.length);
      reusedTokens.push(Math.min(commonPrefix(held, ids), ids.length - 1));
      generated.push(r.decision.stats.tokens ?? 0);
    }
  }
  // Prefill throughput over the same prompts, from scratch (the engine of the planner without reuse).
  const prefillEngine = engineFor(without);
  const prompts = episodes.flat().map((context) => promptIds(tokenizer, renderPrompt(context).text).slice(0, config.context - 64));
  let tokens = 0;
  const start = performance.now();
  for (const ids of prompts) {
    prefillEngine.reset();
    prefillEngine.prefill(ids);
    tokens += ids.length;
  }
  const prefillTokensPerS = tokens / seconds(start);
  const stats = (ms: number[]): { p50: number; p95: number; max: number } => ({ p50: round(percentile(ms, 50)), p95: round(percentile(ms, 95)), max: round(Math.max(...ms)) });
  return {
    model: { ...config, weights: `random (initWeights + N(0, ${DECISION_WEIGHT_NOISE}), seed "bench-lm-decisions")`, kernel: engine.kernel },
    decisions: reuseMs.length,
    maxThoughtTokens: thought,
    promptTokens: { p50: percentile(promptTokens, 50), max: Math.max(...promptTokens) },
    reusedPromptTokens: { p50: percentile(reusedTokens, 50), share: round(reusedTokens.reduce((x, y) => x + y, 0) / promptTokens.reduce((x, y) => x + y, 0)) },
    generatedTokens: { p50: percentile(generated, 50), p95: percentile(generated, 95) },
    latencyMs: { withPrefixReuse: stats(reuseMs), withoutPrefixReuse: stats(freshMs) },
    decisionsThatDiffer: differ,
    prefillTokensPerS: round(prefillTokensPerS),
    target: { p95Ms: DECISION_TARGET_P95_MS, met: percentile(reuseMs, 95) <= DECISION_TARGET_P95_MS },
  };
}

async function main(): Promise<void> {
  const opts = options();
  if (opts.decisionsOnly) {
    log(`lm planner decisions (thought cap ${opts.thought}), with and without prefix reuse`);
    const decisions = await decisionLatency(opts.thought);
    process.stdout.write(`${JSON.stringify({ bench: 'lm', host: { cpus: os.cpus().length, node: process.version, loadAverage1m: round(os.loadavg()[0] ?? 0) }, decisions }, null, 2)}\n`);
    return;
  }
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
  log(`lm planner decisions (thought cap ${opts.thought}), with and without prefix reuse`);
  const decisions = await decisionLatency(opts.thought);

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
    decisions,
    target: {
      decodeTokensPerS: DECODE_TARGET_TOKENS_PER_S,
      measuredAt: `CpuEngine (${engine.kernel} kernel), one core, decoding after a ${opts.prompt}-token prompt`,
      met: cpuDecode >= DECODE_TARGET_TOKENS_PER_S,
    },
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

await main();
