// What a kernel is, apart from the shapes it runs on (as in tfjs's webgpu backend): a KernelProgram is WGSL text,
// a workgroup size, override constants and the kinds of its bindings; the shape glue of each kernel file turns
// shapes into a Dispatch (workgroup counts and the bytes of the `params` uniform, always binding 0).
// Programs are values: the same key means the same WGSL and constants, so a pipeline can be cached by key.

/** How the shader sees a binding: the `params` uniform, read-only storage, or read-write storage. */
import type { GpuLimits } from '../device.ts';
export type BindingKind = 'uniform' | 'read' | 'read_write';

export interface KernelProgram {
  /** Unique per WGSL text and constants: the pipeline cache's key. */
  readonly key: string;
  readonly wgsl: string;
  /** Also passed as the override constants WG_X, WG_Y (the shader's @workgroup_size(WG_X, WG_Y)). */
  readonly workgroupSize: readonly [number, number];
  /** Override constants besides WG_X and WG_Y. */
  readonly constants: Readonly<Record<string, number>>;
  /** Binding i of group 0 is bindings[i]; binding 0 is always the params uniform. */
  readonly bindings: readonly BindingKind[];
}

export interface Dispatch {
  readonly workgroups: readonly [number, number, number];
  /** The params uniform (a multiple of 16 bytes). */
  readonly params: ArrayBuffer;
}

/** Weights as stored: F32, or int8 packed four to a u32 along the last axis with one F32 scale per row. */
export type WeightDtype = 'f32' | 'int8';

/** A scalar field of a params uniform (WGSL struct members of 4 bytes, in order). */
export type ParamField = readonly ['u32' | 'f32', number];

/** The bytes of a params struct of 4-byte fields, padded to 16 bytes. */
export function packParams(fields: readonly ParamField[]): ArrayBuffer {
  const bytes = Math.max(16, Math.ceil((fields.length * 4) / 16) * 16);
  const buffer = new ArrayBuffer(bytes);
  const view = new DataView(buffer);
  fields.forEach(([type, value], i) => {
    switch (type) {
      case 'u32':
        if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`param ${i}: ${value} is no u32`);
        view.setUint32(i * 4, value, true);
        break;
      case 'f32':
        view.setFloat32(i * 4, value, true);
        break;
    }
  });
  return buffer;
}

/** Workgroup counts for n workgroups, spread over x and y when n exceeds the per-dimension maximum; the shader
 *  reads its linear index as wid.y * nwg.x + wid.x (see LINEAR_WORKGROUP) and skips indices >= n. */
export function spread(n: number, maxPerDimension: number): readonly [number, number, number] {
  if (n <= maxPerDimension) return [Math.max(1, n), 1, 1];
  const y = Math.ceil(n / maxPerDimension);
  if (y > maxPerDimension) throw new RangeError(`${n} workgroups exceed ${maxPerDimension}^2`);
  return [maxPerDimension, y, 1];
}

/** WGSL: the linear workgroup index of a dispatch made by spread(). */
export const LINEAR_WORKGROUP = 'fn linearWorkgroup(wid: vec3<u32>, nwg: vec3<u32>) -> u32 { return wid.y * nwg.x + wid.x; }';

/**
 * WGSL: the GELU of model.ts in the form cpu.ts computes it, 0.5 u (1 + tanh(z)) = u / (1 + exp(-2z)) with
 * z = sqrt(2/pi) (u + 0.044715 u^3): exp overflows to +inf for large negative u (giving -0), where a tanh built
 * from exponentials would give NaN.
 */
export const GELU_WGSL = `fn gelu(u: f32) -> f32 {
  return u / (1.0 + exp(-1.5957691216057308 * (u + 0.044715 * u * u * u)));
}`;

/**
 * WGSL: `fn name(r, c) -> f32`, element (r, c) of the int8 matrix [rows, cols] in the storage binding `binding`,
 * packed four to a u32 along each row (a row padded to `words` = ceil(cols / 4) words; byte k of word w is column
 * 4w + k, little-endian), as a signed integer (extractBits of an i32 sign-extends). One function per binding:
 * pointer parameters into storage would need a WGSL language extension.
 */
export const int8Fn = (name: string, binding: string, words: string): string => `fn ${name}(r: u32, c: u32) -> f32 {
  let word = ${binding}[r * ${words} + c / 4u];
  return f32(extractBits(bitcast<i32>(word), (c % 4u) * 8u, 8u));
}`;

/** The largest power of two <= n. */
export const floorPow2 = (n: number): number => 2 ** Math.floor(Math.log2(n));

/** Invocations of a one-row workgroup: a power of two up to 256 (SwiftShader's limit), the adapter's limits and `cap`. */
export const rowWorkgroup = (limits: GpuLimits, cap = 256): number =>
  Math.max(1, floorPow2(Math.min(256, cap, limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX)));

/** A program key: name and every choice that changes the WGSL or its constants. */
export const programKey = (name: string, parts: Readonly<Record<string, string | number | boolean>>): string =>
  `${name}(${Object.entries(parts)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(',')})`;
