// Generative-Agents retrieval (Park et al. 2023): score = w_recency*recency + w_importance*importance
// + w_relevance*relevance over a candidate set, each component min-max normalised over that set.
//
//   recency    = decayPerHour ^ (simulated hours since lastAccess)   (default 0.995 per hour: a
//                memory untouched for a day keeps 0.89, for a week 0.43). Per simulated hour rather
//                than per step so the curve does not depend on the physics/agent step length.
//   importance = the record's importance (see importanceOf)
//   relevance  = cosine similarity of query and embedding (exact, computed here)
//   candidates = the topN most similar (from the store's index) ∪ the recentM most recently accessed
//   normalise  = (x - min) / (max - min); a component equal over all candidates (e.g. a single
//                candidate) normalises to 1, so it never divides by zero and does not change the order.
// Ties in score break by id. The k returned records are touched (lastAccess = now).

import type { MemoryKind, MemoryRecord } from './types.ts';
import { isMemoryKind } from './store/codec.ts';
import { MemoryError } from './store/errors.ts';
import type { MemoryStore } from './store/store.ts';

export interface RetrievalWeights {
  recency: number;
  importance: number;
  relevance: number;
}

export interface RetrievalConfig {
  weights: RetrievalWeights;
  /** Recency multiplier per simulated hour since last access, in (0, 1]. */
  decayPerHour: number;
  /** N: candidates taken by similarity. */
  topN: number;
  /** M: candidates taken by recency of access. */
  recentM: number;
}

export const DEFAULT_RETRIEVAL_CONFIG: RetrievalConfig = {
  weights: { recency: 1, importance: 1, relevance: 1 },
  decayPerHour: 0.995,
  topN: 50,
  recentM: 20,
};

export type RetrievalOverrides = Partial<Omit<RetrievalConfig, 'weights'>> & { weights?: Partial<RetrievalWeights> };

export interface Retrieved {
  /** The record after its touch (lastAccess = now). */
  record: MemoryRecord;
  score: number;
  /** Min-max normalised over the candidates, in [0, 1]; score = Σ weight * component. */
  components: RetrievalWeights;
  /** Before normalisation: decay^hours, importance, cosine similarity. */
  raw: RetrievalWeights;
}

const SECONDS_PER_HOUR = 3600;

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

function minMax(xs: number[]): number[] {
  const lo = Math.min(...xs);
  const range = Math.max(...xs) - lo;
  return xs.map((x) => (range > 0 ? (x - lo) / range : 1));
}

export function resolveConfig(overrides: RetrievalOverrides = {}): RetrievalConfig {
  const c: RetrievalConfig = {
    ...DEFAULT_RETRIEVAL_CONFIG,
    ...overrides,
    weights: { ...DEFAULT_RETRIEVAL_CONFIG.weights, ...overrides.weights },
  };
  const w = c.weights;
  if (![w.recency, w.importance, w.relevance].every(Number.isFinite)) throw new MemoryError('invalid-query', 'weights must be finite');
  if (!(c.decayPerHour > 0 && c.decayPerHour <= 1)) throw new MemoryError('invalid-query', `decayPerHour must be in (0, 1], got ${c.decayPerHour}`);
  for (const [name, v] of [['topN', c.topN], ['recentM', c.recentM]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new MemoryError('invalid-query', `${name} must be a non-negative integer, got ${v}`);
  }
  return c;
}

/**
 * The top-k memories for a query at simulated time `now` (seconds); touches them. `where` keeps records out of the
 * candidate set: the top-N similar of the whole store that it keeps, and the M most recent of those it keeps.
 * `distinct` returns one record per text (the best scored).
 */
export function retrieve(
  store: MemoryStore,
  query: Float32Array,
  options: { k: number; now: number; where?: (record: MemoryRecord) => boolean; distinct?: boolean },
  overrides: RetrievalOverrides = {},
): Retrieved[] {
  const c = resolveConfig(overrides);
  const { k, now } = options;
  const where = options.where ?? ((): boolean => true);
  if (!Number.isFinite(now)) throw new MemoryError('invalid-query', `now must be finite, got ${now}`);
  const candidates = new Map<string, MemoryRecord>();
  for (const hit of store.search(query, { k: c.topN })) if (where(hit.record)) candidates.set(hit.record.id, hit.record);
  for (const r of store.recent(c.recentM, where)) if (!candidates.has(r.id)) candidates.set(r.id, r);
  if (k === 0 || candidates.size === 0) return [];

  const records = [...candidates.values()];
  const raw = records.map((r) => ({
    recency: c.decayPerHour ** (Math.max(0, now - r.lastAccess) / SECONDS_PER_HOUR),
    importance: r.importance,
    relevance: cosine(query, r.embedding),
  }));
  const rec = minMax(raw.map((x) => x.recency));
  const imp = minMax(raw.map((x) => x.importance));
  const rel = minMax(raw.map((x) => x.relevance));
  const w = c.weights;
  const scored = records.map((record, i) => {
    const components = { recency: rec[i] ?? 0, importance: imp[i] ?? 0, relevance: rel[i] ?? 0 };
    const score = w.recency * components.recency + w.importance * components.importance + w.relevance * components.relevance;
    return { record, score, components, raw: raw[i] ?? components };
  });
  scored.sort((a, b) => b.score - a.score || (a.record.id < b.record.id ? -1 : a.record.id > b.record.id ? 1 : 0));
  // With `distinct`, a text already chosen (a higher score) is passed over.
  const texts = new Set<string>();
  const top = (options.distinct ? scored.filter((x) => !texts.has(x.record.text) && texts.add(x.record.text)) : scored).slice(0, k);
  for (const t of top) {
    store.touch(t.record.id, now);
    t.record = { ...t.record, lastAccess: now };
  }
  return top;
}

export interface ImportanceFlags {
  /** The action or plan failed. */
  failure?: boolean;
  /** The target of the task was found / seen. */
  foundTarget?: boolean;
  /** Something not seen before (a new entity). */
  novel?: boolean;
}

/**
 * Importance by kind, raised by flags (the result is the maximum that applies):
 *
 *   kind         base     flag         at least
 *   observation  0.10     failure      0.90
 *   event        0.30     foundTarget  0.85
 *   outcome      0.50     novel        0.30
 *   reflection   0.60
 *   skill        0.70
 *
 * So a failed outcome is 0.9, a found target 0.85, a plain observation 0.1, a success outcome 0.5.
 */
export const IMPORTANCE_BASE: Readonly<Record<MemoryKind, number>> = {
  observation: 0.1,
  event: 0.3,
  outcome: 0.5,
  reflection: 0.6,
  skill: 0.7,
};
export const IMPORTANCE_FLOOR: Readonly<Record<keyof ImportanceFlags, number>> = { failure: 0.9, foundTarget: 0.85, novel: 0.3 };

export function importanceOf(kind: MemoryKind, flags: ImportanceFlags = {}): number {
  if (!isMemoryKind(kind)) throw new MemoryError('unknown-kind', `unknown kind ${JSON.stringify(kind)}`);
  let v = IMPORTANCE_BASE[kind];
  for (const f of ['failure', 'foundTarget', 'novel'] as const) if (flags[f]) v = Math.max(v, IMPORTANCE_FLOOR[f]);
  return v;
}
