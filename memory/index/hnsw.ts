// HnswIndex: Hierarchical Navigable Small World graph (Malkov & Yashunin 2018) over unit vectors, cosine similarity
// as a dot product. Everything lives in typed arrays so a query allocates only its result:
//
//   rows       VectorRows (rows.ts)                  node i's unit vector at rows.data[(i + 1) · dim ..]
//   labels     Float64Array [capacity]               caller's label of node i (a safe integer)
//   levels     Uint8Array   [capacity]               top level of node i
//   deleted    Uint8Array   [capacity]               1 = tombstone (still traversed, never returned)
//   links0     Int32Array   [capacity × (M0 + 1)]    level-0 block of node i = [count, nb_0 .. nb_{M0-1}], M0 = 2M
//   upperStart Int32Array   [capacity]               start of node i's blocks in upperLinks, -1 if levels[i] = 0
//   upperLinks Int32Array   [growable]               level l ≥ 1 block of node i at upperStart[i] + (l-1)(M+1)
//                                                    = [count, nb_0 .. nb_{M-1}]
//   visited    Uint32Array  [capacity]               visited[i] === generation ⇔ seen in the current walk
//
// Similarities come from the kernel of VectorRows: WebAssembly SIMD where available (simd.ts), else dot.ts; the two
// round differently, so graphs are reproducible per kernel.
// Levels come from a seeded mulberry32, so the same sequence of add()s builds the same graph; compact() rebuilds
// from the live vectors in insertion order with the PRNG reseeded (the graph a fresh index would build).
// serialize() returns an ArrayBuffer (format in snapshot.ts); HnswIndex.deserialize() restores it exactly.

import type { SearchHit, VectorIndex } from '../types.ts';
import { VectorIndexError } from './errors.ts';
import { MinHeap } from './heap.ts';
import { Mulberry32 } from './rng.ts';
import { decodeHnsw, encodeHnsw, type HnswState } from './snapshot.ts';
import { VectorRows } from './rows.ts';
import { TopK } from './topk.ts';
import { checkDim, checkK, checkLabel, checkVector, normaliseInto } from './vector.ts';

export interface HnswOptions {
  dim: number;
  /** Links per node above level 0 (2M at level 0). */
  M?: number;
  /** Beam width while inserting. */
  efConstruction?: number;
  /** Beam width while searching (raised to k when k is larger). */
  efSearch?: number;
  /** Seed of the level generator. */
  seed?: number;
  /** Initial number of vector slots (the arrays grow by doubling). */
  capacity?: number;
  /** Use the WebAssembly SIMD kernel where available (default true); false forces the JS loop. */
  simd?: boolean;
}

export const HNSW_DEFAULTS = { M: 16, efConstruction: 200, efSearch: 64, seed: 1 } as const;

const MAX_LEVEL = 31;

function positiveInt(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new VectorIndexError('bad-option', `${name} must be an integer >= ${min}, got ${value}`);
  }
  return value;
}

export class HnswIndex implements VectorIndex {
  readonly dim: number;
  readonly M: number;
  readonly M0: number;
  readonly efConstruction: number;
  readonly seed: number;
  private ef: number;
  private readonly mL: number;
  private rng: Mulberry32;

  private rows!: VectorRows;
  private readonly useSimd: boolean;
  private labels!: Float64Array;
  private levels!: Uint8Array;
  private deleted!: Uint8Array;
  private links0!: Int32Array;
  private upperStart!: Int32Array;
  private upperLinks!: Int32Array;
  private upperUsed = 0;
  private visited!: Uint32Array;
  private generation = 0;

  /** Nodes used, tombstones included. */
  private count = 0;
  private live = 0;
  private entry = -1;
  private maxLevel = -1;
  /** Live label → node. */
  private readonly nodeOf = new Map<number, number>();

  // Scratch, reused by every call.
  private readonly candidates = new MinHeap(256);
  private readonly results = new MinHeap(256);
  private sortedIds: Int32Array;
  private sortedSims: Float64Array;
  private readonly pruneIds: Int32Array;
  private readonly pruneSims: Float64Array;
  private readonly fresh: Int32Array;
  /** Where the prefetching loads of searchLayer go, so they are not optimised away. */
  private sink = 0;
  private greedyNode = 0;
  private greedySim = 0;

