// A binary min-heap of (key, id) pairs on growable typed arrays: no objects per entry, reused across queries.
// HNSW uses it twice: candidates keyed by -similarity (best first) and results keyed by similarity (worst on top).
//
// Layout: keys: Float64Array [capacity], ids: Int32Array [capacity]; slot 0 is the root, children of i at 2i+1, 2i+2.

export class MinHeap {
  keys: Float64Array;
  ids: Int32Array;
  size = 0;

  constructor(capacity = 64) {
    this.keys = new Float64Array(capacity);
    this.ids = new Int32Array(capacity);
  }

  clear(): void {
    this.size = 0;
  }

  topKey(): number {
    return this.keys[0]!;
  }

  topId(): number {
    return this.ids[0]!;
  }

  push(key: number, id: number): void {
    if (this.size === this.keys.length) this.grow();
    const keys = this.keys;
    const ids = this.ids;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pk = keys[parent]!;
      if (pk <= key) break;
      keys[i] = pk;
      ids[i] = ids[parent]!;
      i = parent;
    }
    keys[i] = key;
    ids[i] = id;
  }

  /** Removes the root (the caller reads topKey/topId first). */
  pop(): void {
    const n = --this.size;
    if (n <= 0) return;
    this.siftDown(this.keys[n]!, this.ids[n]!, n);
  }

  /** pop() then push(key, id), in one sift. */
  replaceTop(key: number, id: number): void {
    this.siftDown(key, id, this.size);
  }

  private siftDown(key: number, id: number, n: number): void {
    const keys = this.keys;
    const ids = this.ids;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      let ck = keys[child]!;
      const right = child + 1;
      if (right < n) {
        const rk = keys[right]!;
        if (rk < ck) {
          child = right;
          ck = rk;
        }
      }
      if (ck >= key) break;
      keys[i] = ck;
      ids[i] = ids[child]!;
      i = child;
    }
    keys[i] = key;
    ids[i] = id;
  }

  private grow(): void {
    const keys = new Float64Array(this.keys.length * 2);
    keys.set(this.keys);
    const ids = new Int32Array(this.ids.length * 2);
    ids.set(this.ids);
    this.keys = keys;
    this.ids = ids;
  }
}
