// The embedding of the ids consumed at positions p0 .. p0 + T - 1: x[t] = wte[ids[t]] (+ wpe[p0 + t] with learned
// positions; rotary positions are applied to q and k instead, qkv-split.ts). Each table F32 or int8 (weights.ts:
// per-row scales, so an int8 row is dequantized by its own scale). One invocation per element of x.
//   ids [T] u32   wte [V, d]   wpe [context, d]   x [T, d]
import type { GpuLimits } from '../device.ts';
import { LINEAR_WORKGROUP, packParams, programKey, spread, type Dispatch, type KernelProgram, type WeightDtype } from './program.ts';
import { matrixWgsl } from './weights.ts';

export interface EmbeddingShape {
  rows: number;
  d: number;
  /** The position of ids[0]. */
  p0: number;
}

export interface EmbeddingVariant {
  token: WeightDtype;
  /** The learned position table's dtype, or 'none' (rotary positions). */
  position: WeightDtype | 'none';
}

const WG = 64;

function wgsl(variant: EmbeddingVariant): { code: string; bindings: KernelProgram['bindings'] } {
  const wte = matrixWgsl('wte', variant.token, 2, 'params.d', 'params.words', '[V, d]');
  const wpe = variant.position === 'none' ? null : matrixWgsl('wpe', variant.position, 2 + wte.bindings.length, 'params.d', 'params.words', '[context, d]');
  const out = 2 + wte.bindings.length + (wpe?.bindings.length ?? 0);
  const code = `
struct Params { rows: u32, d: u32, p0: u32, words: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> ids: array<u32>;  // [T]
${wte.wgsl}
${wpe?.wgsl ?? ''}
@group(0) @binding(${out}) var<storage, read_write> x: array<f32>;  // [T, d]
${LINEAR_WORKGROUP}
override WG_X: u32;
override WG_Y: u32;

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(local_invocation_index) tid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = linearWorkgroup(wid, nwg) * WG_X + tid;
  if (e >= params.rows * params.d) { return; }
  let t = e / params.d;
  let i = e % params.d;
  x[e] = wte(ids[t], i)${wpe === null ? '' : ' + wpe(params.p0 + t, i)'};
}`;
  return { code, bindings: ['uniform', 'read', ...wte.bindings, ...(wpe?.bindings ?? []), 'read_write'] };
}

export function embeddingProgram(variant: EmbeddingVariant, limits: GpuLimits): KernelProgram {
  const wg = Math.min(WG, limits.maxComputeInvocationsPerWorkgroup);
  const { code, bindings } = wgsl(variant);
  return { key: programKey('embedding', { ...variant, wg }), wgsl: code, workgroupSize: [wg, 1], constants: {}, bindings };
}

export function embeddingDispatch(program: KernelProgram, shape: EmbeddingShape, limits: GpuLimits): Dispatch {
  return {
    workgroups: spread(Math.ceil((shape.rows * shape.d) / program.workgroupSize[0]), limits.maxComputeWorkgroupsPerDimension),
    params: packParams([
      ['u32', shape.rows],
      ['u32', shape.d],
      ['u32', shape.p0],
      ['u32', Math.ceil(shape.d / 4)],
    ]),
  };
}
