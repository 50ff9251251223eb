// VectorRows: an index's unit vectors in one growable Float32Array, and the dot product over its rows. Where
// WebAssembly SIMD is available (and not switched off) the array is a view of a WebAssembly.Memory read by the kernel
// in simd.ts; otherwise it is a plain Float32Array read by the unrolled loop in dot.ts. The two agree to ~1e-7;
// one index always uses one of them, so the same inserts give the same graph on the same platform.
//
// Layout: data: Float32Array [(capacity + 1) × dim]; row 0 is the query slot (a query is normalised into it), vector r
// is row r + 1, at data[(r + 1) · dim ..]. The view is replaced when the rows grow: re-read `data` after add().

import { dot } from './dot.ts';
import { VectorIndexError } from './errors.ts';
import { simdKernel, type Kernel } from './simd.ts';

const PAGE = 65536;
/** wasm32 memories stop at 4 GiB (65,536 pages). */
const MAX_PAGES = 65536;

export class VectorRows {
  readonly dim: number;
  /** Bytes per row: kernel offsets are in bytes. */
  readonly rowBytes: number;
  /** dot(aByteOffset, bByteOffset, n) over `data`'s bytes. */
  readonly kernel: Kernel;
  readonly simd: boolean;
  data: Float32Array;
  /** Vectors that fit without growing. */
  capacity: number;
  private readonly memory: WebAssembly.Memory | null;

  constructor(dim: number, capacity: number, useSimd = true) {
    this.dim = dim;
    this.rowBytes = dim * 4;
    this.capacity = capacity;
    const floats = (capacity + 1) * dim;
    const memory = useSimd ? new WebAssembly.Memory({ initial: VectorRows.pages(floats) }) : null;
    const kernel = memory === null ? null : simdKernel(memory);
    if (memory !== null && kernel !== null) {
      this.memory = memory;
      this.kernel = kernel;
      this.simd = true;
      this.data = new Float32Array(memory.buffer, 0, floats);
    } else {
      this.memory = null;
      this.simd = false;
      this.data = new Float32Array(floats);
      this.kernel = (a, b, n) => dot(this.data, a >> 2, this.data, b >> 2, n);
    }
  }

  private static pages(floats: number): number {
    const pages = Math.ceil((floats * 4) / PAGE);
    if (pages > MAX_PAGES) throw new VectorIndexError('capacity', `vector rows are limited to 4 GiB (${floats} floats asked)`);
    return Math.max(1, pages);
  }

  /** Float offset of vector r in `data`. */
  offset(r: number): number {
    return (r + 1) * this.dim;
  }

  /** Dot product of vectors r and s. */
  dotRows(r: number, s: number): number {
    return this.kernel((r + 1) * this.rowBytes, (s + 1) * this.rowBytes, this.dim);
  }

  /** Dot product of the query slot and vector r. */
  dotQuery(r: number): number {
    return this.kernel(0, (r + 1) * this.rowBytes, this.dim);
  }

  /** Makes room for `capacity` vectors (at least doubling), keeping the first `used`. */
  ensure(capacity: number, used: number): void {
    if (capacity <= this.capacity) return;
    const next = Math.max(capacity, this.capacity * 2);
    const floats = (next + 1) * this.dim;
    if (this.memory !== null) {
      const have = this.memory.buffer.byteLength / PAGE;
      const want = VectorRows.pages(floats);
      if (want > have) {
        try {
          this.memory.grow(want - have);
        } catch (error) {
          throw new VectorIndexError('capacity', `cannot grow the vector rows to ${next} vectors: ${String(error)}`);
        }
      }
      this.data = new Float32Array(this.memory.buffer, 0, floats);
    } else {
      const data = new Float32Array(floats);
      data.set(this.data.subarray(0, (used + 1) * this.dim));
      this.data = data;
    }
    this.capacity = next;
  }
}
