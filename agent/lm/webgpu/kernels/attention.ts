// Causal multi-head attention of T query rows at positions p0 .. p0 + T - 1 over the layer's KV cache (rows
// 0 .. p0 + T - 1 already written, qkv-split.ts): out[t, head] = softmax_j(q . k_j * scale) v_j over j <= p0 + t.
// One workgroup per (head, row) with WG_X invocations; keys go by in chunks of WG_X, one score per invocation,
// with the softmax computed online (running max m and total l, earlier sums rescaled by exp(m_old - m_new), as
// in FlashAttention), so any context fits in fixed workgroup memory. Invocation c owns output dims c, c + WG_X, ...
// Masked scores are -3e38 rather than -inf (WGSL has no infinity literal): exp(-3e38 - m) is 0 all the same.
//   q [T, d]   kCache, vCache [context, d]   out [T, d]   (heads side by side: head h is columns h hd .. h hd + hd - 1)
import type { GpuLimits } from '../device.ts';
import { floorPow2, packParams, programKey, type Dispatch, type KernelProgram } from './program.ts';
import { REDUCE_WGSL } from './reduce.ts';

export interface AttentionShape {
  rows: number;
  heads: number;
  d: number;
  p0: number;
  /** 1 / sqrt(hd), as the CPU engine scales. */
  scale: number;
}

function wgsl(hd: number, wg: number): string {
  const acc = Math.ceil(hd / wg);
  return `
struct Params { rows: u32, d: u32, p0: u32, scale: f32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;  // [T, d]
@group(0) @binding(2) var<storage, read> kCache: array<f32>;  // [context, d]
@group(0) @binding(3) var<storage, read> vCache: array<f32>;  // [context, d]
@group(0) @binding(4) var<storage, read_write> out: array<f32>;  // [T, d]
override WG_X: u32;
override WG_Y: u32;
const HD = ${hd}u;
const ACC = ${acc}u;  // output dims per invocation: ceil(HD / WG_X)
const MASKED = -3.0e38;
${REDUCE_WGSL}
var<workgroup> qs: array<f32, HD>;  // this row's query for this head
var<workgroup> ps: array<f32, WG_X>;  // exp(score - m) of the chunk's keys

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(local_invocation_index) tid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let head = wid.x;
  let t = wid.y;
  if (t >= params.rows) { return; }
  let d = params.d;
  let col = head * HD;
  let last = params.p0 + t;  // attends to cache rows 0..last
  for (var c = tid; c < HD; c = c + WG_X) { qs[c] = q[t * d + col + c]; }
  workgroupBarrier();
  var m = MASKED;
  var l = 0.0;
  var acc: array<f32, ACC>;
  for (var j0 = 0u; j0 <= last; j0 = j0 + WG_X) {
    let j = j0 + tid;
    var s = MASKED;
    if (j <= last) {
      var dot = 0.0;
      for (var c = 0u; c < HD; c = c + 1u) { dot = dot + qs[c] * kCache[j * d + col + c]; }
      s = dot * params.scale;
    }
    let mNew = max(m, workgroupMax(s, tid));
    let p = exp(s - mNew);
    ps[tid] = p;
    let chunk = workgroupSum(p, tid);  // its barriers also publish ps
    let correction = exp(m - mNew);
    l = l * correction + chunk;
    let n = min(WG_X, last + 1u - j0);
    for (var a = 0u; a < ACC; a = a + 1u) {
      let c = tid + a * WG_X;
      if (c < HD) {
        var sum = 0.0;
        for (var jj = 0u; jj < n; jj = jj + 1u) { sum = sum + ps[jj] * vCache[(j0 + jj) * d + col + c]; }
        acc[a] = acc[a] * correction + sum;
      }
    }
    m = mNew;
    workgroupBarrier();  // ps is rewritten by the next chunk
  }
  for (var a = 0u; a < ACC; a = a + 1u) {
    let c = tid + a * WG_X;
    if (c < HD) { out[t * d + col + c] = acc[a] / l; }
  }
}`;
}

/** 64 invocations (keys per chunk) where the adapter allows. The head size is compiled in. */
export function attentionProgram(hd: number, limits: GpuLimits): KernelProgram {
  const wg = floorPow2(Math.min(64, limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX));
  return { key: programKey('attention', { hd, wg }), wgsl: wgsl(hd, wg), workgroupSize: [wg, 1], constants: {}, bindings: ['uniform', 'read', 'read', 'read', 'read_write'] };
}

export function attentionDispatch(shape: AttentionShape, limits: GpuLimits): Dispatch {
  if (shape.rows > limits.maxComputeWorkgroupsPerDimension || shape.heads > limits.maxComputeWorkgroupsPerDimension) {
    throw new RangeError(`attention over ${shape.rows} rows x ${shape.heads} heads exceeds ${limits.maxComputeWorkgroupsPerDimension} workgroups per dimension`);
  }
  return {
    workgroups: [shape.heads, shape.rows, 1],
    params: packParams([
      ['u32', shape.rows],
      ['u32', shape.d],
      ['u32', shape.p0],
      ['f32', shape.scale],
    ]),
  };
}
