// WGSL for reading a weight matrix [rows, cols] as stored (pack.ts): `fn NAME(r, c) -> f32` over F32 values, or
// over int8 packed four to a u32 with one F32 scale per row, dequantized as checkpoint.ts dequantize() does:
// q * scale[r] in F32. Each matrix takes one binding (F32) or two (int8: packed, then scales).
import { int8Fn, type BindingKind, type WeightDtype } from './program.ts';

export interface MatrixWgsl {
  wgsl: string;
  bindings: BindingKind[];
}

/**
 * Declares the bindings of matrix `name` from `binding` on and its reader `fn name(r, c) -> f32`; `cols` and
 * `words` are WGSL expressions for the row length and (int8) the packed words per row.
 */
export function matrixWgsl(name: string, dtype: WeightDtype, binding: number, cols: string, words: string, shape: string): MatrixWgsl {
  switch (dtype) {
    case 'f32':
      return {
        wgsl: `@group(0) @binding(${binding}) var<storage, read> ${name}_f32: array<f32>;  // ${shape}
fn ${name}(r: u32, c: u32) -> f32 { return ${name}_f32[r * ${cols} + c]; }`,
        bindings: ['read'],
      };
    case 'int8':
      return {
        wgsl: `@group(0) @binding(${binding}) var<storage, read> ${name}_q: array<u32>;  // ${shape} int8, packed [rows, ${words}]
@group(0) @binding(${binding + 1}) var<storage, read> ${name}_scale: array<f32>;  // [rows]
${int8Fn(`${name}_int8`, `${name}_q`, words)}
fn ${name}(r: u32, c: u32) -> f32 { return ${name}_int8(r, c) * ${name}_scale[r]; }`,
        bindings: ['read', 'read'],
      };
  }
}
