// What tests/browser/webgpu-entry.ts exposes on `window` (shared by the page bundle and the Node test,
// tests/agent/lm/webgpu/chromium.test.ts; types only, so Node can import it). Everything crosses the page boundary
// as plain arrays: Node generates the inputs (and packs int8 weights as the Node kernel tests do), the page binds
// them, runs one kernel through KernelRunner and reads back what the kernel wrote.

import type { AllowedActions } from '../../agent/constrained.ts';
import type { PositionKind } from '../../agent/lm/config.ts';
import type { GpuLimits, GpuUnavailableCode } from '../../agent/lm/webgpu/device.ts';
import type { KernelSet } from '../../agent/lm/webgpu/engine.ts';
import type { EmbeddingVariant } from '../../agent/lm/webgpu/kernels/embedding.ts';
import type { Epilogue } from '../../agent/lm/webgpu/kernels/epilogue.ts';
import type { WeightDtype } from '../../agent/lm/webgpu/kernels/program.ts';
import type { Answer } from '../../agent/planners/lm-answer.ts';

/** One buffer's contents: F32 values, or u32 words (packed int8 weights, token ids, grammar bitmasks). */
export interface Words {
  type: 'f32' | 'u32';
  data: number[];
}

/** A weight matrix as the kernel binds it: [F32 matrix], or [packed int8 words, per-row F32 scales]. */
export type MatrixWords = Words[];

/**
 * One kernel run. `set` picks the tiled kernel (workgroup memory and barriers) or the scalar one (the CPU-adapter
 * set); the linear layers name their kernel directly (matmul and matvec tiled, linear-scalar). Each case answers
 * the F32 contents of its output buffers (argmax: the u32 id).
 */
export type KernelCase =
  /** Y [rows, n] (holding `before`) = epilogue(X [rows, k] W [k, n] + b). */
  | {
      kernel: 'matmul' | 'matvec' | 'linear-scalar';
      dtype: WeightDtype;
      epilogue: Epilogue;
      /** linear-scalar only: rows of Y per invocation. */
      rowBlock?: 1 | 4;
      rows: number;
      k: number;
      n: number;
      x: number[];
      w: MatrixWords;
      b: number[];
      before: number[];
    }
  /** logits [rows] = x [cols] . W[r] over W [rows, cols]. */
  | { kernel: 'rowdot'; set: KernelSet; dtype: WeightDtype; rows: number; cols: number; x: number[]; w: MatrixWords }
  /** y [rows, d] = LayerNorm(x) g + b. */
  | { kernel: 'layernorm'; set: KernelSet; rows: number; d: number; eps: number; x: number[]; g: number[]; b: number[] }
  /** x [rows, d] = wte[ids[t]] (+ wpe[p0 + t]). */
  | { kernel: 'embedding'; variant: EmbeddingVariant; rows: number; d: number; p0: number; ids: number[]; wte: MatrixWords; wpe: MatrixWords | null }
  /** qkv [rows, 3d] -> q [rows, d] (answered first), then the whole k and v caches [context, d] (filled with
   *  `sentinel` before), rotary positions from rope.ts's tables for [context, hd] when positions is 'rope'. */
  | { kernel: 'qkv-split'; positions: PositionKind; rows: number; d: number; hd: number; p0: number; context: number; sentinel: number; qkv: number[] }
  /** out [rows, d]: causal attention of q rows at p0.. over the caches [context, d]. */
  | { kernel: 'attention'; set: KernelSet; rows: number; heads: number; d: number; p0: number; q: number[]; kCache: number[]; vCache: number[] }
  /** The first largest logit (among the ids `mask` allows, when given); NO_TOKEN when none is allowed. */
  | { kernel: 'argmax'; set: KernelSet; logits: number[]; mask: number[] | null };

/** The adapter the page got from navigator.gpu, or why it got none. */
export type PageGpu =
  | { ok: true; adapterName: string; limits: GpuLimits; features: string[] }
  | { ok: false; code: GpuUnavailableCode; message: string };

export interface PlannerPrompt {
  name: string;
  ids: number[];
  allowed: AllowedActions;
}

export interface PlannerRun {
  adapterName: string;
  kernels: KernelSet;
  /** decodeAnswerAsync's answer per prompt, in order. */
  answers: Answer[];
  /** Milliseconds for WebGpuEngine.create and for the decoding. */
  createMs: number;
  decodeMs: number;
}

export interface WebGpuTestApi {
  /** Acquires the page's device (browserDevice()); later calls answer the same. */
  init(): Promise<PageGpu>;
  /** Runs every case in order, one submission each; per case, the output buffers read back. */
  run(cases: KernelCase[]): Promise<number[][][]>;
  /** Fetches the checkpoint at `url`, decodes it (decodeBundle), builds WebGpuEngine (its default kernel set for
   *  the adapter) and answers every prompt with decodeAnswerAsync (greedy, `maxThoughtTokens`). */
  planner(url: string, prompts: PlannerPrompt[], options: { seed: string; maxThoughtTokens: number }): Promise<PlannerRun>;
}

declare global {
  interface Window {
    /** Set by tests/browser/webgpu-entry.ts once the bundle has loaded. */
    webgpuTest?: WebGpuTestApi;
  }
}
