// The decoder's SIMD kernels: a small WebAssembly module, assembled below from its text form (the way
// memory/index/simd.ts builds its dot product; copied, not imported: agent/lm/ may not depend on memory/), with
// four functions over the engine's linear memory, each called once per matrix or row so the JS->wasm crossing is
// paid once per product rather than once per output:
//   gemm(w, x, b, y, n, cols, rows, xs, ys): Y[r, c] = b[c] + sum_i<n X[r, i] W[i, c], the linear layers and the
//     attention's two products (scores against the keys, probabilities times the values: cpu.ts keeps both caches
//     in panels), W kept in panels of 32 columns (gemmPanels). Each output is one f32x4 lane summed over i in
//     order (no horizontal sums): four rows at a time, two vectors of outputs each, every weight vector read once
//     for the four; then the rows left one at a time, a whole panel (eight vectors) in flight, two steps of i per
//     loop turn. Built by gemmRows/gemmBlock below. A row's sums do not depend on the rows computed with it.
//   matvec(w, x, b, y, n, rows, stride): y[o] = b[o] + sum_i<n w[o*stride + i] x[i] for o < rows (f32x4 lanes,
//     four accumulators, 16 floats per step, then 4 per step; n must be a multiple of 4): the logits, over the
//     tied embedding rows.
//   softmax(p, n4, scale) -> total: p[j] = exp(p[j] scale - max), the attention's unnormalised probabilities, and
//     gelu(p, n4), the MLP's activation in place: both over f32x4 lanes with a polynomial exp (expOf, ~2 ulp), in
//     place of Math.exp / Math.tanh per element (which took a third of a prefill). Built by the code below.
// Pointers are byte offsets, strides bytes. Arithmetic is float32 (gemm: sums in order, then the bias; matvec:
// lane sums, then (l0 + l1) + (l2 + l3), then the bias), so results differ from the JS loops (float64 sums) by
// ~1e-7 relative; deterministic for an input.
// WebAssembly SIMD is in every current browser and Node >= 16.4; without it the engine runs its JS loops.
//
// (module
//   (import "env" "memory" (memory 1))
//   (func (export "matvec") (param $w i32) (param $x i32) (param $b i32) (param $y i32) (param $n i32)
//                           (param $rows i32) (param $stride i32)
//     (local $yEnd i32) (local $p i32) (local $q i32) (local $end16 i32) (local $end i32)
//     (local $acc0 v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128)
//     (local.set $yEnd (i32.add (local.get $y) (i32.shl (local.get $rows) (i32.const 2))))
//     (block $done (loop $row
//       (br_if $done (i32.ge_u (local.get $y) (local.get $yEnd)))
//       (local.set $p (local.get $w))
//       (local.set $q (local.get $x))
//       (local.set $end16 (i32.add (local.get $w) (i32.shl (i32.and (local.get $n) (i32.const -16)) (i32.const 2))))
//       (local.set $end (i32.add (local.get $w) (i32.shl (local.get $n) (i32.const 2))))
//       (local.set $acc0 (v128.const i32x4 0 0 0 0)) ... $acc3 likewise
//       (block $done16 (loop $next16
//         (br_if $done16 (i32.ge_u (local.get $p) (local.get $end16)))
//         (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (v128.load (local.get $p)) (v128.load (local.get $q)))))
//         ... $acc1, $acc2, $acc3 with offset=16, 32, 48
//         (local.set $p (i32.add (local.get $p) (i32.const 64)))
//         (local.set $q (i32.add (local.get $q) (i32.const 64)))
//         (br $next16)))
//       (block $done4 (loop $next4
//         (br_if $done4 (i32.ge_u (local.get $p) (local.get $end)))
//         (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (v128.load (local.get $p)) (v128.load (local.get $q)))))
//         (local.set $p (i32.add (local.get $p) (i32.const 16)))
//         (local.set $q (i32.add (local.get $q) (i32.const 16)))
//         (br $next4)))
//       (local.set $acc0 (f32x4.add (f32x4.add (local.get $acc0) (local.get $acc1)) (f32x4.add (local.get $acc2) (local.get $acc3))))
//       (f32.store (local.get $y) (f32.add (f32.load (local.get $b))
//         (f32.add (f32.add (f32x4.extract_lane 0 (local.get $acc0)) (f32x4.extract_lane 1 (local.get $acc0)))
//                  (f32.add (f32x4.extract_lane 2 (local.get $acc0)) (f32x4.extract_lane 3 (local.get $acc0))))))
//       (local.set $w (i32.add (local.get $w) (local.get $stride)))
//       (local.set $b (i32.add (local.get $b) (i32.const 4)))
//       (local.set $y (i32.add (local.get $y) (i32.const 4)))
//       (br $row)))))
// (gemm, softmax and gelu are built by the code below; their text forms would be long.)

