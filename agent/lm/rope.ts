// Rotary position tables shared by the tfjs model and the CPU engines, so both rotate by the very same float32
// numbers. Convention ("rotate half", GPT-NeoX/Llama): a head vector x of size hd is split into halves x1, x2;
// pair j (0 <= j < hd/2) at position p is rotated by angle p * base^(-2j/hd):
//   out1 = x1 cos - x2 sin,  out2 = x2 cos + x1 sin.
import { ROPE_BASE } from './config.ts';

export interface RopeTables {
  /** [context, hd/2] row-major. */
  cos: Float32Array;
  sin: Float32Array;
  half: number;
}

export function ropeTables(context: number, headDim: number): RopeTables {
  const half = headDim / 2;
  const cos = new Float32Array(context * half);
  const sin = new Float32Array(context * half);
  for (let p = 0; p < context; p++) {
    for (let j = 0; j < half; j++) {
      const angle = p * Math.pow(ROPE_BASE, (-2 * j) / headDim);
      cos[p * half + j] = Math.cos(angle);
      sin[p * half + j] = Math.sin(angle);
    }
  }
  return { cos, sin, half };
}
