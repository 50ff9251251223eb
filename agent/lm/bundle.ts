// A planner bundle: everything the language-model planner needs in ONE safetensors checkpoint (pure over bytes, so
// it loads in the browser too; agent/lm/bundle-file.ts reads it from a path in Node).
//
//   metadata  `config`     JSON of the ModelConfig (agent/lm/config.ts); mlpRatio, positions and layerNormEps
//                          take makeConfig's defaults when absent
//             `tokenizer`  JSON of Tokenizer.toJSON() (agent/lm/tokenizer.ts)
//             `prompt_format`  the prompt format the model was trained on (agent/prompt-format.ts); absent: 1
//             anything else is kept as is (training notes, versions)
//   tensors   exactly the weights of tensors.ts for that config, F32, or I8 with `<name>.scale` (dequantized on load
//             for the CPU engine; kept as stored beside, for the WebGPU engine, which dequantizes in its kernels)
//
// Every problem is a BundleError whose code says what is wrong and whose message names the key or tensor.
import { decodeStoredCheckpoint, dequantize, encodeCheckpoint, CheckpointError, type DecodedCheckpoint, type StoredTensor, type StoredTensors } from './checkpoint.ts';
import { makeConfig, ModelConfigError, weightShapes, type ModelConfig } from './config.ts';
import { BOS, EOS, PROMPT, RESPONSE } from './sequence.ts';
import type { NamedTensor, NamedTensors } from './tensors.ts';
import { Tokenizer, TokenizerError } from './tokenizer.ts';
import { LATEST_PROMPT_FORMAT, parsePromptFormat, PROMPT_FORMAT_KEY, PROMPT_FORMATS, type PromptFormat } from '../prompt-format.ts';

export const BUNDLE_ERROR_CODES = [
  /** The file is not there (bundle-file.ts only). */
  'missing_file',
  /** Not a valid safetensors checkpoint (truncated, bad header, unsupported dtype, I8 without scales...). */
  'bad_checkpoint',
  'missing_config',
  'bad_config',
  'missing_tokenizer',
  'bad_tokenizer',
  /** The tokenizer's vocabulary size is not the config's. */
  'vocab_mismatch',
  'missing_weight',
  /** A weight whose shape is not the config's. */
  'weight_shape',
  /** A tensor the config does not have (another layer count, another position scheme, a misnamed weight). */
  'unexpected_weight',
  /** A weight with NaN or infinite values. */
  'bad_weight',
  /** A `prompt_format` this version cannot render. */
  'bad_prompt_format',
] as const;
export type BundleErrorCode = (typeof BUNDLE_ERROR_CODES)[number];

