// Dot products over rows of flat Float32Arrays in plain JS. `dot` is 4-way unrolled with four independent
// accumulators (breaks the add dependency chain; V8 keeps them in registers; ~1.5× the plain loop, ~1 ns per
// element here): the indexes' kernel where WebAssembly SIMD is unavailable or switched off (rows.ts), and 8-way
// measured no faster. `dotReference` is the obvious loop both kernels are tested against. Accumulation is in
// float64, so `dot` differs from the reference only by summation order.

/** Σ a[aOff + i] · b[bOff + i] for i < n, 4-way unrolled. */
export function dot(a: Float32Array, aOff: number, b: Float32Array, bOff: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    s0 += a[aOff + i]! * b[bOff + i]!;
    s1 += a[aOff + i + 1]! * b[bOff + i + 1]!;
    s2 += a[aOff + i + 2]! * b[bOff + i + 2]!;
    s3 += a[aOff + i + 3]! * b[bOff + i + 3]!;
  }
  for (; i < n; i++) s0 += a[aOff + i]! * b[bOff + i]!;
  return s0 + s1 + (s2 + s3);
}

/** The plain loop `dot` must agree with. */
export function dotReference(a: Float32Array, aOff: number, b: Float32Array, bOff: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[aOff + i]! * b[bOff + i]!;
  return s;
}
