// Checkpoints in the safetensors layout (https://huggingface.co/docs/safetensors), pure over bytes.
//
//   [0, 8)           little-endian u64 N: header length
//   [8, 8 + N)       UTF-8 JSON header, space-padded to a multiple of 8 bytes:
//                      { "__metadata__": { string: string },
//                        "<name>": { "dtype": "F32", "shape": [..], "data_offsets": [begin, end] }, ... }
//   [8 + N, end)     the byte buffer; offsets are relative to its start, tensors are contiguous
//                    (no gaps, no overlaps, covering the whole buffer), little-endian.
//
// We write F32 (and I8 for int8-quantized weights) in the tensors' insertion order; the decoder
// validates everything and throws CheckpointError naming what is wrong and where.

import { elementCount, type NamedTensor, type NamedTensors } from './tensors.ts';

export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** safetensors dtypes and their sizes in bytes (all known; only F32 and I8 are decoded). */
export const DTYPE_SIZES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
} as const;
export type Dtype = keyof typeof DTYPE_SIZES;

/** A tensor as stored: F32 weights or int8-quantized weights. */
export type StoredTensor =
  | { dtype: 'F32'; shape: number[]; data: Float32Array }
  | { dtype: 'I8'; shape: number[]; data: Int8Array };
export type StoredTensors = Map<string, StoredTensor>;

export interface DecodedCheckpoint {
  tensors: NamedTensors;
  metadata: Record<string, string>;
}

export interface DecodedStoredCheckpoint {
  tensors: StoredTensors;
  metadata: Record<string, string>;
}

/** Largest header we accept (the reference implementation's limit). */
export const MAX_HEADER_BYTES = 100_000_000;
export const SCALE_SUFFIX = '.scale';

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

const isStored = (t: NamedTensor | StoredTensor): t is StoredTensor => 'dtype' in t;

function asStored(t: NamedTensor | StoredTensor): StoredTensor {
  return isStored(t) ? t : { dtype: 'F32', shape: t.shape, data: t.data };
}

function dataBytes(t: StoredTensor): Uint8Array {
  if (t.dtype === 'I8' || LITTLE_ENDIAN_HOST) return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const out = new Uint8Array(t.data.byteLength);
  const view = new DataView(out.buffer);
  t.data.forEach((x, i) => view.setFloat32(i * 4, x, true));
  return out;
}

/**
 * Encodes tensors (F32 NamedTensors, or StoredTensors mixing F32 and I8) and string metadata.
 * Tensors are written in insertion order.
 */
export function encodeCheckpoint(
  tensors: ReadonlyMap<string, NamedTensor | StoredTensor>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const entries: string[] = [];
  const metaEntries = Object.entries(metadata);
  for (const [key, value] of metaEntries) {
    if (typeof value !== 'string') throw new CheckpointError(`metadata ${JSON.stringify(key)} must be a string`);
  }
  if (metaEntries.length > 0) {
    // Built by hand so integer-like keys keep their order too.
    entries.push(`"__metadata__":{${metaEntries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`);
  }
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const [name, raw] of tensors) {
    if (name === '__metadata__') throw new CheckpointError('a tensor may not be named __metadata__');
    const t = asStored(raw);
    for (const [i, d] of t.shape.entries()) {
      if (!Number.isSafeInteger(d) || d < 0) throw new CheckpointError(`tensor ${JSON.stringify(name)}: shape[${i}] = ${d} is not a non-negative integer`);
    }
    const n = elementCount(t.shape);
    if (t.data.length !== n) {
      throw new CheckpointError(`tensor ${JSON.stringify(name)}: shape [${t.shape.join(', ')}] needs ${n} elements, data has ${t.data.length}`);
    }
    const bytes = dataBytes(t);
    entries.push(
      `${JSON.stringify(name)}:${JSON.stringify({ dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] })}`,
    );
    blobs.push(bytes);
    offset += bytes.length;
  }
  const headerJson = new TextEncoder().encode(`{${entries.join(',')}}`);
  const headerLength = Math.ceil(headerJson.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLength, true);
  view.setUint32(4, Math.floor(headerLength / 2 ** 32), true);
  out.set(headerJson, 8);
  out.fill(0x20, 8 + headerJson.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const b of blobs) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