export class BundleError extends Error {
  override readonly name = 'BundleError';
  constructor(
    readonly code: BundleErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface PlannerBundle {
  config: ModelConfig;
  tokenizer: Tokenizer;
  /** F32 weights, named and shaped as tensors.ts says for `config`. */
  weights: NamedTensors;
  /** The checkpoint's metadata, `config` and `tokenizer` included. */
  metadata: Record<string, string>;
  /** The prompt format the model reads (its `prompt_format` metadata). */
  promptFormat: PromptFormat;
  /** An int8 checkpoint's tensors as stored (`name` I8 with `name.scale` F32; `weights` is their dequantized form),
   *  for the WebGPU engine, which keeps them int8 on the GPU; absent for an F32 checkpoint. */
  stored?: StoredTensors;
}

/** The special tokens the planner's sequence format (sequence.ts) needs. */
export const BUNDLE_SPECIAL_TOKENS = [BOS, EOS, PROMPT, RESPONSE] as const;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseJson(text: string, code: 'bad_config' | 'bad_tokenizer', key: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new BundleError(code, `metadata "${key}" is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}

const CONFIG_NUMBERS = ['vocabSize', 'context', 'dModel', 'heads', 'layers'] as const;

/** The ModelConfig of a bundle's `config` metadata. */
export function parseBundleConfig(text: string): ModelConfig {
  const value = parseJson(text, 'bad_config', 'config');
  if (!isRecord(value)) throw new BundleError('bad_config', 'metadata "config" must be a JSON object (a ModelConfig)');
  for (const field of CONFIG_NUMBERS) {
    if (typeof value[field] !== 'number') throw new BundleError('bad_config', `metadata "config": ${field} must be a number, got ${JSON.stringify(value[field])}`);
  }
  const optional: Partial<ModelConfig> = {};
  if (value.mlpRatio !== undefined) {
    if (typeof value.mlpRatio !== 'number') throw new BundleError('bad_config', `metadata "config": mlpRatio must be a number`);
    optional.mlpRatio = value.mlpRatio;
  }
  if (value.positions !== undefined) {
    if (value.positions !== 'learned' && value.positions !== 'rope') {
      throw new BundleError('bad_config', `metadata "config": positions must be "learned" or "rope", got ${JSON.stringify(value.positions)}`);
    }
    optional.positions = value.positions;
  }
  if (value.layerNormEps !== undefined) {
    if (typeof value.layerNormEps !== 'number') throw new BundleError('bad_config', `metadata "config": layerNormEps must be a number`);
    optional.layerNormEps = value.layerNormEps;
  }
  try {
    return makeConfig({
      vocabSize: value.vocabSize as number,
      context: value.context as number,
      dModel: value.dModel as number,
      heads: value.heads as number,
      layers: value.layers as number,
      ...optional,
    });
  } catch (e) {
    if (e instanceof ModelConfigError) throw new BundleError('bad_config', `metadata "config": ${e.message}`, { cause: e });
    throw e;
  }
}

/** The Tokenizer of a bundle's `tokenizer` metadata, with the special tokens the planner needs. */
export function parseBundleTokenizer(text: string): Tokenizer {
  const value = parseJson(text, 'bad_tokenizer', 'tokenizer');
  let tokenizer: Tokenizer;
  try {
    tokenizer = Tokenizer.fromJSON(value);
  } catch (e) {
    if (e instanceof TokenizerError) throw new BundleError('bad_tokenizer', `metadata "tokenizer": ${e.message}`, { cause: e });
    throw e;
  }
  const missing = BUNDLE_SPECIAL_TOKENS.filter((t) => tokenizer.tryId(t) === undefined || !tokenizer.isSpecial(tokenizer.id(t)));
  if (missing.length > 0) throw new BundleError('bad_tokenizer', `metadata "tokenizer": no special token ${missing.join(', ')} (the planner needs ${BUNDLE_SPECIAL_TOKENS.join(' ')})`);
  return tokenizer;
}

/** Checks the weights against the config: every expected tensor with its shape, nothing else, finite values. */
export function checkBundleWeights(config: ModelConfig, weights: NamedTensors): void {
  const expected = weightShapes(config);
  const names = new Set(expected.map(([name]) => name));
  for (const [name, shape] of expected) {
    const w = weights.get(name);
    const want = `[${shape.join(', ')}]`;
    if (w === undefined) throw new BundleError('missing_weight', `no tensor "${name}" (the config needs ${want})`);
    if (w.shape.length !== shape.length || w.shape.some((n, i) => n !== shape[i])) {
      throw new BundleError('weight_shape', `tensor "${name}" has shape [${w.shape.join(', ')}], the config needs ${want}`);
    }
    for (let i = 0; i < w.data.length; i++) {
      if (!Number.isFinite(w.data[i])) throw new BundleError('bad_weight', `tensor "${name}" has a non-finite value (${w.data[i]}) at element ${i}`);
    }
  }
  for (const name of weights.keys()) {
    if (!names.has(name)) throw new BundleError('unexpected_weight', `tensor "${name}" is not a weight of this config (${config.layers} layers, ${config.positions} positions)`);
  }
}

/** A bundle from a decoded checkpoint. */
export function bundleFromCheckpoint(decoded: DecodedCheckpoint): PlannerBundle {
  const { metadata, tensors } = decoded;
  const configText = metadata.config;
  if (configText === undefined) throw new BundleError('missing_config', 'the checkpoint has no "config" metadata (the JSON of the ModelConfig)');
  const tokenizerText = metadata.tokenizer;
  if (tokenizerText === undefined) throw new BundleError('missing_tokenizer', 'the checkpoint has no "tokenizer" metadata (the JSON of Tokenizer.toJSON())');
  const config = parseBundleConfig(configText);
  const tokenizer = parseBundleTokenizer(tokenizerText);
  if (tokenizer.vocabSize !== config.vocabSize) {
    throw new BundleError('vocab_mismatch', `the tokenizer has ${tokenizer.vocabSize} tokens, the config's vocabSize is ${config.vocabSize}`);
  }
  checkBundleWeights(config, tensors);
  const promptFormat = parsePromptFormat(metadata[PROMPT_FORMAT_KEY]);
  if (promptFormat === null) {
    throw new BundleError('bad_prompt_format', `"${PROMPT_FORMAT_KEY}" metadata is ${JSON.stringify(metadata[PROMPT_FORMAT_KEY])}; this version reads prompt formats ${PROMPT_FORMATS.join(', ')}`);
  }
  return { config, tokenizer, weights: tensors, metadata, promptFormat };
}

/** A bundle from the bytes of a checkpoint file (F32 or int8). */
export function decodeBundle(bytes: Uint8Array): PlannerBundle {
  let stored: StoredTensors;
  let decoded: DecodedCheckpoint;
  try {
    const checkpoint = decodeStoredCheckpoint(bytes);
    stored = checkpoint.tensors;
    decoded = { tensors: dequantize(stored), metadata: checkpoint.metadata };
  } catch (e) {
    if (e instanceof CheckpointError) throw new BundleError('bad_checkpoint', e.message, { cause: e });
    throw e;
  }
  const bundle = bundleFromCheckpoint(decoded);
  // The F32 tensors of `stored` are the very arrays of `weights`: only the I8 ones take memory of their own.
  return [...stored.values()].some((t) => t.dtype === 'I8') ? { ...bundle, stored } : bundle;
}

/** The metadata of a bundle for a config and tokenizer, plus `extra` entries (prompt_format: the latest unless given). */
export function bundleMetadata(config: ModelConfig, tokenizer: Tokenizer, extra: Record<string, string> = {}): Record<string, string> {
  return { [PROMPT_FORMAT_KEY]: String(LATEST_PROMPT_FORMAT), ...extra, config: JSON.stringify(config), tokenizer: JSON.stringify(tokenizer.toJSON()) };
}

/** The bytes of a bundle (the weights as given: F32 NamedTensors, or StoredTensors from quantizeInt8). */
export function encodeBundle(
  config: ModelConfig,
  tokenizer: Tokenizer,
  weights: ReadonlyMap<string, NamedTensor | StoredTensor>,
  extra: Record<string, string> = {},
): Uint8Array {
  return encodeCheckpoint(weights, bundleMetadata(config, tokenizer, extra));
}
