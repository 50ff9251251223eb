// The tied output projection: logits[r] = x . W[r] over the rows of W [R, C] (wte [V, d]: one dot product per
// vocabulary row; int8 with its per-row scale, weights.ts). One workgroup per row: each invocation sums a
// strided share of the row, then a tree reduction.
//   x [C]   w [R, C]   y [R]
import type { GpuLimits } from '../device.ts';
import { floorPow2, LINEAR_WORKGROUP, packParams, programKey, spread, type Dispatch, type KernelProgram, type WeightDtype } from './program.ts';
import { REDUCE_WGSL } from './reduce.ts';
import { matrixWgsl } from './weights.ts';

export interface RowdotShape {
  rows: number;
  cols: number;
}

function wgsl(dtype: WeightDtype): { code: string; bindings: KernelProgram['bindings'] } {
  const w = matrixWgsl('w', dtype, 2, 'params.cols', 'params.words', '[R, C]');
  const out = 2 + w.bindings.length;
  const code = `
struct Params { rows: u32, cols: u32, words: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;  // [C]
${w.wgsl}
@group(0) @binding(${out}) var<storage, read_write> y: array<f32>;  // [R]
override WG_X: u32;
override WG_Y: u32;
${REDUCE_WGSL}
${LINEAR_WORKGROUP}

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(local_invocation_index) tid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = linearWorkgroup(wid, nwg);
  if (r >= params.rows) { return; }
  var s = 0.0;
  for (var c = tid; c < params.cols; c = c + WG_X) { s = s + x[c] * w(r, c); }
  let total = workgroupSum(s, tid);
  if (tid == 0u) { y[r] = total; }
}`;
  return { code, bindings: ['uniform', 'read', ...w.bindings, 'read_write'] };
}

/** Invocations per row: a power of two up to 64, no more than the row needs. */
export function rowdotProgram(dtype: WeightDtype, cols: number, limits: GpuLimits): KernelProgram {
  const wg = Math.max(1, floorPow2(Math.min(64, limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX, 2 ** Math.ceil(Math.log2(cols)))));
  const { code, bindings } = wgsl(dtype);
  return { key: programKey('rowdot', { dtype, wg }), wgsl: code, workgroupSize: [wg, 1], constants: {}, bindings };
}

export function rowdotDispatch(shape: RowdotShape, limits: GpuLimits): Dispatch {
  return {
    workgroups: spread(shape.rows, limits.maxComputeWorkgroupsPerDimension),
    params: packParams([
      ['u32', shape.rows],
      ['u32', shape.cols],
      ['u32', Math.ceil(shape.cols / 4)],
    ]),
  };
}
