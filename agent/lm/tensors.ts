// Named float tensors: how weights move between the tfjs model, the CPU engine and checkpoint files.
// Names follow the GPT layout (see agent/lm/config.ts for the model they belong to):
//   wte [vocab, d]            token embedding (tied: also the output projection)
//   wpe [context, d]          learned absolute positions (absent when the config uses rotary positions)
//   h.{i}.ln1.g, h.{i}.ln1.b  [d]     pre-attention LayerNorm
//   h.{i}.attn.qkv.w [d, 3d], h.{i}.attn.qkv.b [3d]
//   h.{i}.attn.proj.w [d, d], h.{i}.attn.proj.b [d]
//   h.{i}.ln2.g, h.{i}.ln2.b  [d]     pre-MLP LayerNorm
//   h.{i}.mlp.fc.w [d, 4d], h.{i}.mlp.fc.b [4d]
//   h.{i}.mlp.proj.w [4d, d], h.{i}.mlp.proj.b [d]
//   lnf.g, lnf.b [d]          final LayerNorm
// Matrices are row-major, [in, out]: y = x W + b.

export interface NamedTensor {
  shape: number[];
  /** Row-major; length = product of shape. */
  data: Float32Array;
}

/** Insertion order is the canonical order (checkpoints write tensors in it). */
export type NamedTensors = Map<string, NamedTensor>;

export const elementCount = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
