// Deterministic synthetic data for the index tests and the benchmark: points drawn around Gaussian cluster centres
// (like embeddings of a few topics), from a seeded mulberry32 through Box-Muller.
//
// Layout of the result: Float32Array [n × dim], row i = point i (not normalised).

import { Mulberry32 } from './rng.ts';

export interface ClusteredOptions {
  n: number;
  dim: number;
  clusters: number;
  /** Seed of the cluster centres: data and queries that share it share the clusters. */
  seed: number;
  /** Seed of the points themselves (default seed + 1): use another one for queries. */
  pointSeed?: number;
  /** Standard deviation of a point around its centre, per component (centres are N(0, 1) per component). */
  spread?: number;
}

/** A seeded stream of standard normal numbers. */
export class Gaussian {
  private readonly rng: Mulberry32;
  private spare = 0;
  private hasSpare = false;

  constructor(seed: number) {
    this.rng = new Mulberry32(seed);
  }

  next(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    const r = Math.sqrt(-2 * Math.log(this.rng.nextOpenClosed()));
    const t = 2 * Math.PI * this.rng.nextOpenClosed();
    this.spare = r * Math.sin(t);
    this.hasSpare = true;
    return r * Math.cos(t);
  }
}

/** n points around `clusters` centres; the same options always give the same array. */
export function clusteredVectors(options: ClusteredOptions): Float32Array {
  const { n, dim, clusters, seed } = options;
  const spread = options.spread ?? 0.5;
  const centreRng = new Gaussian(seed);
  const centres = new Float32Array(clusters * dim);
  for (let i = 0; i < centres.length; i++) centres[i] = centreRng.next();
  const pointSeed = options.pointSeed ?? seed + 1;
  const rng = new Gaussian(pointSeed);
  const pick = new Mulberry32(pointSeed ^ 0x5bd1e995);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = pick.nextUint32() % clusters;
    for (let j = 0; j < dim; j++) out[i * dim + j] = centres[c * dim + j]! + spread * rng.next();
  }
  return out;
}
