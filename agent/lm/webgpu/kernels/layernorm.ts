// LayerNorm of every row: y[t] = (x[t] - mean) / sqrt(var + eps) * g + b, as cpu.ts (mean, then the mean of
// squared deviations: two passes, no E[x^2] - mean^2 cancellation). One workgroup per row; each invocation sums
// a strided share of the row, then a tree reduction (reduce.ts).
//   x [rows, d]   g, b [d]   y [rows, d] (another buffer than x)
import type { GpuLimits } from '../device.ts';
import { rowWorkgroup, LINEAR_WORKGROUP, packParams, programKey, spread, type Dispatch, type KernelProgram } from './program.ts';
import { REDUCE_WGSL } from './reduce.ts';

export interface LayerNormShape {
  rows: number;
  d: number;
  eps: number;
}

const WGSL = `
struct Params { rows: u32, d: u32, eps: f32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;        // [rows, d]
@group(0) @binding(2) var<storage, read> g: array<f32>;        // [d]
@group(0) @binding(3) var<storage, read> b: array<f32>;        // [d]
@group(0) @binding(4) var<storage, read_write> y: array<f32>;  // [rows, d]
override WG_X: u32;
override WG_Y: u32;
${REDUCE_WGSL}
${LINEAR_WORKGROUP}

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(local_invocation_index) tid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = linearWorkgroup(wid, nwg);
  if (row >= params.rows) { return; }
  let d = params.d;
  let off = row * d;
  var s = 0.0;
  for (var i = tid; i < d; i = i + WG_X) { s = s + x[off + i]; }
  let mean = workgroupSum(s, tid) / f32(d);
  var v = 0.0;
  for (var i = tid; i < d; i = i + WG_X) {
    let c = x[off + i] - mean;
    v = v + c * c;
  }
  let inv = 1.0 / sqrt(workgroupSum(v, tid) / f32(d) + params.eps);
  for (var i = tid; i < d; i = i + WG_X) { y[off + i] = (x[off + i] - mean) * inv * g[i] + b[i]; }
}`;

/** Invocations per row: a power of two up to 256 (and the adapter's limit), no more than the row needs. */
export function layerNormProgram(d: number, limits: GpuLimits): KernelProgram {
  const wg = rowWorkgroup(limits, 2 ** Math.ceil(Math.log2(d)));
  return { key: programKey('layernorm', { wg }), wgsl: WGSL, workgroupSize: [wg, 1], constants: {}, bindings: ['uniform', 'read', 'read', 'read', 'read_write'] };
}

export function layerNormDispatch(shape: LayerNormShape, limits: GpuLimits): Dispatch {
  return {
    workgroups: spread(shape.rows, limits.maxComputeWorkgroupsPerDimension),
    params: packParams([
      ['u32', shape.rows],
      ['u32', shape.d],
      ['f32', shape.eps],
    ]),
  };
}
