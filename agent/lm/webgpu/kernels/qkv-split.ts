// After the qkv projection of T rows at positions p0 .. p0 + T - 1: q to its own buffer, k and v appended to the
// layer's KV cache at rows p0 + t; with rotary positions q and k are rotated first, by the tables of rope.ts (the
// same F32 cos and sin the CPU engines use), "rotate half" per head: for j < hd/2,
//   out[j] = x[j] cos - x[j + hd/2] sin,   out[j + hd/2] = x[j + hd/2] cos + x[j] sin.
// One invocation per (t, i < d), reading qkv and writing other buffers (no invocation reads what another writes).
//   qkv [T, 3d] (q | k | v, heads side by side)   cos, sin [context, hd/2]   q [T, d]   kCache, vCache [context, d]
import type { GpuLimits } from '../device.ts';
import type { PositionKind } from '../../config.ts';
import { LINEAR_WORKGROUP, packParams, programKey, spread, type Dispatch, type KernelProgram } from './program.ts';

export interface QkvSplitShape {
  rows: number;
  d: number;
  /** Head size (even with rotary positions). */
  hd: number;
  p0: number;
}

const WG = 64;

function wgsl(positions: PositionKind): { code: string; bindings: KernelProgram['bindings'] } {
  const rope = positions === 'rope';
  const tables = rope
    ? `@group(0) @binding(2) var<storage, read> ropeCos: array<f32>;  // [context, hd/2]
@group(0) @binding(3) var<storage, read> ropeSin: array<f32>;  // [context, hd/2]`
    : '';
  const first = rope ? 4 : 2;
  const code = `
struct Params { rows: u32, d: u32, hd: u32, p0: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> qkv: array<f32>;  // [T, 3d]
${tables}
@group(0) @binding(${first}) var<storage, read_write> q: array<f32>;  // [T, d]
@group(0) @binding(${first + 1}) var<storage, read_write> kCache: array<f32>;  // [context, d]
@group(0) @binding(${first + 2}) var<storage, read_write> vCache: array<f32>;  // [context, d]
${LINEAR_WORKGROUP}
override WG_X: u32;
override WG_Y: u32;

/** Element i of the rotated head vectors of the part at offset 'base' of qkv (q: 0, k: d) for position p. */
fn rotated(base: u32, i: u32, p: u32) -> f32 {
  ${
    rope
      ? `let half = params.hd / 2u;
  let c = i % params.hd;
  let head = base + i - c;
  let j = c % half;
  let cs = ropeCos[p * half + j];
  let sn = ropeSin[p * half + j];
  let x1 = qkv[head + j];
  let x2 = qkv[head + j + half];
  if (c < half) { return x1 * cs - x2 * sn; }
  return x2 * cs + x1 * sn;`
      : 'return qkv[base + i];'
  }
}

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(local_invocation_index) tid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = linearWorkgroup(wid, nwg) * WG_X + tid;
  let d = params.d;
  if (e >= params.rows * d) { return; }
  let t = e / d;
  let i = e % d;
  let p = params.p0 + t;
  let row = t * 3u * d;
  q[e] = rotated(row, i, p);
  kCache[p * d + i] = rotated(row + d, i, p);
  vCache[p * d + i] = qkv[row + 2u * d + i];
}`;
  return { code, bindings: ['uniform', 'read', ...(rope ? (['read', 'read'] as const) : []), 'read_write', 'read_write', 'read_write'] };
}

export function qkvSplitProgram(positions: PositionKind, limits: GpuLimits): KernelProgram {
  const wg = Math.min(WG, limits.maxComputeInvocationsPerWorkgroup);
  const { code, bindings } = wgsl(positions);
  return { key: programKey('qkv-split', { positions, wg }), wgsl: code, workgroupSize: [wg, 1], constants: {}, bindings };
}

export function qkvSplitDispatch(program: KernelProgram, shape: QkvSplitShape, limits: GpuLimits): Dispatch {
  return {
    workgroups: spread(Math.ceil((shape.rows * shape.d) / program.workgroupSize[0]), limits.maxComputeWorkgroupsPerDimension),
    params: packParams([
      ['u32', shape.rows],
      ['u32', shape.d],
      ['u32', shape.hd],
      ['u32', shape.p0],
    ]),
  };
}