  constructor(options: HnswOptions) {
    checkDim(options.dim);
    this.dim = options.dim;
    this.M = positiveInt('M', options.M ?? HNSW_DEFAULTS.M, 2);
    this.M0 = 2 * this.M;
    this.efConstruction = positiveInt('efConstruction', options.efConstruction ?? HNSW_DEFAULTS.efConstruction, 1);
    this.ef = positiveInt('efSearch', options.efSearch ?? HNSW_DEFAULTS.efSearch, 1);
    const seed = options.seed ?? HNSW_DEFAULTS.seed;
    if (!Number.isSafeInteger(seed)) throw new VectorIndexError('bad-option', `seed must be an integer, got ${seed}`);
    this.seed = seed;
    this.rng = new Mulberry32(seed);
    this.mL = 1 / Math.log(this.M);
    const capacity = Math.max(16, positiveInt('capacity', options.capacity ?? 0, 0));
    this.useSimd = options.simd ?? true;
    this.allocate(capacity);
    this.sortedIds = new Int32Array(this.efConstruction + 1);
    this.sortedSims = new Float64Array(this.efConstruction + 1);
    this.pruneIds = new Int32Array(this.M0 + 1);
    this.fresh = new Int32Array(this.M0);
    this.pruneSims = new Float64Array(this.M0 + 1);
  }

  get size(): number {
    return this.live;
  }

  get efSearch(): number {
    return this.ef;
  }

  set efSearch(value: number) {
    this.ef = positiveInt('efSearch', value, 1);
  }

  has(label: number): boolean {
    return this.nodeOf.has(label);
  }

  add(label: number, vector: Float32Array): void {
    checkLabel(label);
    checkVector(vector, this.dim, 'vector');
    if (this.nodeOf.has(label)) throw new VectorIndexError('duplicate-label', `label ${label} is already in the index`);
    this.ensureCapacity(this.count + 1);
    normaliseInto(vector, this.dim, this.rows.data, this.rows.offset(this.count));
    this.insertNode(this.count, label);
  }

  /** Adds an already-unit vector read from source[offset .. offset + dim) (used when another index hands over). */
  addUnit(label: number, source: Float32Array, offset: number): void {
    checkLabel(label);
    if (this.nodeOf.has(label)) throw new VectorIndexError('duplicate-label', `label ${label} is already in the index`);
    this.ensureCapacity(this.count + 1);
    this.rows.data.set(source.subarray(offset, offset + this.dim), this.rows.offset(this.count));
    this.insertNode(this.count, label);
  }

  delete(label: number): boolean {
    const node = this.nodeOf.get(label);
    if (node === undefined) return false;
    this.nodeOf.delete(label);
    this.deleted[node] = 1;
    this.live--;
    return true;
  }

  search(query: Float32Array, k: number): SearchHit[] {
    checkVector(query, this.dim, 'query');
    checkK(k);
    if (k === 0 || this.live === 0) return [];
    const rows = this.rows;
    normaliseInto(query, this.dim, rows.data, 0);
    const ef = Math.max(this.ef, k);
    // A walk that would have to return (nearly) everything is a scan: exact and no slower.
    if (this.live <= ef) return this.scan(k);
    const entry = this.entry;
    this.greedy(0, entry, rows.dotQuery(entry), this.maxLevel, 1);
    this.searchLayer(0, this.greedyNode, this.greedySim, ef, 0, true);
    const top = new TopK(Math.min(k, this.results.size));
    const { keys, ids } = this.results;
    for (let i = 0; i < this.results.size; i++) top.offer(keys[i]!, this.labels[ids[i]!]!);
    return top.result();
  }

