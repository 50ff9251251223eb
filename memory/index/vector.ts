// Input checks and normalisation shared by the indexes: a vector must have the index's dimension and finite
// components; labels are safe integers. Vectors are stored unit-length so cosine similarity is a dot product
// (a zero vector is stored as zeros: similarity 0 to everything).

import { VectorIndexError } from './errors.ts';

export function checkDim(dim: number): void {
  if (!Number.isInteger(dim) || dim < 1) throw new VectorIndexError('bad-option', `dim must be a positive integer, got ${dim}`);
}

export function checkLabel(label: number): void {
  if (!Number.isSafeInteger(label)) throw new VectorIndexError('bad-label', `label must be a safe integer, got ${label}`);
}

/** Throws unless `vector` has `dim` finite components. `what` names it in the message ('vector', 'query'). */
export function checkVector(vector: Float32Array, dim: number, what: string): void {
  if (!(vector instanceof Float32Array)) throw new VectorIndexError('dimension-mismatch', `${what} must be a Float32Array`);
  if (vector.length !== dim) {
    throw new VectorIndexError('dimension-mismatch', `${what} has dimension ${vector.length}, the index has ${dim}`);
  }
  for (let i = 0; i < dim; i++) {
    if (!Number.isFinite(vector[i]!)) throw new VectorIndexError('not-finite', `${what} component ${i} is ${vector[i]}`);
  }
}

/** Writes vector / |vector| into out[outOff .. outOff + dim). */
export function normaliseInto(vector: Float32Array, dim: number, out: Float32Array, outOff: number): void {
  let ss = 0;
  for (let i = 0; i < dim; i++) ss += vector[i]! * vector[i]!;
  const scale = ss > 0 ? 1 / Math.sqrt(ss) : 0;
  for (let i = 0; i < dim; i++) out[outOff + i] = vector[i]! * scale;
}

/** Cosine similarity of unit vectors can stray past ±1 by rounding. */
export function clampSimilarity(s: number): number {
  return s > 1 ? 1 : s < -1 ? -1 : s;
}

export function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 0) throw new VectorIndexError('bad-option', `k must be a non-negative integer, got ${k}`);
}
