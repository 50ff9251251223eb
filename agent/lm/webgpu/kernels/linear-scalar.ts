// The linear layers without workgroup memory or barriers, for CPU adapters (SwiftShader runs a barrier as a switch
// of every invocation's coroutine, which makes the tiled kernels of matmul.ts and matvec.ts slow there): one
// invocation per block of RB rows by CB = 4 columns of Y, each output summing k = 0..K-1 in order; per k it loads
// RB values of X and CB of W for RB * CB products (reads past the edges are clamped, their outputs not stored).
// Y[T, N] = X[T, K] W[K, N] + b, then the epilogue; W F32 or int8 (weights.ts). RB = 1 for decode (T = 1), else 4.
//   x [T, K]   w [K, N]   bias [N]   y [T, N]
import type { GpuLimits } from '../device.ts';
import { epilogueWgsl, type Epilogue } from './epilogue.ts';
import { LINEAR_WORKGROUP, packParams, programKey, spread, type Dispatch, type KernelProgram, type WeightDtype } from './program.ts';
import { matrixWgsl } from './weights.ts';

export interface LinearScalarShape {
  rows: number;
  k: number;
  n: number;
}

export interface LinearScalarVariant {
  dtype: WeightDtype;
  epilogue: Epilogue;
  /** Rows of Y per invocation. */
  rowBlock: 1 | 4;
}

const WG = 64;
const CB = 4;

function wgsl(variant: LinearScalarVariant): { code: string; bindings: KernelProgram['bindings'] } {
  const w = matrixWgsl('w', variant.dtype, 2, 'params.n', 'params.words', '[K, N]');
  const bias = 2 + w.bindings.length;
  const rb = variant.rowBlock;
  const rows = Array.from({ length: rb }, (_, i) => i);
  const code = `
struct Params { rows: u32, k: u32, n: u32, words: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;  // [T, K]
${w.wgsl}
@group(0) @binding(${bias}) var<storage, read> bias: array<f32>;  // [N]
@group(0) @binding(${bias + 1}) var<storage, read_write> y: array<f32>;  // [T, N]
${epilogueWgsl(variant.epilogue, 'params.n')}
${LINEAR_WORKGROUP}
override WG_X: u32;
override WG_Y: u32;

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(local_invocation_index) tid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let blocksN = (params.n + 3u) / 4u;
  let e = linearWorkgroup(wid, nwg) * WG_X + tid;
  if (e >= ((params.rows + ${rb - 1}u) / ${rb}u) * blocksN) { return; }
  let t0 = (e / blocksN) * ${rb}u;
  let o0 = (e % blocksN) * 4u;
  let c = min(vec4<u32>(o0, o0 + 1u, o0 + 2u, o0 + 3u), vec4<u32>(params.n - 1u));  // the block's columns, clamped
${rows.map((i) => `  let x${i} = min(t0 + ${i}u, params.rows - 1u) * params.k;  // row ${i} of the block in x, clamped`).join('\n')}
${rows.map((i) => `  var acc${i} = vec4<f32>(0.0);`).join('\n')}
  for (var k = 0u; k < params.k; k = k + 1u) {
    let wv = vec4<f32>(w(k, c.x), w(k, c.y), w(k, c.z), w(k, c.w));
${rows.map((i) => `    acc${i} = acc${i} + x[x${i} + k] * wv;`).join('\n')}
  }
${rows.map((i) => `  put(t0 + ${i}u, o0, acc${i});`).join('\n')}
}
/** Stores the outputs of a block row that lie inside Y. */
fn put(t: u32, o0: u32, v: vec4<f32>) {
  if (t >= params.rows) { return; }
  for (var j = 0u; j < 4u; j = j + 1u) {
    if (o0 + j < params.n) { store(t, o0 + j, v[j]); }
  }
}`;
  return { code, bindings: ['uniform', 'read', ...w.bindings, 'read', 'read_write'] };
}

export interface LinearScalarProgram extends KernelProgram {
  readonly rowBlock: number;
}

export function linearScalarProgram(variant: LinearScalarVariant, limits: GpuLimits): LinearScalarProgram {
  const wg = Math.min(WG, limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX);
  const { code, bindings } = wgsl(variant);
  return { key: programKey('linear-scalar', { ...variant, wg }), wgsl: code, workgroupSize: [wg, 1], constants: {}, bindings, rowBlock: variant.rowBlock };
}

export function linearScalarDispatch(program: LinearScalarProgram, shape: LinearScalarShape, limits: GpuLimits): Dispatch {
  return {
    workgroups: spread(Math.ceil((Math.ceil(shape.rows / program.rowBlock) * Math.ceil(shape.n / CB)) / program.workgroupSize[0]), limits.maxComputeWorkgroupsPerDimension),
    params: packParams([
      ['u32', shape.rows],
      ['u32', shape.k],
      ['u32', shape.n],
      ['u32', Math.ceil(shape.n / 4)],
    ]),
  };
}
