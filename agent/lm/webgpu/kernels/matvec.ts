// One decoded token's linear layers: y[N] = x[K] W[K, N] + b (then the epilogue), W [in, out] F32 or int8
// (weights.ts). A workgroup covers WG_X columns with WG_Y invocations per column: invocation (tx, ty) sums
// k = ty, ty + WG_Y, ... for column tx (adjacent invocations read adjacent words of a W row), then the WG_Y
// partial sums of a column are added in a tree.
//   x [K]   w [K, N]   bias [N]   y [N]
import type { GpuLimits } from '../device.ts';
import { epilogueWgsl, type Epilogue } from './epilogue.ts';
import { floorPow2, LINEAR_WORKGROUP, packParams, programKey, spread, type Dispatch, type KernelProgram, type WeightDtype } from './program.ts';
import { matrixWgsl } from './weights.ts';

export interface MatvecShape {
  k: number;
  n: number;
}

export interface MatvecVariant {
  dtype: WeightDtype;
  epilogue: Epilogue;
}

function wgsl(variant: MatvecVariant): { code: string; bindings: KernelProgram['bindings'] } {
  const w = matrixWgsl('w', variant.dtype, 2, 'params.n', 'params.words', '[K, N]');
  const bias = 2 + w.bindings.length;
  const code = `
struct Params { k: u32, n: u32, words: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;  // [K]
${w.wgsl}
@group(0) @binding(${bias}) var<storage, read> bias: array<f32>;  // [N]
@group(0) @binding(${bias + 1}) var<storage, read_write> y: array<f32>;  // [N]
${epilogueWgsl(variant.epilogue, 'params.n')}
${LINEAR_WORKGROUP}
override WG_X: u32;
override WG_Y: u32;
var<workgroup> part: array<f32, WG_X * WG_Y>;  // [WG_Y, WG_X] partial sums

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = linearWorkgroup(wid, nwg) * WG_X + lid.x;
  var s = 0.0;
  if (c < params.n) {
    for (var k = lid.y; k < params.k; k = k + WG_Y) { s = s + x[k] * w(k, c); }
  }
  part[lid.y * WG_X + lid.x] = s;
  workgroupBarrier();
  for (var h = WG_Y / 2u; h > 0u; h = h / 2u) {
    if (lid.y < h) { part[lid.y * WG_X + lid.x] = part[lid.y * WG_X + lid.x] + part[(lid.y + h) * WG_X + lid.x]; }
    workgroupBarrier();
  }
  if (lid.y == 0u && c < params.n) { store(0u, c, part[lid.x]); }
}`;
  return { code, bindings: ['uniform', 'read', ...w.bindings, 'read', 'read_write'] };
}

/** 64 columns by 4 slices of K (256 invocations) where the adapter allows it. */
export function matvecProgram(variant: MatvecVariant, limits: GpuLimits): KernelProgram {
  const wx = floorPow2(Math.min(64, limits.maxComputeWorkgroupSizeX, limits.maxComputeInvocationsPerWorkgroup));
  const wy = Math.max(1, floorPow2(Math.min(4, limits.maxComputeWorkgroupSizeY, limits.maxComputeInvocationsPerWorkgroup / wx)));
  const { code, bindings } = wgsl(variant);
  return { key: programKey('matvec', { ...variant, wx, wy }), wgsl: code, workgroupSize: [wx, wy], constants: {}, bindings };
}

export function matvecDispatch(program: KernelProgram, shape: MatvecShape, limits: GpuLimits): Dispatch {
  return {
    workgroups: spread(Math.ceil(shape.n / program.workgroupSize[0]), limits.maxComputeWorkgroupsPerDimension),
    params: packParams([
      ['u32', shape.k],
      ['u32', shape.n],
      ['u32', Math.ceil(shape.n / 4)],
    ]),
  };
}
