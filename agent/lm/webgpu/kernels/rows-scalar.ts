// Row-wise kernels without workgroup memory or barriers, for CPU adapters (see linear-scalar.ts): one invocation
// per row. `rowdotScalar`: logits[r] = x . W[r] over W [R, C] (wte [V, d], F32 or int8, weights.ts), as rowdot.ts.
// `layerNormScalar`: LayerNorm of a row as layernorm.ts computes it (the mean, then the mean of squared deviations).
//   rowdot: x [C]   w [R, C]   y [R]          layernorm: x [rows, d]   g, b [d]   y [rows, d]
import type { GpuLimits } from '../device.ts';
import { LINEAR_WORKGROUP, packParams, programKey, spread, type Dispatch, type KernelProgram, type WeightDtype } from './program.ts';
import { matrixWgsl } from './weights.ts';

const WG = 64;

const HEADER = `${LINEAR_WORKGROUP}
override WG_X: u32;
override WG_Y: u32;`;

const workgroupSize = (limits: GpuLimits): number => Math.min(WG, limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX);

const rows = (program: KernelProgram, n: number, limits: GpuLimits): Dispatch['workgroups'] =>
  spread(Math.ceil(n / program.workgroupSize[0]), limits.maxComputeWorkgroupsPerDimension);

export function rowdotScalarProgram(dtype: WeightDtype, limits: GpuLimits): KernelProgram {
  const w = matrixWgsl('w', dtype, 2, 'params.cols', 'params.words', '[R, C]');
  const out = 2 + w.bindings.length;
  const code = `
struct Params { rows: u32, cols: u32, words: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;  // [C]
${w.wgsl}
@group(0) @binding(${out}) var<storage, read_write> y: array<f32>;  // [R]
${HEADER}

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(local_invocation_index) tid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = linearWorkgroup(wid, nwg) * WG_X + tid;
  if (r >= params.rows) { return; }
  var s = 0.0;
  for (var c = 0u; c < params.cols; c = c + 1u) { s = s + x[c] * w(r, c); }
  y[r] = s;
}`;
  const wg = workgroupSize(limits);
  return { key: programKey('rowdot-scalar', { dtype, wg }), wgsl: code, workgroupSize: [wg, 1], constants: {}, bindings: ['uniform', 'read', ...w.bindings, 'read_write'] };
}

export function rowdotScalarDispatch(program: KernelProgram, shape: { rows: number; cols: number }, limits: GpuLimits): Dispatch {
  return {
    workgroups: rows(program, shape.rows, limits),
    params: packParams([
      ['u32', shape.rows],
      ['u32', shape.cols],
      ['u32', Math.ceil(shape.cols / 4)],
    ]),
  };
}

const LAYERNORM_WGSL = `
struct Params { rows: u32, d: u32, eps: f32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;        // [rows, d]
@group(0) @binding(2) var<storage, read> g: array<f32>;        // [d]
@group(0) @binding(3) var<storage, read> b: array<f32>;        // [d]
@group(0) @binding(4) var<storage, read_write> y: array<f32>;  // [rows, d]
${HEADER}

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(local_invocation_index) tid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = linearWorkgroup(wid, nwg) * WG_X + tid;
  if (row >= params.rows) { return; }
  let d = params.d;
  let off = row * d;
  var s = 0.0;
  for (var i = 0u; i < d; i = i + 1u) { s = s + x[off + i]; }
  let mean = s / f32(d);
  var v = 0.0;
  for (var i = 0u; i < d; i = i + 1u) {
    let c = x[off + i] - mean;
    v = v + c * c;
  }
  let inv = 1.0 / sqrt(v / f32(d) + params.eps);
  for (var i = 0u; i < d; i = i + 1u) { y[off + i] = (x[off + i] - mean) * inv * g[i] + b[i]; }
}`;

export function layerNormScalarProgram(limits: GpuLimits): KernelProgram {
  const wg = workgroupSize(limits);
  return { key: programKey('layernorm-scalar', { wg }), wgsl: LAYERNORM_WGSL, workgroupSize: [wg, 1], constants: {}, bindings: ['uniform', 'read', 'read', 'read', 'read_write'] };
}

export function layerNormScalarDispatch(program: KernelProgram, shape: { rows: number; d: number; eps: number }, limits: GpuLimits): Dispatch {
  return {
    workgroups: rows(program, shape.rows, limits),
    params: packParams([
      ['u32', shape.rows],
      ['u32', shape.d],
      ['f32', shape.eps],
    ]),
  };
}
