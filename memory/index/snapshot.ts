// The binary snapshot of an HnswIndex: one ArrayBuffer holding the options, the PRNG state and the typed arrays of
// the graph, so a store can save an index and load it without rebuilding (loading is a few copies).
//
// Format (little-endian, every section 8-byte aligned):
//   [0, 8)            magic "UMHNSW01" (ASCII)
//   [8, 8 + 8·H)      header: Float64Array [H] = HEADER_FIELDS in order
//   then sections, each padded to 8 bytes:
//     vectors     Float32Array [count × dim]
//     labels      Float64Array [count]
//     levels      Uint8Array   [count]
//     deleted     Uint8Array   [count]
//     links0      Int32Array   [count × (2M + 1)]
//     upperStart  Int32Array   [count]
//     upperLinks  Int32Array   [upperUsed]

import { VectorIndexError } from './errors.ts';

export interface HnswState {
  dim: number;
  M: number;
  efConstruction: number;
  efSearch: number;
  seed: number;
  rngState: number;
  count: number;
  live: number;
  entry: number;
  maxLevel: number;
  upperUsed: number;
  vectors: Float32Array;
  labels: Float64Array;
  levels: Uint8Array;
  deleted: Uint8Array;
  links0: Int32Array;
  upperStart: Int32Array;
  upperLinks: Int32Array;
}

const MAGIC = 'UMHNSW01';
const HEADER_FIELDS = [
  'dim',
  'M',
  'efConstruction',
  'efSearch',
  'seed',
  'rngState',
  'count',
  'live',
  'entry',
  'maxLevel',
  'upperUsed',
] as const;

const pad8 = (n: number): number => (n + 7) & ~7;

type Section = Float32Array | Float64Array | Uint8Array | Int32Array;

function sections(s: HnswState): Section[] {
  return [s.vectors, s.labels, s.levels, s.deleted, s.links0, s.upperStart, s.upperLinks];
}

export function encodeHnsw(state: HnswState): ArrayBuffer {
  let size = 8 + 8 * HEADER_FIELDS.length;
  for (const a of sections(state)) size += pad8(a.byteLength);
  const buffer = new ArrayBuffer(size);
  const bytes = new Uint8Array(buffer);
  for (let i = 0; i < MAGIC.length; i++) bytes[i] = MAGIC.charCodeAt(i);
  const header = new Float64Array(buffer, 8, HEADER_FIELDS.length);
  HEADER_FIELDS.forEach((field, i) => (header[i] = state[field]));
  let offset = 8 + 8 * HEADER_FIELDS.length;
  for (const a of sections(state)) {
    bytes.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), offset);
    offset += pad8(a.byteLength);
  }
  return buffer;
}

function bad(message: string): VectorIndexError {
  return new VectorIndexError('bad-snapshot', `not an HNSW snapshot: ${message}`);
}

export function decodeHnsw(buffer: ArrayBuffer): HnswState {
  if (!(buffer instanceof ArrayBuffer) || buffer.byteLength < 8 + 8 * HEADER_FIELDS.length) throw bad('too short');
  const bytes = new Uint8Array(buffer);
  for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC.charCodeAt(i)) throw bad('wrong magic');
  const header = new Float64Array(buffer.slice(8, 8 + 8 * HEADER_FIELDS.length));
  const h = {} as Record<(typeof HEADER_FIELDS)[number], number>;
  HEADER_FIELDS.forEach((field, i) => {
    const v = header[i]!;
    if (!Number.isSafeInteger(v)) throw bad(`${field} = ${v}`);
    h[field] = v;
  });
  if (h.dim < 1 || h.M < 2 || h.count < 0 || h.live < 0 || h.live > h.count || h.upperUsed < 0) throw bad('bad header');
  let offset = 8 + 8 * HEADER_FIELDS.length;
  const take = <T extends Section>(make: (b: ArrayBuffer) => T, bytesPer: number, length: number): T => {
    const end = offset + length * bytesPer;
    if (end > buffer.byteLength) throw bad('truncated');
    const out = make(buffer.slice(offset, end));
    offset += pad8(length * bytesPer);
    return out;
  };
  const state: HnswState = {
    ...h,
    vectors: take((b) => new Float32Array(b), 4, h.count * h.dim),
    labels: take((b) => new Float64Array(b), 8, h.count),
    levels: take((b) => new Uint8Array(b), 1, h.count),
    deleted: take((b) => new Uint8Array(b), 1, h.count),
    links0: take((b) => new Int32Array(b), 4, h.count * (2 * h.M + 1)),
    upperStart: take((b) => new Int32Array(b), 4, h.count),
    upperLinks: take((b) => new Int32Array(b), 4, h.upperUsed),
  };
  if (offset !== buffer.byteLength) throw bad('trailing bytes');
  return state;
}
