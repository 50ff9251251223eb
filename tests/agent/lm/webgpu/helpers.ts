// Random inputs and plain-loop references for the WebGPU kernel tests.
import { dequantize, quantizeInt8 } from '../../../../agent/lm/checkpoint.ts';
import type { Prng } from '../../../../agent/lm/prng.ts';
import type { Epilogue } from '../../../../agent/lm/webgpu/kernels/epilogue.ts';
import type { WeightDtype } from '../../../../agent/lm/webgpu/kernels/program.ts';
import { packInt8 } from '../../../../agent/lm/webgpu/pack.ts';
import type { KernelRunner } from '../../../../agent/lm/webgpu/run-kernel.ts';

/** n values, uniform in [-scale, scale). */
export function randomF32(n: number, rng: Prng, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => (2 * rng.next() - 1) * scale);
}

/** Largest |a - b| over elements (Infinity on different lengths or a NaN). */
export function maxAbsError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i]! - b[i]!);
    if (!(e <= m)) m = Number.isNaN(e) ? Infinity : e;
  }
  return m;
}

/** Largest |x|. */
export const maxAbs = (a: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
};

/** LayerNorm of every row in float64, as engine/reference.ts computes it. */
export function layerNormRef(x: Float32Array, rows: number, d: number, g: Float32Array, b: Float32Array, eps: number): Float64Array {
  const y = new Float64Array(rows * d);
  for (let t = 0; t < rows; t++) {
    let mean = 0;
    for (let i = 0; i < d; i++) mean += x[t * d + i]!;
    mean /= d;
    let variance = 0;
    for (let i = 0; i < d; i++) variance += (x[t * d + i]! - mean) ** 2;
    variance /= d;
    for (let i = 0; i < d; i++) y[t * d + i] = ((x[t * d + i]! - mean) / Math.sqrt(variance + eps)) * g[i]! + b[i]!;
  }
  return y;
}

/** Y[T, N] = X[T, K] W[K, N] + b in float64, W row-major [K, N] (as engine/reference.ts linear). */
export function linearRef(x: Float32Array, rows: number, w: Float32Array, b: Float32Array | null, k: number, n: number): Float64Array {
  const y = new Float64Array(rows * n);
  for (let t = 0; t < rows; t++) {
    for (let o = 0; o < n; o++) {
      let s = b === null ? 0 : b[o]!;
      for (let i = 0; i < k; i++) s += x[t * k + i]! * w[i * n + o]!;
      y[t * n + o] = s;
    }
  }
  return y;
}

/** max over outputs of |b| + sum_i |x_i w_io|: the size an f32 sum's rounding error is relative to. */
export function linearScale(x: Float32Array, rows: number, w: Float32Array, b: Float32Array | null, k: number, n: number): number {
  let m = 0;
  for (let t = 0; t < rows; t++) {
    for (let o = 0; o < n; o++) {
      let s = b === null ? 0 : Math.abs(b[o]!);
      for (let i = 0; i < k; i++) s += Math.abs(x[t * k + i]! * w[i * n + o]!);
      m = Math.max(m, s);
    }
  }
  return m;
}

/** GELU as engine/reference.ts computes it (tanh form, float64). */
export const geluRef = (x: number): number => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));

/**
 * Causal attention of T query rows at positions p0.. over cache rows 0..p0+t, float64, written like
 * engine/reference.ts: q [T, d], caches [context, d], heads side by side; returns [T, d].
 */
export function attentionRef(q: Float32Array, kCache: Float32Array, vCache: Float32Array, rows: number, heads: number, d: number, p0: number): Float64Array {
  const hd = d / heads;
  const out = new Float64Array(rows * d);
  for (let t = 0; t < rows; t++) {
    for (let h = 0; h < heads; h++) {
      const scores: number[] = [];
      for (let j = 0; j <= p0 + t; j++) {
        let s = 0;
        for (let c = 0; c < hd; c++) s += q[t * d + h * hd + c]! * kCache[j * d + h * hd + c]!;
        scores.push(s / Math.sqrt(hd));
      }
      const max = Math.max(...scores);
      const exps = scores.map((s) => Math.exp(s - max));
      const total = exps.reduce((a, b) => a + b, 0);
      for (let j = 0; j <= p0 + t; j++) {
        for (let c = 0; c < hd; c++) out[t * d + h * hd + c] = out[t * d + h * hd + c]! + (exps[j]! / total) * vCache[j * d + h * hd + c]!;
      }
    }
  }
  return out;
}

export interface TestWeights {
  /** What the reference multiplies by: the F32 weights, or the int8 ones dequantized. */
  values: Float32Array;
  /** What the kernel binds: the F32 matrix, or the packed int8 one and its per-row scales. */
  buffers: GPUBuffer[];
}

