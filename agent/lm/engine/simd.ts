// The decoder's SIMD kernels: a small WebAssembly module, assembled below from its text form (the way
// memory/index/simd.ts builds its dot product; copied, not imported: agent/lm/ may not depend on memory/), with
// two functions over the engine's linear memory, each called once per matrix so the JS->wasm crossing is paid
// once per matvec rather than once per row:
//   matvec(w, x, b, y, n, rows, stride): y[o] = b[o] + sum_i<n w[o*stride + i] x[i] for o < rows (f32x4 lanes,
//     four accumulators, 16 floats per step, then 4 per step; n must be a multiple of 4). With stride d and a
//     zero bias it is also the attention scores q_h . K[j, head] over the KV cache.
//   wsum(p, v, y, n, cols, stride): y[c] = sum_j<n p[j] v[j*stride + c] for c < cols (cols a multiple of 4): the
//     attention's probability-weighted sum of cached values.
// Pointers are byte offsets, strides bytes. Arithmetic is float32 (lane sums, then (l0 + l1) + (l2 + l3), then
// the bias), so results differ from the JS loops (float64 sums) by ~1e-7 relative; deterministic for an input.
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
//       (br $row))))
//   (func (export "wsum") (param $p i32) (param $v i32) (param $y i32) (param $n i32) (param $cols i32) (param $stride i32)
//     (local $pEnd i32) (local $yEnd i32) (local $c i32) (local $vp i32) (local $s v128)
//     (local.set $yEnd (i32.add (local.get $y) (i32.shl (local.get $cols) (i32.const 2))))
//     (local.set $c (local.get $y))
//     (block $zeroed (loop $zero
//       (br_if $zeroed (i32.ge_u (local.get $c) (local.get $yEnd)))
//       (v128.store (local.get $c) (v128.const i32x4 0 0 0 0))
//       (local.set $c (i32.add (local.get $c) (i32.const 16)))
//       (br $zero)))
//     (local.set $pEnd (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
//     (block $done (loop $row
//       (br_if $done (i32.ge_u (local.get $p) (local.get $pEnd)))
//       (local.set $s (f32x4.splat (f32.load (local.get $p))))
//       (local.set $c (local.get $y))
//       (local.set $vp (local.get $v))
//       (block $doneCols (loop $col
//         (br_if $doneCols (i32.ge_u (local.get $c) (local.get $yEnd)))
//         (v128.store (local.get $c) (f32x4.add (v128.load (local.get $c)) (f32x4.mul (local.get $s) (v128.load (local.get $vp)))))
//         (local.set $c (i32.add (local.get $c) (i32.const 16)))
//         (local.set $vp (i32.add (local.get $vp) (i32.const 16)))
//         (br $col)))
//       (local.set $p (i32.add (local.get $p) (i32.const 4)))
//       (local.set $v (i32.add (local.get $v) (local.get $stride)))
//       (br $row)))))

export interface LmKernels {
  /** y[o] = b[o] + sum_i<n w[o*stride + i] x[i], o < rows; pointers are byte offsets, stride in bytes, n % 4 == 0. */
  matvec(w: number, x: number, b: number, y: number, n: number, rows: number, stride: number): void;
  /** y[c] = sum_j<n p[j] v[j*stride + c], c < cols; pointers are byte offsets, stride in bytes, cols % 4 == 0. */
  wsum(p: number, v: number, y: number, n: number, cols: number, stride: number): void;
}

// Opcodes, named so the bodies below read like the text above.
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const I32_CONST = 0x41;
const I32_AND = 0x71;
const I32_SHL = 0x74;
const I32_ADD = 0x6a;
const I32_GE_U = 0x4f;
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
const V128_ZERO = [SIMD, 0x0c, ...new Array<number>(16).fill(0)];
const F32X4_SPLAT = [SIMD, 0x13];
const F32X4_ADD = [SIMD, 0xe4, 0x01];
const F32X4_MUL = [SIMD, 0xe6, 0x01];
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

// wsum locals: 0 $p, 1 $v, 2 $y, 3 $n, 4 $cols, 5 $stride (params); 6 $pEnd, 7 $yEnd, 8 $c, 9 $vp (i32); 10 $s (v128).
const [WP, WV, WY, WN, WCOLS, WSTRIDE, P_END, WY_END, C, VP, S] = Array.from({ length: 11 }, (_, i) => i) as [
  number, number, number, number, number, number, number, number, number, number, number,
];
const WSUM_BODY = [
  2, 4, I32, 1, V128, // local declarations: 4 × i32, 1 × v128
  ...endOf(WY_END, WY, WCOLS),
  ...get(WY), ...set(C),
  ...whileBelow(C, WY_END, [...get(C), ...V128_ZERO, ...V128_STORE, ...advance(C, 16)]),
  ...endOf(P_END, WP, WN),
  ...whileBelow(WP, P_END, [
    ...get(WP), ...F32_LOAD, ...F32X4_SPLAT, ...set(S),
    ...get(WY), ...set(C),
    ...get(WV), ...set(VP),
    ...whileBelow(C, WY_END, [
      ...get(C),
      ...get(C), ...V128_LOAD(0), ...get(S), ...get(VP), ...V128_LOAD(0), ...F32X4_MUL, ...F32X4_ADD,
      ...V128_STORE,
      ...advance(C, 16), ...advance(VP, 16),
    ]),
    ...advance(WP, 4), ...advanceBy(WV, WSTRIDE),
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
  ...section(1, [2, 0x60, 7, ...i32s(7), 0, 0x60, 6, ...i32s(6), 0]), // types: (i32 × 7) -> (), (i32 × 6) -> ()
  ...section(2, [1, ...ascii('env'), ...ascii('memory'), 0x02, 0x00, 0x01]), // import memory, min 1 page
  ...section(3, [2, 0, 1]), // functions 0, 1 have types 0, 1
  ...section(7, [2, ...ascii('matvec'), 0x00, 0x00, ...ascii('wsum'), 0x00, 0x01]), // exports
  ...section(10, [2, ...sized(MATVEC_BODY), ...sized(WSUM_BODY)]), // code: two bodies
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
  return { matvec: instance.exports.matvec as LmKernels['matvec'], wsum: instance.exports.wsum as LmKernels['wsum'] };
}

/** The module's bytes (for the test that checks they stay valid). */
export function lmModuleBytes(): Uint8Array<ArrayBuffer> {
  return MODULE_BYTES.slice();
}