export interface LmKernels {
  /** y[o] = b[o] + sum_i<n w[o*stride + i] x[i], o < rows; pointers are byte offsets, stride in bytes, n % 4 == 0. */
  matvec(w: number, x: number, b: number, y: number, n: number, rows: number, stride: number): void;
  /** Y[r, c] = b[c] + sum_i<n X[r, i] W[i, c] for r < rows, c < cols: W [n, cols] in gemmPanels' layout, rows of
   *  X xs bytes apart, of Y ys bytes apart, cols % 4 == 0; every output summed over i in order (f32), then the bias
   *  added, however many rows are given at once. */
  gemm(w: number, x: number, b: number, y: number, n: number, cols: number, rows: number, xs: number, ys: number): void;
  /** p[j] = exp(p[j] scale - max_k p[k] scale) for j < n4 (a multiple of 4); returns their sum. */
  softmax(p: number, n4: number, scale: number): number;
  /** p[j] = GELU(p[j]) (tanh form) for j < n4 (a multiple of 4). */
  gelu(p: number, n4: number): void;
}

// Opcodes, named so the bodies below read like the text above.
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const I32_CONST = 0x41;
const I32_AND = 0x71;
const I32_SHL = 0x74;
const I32_ADD = 0x6a;
const I32_GE_U = 0x4f;
const I32_GT_U = 0x4b;
const I32_LT_U = 0x49;
const I32_EQZ = 0x45;
const I32_SUB = 0x6b;
const I32_MUL = 0x6c;
const BLOCK = 0x02;
const LOOP = 0x03;
const VOID = 0x40;
const BR = 0x0c;
const BR_IF = 0x0d;
const END = 0x0b;
const F32_LOAD = [0x2a, 0x02, 0x00]; // align 4, offset 0
const F32_STORE = [0x38, 0x02, 0x00];
const F32_ADD = 0x92;
const SIMD = 0xfd;
const V128_LOAD = (offset: number): number[] => [SIMD, 0x00, 0x02, offset]; // align 4 (a hint), offset < 128
const V128_STORE = [SIMD, 0x0b, 0x02, 0x00];
const V128_STORE_AT = (offset: number): number[] => [SIMD, 0x0b, 0x02, offset]; // offset < 128
const V128_ZERO = [SIMD, 0x0c, ...new Array<number>(16).fill(0)];
const F32X4_SPLAT = [SIMD, 0x13];
const F32X4_ADD = [SIMD, 0xe4, 0x01];
const F32X4_MUL = [SIMD, 0xe6, 0x01];
const F32X4_SUB = [SIMD, 0xe5, 0x01];
const F32X4_DIV = [SIMD, 0xe7, 0x01];
const F32X4_MIN = [SIMD, 0xe8, 0x01];
const F32X4_MAX = [SIMD, 0xe9, 0x01];
const F32X4_NEAREST = [SIMD, 0x6a];
const I32X4_TRUNC_SAT_F32X4_S = [SIMD, 0xf8, 0x01];
const I32X4_ADD = [SIMD, 0xae, 0x01];
const I32X4_SHL = [SIMD, 0xab, 0x01];
const F32_MAX = 0x97;
const F32 = 0x7d;
/** v128.const of four copies of the float32 v. */
const f32x4 = (v: number): number[] => {
  const bytes = new Uint8Array(new Float32Array([v, v, v, v]).buffer);
  return [SIMD, 0x0c, ...bytes];
};
/** v128.const of four copies of the int32 v. */
const i32x4 = (v: number): number[] => [SIMD, 0x0c, ...new Uint8Array(new Int32Array([v, v, v, v]).buffer)];
const EXTRACT = (lane: number): number[] => [SIMD, 0x1f, lane];
const I32 = 0x7f;
const V128 = 0x7b;