interface HeaderEntry {
  name: string;
  dtype: Dtype;
  shape: number[];
  begin: number;
  end: number;
  order: number;
}

/**
 * Top-level keys of a JSON object text that JSON.parse accepted, in text order (JSON.parse puts
 * integer-like keys first, and zero-size tensors share offsets, so the text decides the order).
 */
function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) keys.push(JSON.parse(text.slice(i, j + 1)) as string);
      expectKey = false;
      i = j;
    } else if (c === '{' || c === '[') {
      depth++;
      expectKey = depth === 1 && c === '{';
    } else if (c === '}' || c === ']') {
      depth--;
    } else if (c === ',' && depth === 1) {
      expectKey = true;
    }
  }
  return keys;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isDtype = (v: unknown): v is Dtype => typeof v === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_SIZES, v);

/** Decodes and validates a checkpoint, keeping I8 tensors as stored. Tensors come back in file order. */
export function decodeStoredCheckpoint(bytes: Uint8Array): DecodedStoredCheckpoint {
  if (bytes.length < 8) throw new CheckpointError(`truncated: ${bytes.length} bytes, need at least 8 for the header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  if (high !== 0 || low > MAX_HEADER_BYTES) {
    throw new CheckpointError(`header length ${high * 2 ** 32 + low} (bytes 0-7) exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  }
  const n = low;
  if (8 + n > bytes.length) {
    throw new CheckpointError(`truncated: header length ${n} (bytes 0-7) runs past the end of the ${bytes.length}-byte file`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + n));
  } catch (e) {
    throw new CheckpointError(`header (bytes 8-${8 + n}) is not valid UTF-8`, { cause: e });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(`header (bytes 8-${8 + n}) is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  if (!isRecord(parsed)) throw new CheckpointError('header JSON must be an object');

  const bufferStart = 8 + n;
  const bufferLength = bytes.length - bufferStart;
  const metaEntries: [string, string][] = [];
  const entries: HeaderEntry[] = [];
  let order = 0;
  const keys = topLevelKeys(text);
  const seenKeys = new Set<string>();
  for (const name of keys) {
    if (seenKeys.has(name)) throw new CheckpointError(`header: ${JSON.stringify(name)} appears twice`);
    seenKeys.add(name);
  }
  for (const name of keys) {
    const value = parsed[name];
    if (name === '__metadata__') {
      if (!isRecord(value)) throw new CheckpointError('header: __metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== 'string') throw new CheckpointError(`header: __metadata__ ${JSON.stringify(k)} is not a string`);
        metaEntries.push([k, v]);
      }
      continue;
    }
    const where = `tensor ${JSON.stringify(name)}`;
    if (!isRecord(value)) throw new CheckpointError(`${where}: header entry must be an object`);
    for (const key of Object.keys(value)) {
      if (key !== 'dtype' && key !== 'shape' && key !== 'data_offsets') {
        throw new CheckpointError(`${where}: unknown header key ${JSON.stringify(key)}`);
      }
    }
    const { dtype, shape, data_offsets: offsets } = value;
    if (!isDtype(dtype)) throw new CheckpointError(`${where}: unknown dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape)) throw new CheckpointError(`${where}: shape must be an array`);
    let count = 1;
    shape.forEach((d: unknown, i) => {
      if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
        throw new CheckpointError(`${where}: shape[${i}] = ${JSON.stringify(d)} is not a non-negative integer`);
      }
      count *= d;
    });
    if (!Array.isArray(offsets) || offsets.length !== 2) throw new CheckpointError(`${where}: data_offsets must be [begin, end]`);
    const [begin, end] = offsets as unknown[];
    if (typeof begin !== 'number' || !Number.isSafeInteger(begin) || begin < 0 || typeof end !== 'number' || !Number.isSafeInteger(end) || end < begin) {
      throw new CheckpointError(`${where}: data_offsets ${JSON.stringify(offsets)} must be integers with 0 <= begin <= end`);
    }
    if (end > bufferLength) {
      throw new CheckpointError(
        `${where}: data_offsets [${begin}, ${end}] run past the ${bufferLength}-byte buffer (file byte ${bufferStart + end} of ${bytes.length}; truncated?)`,
      );
    }
    const expected = count * DTYPE_SIZES[dtype];
    if (end - begin !== expected) {
      throw new CheckpointError(
        `${where}: ${dtype} shape [${shape.join(', ')}] needs ${expected} bytes, data_offsets [${begin}, ${end}] hold ${end - begin}`,
      );
    }
    entries.push({ name, dtype, shape: shape as number[], begin, end, order: order++ });
  }

  entries.sort((a, b) => a.begin - b.begin || a.end - b.end || a.order - b.order);
  let expectedBegin = 0;
  for (const e of entries) {
    if (e.begin < expectedBegin) {
      throw new CheckpointError(`tensor ${JSON.stringify(e.name)}: data_offsets [${e.begin}, ${e.end}] overlap the previous tensor (ends at ${expectedBegin})`);
    }
    if (e.begin > expectedBegin) {
      throw new CheckpointError(`tensor ${JSON.stringify(e.name)}: gap in the buffer before byte offset ${e.begin} (previous tensor ends at ${expectedBegin})`);
    }
    expectedBegin = e.end;
  }
  if (expectedBegin !== bufferLength) {
    throw new CheckpointError(`buffer has ${bufferLength - expectedBegin} trailing bytes after byte offset ${expectedBegin} not covered by any tensor`);
  }

  const tensors: StoredTensors = new Map();
  for (const e of entries) {
    const start = bufferStart + e.begin;
    switch (e.dtype) {
      case 'F32': {
        const copy = bytes.slice(start, bufferStart + e.end);
        let data: Float32Array;
        if (LITTLE_ENDIAN_HOST) {
          data = new Float32Array(copy.buffer, 0, copy.length / 4);
        } else {
          const dv = new DataView(copy.buffer);
          data = new Float32Array(copy.length / 4);
          for (let i = 0; i < data.length; i++) data[i] = dv.getFloat32(i * 4, true);
        }
        tensors.set(e.name, { dtype: 'F32', shape: e.shape, data });
        break;
      }
      case 'I8': {
        const copy = bytes.slice(start, bufferStart + e.end);
        tensors.set(e.name, { dtype: 'I8', shape: e.shape, data: new Int8Array(copy.buffer, 0, copy.length) });
        break;
      }
      default:
        throw new CheckpointError(`tensor ${JSON.stringify(e.name)}: dtype ${e.dtype} is valid safetensors but not supported here (F32, I8 only)`);
    }
  }
  // fromEntries defines own properties, so a "__proto__" key stays data.
  return { tensors, metadata: Object.fromEntries(metaEntries) };
}