  /** Fresh node storage for `capacity` nodes (the constructor, and compact() before it re-inserts). */
  private allocate(capacity: number): void {
    this.rows = new VectorRows(this.dim, capacity, this.useSimd);
    this.labels = new Float64Array(capacity);
    this.levels = new Uint8Array(capacity);
    this.deleted = new Uint8Array(capacity);
    this.links0 = new Int32Array(capacity * (this.M0 + 1));
    this.upperStart = new Int32Array(capacity);
    this.upperLinks = new Int32Array(Math.max(64, Math.ceil(capacity / this.M) * 2 * (this.M + 1)));
    this.visited = new Uint32Array(capacity);
  }

  compact(): void {
    const oldRows = this.rows;
    const oldLabels = this.labels;
    const oldDeleted = this.deleted;
    const oldCount = this.count;
    const capacity = Math.max(16, this.live);
    this.allocate(capacity);
    this.generation = 0;
    this.upperUsed = 0;
    this.count = 0;
    this.live = 0;
    this.entry = -1;
    this.maxLevel = -1;
    this.nodeOf.clear();
    this.rng = new Mulberry32(this.seed);
    for (let i = 0; i < oldCount; i++) {
      if (oldDeleted[i] === 1) continue;
      const node = this.count;
      const from = oldRows.offset(i);
      this.rows.data.set(oldRows.data.subarray(from, from + this.dim), this.rows.offset(node));
      this.insertNode(node, oldLabels[i]!);
    }
  }

  /** Calls fn(label, storage, offset) for every live node in insertion order (storage rows are unit vectors). */
  forEachLive(fn: (label: number, storage: Float32Array, offset: number) => void): void {
    const rows = this.rows;
    for (let i = 0; i < this.count; i++) if (this.deleted[i] !== 1) fn(this.labels[i]!, rows.data, rows.offset(i));
  }

  /** The whole index as one ArrayBuffer (format in snapshot.ts). */
  serialize(): ArrayBuffer {
    const n = this.count;
    return encodeHnsw({
      dim: this.dim,
      M: this.M,
      efConstruction: this.efConstruction,
      efSearch: this.ef,
      seed: this.seed,
      rngState: this.rng.state,
      count: n,
      live: this.live,
      entry: this.entry,
      maxLevel: this.maxLevel,
      upperUsed: this.upperUsed,
      vectors: this.rows.data.subarray(this.dim, (n + 1) * this.dim),
      labels: this.labels.subarray(0, n),
      levels: this.levels.subarray(0, n),
      deleted: this.deleted.subarray(0, n),
      links0: this.links0.subarray(0, n * (this.M0 + 1)),
      upperStart: this.upperStart.subarray(0, n),
      upperLinks: this.upperLinks.subarray(0, this.upperUsed),
    });
  }

  /**
   * Restores an index written by serialize() (options, graph, vectors and level-generator state, so later inserts
   * continue exactly as they would have); throws VectorIndexError('bad-snapshot') on anything inconsistent.
   */
  static deserialize(buffer: ArrayBuffer, options: { simd?: boolean } = {}): HnswIndex {
    const s = decodeHnsw(buffer);
    const index = new HnswIndex({
      dim: s.dim,
      M: s.M,
      efConstruction: s.efConstruction,
      efSearch: s.efSearch,
      seed: s.seed,
      capacity: s.count,
      simd: options.simd ?? true,
    });
    index.restore(s);
    return index;
  }

  // ---- internals --------------------------------------------------------------------------------------------

