// The planner's GPT in tfjs ops: a decoder-only transformer, GPT-2 style.
//   x = onehot(ids) wte (+ wpe[:T] when positions are learned)
//   per layer: x += proj(attn(LN1(x)));  x += mlp(LN2(x))     (pre-LayerNorm, causal multi-head attention,
//              with rotary positions applied to q and k when positions are 'rope'; GELU (tanh form) MLP)
//   logits = LNf(x) wte^T                                       (tied embeddings)
// Shapes: B batch, T time, d model width, H heads, hd = d/H, V vocabulary, N = B*T, M = mlp width.
//
// The wasm backend has two traps (../shared/DESIGN.md): gather has no gradient there, so the embedding is a
// one-hot matmul; and only the plain, non-transposed matmul is fast, so every matmul goes through `mm`, whose
// gradient transposes explicitly and then runs plain matmuls (3.5x faster training), and the tied output
// projection multiplies by an explicitly transposed wte.
import * as tf from '@tensorflow/tfjs-core';
import { registerGradients } from './gradients.ts';
import { batchMatMul } from './batch-matmul.ts';
import { headDim, validateConfig, weightShapes, type ModelConfig } from './config.ts';

export { weightShapes } from './config.ts';
import { Prng } from './prng.ts';
import { ropeTables } from './rope.ts';
import type { NamedTensor, NamedTensors } from './tensors.ts';

// ---------------------------------------------------------------------------------------------------------
// Initialisation

/**
 * GPT-2 initialisation, a pure function of (config, seed): matrices N(0, 0.02), the two residual projections
 * (attn.proj.w, mlp.proj.w) N(0, 0.02 / sqrt(2 * layers)), biases 0, LayerNorm gains 1.
 */
export function initWeights(config: ModelConfig, seed: number | string): NamedTensors {
  const rng = new Prng(seed);
  const residualStd = 0.02 / Math.sqrt(2 * config.layers);
  const weights: NamedTensors = new Map();
  for (const [name, shape] of weightShapes(config)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (name.endsWith('.g')) data.fill(1);
    else if (shape.length === 2) {
      const std = name.endsWith('attn.proj.w') || name.endsWith('mlp.proj.w') ? residualStd : 0.02;
      for (let i = 0; i < data.length; i++) data[i] = std * rng.normal();
    }
    weights.set(name, { shape: [...shape], data });
  }
  return weights;
}

// ---------------------------------------------------------------------------------------------------------
// Ops

/** a^T for the last two axes (rank 2 or 3). */
const swap = (x: tf.Tensor): tf.Tensor => (x.rank === 2 ? tf.transpose(x) : tf.transpose(x, [0, 2, 1]));

/**
 * Matmul a [.., m, k] x b [.., k, n] -> [.., m, n] (rank 2, or rank 3 with equal batch) whose gradient transposes
 * explicitly and then multiplies plainly: dA = dy (b^T), dB = (a^T) dy. Rank-3 products (the attention's) go
 * through batchMatMul's SIMD gemm, which tfjs-wasm's batched loop is ~10x slower than.
 */
const mmCustom = tf.customGrad<tf.Tensor>((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: batchMatMul(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor, tf.Tensor];
      return [batchMatMul(dy, swap(sb)), batchMatMul(swap(sa), dy)];
    },
  };
});
const mm = (a: tf.Tensor, b: tf.Tensor): tf.Tensor => mmCustom(a, b);

