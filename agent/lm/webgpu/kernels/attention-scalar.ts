// Causal multi-head attention without workgroup memory or barriers, for CPU adapters (see linear-scalar.ts): one
// invocation per (row, head) goes over the keys j <= p0 + t one at a time with the softmax computed online (running
// max m and total l; the output sum rescaled by exp(m_old - m_new)), as attention.ts per chunk.
//   q [T, d]   kCache, vCache [context, d]   out [T, d]   (heads side by side)
import type { GpuLimits } from '../device.ts';
import type { AttentionShape } from './attention.ts';
import { LINEAR_WORKGROUP, packParams, programKey, spread, type Dispatch, type KernelProgram } from './program.ts';

const WG = 64;

function wgsl(hd: number): string {
  return `
struct Params { rows: u32, d: u32, p0: u32, scale: f32, heads: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;  // [T, d]
@group(0) @binding(2) var<storage, read> kCache: array<f32>;  // [context, d]
@group(0) @binding(3) var<storage, read> vCache: array<f32>;  // [context, d]
@group(0) @binding(4) var<storage, read_write> out: array<f32>;  // [T, d]
${LINEAR_WORKGROUP}
override WG_X: u32;
override WG_Y: u32;
const HD = ${hd}u;

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(local_invocation_index) tid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = linearWorkgroup(wid, nwg) * WG_X + tid;
  if (e >= params.rows * params.heads) { return; }
  let t = e / params.heads;
  let d = params.d;
  let col = (e % params.heads) * HD;
  let qo = t * d + col;
  var m = -3.0e38;
  var l = 0.0;
  var acc: array<f32, HD>;
  for (var j = 0u; j <= params.p0 + t; j = j + 1u) {
    var dot = 0.0;
    for (var c = 0u; c < HD; c = c + 1u) { dot = dot + q[qo + c] * kCache[j * d + col + c]; }
    let s = dot * params.scale;
    let mNew = max(m, s);
    let correction = exp(m - mNew);
    let p = exp(s - mNew);
    l = l * correction + p;
    for (var c = 0u; c < HD; c = c + 1u) { acc[c] = acc[c] * correction + p * vCache[j * d + col + c]; }
    m = mNew;
  }
  for (var c = 0u; c < HD; c = c + 1u) { out[qo + c] = acc[c] / l; }
}`;
}

/** The head size is compiled in. */
export function attentionScalarProgram(hd: number, limits: GpuLimits): KernelProgram {
  const wg = Math.min(WG, limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX);
  return { key: programKey('attention-scalar', { hd, wg }), wgsl: wgsl(hd), workgroupSize: [wg, 1], constants: {}, bindings: ['uniform', 'read', 'read', 'read', 'read_write'] };
}

export function attentionScalarDispatch(program: KernelProgram, shape: AttentionShape, limits: GpuLimits): Dispatch {
  return {
    workgroups: spread(Math.ceil((shape.rows * shape.heads) / program.workgroupSize[0]), limits.maxComputeWorkgroupsPerDimension),
    params: packParams([
      ['u32', shape.rows],
      ['u32', shape.d],
      ['u32', shape.p0],
      ['f32', shape.scale],
      ['u32', shape.heads],
    ]),
  };
}
