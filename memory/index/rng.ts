// A tiny seeded PRNG (mulberry32) for HNSW level generation. memory/ may not import sim/rng.ts, and its state is one
// 32-bit integer, so a snapshot of an index carries it and later inserts continue the same sequence.

export class Mulberry32 {
  state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in (0, 1]: never 0, so -log(u) is finite. */
  nextOpenClosed(): number {
    return (this.nextUint32() + 1) / 4294967296;
  }
}
