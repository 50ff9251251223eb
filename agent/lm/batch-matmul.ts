// Batched matrix products for training the model with tfjs: A [G, m, k] x B [G, k, n] -> [G, m, n], the attention's
// scores (Q K^T) and weighted values (P V) and their gradients. tfjs-wasm runs a batched product (G > 1) through a
// plain loop at ~1 GMAC/s here, against ~14 GMAC/s for its 2-D products; on the planner's shapes ([32, 280, 280] x
// [32, 280, 32]) those loops took 85% of a training step. This runs each of the G products through the CPU
// engine's SIMD gemm (engine/simd.ts) in a WebAssembly memory of its own, paying three copies of the operands.
// `tf.matMul` stays the reference (tests/agent/lm/batch-matmul.test.ts ties the two) and the fallback where the
// gemm does not apply (no SIMD, or n not a multiple of 4) and on backends whose tensors live on a GPU (webgpu:
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

  /** out[g] = a[g] b[g] for g < G; a [G, m, k], b [G, k, n], out [G, m, n] (row-major); n % 4 == 0. */
  product(a: Float32Array, b: Float32Array, G: number, m: number, k: number, n: number): Float32Array {
    // Layout (floats): A (G m k) | panels of one B[g] (k n) | zero bias (n) | Y (G m n).
    const aAt = 0;
    const panelsAt = aAt + G * m * k;
    const biasAt = panelsAt + k * n;
    const yAt = biasAt + n;
    const bytes = (yAt + G * m * n) * 4;
    if (bytes > this.memory.buffer.byteLength) {
      this.memory.grow(Math.ceil((bytes - this.memory.buffer.byteLength) / PAGE));
      this.kernels = lmKernels(this.memory);
    }
    const kernels = this.kernels;
    if (kernels === null) throw new Error('SIMD kernels are not available');
    const heap = new Float32Array(this.memory.buffer);
    heap.set(a, aAt);
    heap.fill(0, biasAt, biasAt + n);
    for (let g = 0; g < G; g++) {
      gemmPanelsInto(b.subarray(g * k * n, (g + 1) * k * n), k, n, heap, panelsAt);
      kernels.gemm(panelsAt * 4, (aAt + g * m * k) * 4, biasAt * 4, (yAt + g * m * n) * 4, k, n, m, k * 4, n * 4);
    }
    return heap.slice(yAt, yAt + G * m * n);
  }
}

let workspace: Workspace | null | undefined;
function shared(): Workspace | null {
  if (workspace === undefined) {
    const w = new Workspace();
    workspace = w.available ? w : null;
  }
  return workspace;
}

/** Whether `batchMatMul` takes the SIMD path for products with n output columns. */
export function simdBatchMatMulApplies(n: number): boolean {
  return n % 4 === 0 && shared() !== null;
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
  if (ws === null || n % 4 !== 0 || G * m * k === 0 || !CPU_BACKENDS.has(tf.getBackend())) return tf.matMul(a, b);
  const out = ws.product(a.dataSync() as Float32Array, b.dataSync() as Float32Array, G, m, k, n);
  return tf.tensor3d(out, [G, m, n], 'float32');
}