  private restore(s: HnswState): void {
    const bad = (what: string): VectorIndexError => new VectorIndexError('bad-snapshot', `corrupt HNSW snapshot: ${what}`);
    const n = s.count;
    const inRange = (id: number): boolean => id >= 0 && id < n;
    if (n === 0 ? s.entry !== -1 || s.maxLevel !== -1 : !inRange(s.entry) || s.levels[s.entry] !== s.maxLevel) {
      throw bad('entry point');
    }
    const stride0 = this.M0 + 1;
    const strideU = this.M + 1;
    let live = 0;
    for (let i = 0; i < n; i++) {
      const level = s.levels[i]!;
      if (level > s.maxLevel) throw bad(`level of node ${i}`);
      if (s.deleted[i] === 0) {
        live++;
        if (!Number.isSafeInteger(s.labels[i]!) || this.nodeOf.has(s.labels[i]!)) throw bad(`label of node ${i}`);
        this.nodeOf.set(s.labels[i]!, i);
      }
      const checkBlock = (links: Int32Array, base: number, max: number): void => {
        const c = links[base]!;
        if (!(c >= 0 && c <= max && base + c < links.length)) throw bad(`links of node ${i}`);
        for (let j = 1; j <= c; j++) if (!inRange(links[base + j]!)) throw bad(`links of node ${i}`);
      };
      checkBlock(s.links0, i * stride0, this.M0);
      const start = s.upperStart[i]!;
      if (level === 0) {
        if (start !== -1) throw bad(`upper links of node ${i}`);
      } else {
        if (start < 0 || start + level * strideU > s.upperUsed) throw bad(`upper links of node ${i}`);
        for (let l = 1; l <= level; l++) checkBlock(s.upperLinks, start + (l - 1) * strideU, this.M);
      }
    }
    if (live !== s.live) throw bad('live count');
    this.ensureCapacity(n);
    this.rows.data.set(s.vectors, this.dim);
    this.labels.set(s.labels);
    this.levels.set(s.levels);
    this.deleted.set(s.deleted);
    this.links0.set(s.links0);
    this.upperStart.set(s.upperStart);
    this.ensureUpper(s.upperUsed);
    this.upperLinks.set(s.upperLinks);
    this.upperUsed = s.upperUsed;
    this.count = n;
    this.live = live;
    this.entry = s.entry;
    this.maxLevel = s.maxLevel;
    this.rng.state = s.rngState >>> 0;
  }

  private randomLevel(): number {
    const level = Math.floor(-Math.log(this.rng.nextOpenClosed()) * this.mL);
    return level > MAX_LEVEL ? MAX_LEVEL : level;
  }

  /** Links `node` (its unit vector already in the rows) into the graph. */
  private insertNode(node: number, label: number): void {
    const { M } = this;
    const level = this.randomLevel();
    this.count = node + 1;
    this.labels[node] = label;
    this.levels[node] = level;
    this.deleted[node] = 0;
    this.links0[node * (this.M0 + 1)] = 0;
    if (level > 0) {
      const need = level * (M + 1);
      this.ensureUpper(this.upperUsed + need);
      this.upperStart[node] = this.upperUsed;
      this.upperLinks.fill(0, this.upperUsed, this.upperUsed + need);
      this.upperUsed += need;
    } else {
      this.upperStart[node] = -1;
    }
    this.nodeOf.set(label, node);
    this.live++;
    if (this.entry === -1) {
      this.entry = node;
      this.maxLevel = level;
      return;
    }
    const q = (node + 1) * this.rows.rowBytes;
    let ep = this.entry;
    let epSim = this.rows.dotRows(node, ep);
    if (this.maxLevel > level) {
      this.greedy(q, ep, epSim, this.maxLevel, level + 1);
      ep = this.greedyNode;
      epSim = this.greedySim;
    }
    for (let l = Math.min(level, this.maxLevel); l >= 0; l--) {
      this.searchLayer(q, ep, epSim, this.efConstruction, l, false);
      const n = this.drainSorted();
      const ids = this.sortedIds;
      const sims = this.sortedSims;
      ep = ids[0]!;
      epSim = sims[0]!;
      const kept = this.selectNeighbours(ids, sims, n, M);
      const [links, base] = this.block(node, l);
      links[base] = kept;
      for (let j = 0; j < kept; j++) links[base + 1 + j] = ids[j]!;
      for (let j = 0; j < kept; j++) this.linkBack(ids[j]!, node, sims[j]!, l);
    }
    if (level > this.maxLevel) {
      this.entry = node;
      this.maxLevel = level;
    }
  }

  /** [array, offset] of node's link block at level. */
  private block(node: number, level: number): [Int32Array, number] {
    return level === 0
      ? [this.links0, node * (this.M0 + 1)]
      : [this.upperLinks, this.upperStart[node]! + (level - 1) * (this.M + 1)];
  }

