// The shape of the planner's GPT: a decoder-only transformer (see model.ts). Weight names and layouts are in
// tensors.ts; `parameterCount` counts exactly the tensors `initWeights` makes.

export type PositionKind = 'learned' | 'rope';

export interface ModelConfig {
  vocabSize: number;
  /** Longest sequence the model reads (learned positions: rows of wpe). */
  context: number;
  dModel: number;
  heads: number;
  layers: number;
  /** MLP hidden width = mlpRatio * dModel (4 in GPT-2). */
  mlpRatio: number;
  positions: PositionKind;
  layerNormEps: number;
}

export class ModelConfigError extends Error {
  constructor(
    readonly field: keyof ModelConfig,
    message: string,
  ) {
    super(`model config ${field}: ${message}`);
    this.name = 'ModelConfigError';
  }
}

export const DEFAULT_LAYER_NORM_EPS = 1e-5;

/** Fills the defaults (mlpRatio 4, learned positions, eps 1e-5) and validates. */
export function makeConfig(
  partial: Pick<ModelConfig, 'vocabSize' | 'context' | 'dModel' | 'heads' | 'layers'> & Partial<ModelConfig>,
): ModelConfig {
  const config: ModelConfig = {
    mlpRatio: 4,
    positions: 'learned',
    layerNormEps: DEFAULT_LAYER_NORM_EPS,
    ...partial,
  };
  validateConfig(config);
  return config;
}

const positiveInt = (config: ModelConfig, field: 'vocabSize' | 'context' | 'dModel' | 'heads' | 'layers' | 'mlpRatio'): void => {
  const value = config[field];
  if (!Number.isInteger(value) || value < 1) throw new ModelConfigError(field, `must be an integer >= 1, got ${value}`);
};

/** Throws a ModelConfigError naming the first bad field. */
export function validateConfig(config: ModelConfig): void {
  positiveInt(config, 'vocabSize');
  positiveInt(config, 'context');
  positiveInt(config, 'dModel');
  positiveInt(config, 'heads');
  positiveInt(config, 'layers');
  positiveInt(config, 'mlpRatio');
  if (config.dModel % config.heads !== 0) {
    throw new ModelConfigError('heads', `must divide dModel (${config.dModel}), got ${config.heads}`);
  }
  const headDim = config.dModel / config.heads;
  if (config.positions !== 'learned' && config.positions !== 'rope') {
    throw new ModelConfigError('positions', `must be 'learned' or 'rope', got ${String(config.positions)}`);
  }
  if (config.positions === 'rope' && headDim % 2 !== 0) {
    throw new ModelConfigError('heads', `rotary positions need an even head size, got ${headDim}`);
  }
  if (!(Number.isFinite(config.layerNormEps) && config.layerNormEps > 0)) {
    throw new ModelConfigError('layerNormEps', `must be a finite number > 0, got ${config.layerNormEps}`);
  }
}

export const headDim = (config: ModelConfig): number => config.dModel / config.heads;
export const mlpWidth = (config: ModelConfig): number => config.mlpRatio * config.dModel;

/** Number of parameters (wte counted once: the output projection is tied to it). */
export function parameterCount(config: ModelConfig): number {
  validateConfig(config);
  const d = config.dModel;
  const m = mlpWidth(config);
  const perLayer = 2 * d + (d * 3 * d + 3 * d) + (d * d + d) + 2 * d + (d * m + m) + (m * d + d);
  const positions = config.positions === 'learned' ? config.context * d : 0;
  return config.vocabSize * d + positions + config.layers * perLayer + 2 * d;
}

/** Rotary frequency base (RoFormer, Llama). */
export const ROPE_BASE = 10000;

/**
 * Canonical weight names and shapes for a config, in checkpoint order (see tensors.ts): the model, the engines and
 * the bundle loader all read this one list (here, not in model.ts, so that loading a bundle needs no tfjs).
 */
export function weightShapes(config: ModelConfig): [string, number[]][] {
  validateConfig(config);
  const d = config.dModel;
  const m = mlpWidth(config);
  const out: [string, number[]][] = [['wte', [config.vocabSize, d]]];
  if (config.positions === 'learned') out.push(['wpe', [config.context, d]]);
  for (let i = 0; i < config.layers; i++) {
    out.push(
      [`h.${i}.ln1.g`, [d]],
      [`h.${i}.ln1.b`, [d]],
      [`h.${i}.attn.qkv.w`, [d, 3 * d]],
      [`h.${i}.attn.qkv.b`, [3 * d]],
      [`h.${i}.attn.proj.w`, [d, d]],
      [`h.${i}.attn.proj.b`, [d]],
      [`h.${i}.ln2.g`, [d]],
      [`h.${i}.ln2.b`, [d]],
      [`h.${i}.mlp.fc.w`, [d, m]],
      [`h.${i}.mlp.fc.b`, [m]],
      [`h.${i}.mlp.proj.w`, [m, d]],
      [`h.${i}.mlp.proj.b`, [d]],
    );
  }
  out.push(['lnf.g', [d]], ['lnf.b', [d]]);
  return out;
}
