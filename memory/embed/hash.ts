// Small, dependency-free string hashes for feature hashing: 32-bit FNV-1a over UTF-16 code units and the
// murmur3 finaliser to spread its bits. Deterministic across platforms (integer arithmetic only).

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** 32-bit FNV-1a of a string (UTF-16 code units), started from `seed` mixed into the offset basis. */
export function fnv1a32(text: string, seed = 0): number {
  let h = (FNV_OFFSET ^ Math.imul(seed, 0x9e3779b1)) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

/** The murmur3 32-bit finaliser: an invertible avalanche of all 32 bits. */
export function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