  /** Adds `node` to the links of `to` at `level`, re-selecting them by the heuristic when the block is full. */
  private linkBack(to: number, node: number, sim: number, level: number): void {
    const maxLinks = level === 0 ? this.M0 : this.M;
    const [links, base] = this.block(to, level);
    const count = links[base]!;
    if (count < maxLinks) {
      links[base + 1 + count] = node;
      links[base] = count + 1;
      return;
    }
    const rows = this.rows;
    const ids = this.pruneIds;
    const sims = this.pruneSims;
    // Insertion sort by similarity to `to`, best first (stable: ties keep link order).
    for (let j = 0; j <= count; j++) {
      const id = j < count ? links[base + 1 + j]! : node;
      const s = j < count ? rows.dotRows(to, id) : sim;
      let p = j;
      while (p > 0 && sims[p - 1]! < s) {
        sims[p] = sims[p - 1]!;
        ids[p] = ids[p - 1]!;
        p--;
      }
      sims[p] = s;
      ids[p] = id;
    }
    const kept = this.selectNeighbours(ids, sims, count + 1, maxLinks);
    links[base] = kept;
    for (let j = 0; j < kept; j++) links[base + 1 + j] = ids[j]!;
  }

  /**
   * The neighbour-selection heuristic (Malkov & Yashunin, alg. 4, without extending or keeping pruned links):
   * walk candidates best first and keep one only if it is closer to the base than to every one already kept.
   * ids/sims[0 .. n) are sorted by similarity to the base, descending; the kept ones are moved to the front.
   */
  private selectNeighbours(ids: Int32Array, sims: Float64Array, n: number, max: number): number {
    if (n <= max) return n;
    const rows = this.rows;
    let kept = 0;
    for (let i = 0; i < n && kept < max; i++) {
      const c = ids[i]!;
      const cs = sims[i]!;
      let good = true;
      for (let j = 0; j < kept; j++) {
        if (rows.dotRows(c, ids[j]!) > cs) {
          good = false;
          break;
        }
      }
      if (good) {
        ids[kept] = c;
        sims[kept] = cs;
        kept++;
      }
    }
    return kept;
  }

  /** Empties the result heap into sortedIds/sortedSims, best first; returns how many. */
  private drainSorted(): number {
    const res = this.results;
    const n = res.size;
    if (this.sortedIds.length < n) {
      this.sortedIds = new Int32Array(n);
      this.sortedSims = new Float64Array(n);
    }
    for (let i = n - 1; i >= 0; i--) {
      this.sortedSims[i] = res.topKey();
      this.sortedIds[i] = res.topId();
      res.pop();
    }
    return n;
  }

  /**
   * Greedy descent from `ep` through levels fromLevel .. toLevel (ef = 1) towards the vector at byte offset q of
   * the rows; leaves greedyNode/greedySim.
   */
  private greedy(q: number, ep: number, epSim: number, fromLevel: number, toLevel: number): void {
    const { upperLinks, upperStart, links0, dim } = this;
    const { kernel, rowBytes } = this.rows;
    const strideU = this.M + 1;
    const stride0 = this.M0 + 1;
    let cur = ep;
    let curSim = epSim;
    for (let level = fromLevel; level >= toLevel; level--) {
      let changed = true;
      while (changed) {
        changed = false;
        const links = level === 0 ? links0 : upperLinks;
        const base = level === 0 ? cur * stride0 : upperStart[cur]! + (level - 1) * strideU;
        const n = links[base]!;
        for (let j = 1; j <= n; j++) {
          const nb = links[base + j]!;
          const s = kernel(q, (nb + 1) * rowBytes, dim);
          if (s > curSim) {
            curSim = s;
            cur = nb;
            changed = true;
          }
        }
      }
    }
    this.greedyNode = cur;
    this.greedySim = curSim;
  }