/** A random matrix [rows, cols] as the kernel binds it (int8: checkpoint.ts quantizeInt8, packed four to a u32). */
export function testWeights(gpu: KernelRunner, dtype: WeightDtype, rows: number, cols: number, rng: Prng): TestWeights {
  const data = randomF32(rows * cols, rng, 0.5);
  switch (dtype) {
    case 'f32':
      return { values: data, buffers: [gpu.buffer(data)] };
    case 'int8': {
      const stored = quantizeInt8(new Map([['w', { shape: [rows, cols], data }]]));
      const q = stored.get('w')!;
      const scale = stored.get('w.scale')!;
      if (q.dtype !== 'I8' || scale.dtype !== 'F32') throw new Error('quantizeInt8 gave no I8 tensor');
      return { values: dequantize(stored).get('w')!.data, buffers: [gpu.buffer(packInt8(q.data, rows, cols)), gpu.buffer(scale.data)] };
    }
  }
}

/** What the epilogue makes of z = x W + b, given y's previous contents. */
export function applyEpilogue(epilogue: Epilogue, z: Float64Array, before: Float32Array): Float64Array {
  switch (epilogue) {
    case 'bias':
      return z;
    case 'bias_gelu':
      return z.map(geluRef);
    case 'bias_residual':
      return z.map((v, i) => v + before[i]!);
  }
}

/** A random-valued matrix [rows, cols] as plain typed arrays, before any buffer exists (for a kernel bound
 *  elsewhere, e.g. in a browser page): what testWeights binds, and the values the reference multiplies by. */
export interface WeightArrays {
  values: Float32Array;
  /** [the F32 matrix], or [the int8 matrix packed four to a u32 (pack.ts), its per-row F32 scales]. */
  arrays: (Float32Array | Uint32Array)[];
}

/** `data` [rows, cols] as testWeights binds it (int8: checkpoint.ts quantizeInt8, packed four to a u32). */
export function weightArrays(dtype: WeightDtype, rows: number, cols: number, data: Float32Array): WeightArrays {
  switch (dtype) {
    case 'f32':
      return { values: data, arrays: [data] };
    case 'int8': {
      const stored = quantizeInt8(new Map([['w', { shape: [rows, cols], data }]]));
      const q = stored.get('w')!;
      const scale = stored.get('w.scale')!;
      if (q.dtype !== 'I8' || scale.dtype !== 'F32') throw new Error('quantizeInt8 gave no I8 tensor');
      return { values: dequantize(stored).get('w')!.data, arrays: [packInt8(q.data, rows, cols), scale.data] };
    }
  }
}

/** cpu.ts's rotation of the head vector at x[off..off+hd) by position p, in float64. */
export function rotateRef(x: Float64Array, off: number, hd: number, p: number, cos: Float32Array, sin: Float32Array): void {
  const half = hd / 2;
  for (let j = 0; j < half; j++) {
    const c = cos[p * half + j]!;
    const s = sin[p * half + j]!;
    const x1 = x[off + j]!;
    const x2 = x[off + half + j]!;
    x[off + j] = x1 * c - x2 * s;
    x[off + half + j] = x2 * c + x1 * s;
  }
}

/** What qkv-split makes of qkv [rows, 3d] at p0 (float64): q [rows, d], and the caches [context, d] (holding
 *  `cacheBefore`) with rows p0.. replaced by k and v; rotary positions by rope.ts's tables when given. */
export function qkvSplitRef(
  qkv: Float32Array,
  rows: number,
  d: number,
  hd: number,
  p0: number,
  cacheBefore: Float32Array,
  rope: { cos: Float32Array; sin: Float32Array } | null,
): { q: Float64Array; k: Float64Array; v: Float64Array } {
  const heads = d / hd;
  const q = new Float64Array(rows * d);
  const k = Float64Array.from(cacheBefore);
  const v = Float64Array.from(cacheBefore);
  for (let t = 0; t < rows; t++) {
    const row = Float64Array.from(qkv.subarray(t * 3 * d, (t + 1) * 3 * d));
    if (rope !== null) {
      for (let h = 0; h < heads; h++) {
        rotateRef(row, h * hd, hd, p0 + t, rope.cos, rope.sin);
        rotateRef(row, d + h * hd, hd, p0 + t, rope.cos, rope.sin);
      }
    }
    q.set(row.subarray(0, d), t * d);
    k.set(row.subarray(d, 2 * d), (p0 + t) * d);
    v.set(row.subarray(2 * d), (p0 + t) * d);
  }
  return { q, k, v };
}