function layerNorm(x: tf.Tensor2D, g: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor2D {
  const mu = tf.mean(x, -1, true); // [N, 1]
  const xc = tf.sub(x, mu); // [N, d]
  const variance = tf.mean(tf.square(xc), -1, true); // [N, 1]
  return tf.add(tf.mul(tf.mul(xc, tf.rsqrt(tf.add(variance, eps))), g), b); // [N, d]
}

const GELU_C = Math.sqrt(2 / Math.PI);

/** GELU, tanh form: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
function gelu(x: tf.Tensor): tf.Tensor {
  const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.square(x), x), 0.044715)), GELU_C); // [N, M]
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1)); // [N, M]
}

/** [T*T] row-major: 0 where key <= query, -1e9 above the diagonal. */
function causalMask(T: number): Float32Array {
  const mask = new Float32Array(T * T);
  for (let q = 0; q < T; q++) for (let k = q + 1; k < T; k++) mask[q * T + k] = -1e9;
  return mask;
}

/** Rotary positions on x [B*H, T, hd] with cos, sin [T, hd/2]. */
function rope(x: tf.Tensor3D, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor3D {
  const half = x.shape[2] / 2;
  const [x1, x2] = tf.split(x, [half, half], 2) as [tf.Tensor3D, tf.Tensor3D]; // [B*H, T, hd/2] each
  const out1 = tf.sub(tf.mul(x1, cos), tf.mul(x2, sin)); // [B*H, T, hd/2]
  const out2 = tf.add(tf.mul(x2, cos), tf.mul(x1, sin)); // [B*H, T, hd/2]
  return tf.concat([out1, out2], 2) as tf.Tensor3D; // [B*H, T, hd]
}

/** -log softmax(logits)[target] per row: logits [M, V], targets [M] (int32) -> [M]. */
function crossEntropy(logits: tf.Tensor, targets: tf.Tensor, V: number): tf.Tensor1D {
  const logp = tf.logSoftmax(logits); // [M, V]
  const onehot = tf.cast(tf.oneHot(targets as tf.Tensor1D, V), 'float32'); // [M, V]
  return tf.neg(tf.sum(tf.mul(onehot, logp), 1)) as tf.Tensor1D; // [M]
}

/**
 * Rows `at` [M] (distinct, int32) of x [N, d] -> [M, d], with the gradient scattered back into [N, d] (tfjs's own
 * gradient of gather needs UnsortedSegmentSum, which the wasm backend lacks).
 */
const selectRowsCustom = tf.customGrad<tf.Tensor2D>((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [input, at, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
  save([at]); // kept for the gradient, which runs after the loss's tidy has ended
  return {
    value: tf.gather(input, at), // [M, d]
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const kept = saved[0] as tf.Tensor1D;
      return [tf.scatterND(tf.reshape(kept, [-1, 1]), dy, input.shape), tf.zerosLike(kept)]; // [N, d], none for `at`
    },
  };
});
const selectRows = (x: tf.Tensor2D, at: tf.Tensor1D): tf.Tensor2D => selectRowsCustom(x, at);

// ---------------------------------------------------------------------------------------------------------
// The model

export interface TrainOptions {
  /** Learning rate of this step. */
  lr: number;
  /** [B, T], 1 where the target counts in the loss, 0 where not; all count when absent. */
  mask?: tf.Tensor2D | number[][];
}

export interface OptimizerOptions {
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Decoupled (AdamW) weight decay, applied to matrices (rank-2 weights) only. */
  weightDecay: number;
  /** Gradients are scaled so that their global norm is at most this (0: no clipping). */
  clipNorm: number;
}

export const DEFAULT_OPTIMIZER: OptimizerOptions = {
  beta1: 0.9,
  beta2: 0.95,
  epsilon: 1e-8,
  weightDecay: 0.1,
  clipNorm: 1,
};

export interface StepResult {
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
}

type IdsInput = tf.Tensor2D | number[][];

/** The value of a scalar, which is then freed. */
function readScalarSync(t: tf.Tensor): number {
  const value = t.dataSync()[0] ?? NaN;
  t.dispose();
  return value;
}

/** readScalarSync without blocking (the webgpu backend in Node reads only asynchronously). */
async function readScalar(t: tf.Tensor): Promise<number> {
  const value = (await t.data())[0] ?? NaN;
  t.dispose();
  return value;
}

/** F32 copies of named tensors, in order. */
function readAllSync(entries: readonly [string, tf.Tensor][]): NamedTensors {
  return new Map(entries.map(([name, t]): [string, NamedTensor] => [name, { shape: [...t.shape], data: Float32Array.from(t.dataSync()) }]));
}

/** readAllSync without blocking. */
async function readAll(entries: readonly [string, tf.Tensor][]): Promise<NamedTensors> {
  const data = await Promise.all(entries.map(([, t]) => t.data()));
  return new Map(entries.map(([name, t], i): [string, NamedTensor] => [name, { shape: [...t.shape], data: Float32Array.from(data[i]!) }]));
}

const asIds = (ids: IdsInput): tf.Tensor2D => (ids instanceof tf.Tensor ? ids : tf.tensor2d(ids, undefined, 'int32'));

export class GptModel {
  readonly config: ModelConfig;
  private readonly optimizer: OptimizerOptions;
  /** Canonical name -> trainable variable (tfjs variable names are globally unique, so not ours). */
  private readonly vars = new Map<string, tf.Variable>();
  private readonly moments = new Map<string, { m: tf.Variable; v: tf.Variable }>();
  private steps = 0;
  private readonly ropeCos: tf.Tensor2D | null = null; // [context, hd/2]
  private readonly ropeSin: tf.Tensor2D | null = null; // [context, hd/2]

  constructor(config: ModelConfig, weights: NamedTensors, optimizer: Partial<OptimizerOptions> = {}) {
    validateConfig(config);
    registerGradients();
    this.config = config;
    this.optimizer = { ...DEFAULT_OPTIMIZER, ...optimizer };
    for (const [name, shape] of weightShapes(config)) {
      const w = weights.get(name);
      if (w === undefined) throw new Error(`missing weight ${name}`);
      if (w.shape.length !== shape.length || w.shape.some((n, i) => n !== shape[i])) {
        throw new Error(`weight ${name} has shape [${w.shape.join(', ')}], expected [${shape.join(', ')}]`);
      }
      const initial = tf.tensor(w.data, shape, 'float32');
      this.vars.set(name, tf.variable(initial, true));
      initial.dispose();
    }
    if (config.positions === 'rope') {
      const tables = ropeTables(config.context, headDim(config));
      this.ropeCos = tf.tensor2d(tables.cos, [config.context, tables.half]);
      this.ropeSin = tf.tensor2d(tables.sin, [config.context, tables.half]);
    }
  }

  private w(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (v === undefined) throw new Error(`no weight ${name}`);
    return v;
  }

  /** Logits [B, T, V] for ids [B, T] (int32), T <= context. */
  forward(idsInput: IdsInput): tf.Tensor3D {
    return tf.tidy(() => {
      const ids = asIds(idsInput);
      const [B, T] = ids.shape;
      const hf = this.hidden(ids); // [B*T, d]
      const logits = mm(hf, tf.transpose(this.w('wte'))); // [N, V]  (explicit wte^T: a plain matmul)
      return tf.reshape(logits, [B, T, this.config.vocabSize]); // [B, T, V]
    });
  }

  /** The final hidden states [B*T, d] (after the last LayerNorm) for ids [B, T] (int32), T <= context. */
  private hidden(idsInput: IdsInput): tf.Tensor2D {
    return tf.tidy(() => {
      const ids = asIds(idsInput);
      const [B, T] = ids.shape;
      const { vocabSize: V, dModel: d, heads: H, layers, layerNormEps: eps } = this.config;
      if (T > this.config.context) throw new RangeError(`sequence of ${T} exceeds the context ${this.config.context}`);
      const hd = d / H;
      const N = B * T;

      const onehot = tf.cast(tf.oneHot(tf.reshape(ids, [N]), V), 'float32'); // [N, V]
      let x = mm(onehot, this.w('wte')) as tf.Tensor2D; // [N, d]
      if (this.config.positions === 'learned') {
        const pos = tf.slice(this.w('wpe'), [0, 0], [T, d]); // [T, d]
        x = tf.reshape(tf.add(tf.reshape(x, [B, T, d]), pos), [N, d]); // [N, d]
      }
      let cos: tf.Tensor | null = null;
      let sin: tf.Tensor | null = null;
      if (this.ropeCos !== null && this.ropeSin !== null) {
        cos = tf.slice(this.ropeCos, [0, 0], [T, hd / 2]); // [T, hd/2]
        sin = tf.slice(this.ropeSin, [0, 0], [T, hd / 2]); // [T, hd/2]
      }
      // Causal mask: 0 where key <= query, -1e9 above the diagonal.
      const mask = tf.tensor2d(causalMask(T), [T, T]); // [T, T]
      const scale = 1 / Math.sqrt(hd);

      const heads = (t: tf.Tensor): tf.Tensor3D =>
        tf.reshape(tf.transpose(tf.reshape(t, [B, T, H, hd]), [0, 2, 1, 3]), [B * H, T, hd]); // [B*H, T, hd]

      for (let i = 0; i < layers; i++) {
        const p = `h.${i}`;
        const a = layerNorm(x, this.w(`${p}.ln1.g`), this.w(`${p}.ln1.b`), eps); // [N, d]
        const qkv = tf.add(mm(a, this.w(`${p}.attn.qkv.w`)), this.w(`${p}.attn.qkv.b`)); // [N, 3d]
        const [qf, kf, vf] = tf.split(qkv, 3, 1); // [N, d] each
        let q = heads(qf as tf.Tensor); // [B*H, T, hd]
        let k = heads(kf as tf.Tensor); // [B*H, T, hd]
        const v = heads(vf as tf.Tensor); // [B*H, T, hd]
        if (cos !== null && sin !== null) {
          q = rope(q, cos, sin); // [B*H, T, hd]
          k = rope(k, cos, sin); // [B*H, T, hd]
        }
        const scores = tf.add(tf.mul(mm(q, swap(k)), scale), mask); // [B*H, T, T]
        const probs = tf.softmax(scores); // [B*H, T, T]
        const o = mm(probs, v); // [B*H, T, hd]
        const merged = tf.reshape(tf.transpose(tf.reshape(o, [B, H, T, hd]), [0, 2, 1, 3]), [N, d]); // [N, d]
        const attn = tf.add(mm(merged, this.w(`${p}.attn.proj.w`)), this.w(`${p}.attn.proj.b`)); // [N, d]
        x = tf.add(x, attn); // [N, d]

        const a2 = layerNorm(x, this.w(`${p}.ln2.g`), this.w(`${p}.ln2.b`), eps); // [N, d]
        const hidden = gelu(tf.add(mm(a2, this.w(`${p}.mlp.fc.w`)), this.w(`${p}.mlp.fc.b`))); // [N, M]
        const mlp = tf.add(mm(hidden, this.w(`${p}.mlp.proj.w`)), this.w(`${p}.mlp.proj.b`)); // [N, d]
        x = tf.add(x, mlp); // [N, d]
      }
      return layerNorm(x, this.w('lnf.g'), this.w('lnf.b'), eps); // [N, d]
    });
  }

  /**
   * Mean cross-entropy of targets [B, T] under the logits of ids [B, T], over the positions where mask is 1 (a
   * mask weighs each position; the mean divides by the mask's sum). With a mask, logits are computed only at the
   * positions it counts: an SFT batch's answers are a sixth of its tokens, and the [N, V] head was a tenth of a step.
   */
  loss(idsInput: IdsInput, targetsInput: IdsInput, maskInput?: tf.Tensor2D | number[][]): tf.Scalar {
    return tf.tidy(() => {
      const ids = asIds(idsInput);
      const targets = asIds(targetsInput);
      const [B, T] = ids.shape;
      const N = B * T;
      const V = this.config.vocabSize;
      const hf = this.hidden(ids); // [N, d]
      const flatTargets = tf.reshape(targets, [N]); // [N]
      if (maskInput === undefined) {
        const logits = mm(hf, tf.transpose(this.w('wte'))); // [N, V]
        return tf.mean(crossEntropy(logits, flatTargets, V)); // []
      }
      const weights = maskInput instanceof tf.Tensor ? Array.from(maskInput.dataSync()) : maskInput.flat();
      if (weights.length !== N) throw new RangeError(`mask of ${weights.length} entries for [${B}, ${T}] targets`);
      const rows = weights.flatMap((w, i) => (w !== 0 ? [i] : []));
      const total = weights.reduce((a, w) => a + w, 0);
      if (rows.length === 0) return tf.mul<tf.Scalar>(tf.sum(hf), 0); // 0, still a function of the weights (zero gradients)
      const at = tf.tensor1d(rows, 'int32'); // [M]
      const logits = mm(selectRows(hf, at), tf.transpose(this.w('wte'))); // [M, V]
      const nll = crossEntropy(logits, tf.gather(flatTargets, at), V); // [M]
      const w = tf.tensor1d(rows.map((i) => weights[i]!)); // [M]
      return tf.div(tf.sum(tf.mul(nll, w)), Math.max(total, 1)); // []
    });
  }

  /** One AdamW step on the mean loss of the batch; returns the loss before the step. */
  trainStep(ids: IdsInput, targets: IdsInput, options: TrainOptions): StepResult {
    const { value, norm } = this.update(ids, targets, options);
    return { loss: readScalarSync(value), gradNorm: readScalarSync(norm) };
  }

  /** trainStep, reading its two numbers without blocking: the webgpu backend in Node cannot read synchronously. */
  async trainStepAsync(ids: IdsInput, targets: IdsInput, options: TrainOptions): Promise<StepResult> {
    const { value, norm } = this.update(ids, targets, options);
    const [loss, gradNorm] = await Promise.all([readScalar(value), readScalar(norm)]);
    return { loss, gradNorm };
  }

  /** The step's update; the loss before it and the gradients' norm stay on the device (the caller reads and frees them). */
  private update(ids: IdsInput, targets: IdsInput, options: TrainOptions): { value: tf.Scalar; norm: tf.Scalar } {
    const vars = [...this.vars.values()];
    const { value, grads } = tf.variableGrads(() => this.loss(ids, targets, options.mask), vars);
    const gradOf = (name: string, v: tf.Variable): tf.Tensor => {
      const g = grads[v.name];
      if (g === undefined) throw new Error(`no gradient for ${name}`);
      return g;
    };
    const norm = this.applyUpdate(gradOf, options.lr);
    for (const g of Object.values(grads)) g.dispose();
    return { value, norm };
  }

  /**
   * Clips the gradients by global norm and takes one AdamW step with them; returns the norm before clipping (a
   * scalar the caller frees). `gradOf(name, variable)` gives each weight's gradient (owned by the caller).
   */
  private applyUpdate(gradOf: (name: string, v: tf.Variable) => tf.Tensor, lr: number): tf.Scalar {
    const { beta1, beta2, epsilon, weightDecay, clipNorm } = this.optimizer;
    this.steps += 1;
    const t = this.steps;
    const norm = tf.tidy(() => {
      // Added in a chain, not by addN: tfjs-webgpu's addN binds every input at once, beyond an adapter's storage
      // buffers per stage (28 weights against SwiftShader's 12). On wasm the two sums are the same bits.
      const squares = [...this.vars].map(([name, v]) => tf.sum(tf.square(gradOf(name, v)))); // [] each
      const gradNorm = tf.sqrt(squares.reduce((sum, x) => tf.add(sum, x))); // []
      const clip = clipNorm > 0 ? tf.minimum(1, tf.div(clipNorm, tf.add(gradNorm, 1e-6))) : tf.scalar(1); // []
      const c1 = 1 - Math.pow(beta1, t);
      const c2 = 1 - Math.pow(beta2, t);
      for (const [name, p] of this.vars) {
        let state = this.moments.get(name);
        if (state === undefined) {
          state = { m: tf.variable(tf.zerosLike(p), false), v: tf.variable(tf.zerosLike(p), false) };
          this.moments.set(name, state);
        }
        const g = tf.mul(gradOf(name, p), clip);
        state.m.assign(tf.add(tf.mul(state.m, beta1), tf.mul(g, 1 - beta1)));
        state.v.assign(tf.add(tf.mul(state.v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        let update = tf.div(tf.div(state.m, c1), tf.add(tf.sqrt(tf.div(state.v, c2)), epsilon));
        if (p.rank === 2 && weightDecay > 0) update = tf.add(update, tf.mul(p, weightDecay));
        p.assign(tf.sub(p, tf.mul(update, lr)));
      }
      return gradNorm;
    });
    return norm as tf.Scalar;
  }

  /**
   * The gradient of the SUM of the masked per-target losses (not the mean, so that shards of a batch add up),
   * with that sum and the number of targets counted; no update. For data-parallel training.
   */
  gradientSum(ids: IdsInput, targets: IdsInput, mask: number[][]): { sum: number; count: number; grads: NamedTensors } {
    const count = mask.reduce((a, row) => a + row.reduce((x, y) => x + y, 0), 0);
    const names = [...this.vars.keys()];
    const vars = [...this.vars.values()];
    const { value, grads } = tf.variableGrads(() => tf.mul(this.loss(ids, targets, mask), Math.max(count, 1)), vars);
    const out: NamedTensors = new Map();
    vars.forEach((v, i) => {
      const g = grads[v.name];
      if (g === undefined) throw new Error(`no gradient for ${names[i]}`);
      out.set(names[i]!, { shape: [...g.shape], data: Float32Array.from(g.dataSync()) });
    });
    const sum = value.dataSync()[0] ?? NaN;
    value.dispose();
    for (const g of Object.values(grads)) g.dispose();
    return { sum, count, grads: out };
  }

  /** One AdamW step with given gradients (of the mean loss), e.g. gradient sums of shards divided by their count. */
  applyGradients(grads: ReadonlyMap<string, NamedTensor>, lr: number): number {
    const tensors = new Map<string, tf.Tensor>();
    try {
      for (const [name, p] of this.vars) {
        const g = grads.get(name);
        if (g === undefined || g.data.length !== p.size) throw new Error(`no gradient of the right size for ${name}`);
        tensors.set(name, tf.tensor(g.data, p.shape, 'float32'));
      }
      return readScalarSync(this.applyUpdate((name) => tensors.get(name)!, lr));
    } finally {
      for (const t of tensors.values()) t.dispose();
    }
  }

  /** Overwrites the weights (same names and shapes as the config's). */
  setWeights(weights: ReadonlyMap<string, NamedTensor>): void {
    for (const [name, p] of this.vars) {
      const w = weights.get(name);
      if (w === undefined || w.data.length !== p.size) throw new Error(`no weight of the right size for ${name}`);
      const t = tf.tensor(w.data, p.shape, 'float32');
      p.assign(t);
      t.dispose();
    }
  }

  /** AdamW steps taken so far (the bias correction's t). */
  get stepCount(): number {
    return this.steps;
  }

  private momentEntries(): [string, tf.Tensor][] {
    return [...this.moments].flatMap(([name, s]): [string, tf.Tensor][] => [
      [`adam.m.${name}`, s.m],
      [`adam.v.${name}`, s.v],
    ]);
  }

  /** Copies of the Adam moments, named `adam.m.<weight>` and `adam.v.<weight>` (empty before the first step). */
  optimizerState(): NamedTensors {
    return readAllSync(this.momentEntries());
  }

  /** optimizerState, read without blocking. */
  optimizerStateAsync(): Promise<NamedTensors> {
    return readAll(this.momentEntries());
  }

  /** Restores what optimizerState gave, and the step count, so that training continues exactly. */
  loadOptimizerState(steps: number, state: ReadonlyMap<string, NamedTensor>): void {
    if (!Number.isInteger(steps) || steps < 0) throw new Error(`bad optimizer step count ${steps}`);
    for (const s of this.moments.values()) {
      s.m.dispose();
      s.v.dispose();
    }
    this.moments.clear();
    this.steps = steps;
    if (steps === 0) return;
    for (const [name, p] of this.vars) {
      const m = state.get(`adam.m.${name}`);
      const v = state.get(`adam.v.${name}`);
      if (m === undefined || v === undefined) throw new Error(`optimizer state lacks the moments of ${name}`);
      const size = p.size;
      if (m.data.length !== size || v.data.length !== size) throw new Error(`optimizer moments of ${name} have the wrong size`);
      const variable = (data: Float32Array): tf.Variable => {
        const t = tf.tensor(data, p.shape, 'float32');
        const out = tf.variable(t, false);
        t.dispose();
        return out;
      };
      this.moments.set(name, { m: variable(m.data), v: variable(v.data) });
    }
  }

  /** Sum of the masked loss over a batch and the number of targets that counted (no gradient): for validation. */
  lossSum(ids: IdsInput, targets: IdsInput, mask: tf.Tensor2D | number[][]): { sum: number; count: number } {
    const { count, mean } = this.lossParts(ids, targets, mask);
    const n = readScalarSync(count);
    return { sum: readScalarSync(mean) * Math.max(n, 1), count: n };
  }

  /** lossSum, read without blocking. */
  async lossSumAsync(ids: IdsInput, targets: IdsInput, mask: tf.Tensor2D | number[][]): Promise<{ sum: number; count: number }> {
    const { count, mean } = this.lossParts(ids, targets, mask);
    const [n, m] = await Promise.all([readScalar(count), readScalar(mean)]);
    return { sum: m * Math.max(n, 1), count: n };
  }

  /** The number of targets that count and their mean loss, on the device (the caller reads and frees them). */
  private lossParts(ids: IdsInput, targets: IdsInput, mask: tf.Tensor2D | number[][]): { count: tf.Scalar; mean: tf.Scalar } {
    // An array mask stays an array: loss() would read a tensor one back synchronously.
    const count = mask instanceof tf.Tensor ? tf.tidy(() => tf.sum<tf.Scalar>(tf.cast(mask, 'float32'))) : tf.scalar(mask.flat().reduce((a, w) => a + w, 0)); // []
    return { count, mean: this.loss(ids, targets, mask) };
  }

  /** A copy of the weights, canonical order. */
  weights(): NamedTensors {
    return readAllSync([...this.vars]);
  }

  /** weights, read without blocking. */
  weightsAsync(): Promise<NamedTensors> {
    return readAll([...this.vars]);
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    for (const s of this.moments.values()) {
      s.m.dispose();
      s.v.dispose();
    }
    this.ropeCos?.dispose();
    this.ropeSin?.dispose();
  }
}