/**
 * Decodes and validates a checkpoint into F32 tensors. Int8-quantized tensors (`name` I8 with
 * `name.scale` F32) are dequantized transparently.
 */
export function decodeCheckpoint(bytes: Uint8Array): DecodedCheckpoint {
  const { tensors, metadata } = decodeStoredCheckpoint(bytes);
  return { tensors: dequantize(tensors), metadata };
}

export interface QuantizeOptions {
  /** Tensors of lower rank (biases, LayerNorm gains) stay F32. Default 2. */
  minRank?: number;
  /** Only quantize tensors whose name passes (default: all of rank >= minRank). */
  include?: (name: string, tensor: NamedTensor) => boolean;
}

/**
 * Int8 weight quantization, symmetric per row: a tensor of shape [..., cols] has
 * rows = product(leading dims); each row r gets scale[r] = max|x| / 127 (F32) and
 * q = round(x / scale[r]) in [-127, 127]. Stored as `name` (I8, original shape) and
 * `name.scale` (F32, [rows]). Per element, |x - q * scale| <= scale / 2 (up to F32 rounding).
 */
export function quantizeInt8(tensors: NamedTensors, options: QuantizeOptions = {}): StoredTensors {
  const minRank = options.minRank ?? 2;
  const out: StoredTensors = new Map();
  for (const [name, t] of tensors) {
    const quantize = t.shape.length >= minRank && t.shape.length > 0 && (options.include?.(name, t) ?? true);
    if (!quantize) {
      out.set(name, { dtype: 'F32', shape: t.shape, data: t.data });
      continue;
    }
    const scaleName = name + SCALE_SUFFIX;
    if (tensors.has(scaleName)) throw new CheckpointError(`cannot quantize ${JSON.stringify(name)}: a tensor named ${JSON.stringify(scaleName)} exists`);
    const cols = t.shape[t.shape.length - 1] as number;
    const rows = cols === 0 ? elementCount(t.shape.slice(0, -1)) : t.data.length / cols;
    const q = new Int8Array(t.data.length);
    const scales = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      let max = 0;
      for (let c = 0; c < cols; c++) {
        const x = t.data[r * cols + c] as number;
        if (!Number.isFinite(x)) throw new CheckpointError(`cannot quantize ${JSON.stringify(name)}: non-finite value ${x} at element ${r * cols + c}`);
        max = Math.max(max, Math.abs(x));
      }
      let scale = Math.fround(max / 127);
      // F32 rounding (severe for subnormal scales) may leave max / scale above 127.5, where
      // clamping would break the scale/2 bound: step the scale up until it covers the row.
      while (max > 0 && !(Math.round(max / scale) <= 127)) scale = nextUpF32(scale);
      scales[r] = scale;
      if (scale === 0) continue;
      for (let c = 0; c < cols; c++) {
        const v = Math.round((t.data[r * cols + c] as number) / scale);
        q[r * cols + c] = Math.max(-127, Math.min(127, v));
      }
    }
    out.set(name, { dtype: 'I8', shape: t.shape, data: q });
    out.set(scaleName, { dtype: 'F32', shape: [rows], data: scales });
  }
  return out;
}