const get = (i: number): number[] => [LOCAL_GET, i];
const set = (i: number): number[] => [LOCAL_SET, i];
/** i32.const for 0 <= n < 8192 (signed LEB128: one byte below 64, else two). */
const small = (n: number): number[] => [I32_CONST, ...(n < 64 ? [n] : [(n & 0x7f) | 0x80, n >>> 7])];
const advance = (i: number, bytes: number): number[] => [...get(i), ...small(bytes), I32_ADD, ...set(i)];
const advanceBy = (i: number, by: number): number[] => [...get(i), ...get(by), I32_ADD, ...set(i)];
/** `local = base + (count << 2)` */
const endOf = (local: number, base: number, count: number): number[] => [...get(base), ...get(count), ...small(2), I32_SHL, I32_ADD, ...set(local)];
/** (block $done (loop (br_if $done (i32.ge_u a end)) ...body (br 0))) */
const whileBelow = (a: number, end: number, body: number[]): number[] => [
  BLOCK, VOID, LOOP, VOID, ...get(a), ...get(end), I32_GE_U, BR_IF, 1, ...body, BR, 0, END, END,
];

// matvec locals: 0 $w, 1 $x, 2 $b, 3 $y, 4 $n, 5 $rows, 6 $stride (params); 7 $yEnd, 8 $p, 9 $q, 10 $end16,
// 11 $end (i32); 12..15 $acc0..$acc3 (v128).
const [W, X, BIAS, Y, N, ROWS, STRIDE, Y_END, P, Q, END16, END_N, ACC0, ACC1, ACC2, ACC3] = Array.from({ length: 16 }, (_, i) => i) as [
  number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number,
];
const accumulate = (acc: number, offset: number): number[] => [
  ...get(acc), ...get(P), ...V128_LOAD(offset), ...get(Q), ...V128_LOAD(offset), ...F32X4_MUL, ...F32X4_ADD, ...set(acc),
];
const MATVEC_BODY = [
  2, 5, I32, 4, V128, // local declarations: 5 × i32, 4 × v128
  ...endOf(Y_END, Y, ROWS),
  ...whileBelow(Y, Y_END, [
    ...get(W), ...set(P),
    ...get(X), ...set(Q),
    ...get(W), ...get(N), I32_CONST, 0x70 /* -16 */, I32_AND, ...small(2), I32_SHL, I32_ADD, ...set(END16),
    ...endOf(END_N, W, N),
    ...V128_ZERO, ...set(ACC0), ...V128_ZERO, ...set(ACC1), ...V128_ZERO, ...set(ACC2), ...V128_ZERO, ...set(ACC3),
    ...whileBelow(P, END16, [
      ...accumulate(ACC0, 0), ...accumulate(ACC1, 16), ...accumulate(ACC2, 32), ...accumulate(ACC3, 48),
      ...advance(P, 64), ...advance(Q, 64),
    ]),
    ...whileBelow(P, END_N, [...accumulate(ACC0, 0), ...advance(P, 16), ...advance(Q, 16)]),
    ...get(ACC0), ...get(ACC1), ...F32X4_ADD, ...get(ACC2), ...get(ACC3), ...F32X4_ADD, ...F32X4_ADD, ...set(ACC0),
    ...get(Y),
    ...get(BIAS), ...F32_LOAD,
    ...get(ACC0), ...EXTRACT(0), ...get(ACC0), ...EXTRACT(1), F32_ADD,
    ...get(ACC0), ...EXTRACT(2), ...get(ACC0), ...EXTRACT(3), F32_ADD, F32_ADD,
    F32_ADD, ...F32_STORE,
    ...advanceBy(W, STRIDE), ...advance(BIAS, 4), ...advance(Y, 4),
  ]),
  END,
];

