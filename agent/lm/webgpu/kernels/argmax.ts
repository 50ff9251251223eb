// The greedy choice on the GPU, so that only a token id is read back: the index of the largest logit, the lowest
// index on ties (as sampling.ts argmax), optionally among the ids a grammar allows, given as a bitmask (bit
// v % 32 of word v / 32 set = id v allowed; constrained decoding uploads ceil(V / 32) words per token). One
// workgroup: each invocation scans ids tid, tid + WG, ... in order, then a tree reduction of (value, index)
// pairs. No allowed id gives NO_TOKEN (0xffffffff).
//   logits [V]   mask [ceil(V / 32)] u32   out [1] u32
import type { GpuLimits } from '../device.ts';
import { rowWorkgroup, packParams, programKey, type Dispatch, type KernelProgram } from './program.ts';

export const NO_TOKEN = 0xffffffff;

export interface ArgmaxShape {
  vocab: number;
}

function wgsl(masked: boolean): string {
  return `
struct Params { vocab: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;  // [V]
${masked ? '@group(0) @binding(2) var<storage, read> mask: array<u32>;  // [ceil(V / 32)] allowed ids' : ''}
@group(0) @binding(${masked ? 3 : 2}) var<storage, read_write> out: array<u32>;  // [1]
override WG_X: u32;
override WG_Y: u32;
const NONE = ${NO_TOKEN}u;
var<workgroup> bestValue: array<f32, WG_X>;
var<workgroup> bestIndex: array<u32, WG_X>;

/** Whether (v, i) beats (bv, bi): larger, or equal with a lower index; anything beats NONE. */
fn beats(v: f32, i: u32, bv: f32, bi: u32) -> bool {
  return i != NONE && (bi == NONE || v > bv || (v == bv && i < bi));
}

fn allowed(i: u32) -> bool {
  return ${masked ? '(mask[i / 32u] & (1u << (i % 32u))) != 0u' : 'true'};
}

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(local_invocation_index) tid: u32) {
  var bv = 0.0;
  var bi = NONE;
  for (var i = tid; i < params.vocab; i = i + WG_X) {
    let v = logits[i];
    if (allowed(i) && beats(v, i, bv, bi)) {
      bv = v;
      bi = i;
    }
  }
  bestValue[tid] = bv;
  bestIndex[tid] = bi;
  workgroupBarrier();
  for (var s = WG_X / 2u; s > 0u; s = s / 2u) {
    if (tid < s && beats(bestValue[tid + s], bestIndex[tid + s], bestValue[tid], bestIndex[tid])) {
      bestValue[tid] = bestValue[tid + s];
      bestIndex[tid] = bestIndex[tid + s];
    }
    workgroupBarrier();
  }
  if (tid == 0u) { out[0] = bestIndex[0]; }
}`;
}

/** One workgroup of 256 invocations (the adapter's limit if lower). */
export function argmaxProgram(masked: boolean, limits: GpuLimits): KernelProgram {
  const wg = rowWorkgroup(limits);
  return {
    key: programKey('argmax', { masked, wg }),
    wgsl: wgsl(masked),
    workgroupSize: [wg, 1],
    constants: {},
    bindings: masked ? ['uniform', 'read', 'read', 'read_write'] : ['uniform', 'read', 'read_write'],
  };
}

export function argmaxDispatch(shape: ArgmaxShape): Dispatch {
  return { workgroups: [1, 1, 1], params: packParams([['u32', shape.vocab]]) };
}

/** The bitmask of `allowed` ids over a vocabulary of V: ceil(V / 32) words. */
export function allowedMask(allowed: Iterable<number>, vocab: number): Uint32Array {
  const mask = new Uint32Array(Math.ceil(vocab / 32));
  for (const id of allowed) {
    if (!Number.isInteger(id) || id < 0 || id >= vocab) throw new RangeError(`token id ${id} out of range`);
    mask[id >>> 5] = (mask[id >>> 5]! | (1 << (id & 31))) >>> 0;
  }
  return mask;
}
