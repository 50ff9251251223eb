// What a linear kernel does with x W + b at output (t, o) of y [rows, cols]: store it, store its GELU (the MLP's
// first layer), or add it to y (the residual stream: y holds x and becomes x + (x' W + b), as cpu.ts adds tmp).
import { GELU_WGSL } from './program.ts';

export type Epilogue = 'bias' | 'bias_gelu' | 'bias_residual';

/** WGSL `fn store(t, o, v)` for y [rows, cols] (binding `y`, read_write), v = x W without the bias. */
export function epilogueWgsl(epilogue: Epilogue, cols: string): string {
  switch (epilogue) {
    case 'bias':
      return `fn store(t: u32, o: u32, v: f32) { y[t * ${cols} + o] = bias[o] + v; }`;
    case 'bias_gelu':
      return `${GELU_WGSL}
fn store(t: u32, o: u32, v: f32) { y[t * ${cols} + o] = gelu(bias[o] + v); }`;
    case 'bias_residual':
      return `fn store(t: u32, o: u32, v: f32) { let i = t * ${cols} + o; y[i] = y[i] + (bias[o] + v); }`;
  }
}