// gemm: W is stored in panels of GEMM_PANEL columns (gemmPanels): panel p holds the columns [32p, 32p + w_p) of
// every row i, row after row, w_p = min(32, cols - 32p), so that a block of outputs reads its weights in one
// contiguous stream. Locals: 0 $w, 1 $x, 2 $b, 3 $y, 4 $n, 5 $cols, 6 $rows, 7 $xs, 8 $ys (params); 9 $colBytes,
// 10 $c, 11 $wp, 12 $iEnd, 13..16 $q0..$q3, 17 $ya, 18 $pc, 19 $pw, 20 $cEnd, 21 $panel (i32); 22..29 $acc (v128,
// row r vector v at 22 + V r + v), 30..31 $wv, 32 $s (v128).
export const GEMM_PANEL = 32;
const [GW, GX, GB, GY, GN, GCOLS, GROWS, GXS, GYS, COL_BYTES, GC, GWP, I_END] = Array.from({ length: 13 }, (_, i) => i) as [
  number, number, number, number, number, number, number, number, number, number, number, number, number,
];
const GQ = (r: number): number => 13 + r;
const [YA, PC, PW, C_END, PANEL] = [17, 18, 19, 20, 21];
const GACC = 22;
const GWV = 30;
const GS = 32;
const SELECT = 0x1b;
/** (block $done (loop (br_if $done stop) ...body (br 0))): `body` while `stop` (an i32 expression) is 0. */
const until = (stop: number[], body: number[]): number[] => [BLOCK, VOID, LOOP, VOID, ...stop, BR_IF, 1, ...body, BR, 0, END, END];
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
/**
 * One block of gemm: rows $x.. (R of them, $xs apart) times the 4V columns at byte offset $c (in the panel at
 * $panel, which starts at column byte $pc and is $pw bytes wide), into y; each output summed over i in order,
 * then its bias added. R > 1 reads each weight vector once into $wv; R = 1 takes two steps of i per loop turn
 * while two are left (~1.3x faster when decoding; the same sums in the same order).
 */
const gemmBlock = (R: number, V: number): number[] => {
  const acc = (r: number, v: number): number => GACC + V * r + v;
  return [
    ...get(PANEL), ...get(GC), I32_ADD, ...get(PC), I32_SUB, ...set(GWP),
    ...get(GX), ...set(GQ(0)),
    ...range(R - 1).flatMap((r) => [...get(GQ(r)), ...get(GXS), I32_ADD, ...set(GQ(r + 1))]),
    ...endOf(I_END, GX, GN),
    ...range(R * V).flatMap((k) => [...V128_ZERO, ...set(GACC + k)]),
    ...(R === 1
      ? until([...get(GQ(0)), ...small(8), I32_ADD, ...get(I_END), I32_GT_U], [
          ...[0, 4].flatMap((off) => [
            ...get(GQ(0)), 0x2a, 0x02, off, ...F32X4_SPLAT, ...set(GS),
            ...range(V).flatMap((v) => [...get(acc(0, v)), ...get(GS), ...get(GWP), ...V128_LOAD(16 * v), ...F32X4_MUL, ...F32X4_ADD, ...set(acc(0, v))]),
            ...advanceBy(GWP, PW),
          ]),
          ...advance(GQ(0), 8),
        ])
      : []),
    ...whileBelow(GQ(0), I_END, [
      ...(R > 1 ? range(V).flatMap((v) => [...get(GWP), ...V128_LOAD(16 * v), ...set(GWV + v)]) : []),
      ...range(R).flatMap((r) => [
        ...get(GQ(r)), ...F32_LOAD, ...F32X4_SPLAT, ...set(GS),
        ...range(V).flatMap((v) => [
          ...get(acc(r, v)), ...get(GS), ...(R > 1 ? get(GWV + v) : [...get(GWP), ...V128_LOAD(16 * v)]), ...F32X4_MUL, ...F32X4_ADD, ...set(acc(r, v)),
        ]),
      ]),
      ...advanceBy(GWP, PW), ...range(R).flatMap((r) => advance(GQ(r), 4)),
    ]),
    ...get(GY), ...get(GC), I32_ADD, ...set(YA),
    ...range(R).flatMap((r) => [
      ...range(V).flatMap((v) => [
        ...get(YA), ...get(acc(r, v)), ...get(GB), ...get(GC), I32_ADD, ...V128_LOAD(16 * v), ...F32X4_ADD, ...V128_STORE_AT(16 * v),
      ]),
      ...advanceBy(YA, GYS),
    ]),
    ...advance(GC, 16 * V),
  ];
};
/** Blocks of R rows, panel by panel: its columns 4V at a time, then 4 at a time; then the next R rows, while R
 *  are left. */
