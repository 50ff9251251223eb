// Exact top-k selection with the deterministic order of every index's results: higher similarity first, then
// lower label. A bounded heap of the k best seen so far, worst on top.
//
// Layout: sims: Float64Array [k], labels: Float64Array [k] (labels are safe integers); slot 0 holds the worst.

import type { SearchHit } from '../types.ts';
import { clampSimilarity } from './vector.ts';

/** True when (sa, la) ranks below (sb, lb). */
function worse(sa: number, la: number, sb: number, lb: number): boolean {
  return sa < sb || (sa === sb && la > lb);
}

export class TopK {
  private readonly sims: Float64Array;
  private readonly labels: Float64Array;
  private size = 0;

  constructor(readonly k: number) {
    this.sims = new Float64Array(Math.max(1, k));
    this.labels = new Float64Array(Math.max(1, k));
  }

  /** The similarity a newcomer must reach to be considered (-Infinity until full). */
  threshold(): number {
    return this.size < this.k ? -Infinity : this.sims[0]!;
  }

  offer(sim: number, label: number): void {
    const { sims, labels, k } = this;
    if (k === 0) return;
    if (this.size < k) {
      let i = this.size++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!worse(sim, label, sims[p]!, labels[p]!)) break;
        sims[i] = sims[p]!;
        labels[i] = labels[p]!;
        i = p;
      }
      sims[i] = sim;
      labels[i] = label;
      return;
    }
    if (!worse(sims[0]!, labels[0]!, sim, label)) return;
    let i = 0;
    const n = this.size;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && worse(sims[c + 1]!, labels[c + 1]!, sims[c]!, labels[c]!)) c++;
      if (!worse(sims[c]!, labels[c]!, sim, label)) break;
      sims[i] = sims[c]!;
      labels[i] = labels[c]!;
      i = c;
    }
    sims[i] = sim;
    labels[i] = label;
  }

  /** The kept hits, best first. */
  result(): SearchHit[] {
    const hits: SearchHit[] = [];
    for (let i = 0; i < this.size; i++) hits.push({ label: this.labels[i]!, similarity: this.sims[i]! });
    hits.sort((a, b) => b.similarity - a.similarity || a.label - b.label);
    for (const h of hits) h.similarity = clampSimilarity(h.similarity);
    return hits;
  }
}