const F32_MAX = 3.4028234663852886e38;
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** The next larger F32 after a non-negative finite F32. */
function nextUpF32(x: number): number {
  f32[0] = x;
  u32[0] = (u32[0] as number) + 1;
  return f32[0];
}

/** Back to F32: every I8 `name` needs an F32 `name.scale` of shape [rows]; the scale tensors are dropped. */
export function dequantize(tensors: StoredTensors): NamedTensors {
  const scaleNames = new Set<string>();
  for (const [name, t] of tensors) if (t.dtype === 'I8') scaleNames.add(name + SCALE_SUFFIX);
  const out: NamedTensors = new Map();
  for (const [name, t] of tensors) {
    if (scaleNames.has(name) && t.dtype === 'F32') continue;
    if (t.dtype === 'F32') {
      out.set(name, { shape: t.shape, data: t.data });
      continue;
    }
    const scale = tensors.get(name + SCALE_SUFFIX);
    if (scale === undefined || scale.dtype !== 'F32') {
      throw new CheckpointError(`tensor ${JSON.stringify(name)} is I8 but has no F32 ${JSON.stringify(name + SCALE_SUFFIX)}`);
    }
    if (t.shape.length === 0) throw new CheckpointError(`tensor ${JSON.stringify(name)}: an I8 tensor needs rank >= 1`);
    const cols = t.shape[t.shape.length - 1] as number;
    const rows = elementCount(t.shape.slice(0, -1));
    if (scale.shape.length !== 1 || scale.shape[0] !== rows) {
      throw new CheckpointError(
        `tensor ${JSON.stringify(name + SCALE_SUFFIX)}: shape [${scale.shape.join(', ')}] should be [${rows}] (rows of ${JSON.stringify(name)})`,
      );
    }
    const data = new Float32Array(t.data.length);
    for (let r = 0; r < rows; r++) {
      const s = scale.data[r] as number;
      // Clamped so a row whose max is near the F32 limit cannot round up to Infinity.
      for (let c = 0; c < cols; c++) data[r * cols + c] = Math.max(-F32_MAX, Math.min(F32_MAX, (t.data[r * cols + c] as number) * s));
    }
    out.set(name, { shape: t.shape, data });
  }
  return out;
}