const gemmRows = (R: number, V: number): number[] =>
  until(R === 1 ? [...get(GROWS), I32_EQZ] : [...get(GROWS), ...small(R), I32_LT_U], [
    ...small(0), ...set(PC),
    ...get(GW), ...set(PANEL),
    ...until([...get(PC), ...get(COL_BYTES), I32_GE_U], [
      // $pw = min(4 * GEMM_PANEL, $colBytes - $pc)
      ...small(4 * GEMM_PANEL), ...get(COL_BYTES), ...get(PC), I32_SUB,
      ...get(COL_BYTES), ...get(PC), I32_SUB, ...small(4 * GEMM_PANEL), I32_GT_U, SELECT, ...set(PW),
      ...get(PC), ...set(GC),
      ...get(PC), ...get(PW), I32_ADD, ...set(C_END),
      ...until([...get(GC), ...small(16 * V), I32_ADD, ...get(C_END), I32_GT_U], gemmBlock(R, V)),
      ...until([...get(GC), ...get(C_END), I32_GE_U], gemmBlock(R, 1)),
      ...advance(PC, 4 * GEMM_PANEL),
      ...get(PANEL), ...get(GN), ...get(PW), I32_MUL, I32_ADD, ...set(PANEL),
    ]),
    ...range(R).flatMap(() => [...advanceBy(GX, GXS), ...advanceBy(GY, GYS)]),
    ...get(GROWS), ...small(R), I32_SUB, ...set(GROWS),
  ]);
const GEMM_BODY = [
  2, 13, I32, 11, V128, // local declarations: 13 × i32, 11 × v128
  ...get(GCOLS), ...small(2), I32_SHL, ...set(COL_BYTES),
  ...gemmRows(4, 2), // four rows share every weight vector read
  ...gemmRows(1, GEMM_PANEL / 4), // then row by row, a whole panel of outputs in flight
  END,
];

/** W [n, cols] row-major -> the panels gemm reads (see GEMM_PANEL). */
export function gemmPanels(w: Float32Array, n: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  gemmPanelsInto(w, n, cols, out, 0);
  return out;
}

/** W [n, cols] row-major -> the panels gemm reads, written into out from float index `at`. */
export function gemmPanelsInto(w: Float32Array, n: number, cols: number, out: Float32Array, at: number): void {
  if (w.length !== n * cols) throw new RangeError(`gemmPanels: ${w.length} floats for [${n}, ${cols}]`);
  let k = at;
  for (let p = 0; p < cols; p += GEMM_PANEL) {
    const width = Math.min(GEMM_PANEL, cols - p);
    for (let i = 0; i < n; i++) {
      const row = i * cols + p;
      out.set(w.subarray(row, row + width), k);
      k += width;
    }
  }
}

