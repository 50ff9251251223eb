// Batched matrix products for training the model with tfjs: A [G, m, k] x B [G, k, n] -> [G, m, n], the attention's
// scores (Q K^T) and weighted values (P V) and their gradients. tfjs-wasm runs a batched product (G > 1) through a
// plain loop at ~1 GMAC/s here, against ~14 GMAC/s for its 2-D products; on the planner's shapes ([32, 280, 280] x
// [32, 280, 32]) those loops took 85% of a training step. This runs each of the G products through the CPU
// engine's SIMD gemm (engine/simd.ts) in a WebAssembly memory of its own, paying three copies of the operands.
// `tf.matMul` stays the reference (tests/agent/lm/batch-matmul.test.ts ties the two) and the fallback where the
// gemm does not apply (no SIMD) and on backends whose tensors live on a GPU (webgpu:
// reading them back would cost more than it saves, and Node cannot read them synchronously). Deterministic: each
// output is summed over k in order.
import * as tf from '@tensorflow/tfjs-core';
import { gemmPanelsInto, lmKernels, type LmKernels } from './engine/simd.ts';

const PAGE = 65536;
/** Backends whose tensors are in CPU memory, where the SIMD path pays. */
const CPU_BACKENDS = new Set(['wasm', 'cpu']);

/** One WebAssembly memory and the kernels bound to it, grown as larger products come. */
class Workspace {
  private memory = new WebAssembly.Memory({ initial: 16 });
  private kernels: LmKernels | null = lmKernels(this.memory);

  get available(): boolean {
    return this.kernels !== null;
  }

  /**
   * out[g] = a[g] b[g] for g < G; a [G, m, k], b [G, k, n], out [G, m, n] (row-major). The gemm writes four columns
   * at a time, so an n that is not a multiple of 4 is computed with b widened by zero columns to n4 and those
   * columns dropped from the result (each output is the same sum over k either way).
   */
  product(a: Float32Array, b: Float32Array, G: number, m: number, k: number, n: number): Float32Array {
    const n4 = Math.ceil(n / 4) * 4;
    const wide = n4 === n ? b : widen(b, G * k, n, n4);
    // Layout (floats): A (G m k) | panels of one B[g] (k n4) | zero bias (n4) | Y (G m n4).
    const aAt = 0;
    const panelsAt = aAt + G * m * k;
    const biasAt = panelsAt + k * n4;
    const yAt = biasAt + n4;
    const bytes = (yAt + G * m * n4) * 4;
    if (bytes > this.memory.buffer.byteLength) {
      this.memory.grow(Math.ceil((bytes - this.memory.buffer.byteLength) / PAGE));
      this.kernels = lmKernels(this.memory);
    }
    const kernels = this.kernels;
    if (kernels === null) throw new Error('SIMD kernels are not available');
    const heap = new Float32Array(this.memory.buffer);
    heap.set(a, aAt);
    heap.fill(0, biasAt, biasAt + n4);
    for (let g = 0; g < G; g++) {
      gemmPanelsInto(wide.subarray(g * k * n4, (g + 1) * k * n4), k, n4, heap, panelsAt);
      kernels.gemm(panelsAt * 4, (aAt + g * m * k) * 4, biasAt * 4, (yAt + g * m * n4) * 4, k, n4, m, k * 4, n4 * 4);
    }
    const y = heap.subarray(yAt, yAt + G * m * n4);
    return n4 === n ? y.slice() : narrow(y, G * m, n4, n);
  }
}

/** rows x n -> rows x n4 (n4 >= n), the new columns zero. */
function widen(x: Float32Array, rows: number, n: number, n4: number): Float32Array {
  const out = new Float32Array(rows * n4);
  for (let r = 0; r < rows; r++) out.set(x.subarray(r * n, r * n + n), r * n4);
  return out;
}

/** rows x n4 -> rows x n, the first n columns of each row. */
function narrow(x: Float32Array, rows: number, n4: number, n: number): Float32Array {
  const out = new Float32Array(rows * n);
  for (let r = 0; r < rows; r++) out.set(x.subarray(r * n4, r * n4 + n), r * n);
  return out;
}

let workspace: Workspace | null | undefined;
function shared(): Workspace | null {
  if (workspace === undefined) {
    const w = new Workspace();
    workspace = w.available ? w : null;
  }
  return workspace;
}

/** Which way `batchMatMul` computes a product: the SIMD gemm, or tf.matMul (rank 2, empty, no SIMD, a GPU backend). */
export function batchMatMulPath(a: tf.Tensor, b: tf.Tensor): 'simd' | 'tfjs' {
  if (a.rank !== 3 || b.rank !== 3 || a.size === 0 || b.size === 0) return 'tfjs';
  return shared() !== null && CPU_BACKENDS.has(tf.getBackend()) ? 'simd' : 'tfjs';
}

/**
 * a [G, m, k] x b [G, k, n] -> [G, m, n] (float32), through the SIMD gemm where it applies, else tf.matMul; rank-2
 * operands always go to tf.matMul (its 2-D products are fast). Not differentiable by itself: model.ts wraps it in
 * a custom gradient made of the same products.
 */
export function batchMatMul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.rank !== 3 || b.rank !== 3) return tf.matMul(a, b);
  const [G, m, k] = a.shape as [number, number, number];
  const [Gb, kb, n] = b.shape as [number, number, number];
  if (G !== Gb || k !== kb) throw new RangeError(`batchMatMul: [${a.shape.join(', ')}] x [${b.shape.join(', ')}]`);
  const ws = shared();
  if (ws === null || batchMatMulPath(a, b) === 'tfjs') return tf.matMul(a, b);
  const out = ws.product(a.dataSync() as Float32Array, b.dataSync() as Float32Array, G, m, k, n);
  return tf.tensor3d(out, [G, m, n], 'float32');
}
