// The prompt's linear layers: Y[T, N] = X[T, K] W[K, N] + b (then the epilogue: GELU, or added to Y), W as the
// checkpoint stores it ([in, out], F32 or int8 dequantized in the kernel, weights.ts). Tiled through workgroup
// memory: a workgroup of WG_X x WG_Y invocations computes a tile of WG_Y rows by WG_X * CN columns, reading
// K in steps of TK into xs [WG_Y, TK] and ws [TK, WG_X * CN]; invocation (tx, ty) owns row ty and the CN columns
// tx + j WG_X (adjacent invocations read adjacent words). Every output sums k = 0..K-1 in order.
//   x [T, K]   w [K, N]   bias [N]   y [T, N]
import type { GpuLimits } from '../device.ts';
import { epilogueWgsl, type Epilogue } from './epilogue.ts';
import { packParams, programKey, type Dispatch, type KernelProgram, type WeightDtype } from './program.ts';
import { matrixWgsl } from './weights.ts';

export interface MatmulShape {
  /** T: rows of X and Y. */
  rows: number;
  /** K: the inner width (in). */
  k: number;
  /** N: columns of W and Y (out). */
  n: number;
}

export interface MatmulVariant {
  dtype: WeightDtype;
  epilogue: Epilogue;
}

/** Columns per invocation (a WGSL const: it sizes a function-scope array). */
const CN = 4;
/** K per tile step. */
const TK = 16;

function wgsl(variant: MatmulVariant): { code: string; bindings: KernelProgram['bindings'] } {
  const w = matrixWgsl('w', variant.dtype, 2, 'params.n', 'params.words', '[K, N]');
  const bias = 2 + w.bindings.length;
  const code = `
struct Params { rows: u32, k: u32, n: u32, words: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;  // [T, K]
${w.wgsl}
@group(0) @binding(${bias}) var<storage, read> bias: array<f32>;  // [N]
@group(0) @binding(${bias + 1}) var<storage, read_write> y: array<f32>;  // [T, N]
${epilogueWgsl(variant.epilogue, 'params.n')}
override WG_X: u32;
override WG_Y: u32;
override TK: u32;
const CN = ${CN}u;
var<workgroup> xs: array<f32, WG_Y * TK>;       // [WG_Y, TK]
var<workgroup> ws: array<f32, TK * WG_X * ${CN}>;  // [TK, WG_X * CN]

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let tx = lid.x;
  let ty = lid.y;
  let tid = ty * WG_X + tx;
  let threads = WG_X * WG_Y;
  let tn = WG_X * CN;
  let row0 = wid.y * WG_Y;
  let col0 = wid.x * tn;
  var acc: array<f32, CN>;
  for (var k0 = 0u; k0 < params.k; k0 = k0 + TK) {
    for (var i = tid; i < WG_Y * TK; i = i + threads) {
      let r = row0 + i / TK;
      let kk = k0 + i % TK;
      var v = 0.0;
      if (r < params.rows && kk < params.k) { v = x[r * params.k + kk]; }
      xs[i] = v;
    }
    for (var i = tid; i < TK * tn; i = i + threads) {
      let kk = k0 + i / tn;
      let c = col0 + i % tn;
      var v = 0.0;
      if (kk < params.k && c < params.n) { v = w(kk, c); }
      ws[i] = v;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk = kk + 1u) {
      let a = xs[ty * TK + kk];
      for (var j = 0u; j < CN; j = j + 1u) { acc[j] = acc[j] + a * ws[kk * tn + tx + j * WG_X]; }
    }
    workgroupBarrier();
  }
  let r = row0 + ty;
  if (r >= params.rows) { return; }
  for (var j = 0u; j < CN; j = j + 1u) {
    let c = col0 + tx + j * WG_X;
    if (c < params.n) { store(r, c, acc[j]); }
  }
}`;
  return { code, bindings: ['uniform', 'read', ...w.bindings, 'read', 'read_write'] };
}

/** 16 x 16 invocations where the adapter allows 256 (SwiftShader does), else 8 x 8. */
export function matmulProgram(variant: MatmulVariant, limits: GpuLimits): KernelProgram {
  const side = limits.maxComputeInvocationsPerWorkgroup >= 256 && limits.maxComputeWorkgroupSizeX >= 16 ? 16 : 8;
  const { code, bindings } = wgsl(variant);
  return {
    key: programKey('matmul', { ...variant, side, tk: TK }),
    wgsl: code,
    workgroupSize: [side, side],
    constants: { TK },
    bindings,
  };
}

export function matmulDispatch(program: KernelProgram, shape: MatmulShape): Dispatch {
  const [wx, wy] = program.workgroupSize;
  return {
    workgroups: [Math.ceil(shape.n / (wx * CN)), Math.ceil(shape.rows / wy), 1],
    params: packParams([
      ['u32', shape.rows],
      ['u32', shape.k],
      ['u32', shape.n],
      ['u32', Math.ceil(shape.n / 4)],
    ]),
  };
}