// exp on four lanes (Cephes expf): x clamped to [-87.3, 88.3] (so that 2^n stays a normal float), n = round(x /
// ln 2), r = x - n ln 2 (in two parts), exp(r) by a degree-7 polynomial, times 2^n built in the exponent bits.
// Relative error ~2 ulp against Math.exp; exp(-inf) gives ~1e-38 rather than 0.
const LN2_HI = 0.693359375;
const LN2_LO = -2.12194440e-4;
const EXP_P = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
/** exp of the v128 local x (overwritten), on the stack; n, r, y are v128 scratch locals. */
const expOf = (x: number, n: number, r: number, y: number): number[] => [
  ...get(x), ...f32x4(88.3), ...F32X4_MIN, ...f32x4(-87.3), ...F32X4_MAX, ...set(x),
  ...get(x), ...f32x4(Math.LOG2E), ...F32X4_MUL, ...F32X4_NEAREST, ...set(n),
  ...get(x), ...get(n), ...f32x4(LN2_HI), ...F32X4_MUL, ...F32X4_SUB, ...get(n), ...f32x4(LN2_LO), ...F32X4_MUL, ...F32X4_SUB, ...set(r),
  ...f32x4(EXP_P[0]!),
  ...EXP_P.slice(1).flatMap((c) => [...get(r), ...F32X4_MUL, ...f32x4(c), ...F32X4_ADD]),
  ...get(r), ...get(r), ...F32X4_MUL, ...F32X4_MUL, ...get(r), ...F32X4_ADD, ...f32x4(1), ...F32X4_ADD, ...set(y),
  ...get(y), ...get(n), ...I32X4_TRUNC_SAT_F32X4_S, ...i32x4(127), ...I32X4_ADD, ...small(23), ...I32X4_SHL, ...F32X4_MUL,
];

// softmax(p, n4, scale) -> total: s = p[j] * scale for j < n4 (n4 a multiple of 4), p[j] = exp(s - max s), returns
// their f32 sum ((lane sums in order, then (l0 + l1) + (l2 + l3)). Locals: 0 $p, 1 $n4 (i32), 2 $scale (f32)
// (params); 3 $end, 4 $q (i32); 5 $mx (f32); 6 $acc, 7 $sv, 8 $mv, 9 $x, 10 $n, 11 $r, 12 $y (v128).
const [SP, SN4, SSCALE, S_END, SQ, SMX, SACC, SSV, SMV, SX, SN, SR, SY] = Array.from({ length: 13 }, (_, i) => i) as [
  number, number, number, number, number, number, number, number, number, number, number, number, number,
];
const lanes = (v: number, op: number): number[] => [
  ...get(v), ...EXTRACT(0), ...get(v), ...EXTRACT(1), op, ...get(v), ...EXTRACT(2), ...get(v), ...EXTRACT(3), op, op,
];
const SOFTMAX_BODY = [
  3, 2, I32, 1, F32, 7, V128, // local declarations: 2 × i32, 1 × f32, 7 × v128
  ...endOf(S_END, SP, SN4),
  ...get(SSCALE), ...F32X4_SPLAT, ...set(SSV),
  ...f32x4(-Infinity), ...set(SACC),
  ...get(SP), ...set(SQ),
  ...whileBelow(SQ, S_END, [...get(SACC), ...get(SQ), ...V128_LOAD(0), ...get(SSV), ...F32X4_MUL, ...F32X4_MAX, ...set(SACC), ...advance(SQ, 16)]),
  ...lanes(SACC, F32_MAX), ...set(SMX),
  ...get(SMX), ...F32X4_SPLAT, ...set(SMV),
  ...V128_ZERO, ...set(SACC),
  ...get(SP), ...set(SQ),
  ...whileBelow(SQ, S_END, [
    ...get(SQ), ...V128_LOAD(0), ...get(SSV), ...F32X4_MUL, ...get(SMV), ...F32X4_SUB, ...set(SX),
    ...expOf(SX, SN, SR, SY), ...set(SX),
    ...get(SQ), ...get(SX), ...V128_STORE,
    ...get(SACC), ...get(SX), ...F32X4_ADD, ...set(SACC),
    ...advance(SQ, 16),
  ]),
  ...lanes(SACC, F32_ADD),
  END,
];

