// The slow, obviously correct decoder: every call recomputes the whole sequence from scratch, in float64, with
// plain loops written to read like the maths (no cache, no blocking). CpuEngine and the tfjs model are tested
// against it. Same model as model.ts (see its header).
import { headDim, mlpWidth, validateConfig, type ModelConfig } from '../config.ts';
import { ropeTables, type RopeTables } from '../rope.ts';
import type { NamedTensors } from '../tensors.ts';
import { checkIds, checkTruncate, weight, type PrefixEngine } from './types.ts';

type Vec = Float64Array;

function linear(x: Vec, w: Float32Array, b: Float32Array, inDim: number, outDim: number): Vec {
  const y = new Float64Array(outDim);
  for (let o = 0; o < outDim; o++) {
    let s = b[o]!;
    for (let i = 0; i < inDim; i++) s += x[i]! * w[i * outDim + o]!;
    y[o] = s;
  }
  return y;
}

function layerNorm(x: Vec, g: Float32Array, b: Float32Array, eps: number): Vec {
  const n = x.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i]!;
  mean /= n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (x[i]! - mean) ** 2;
  variance /= n;
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) y[i] = ((x[i]! - mean) / Math.sqrt(variance + eps)) * g[i]! + b[i]!;
  return y;
}

const gelu = (x: number): number => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));

/** Rotates the head vector v (length hd, at offset `off` of `x`) in place by position p. */
function rotate(x: Vec, off: number, hd: number, p: number, rope: RopeTables): void {
  const half = hd / 2;
  for (let j = 0; j < half; j++) {
    const c = rope.cos[p * half + j]!;
    const s = rope.sin[p * half + j]!;
    const x1 = x[off + j]!;
    const x2 = x[off + half + j]!;
    x[off + j] = x1 * c - x2 * s;
    x[off + half + j] = x2 * c + x1 * s;
  }
}

export class ReferenceEngine implements PrefixEngine {
  readonly config: ModelConfig;
  private readonly weights: NamedTensors;
  private readonly rope: RopeTables | null;
  private ids: number[] = [];

  constructor(config: ModelConfig, weights: NamedTensors) {
    validateConfig(config);
    this.config = config;
    this.weights = weights;
    this.rope = config.positions === 'rope' ? ropeTables(config.context, headDim(config)) : null;
    this.w('wte', [config.vocabSize, config.dModel]);
  }

  get position(): number {
    return this.ids.length;
  }

  get tokens(): readonly number[] {
    return this.ids;
  }

  private w(name: string, shape: number[]): Float32Array {
    return weight(this.weights, name, shape);
  }

  /** Logits [T][V] of every position of ids (independent of what this engine has consumed). */
  forwardAll(ids: readonly number[]): Vec[] {
    const { dModel: d, heads: H, layers, vocabSize: V, layerNormEps: eps } = this.config;
    checkIds(ids, this.config, 0);
    const hd = headDim(this.config);
    const m = mlpWidth(this.config);
    const T = ids.length;
    const wte = this.w('wte', [V, d]);
    // Embeddings.
    let x: Vec[] = ids.map((id, t) => {
      const row = new Float64Array(d);
      for (let i = 0; i < d; i++) row[i] = wte[id * d + i]!;
      if (this.config.positions === 'learned') {
        const wpe = this.w('wpe', [this.config.context, d]);
        for (let i = 0; i < d; i++) row[i] = row[i]! + wpe[t * d + i]!;
      }
      return row;
    });
    for (let l = 0; l < layers; l++) {
      const p = `h.${l}`;
      // Attention.
      const qkv = x.map((row) =>
        linear(layerNorm(row, this.w(`${p}.ln1.g`, [d]), this.w(`${p}.ln1.b`, [d]), eps), this.w(`${p}.attn.qkv.w`, [d, 3 * d]), this.w(`${p}.attn.qkv.b`, [3 * d]), d, 3 * d),
      );
      if (this.rope !== null) {
        for (let t = 0; t < T; t++) {
          for (let h = 0; h < H; h++) {
            rotate(qkv[t]!, h * hd, hd, t, this.rope); // q
            rotate(qkv[t]!, d + h * hd, hd, t, this.rope); // k
          }
        }
      }
      const attended = qkv.map((_, t) => {
        const out = new Float64Array(d);
        for (let h = 0; h < H; h++) {
          const scores: number[] = [];
          for (let j = 0; j <= t; j++) {
            let s = 0;
            for (let c = 0; c < hd; c++) s += qkv[t]![h * hd + c]! * qkv[j]![d + h * hd + c]!;
            scores.push(s / Math.sqrt(hd));
          }
          const max = Math.max(...scores);
          const exps = scores.map((s) => Math.exp(s - max));
          const total = exps.reduce((a, b) => a + b, 0);
          for (let j = 0; j <= t; j++) {
            for (let c = 0; c < hd; c++) out[h * hd + c] = out[h * hd + c]! + (exps[j]! / total) * qkv[j]![2 * d + h * hd + c]!;
          }
        }
        return linear(out, this.w(`${p}.attn.proj.w`, [d, d]), this.w(`${p}.attn.proj.b`, [d]), d, d);
      });
      x = x.map((row, t) => row.map((v, i) => v + attended[t]![i]!));
      // MLP.
      x = x.map((row) => {
        const a = layerNorm(row, this.w(`${p}.ln2.g`, [d]), this.w(`${p}.ln2.b`, [d]), eps);
        const hidden = linear(a, this.w(`${p}.mlp.fc.w`, [d, m]), this.w(`${p}.mlp.fc.b`, [m]), d, m).map(gelu);
        const y = linear(hidden, this.w(`${p}.mlp.proj.w`, [m, d]), this.w(`${p}.mlp.proj.b`, [d]), m, d);
        return row.map((v, i) => v + y[i]!);
      });
    }
    // Final LayerNorm and tied output projection.
    return x.map((row) => {
      const hf = layerNorm(row, this.w('lnf.g', [d]), this.w('lnf.b', [d]), eps);
      const logits = new Float64Array(V);
      for (let v = 0; v < V; v++) {
        let s = 0;
        for (let i = 0; i < d; i++) s += hf[i]! * wte[v * d + i]!;
        logits[v] = s;
      }
      return logits;
    });
  }

  prefill(ids: readonly number[]): Float32Array {
    if (ids.length === 0) throw new RangeError('prefill needs at least one token');
    checkIds(ids, this.config, this.ids.length);
    this.ids.push(...ids);
    const all = this.forwardAll(this.ids);
    return Float32Array.from(all[all.length - 1]!);
  }

  step(id: number): Float32Array {
    return this.prefill([id]);
  }

  reset(): void {
    this.ids = [];
  }

  truncate(n: number): void {
    checkTruncate(n, this.ids.length);
    this.ids.length = n;
  }
}