  /**
   * Beam search of one level from `ep` with width ef towards the vector at byte offset q of the rows. Leaves the
   * best ef nodes in `results` (a min-heap on similarity: worst on top). With liveOnly, tombstones are walked
   * through but not put in the results.
   */
  private searchLayer(q: number, ep: number, epSim: number, ef: number, level: number, liveOnly: boolean): void {
    const { dim, deleted, visited, upperStart, fresh } = this;
    const { kernel, rowBytes, data } = this.rows;
    const cand = this.candidates;
    const res = this.results;
    const links = level === 0 ? this.links0 : this.upperLinks;
    const stride = level === 0 ? this.M0 + 1 : this.M + 1;
    const shift = (level - 1) * stride;
    const gen = this.nextGeneration();
    cand.clear();
    res.clear();
    visited[ep] = gen;
    cand.push(-epSim, ep);
    if (!liveOnly || deleted[ep] === 0) res.push(epSim, ep);
    let lower = res.size > 0 ? res.topKey() : -Infinity;
    while (cand.size > 0) {
      if (-cand.topKey() < lower && res.size >= ef) break;
      const c = cand.topId();
      cand.pop();
      const base = level === 0 ? c * stride : upperStart[c]! + shift;
      const n = links[base]!;
      // Gather the unvisited neighbours and touch every cache line of their rows first, so the misses overlap (the
      // CPU has them all in flight) instead of stalling one dot product at a time; JS's stand-in for hnswlib's
      // _mm_prefetch. Worth ~1.2× in queries/s at 100k vectors (rows no longer fit in cache).
      let m = 0;
      let touch = 0;
      for (let j = 1; j <= n; j++) {
        const nb = links[base + j]!;
        if (visited[nb] === gen) continue;
        visited[nb] = gen;
        fresh[m++] = nb;
        const off = (nb + 1) * dim;
        for (let t = 0; t < dim; t += 16) touch += data[off + t]!;
      }
      this.sink = touch;
      for (let j = 0; j < m; j++) {
        const nb = fresh[j]!;
        const s = kernel(q, (nb + 1) * rowBytes, dim);
        if (res.size < ef || s > lower) {
          cand.push(-s, nb);
          if (!liveOnly || deleted[nb] === 0) {
            if (res.size < ef) res.push(s, nb);
            else res.replaceTop(s, nb);
            lower = res.topKey();
          }
        }
      }
    }
  }

  /** Exact top-k over the live nodes for the query in the query slot of the rows. */
  private scan(k: number): SearchHit[] {
    const { deleted, labels, rows } = this;
    const top = new TopK(Math.min(k, this.live));
    for (let i = 0; i < this.count; i++) {
      if (deleted[i] === 1) continue;
      top.offer(rows.dotQuery(i), labels[i]!);
    }
    return top.result();
  }

  private nextGeneration(): number {
    if (this.generation === 0xffffffff) {
      this.visited.fill(0);
      this.generation = 0;
    }
    return ++this.generation;
  }

  private ensureCapacity(n: number): void {
    const capacity = this.labels.length;
    if (n <= capacity) return;
    const next = Math.max(n, capacity * 2);
    const grow = <T extends Float64Array | Uint8Array | Int32Array | Uint32Array>(
      old: T,
      make: (length: number) => T,
      per: number,
    ): T => {
      const a = make(next * per);
      a.set(old);
      return a;
    };
    this.rows.ensure(next, this.count);
    this.labels = grow(this.labels, (l) => new Float64Array(l), 1);
    this.levels = grow(this.levels, (l) => new Uint8Array(l), 1);
    this.deleted = grow(this.deleted, (l) => new Uint8Array(l), 1);
    this.links0 = grow(this.links0, (l) => new Int32Array(l), this.M0 + 1);
    this.upperStart = grow(this.upperStart, (l) => new Int32Array(l), 1);
    this.visited = grow(this.visited, (l) => new Uint32Array(l), 1);
  }

  private ensureUpper(n: number): void {
    if (n <= this.upperLinks.length) return;
    const a = new Int32Array(Math.max(n, this.upperLinks.length * 2));
    a.set(this.upperLinks);
    this.upperLinks = a;
  }
}