// gelu(p, n4): p[j] = u / (1 + exp(-2 sqrt(2/pi) (u + 0.044715 u^3))) for j < n4 (a multiple of 4), u = p[j]: the
// tanh GELU of model.ts, 0.5 u (1 + tanh(z)), in float32. Locals: 0 $p, 1 $n4 (params); 2 $end (i32); 3 $u,
// 4 $x, 5 $n, 6 $r, 7 $y (v128).
const [GP, GN4, G_END, GU, GEX, GEN, GER, GEY] = Array.from({ length: 8 }, (_, i) => i) as [number, number, number, number, number, number, number, number];
const GELU_BODY = [
  2, 1, I32, 5, V128, // local declarations: 1 × i32, 5 × v128
  ...endOf(G_END, GP, GN4),
  ...whileBelow(GP, G_END, [
    ...get(GP), ...V128_LOAD(0), ...set(GU),
    ...get(GU), ...get(GU), ...F32X4_MUL, ...get(GU), ...F32X4_MUL, ...f32x4(0.044715), ...F32X4_MUL, ...get(GU), ...F32X4_ADD,
    ...f32x4(-2 * Math.sqrt(2 / Math.PI)), ...F32X4_MUL, ...set(GEX),
    ...get(GP),
    ...get(GU), ...f32x4(1), ...expOf(GEX, GEN, GER, GEY), ...F32X4_ADD, ...F32X4_DIV,
    ...V128_STORE,
    ...advance(GP, 16),
  ]),
  END,
];

const ascii = (s: string): number[] => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];
/** Unsigned LEB128. */
const leb = (n: number): number[] => (n < 0x80 ? [n] : [(n & 0x7f) | 0x80, ...leb(n >>> 7)]);
const sized = (bytes: number[]): number[] => [...leb(bytes.length), ...bytes];
const section = (id: number, bytes: number[]): number[] => [id, ...sized(bytes)];
const i32s = (n: number): number[] => new Array<number>(n).fill(I32);

const MODULE_BYTES = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  // types: (i32 × 7) -> (), (i32 × 9) -> (), (i32, i32, f32) -> f32, (i32, i32) -> ()
  ...section(1, [4, 0x60, 7, ...i32s(7), 0, 0x60, 9, ...i32s(9), 0, 0x60, 3, I32, I32, F32, 1, F32, 0x60, 2, I32, I32, 0]),
  ...section(2, [1, ...ascii('env'), ...ascii('memory'), 0x02, 0x00, 0x01]), // import memory, min 1 page
  ...section(3, [4, 0, 1, 2, 3]), // functions 0..3 have types 0..3
  ...section(7, [
    4, ...ascii('matvec'), 0x00, 0x00, ...ascii('gemm'), 0x00, 0x01, ...ascii('softmax'), 0x00, 0x02, ...ascii('gelu'), 0x00, 0x03,
  ]), // exports
  ...section(10, [4, ...sized(MATVEC_BODY), ...sized(GEMM_BODY), ...sized(SOFTMAX_BODY), ...sized(GELU_BODY)]), // code: four bodies
]);

let compiled: WebAssembly.Module | null | undefined;

/** The compiled module, or null where WebAssembly or its SIMD extension is unavailable. */
function lmModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled = typeof WebAssembly === 'object' && WebAssembly.validate(MODULE_BYTES) ? new WebAssembly.Module(MODULE_BYTES) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

export function lmSimdAvailable(): boolean {
  return lmModule() !== null;
}

/** The kernels bound to `memory`, or null without SIMD. */
export function lmKernels(memory: WebAssembly.Memory): LmKernels | null {
  const module = lmModule();
  if (module === null) return null;
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return {
    matvec: instance.exports.matvec as LmKernels['matvec'],
    gemm: instance.exports.gemm as LmKernels['gemm'],
    softmax: instance.exports.softmax as LmKernels['softmax'],
    gelu: instance.exports.gelu as LmKernels['gelu'],
  };
}

/** The module's bytes (for the test that checks they stay valid). */
export function lmModuleBytes(): Uint8Array<ArrayBuffer> {
  return MODULE_BYTES.slice();
}
