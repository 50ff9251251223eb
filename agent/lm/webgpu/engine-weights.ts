// The model's weights in GPU buffers, as the kernels read them (kernels/weights.ts): vectors F32; each matrix F32,
// or int8 packed four to a u32 along its rows (pack.ts) with its F32 per-row scales (checkpoint.ts quantizeInt8),
// as the checkpoint stores it. The weights come as F32 tensors (NamedTensors) or as stored (an int8 checkpoint's
// StoredTensors: `name` I8 with `name.scale` F32 [rows]).
import type { StoredTensor, StoredTensors } from '../checkpoint.ts';
import { SCALE_SUFFIX } from '../checkpoint.ts';
import type { NamedTensor, NamedTensors } from '../tensors.ts';
import type { WeightDtype } from './kernels/program.ts';
import { packInt8 } from './pack.ts';
import type { KernelRunner } from './run-kernel.ts';

export type EngineWeights = NamedTensors | StoredTensors;

/** A matrix on the GPU: F32 [rows, cols] in one buffer, or int8 as packed [rows, ceil(cols / 4)] u32 then scales
 *  [rows] (the binding order of kernels/weights.ts). */
export interface GpuMatrix {
  dtype: WeightDtype;
  buffers: GPUBuffer[];
}

const isStored = (t: NamedTensor | StoredTensor): t is StoredTensor => 'dtype' in t;

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((n, i) => n === b[i]);

export class GpuWeights {
  private readonly made: GPUBuffer[] = [];

  constructor(
    private readonly runner: KernelRunner,
    private readonly weights: EngineWeights,
  ) {}

  private tensor(name: string, shape: readonly number[]): NamedTensor | StoredTensor {
    const t = this.weights.get(name);
    if (t === undefined) throw new Error(`missing weight ${name}`);
    if (!sameShape(t.shape, shape)) throw new Error(`weight ${name} has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
    return t;
  }

  private upload(data: ArrayBufferView, label: string): GPUBuffer {
    const buffer = this.runner.buffer(data, label);
    this.made.push(buffer);
    return buffer;
  }

  /** An F32 vector (a bias, a LayerNorm gain or shift). */
  vector(name: string, length: number): GPUBuffer {
    const t = this.tensor(name, [length]);
    if (isStored(t) && t.dtype !== 'F32') throw new Error(`weight ${name} must be F32, is ${t.dtype}`);
    return this.upload(t.data, name);
  }

  /** A matrix [rows, cols], F32 or int8 as stored. */
  matrix(name: string, rows: number, cols: number): GpuMatrix {
    const t = this.tensor(name, [rows, cols]);
    if (!isStored(t) || t.dtype === 'F32') return { dtype: 'f32', buffers: [this.upload(t.data, name)] };
    const scale = this.weights.get(name + SCALE_SUFFIX);
    if (scale === undefined || !sameShape(scale.shape, [rows]) || (isStored(scale) && scale.dtype !== 'F32')) {
      throw new Error(`int8 weight ${name} needs an F32 ${name}${SCALE_SUFFIX} of shape [${rows}]`);
    }
    return { dtype: 'int8', buffers: [this.upload(packInt8(t.data, rows, cols), name), this.upload(scale.data, name + SCALE_SUFFIX)] };
  }

  /** Bytes uploaded so far. */
  get bytes(): number {
    return this.made.reduce((s, b) => s + b.size, 0);
  }

  destroy(): void {
    for (const b of this.made) b.destroy();
  }
}
