// The shipping decoder: the model of model.ts over Float32Array weights with a KV cache, in plain loops.
// A prompt is processed as a matrix (four rows share each weight read); each further token is a row of one.
// Two kernels compute the same maths: 'js', plain loops, the reference; and 'simd' (the default where WebAssembly
// SIMD exists), where the weights, caches and scratch rows live in one WebAssembly memory (sized once at
// construction) and every linear layer is one call into simd.ts, as are a head's attention scores and weighted sum
// of values for a block of rows: its keys and values are cached in gemm panels, so both are products of the gemm
// (~1.1x the decode speed of a dot product per score and a weighted sum per row, at 300 positions).
// 'js' keeps the checkpoint's matrices [in, out] transposed, [out, in], so that every output is a dot product
// over two contiguous rows with the sum in registers (measured in V8 for a 128 x 512 matvec: ~1.1 GMAC/s, against
// ~0.57 GMAC/s for `for i in in: for o in out`). 'simd' keeps them [in, out], in the column panels of its gemm,
// which sums every output over i in order with four rows per weight read (~1.3x the dot-product kernel's speed
// on prompts). Keys and values of consumed positions stay in per-layer caches.
// Both kernels sum every row exactly as they would sum it alone, so the cache rows, and the logits, do not depend
// on how the ids were split into prefill and step calls: truncate() then prefill() is bit for bit a fresh
// prefill of the same ids (prefix reuse, types.ts prefillReusing).
import { headDim, mlpWidth, validateConfig, type ModelConfig } from '../config.ts';
import { ropeTables, type RopeTables } from '../rope.ts';
import type { NamedTensors } from '../tensors.ts';
import { GEMM_PANEL, gemmPanels, lmKernels, type LmKernels } from './simd.ts';
import { checkIds, checkTruncate, weight, type PrefixEngine } from './types.ts';

export type CpuKernel = 'js' | 'simd';

export interface CpuEngineOptions {
  /** 'simd' (default) where WebAssembly SIMD exists and the widths are multiples of 4, else 'js'. */
  kernel?: CpuKernel;
}

/** Float32Array storage: plain arrays, or views into one WebAssembly memory sized up front (views of a memory
 * that grows are detached, so it never grows after the first view). */
class Arena {
  private next = 0;
  private constructor(readonly memory: WebAssembly.Memory | null) {}

  static plain(): Arena {
    return new Arena(null);
  }

  static wasm(floats: number): Arena {
    const pages = Math.ceil((floats * 4 + 64) / 65536);
    return new Arena(new WebAssembly.Memory({ initial: pages }));
  }

  alloc(n: number): Float32Array {
    if (this.memory === null) return new Float32Array(n);
    const view = new Float32Array(this.memory.buffer, this.next, n);
    this.next += Math.ceil((n * 4) / 16) * 16; // 16-byte aligned
    return view;
  }

  copy(src: Float32Array): Float32Array {
    const view = this.alloc(src.length);
    view.set(src);
    return view;
  }
}

/** Floats the arena holds for `config` in the 'simd' layout (with room for 16-byte alignment of every array). */
function arenaFloats(config: ModelConfig): number {
  const { vocabSize: V, context: C, dModel: d, layers: L } = config;
  const m = mlpWidth(config);
  const Cp = keyPanelsWidth(C);
  // Per layer: the weights, then the keys and the values in their panels, [d, Cp] each.
  const perLayer = 2 * d + 3 * d * d + 3 * d + d * d + d + 2 * d + d * m + m + m * d + d + 2 * d * Cp;
  const arrays = 8 + 14 * L;
  return V * d + C * d + L * perLayer + 2 * d + Math.max(V, Cp) + ATTENTION_ROWS * Cp + C * (4 * d + 3 * d + m) + V + 4 * arrays;
}

/** Rows of a prefill whose attention scores are computed together ('simd'): each block computes the scores of the
 *  positions its last row sees, so rows see up to this many positions past their own, computed and not used. */
const ATTENTION_ROWS = 32;

/** Columns of a head's keys in gemm panels ('simd'): the context rounded up to whole panels, so that every panel is
 *  GEMM_PANEL keys wide however many positions are consumed, and a key is written once where it stays. */
function keyPanelsWidth(context: number): number {
  return Math.ceil(context / GEMM_PANEL) * GEMM_PANEL;
}

/** A layer's weights; matrices [out, in] for 'js' (see matvec), [in, out] in gemm panels for 'simd'. */
interface Layer {
  ln1g: Float32Array;
  ln1b: Float32Array;
  qkvW: Float32Array;
  qkvB: Float32Array;
  projW: Float32Array;
  projB: Float32Array;
  ln2g: Float32Array;
  ln2b: Float32Array;
  fcW: Float32Array;
  fcB: Float32Array;
  outW: Float32Array;
  outB: Float32Array;
  /** 'js': [context, d], keys (rotated when positions are rotary) of consumed positions, heads side by side.
   *  'simd': per head, K_h^T [hd, Cp] in gemm panels (keyPanelsWidth), heads one after another, so that a head's
   *  attention scores for all the rows of a prefill are one gemm: S [T, Cp] = Q_h [T, hd] K_h^T. */
  k: Float32Array;
  /** 'js': [context, d], values of consumed positions, heads side by side. 'simd': per head, V_h [Cp, hd] in
   *  gemm panels (column panels of at most GEMM_PANEL, each [Cp, width] row-major), heads one after another, so
   *  that a head's attention output for all the rows of a prefill is one gemm per panel: O [T, hd] = P [T, Cp] V_h. */
  v: Float32Array;
}

/** W [in, out] row-major -> W^T [out, in] row-major. */
function transpose(w: Float32Array, inDim: number, outDim: number): Float32Array {
  const t = new Float32Array(w.length);
  for (let i = 0; i < inDim; i++) for (let o = 0; o < outDim; o++) t[o * inDim + i] = w[i * outDim + o]!;
  return t;
}

/** y = x W + b for one row, W given as W^T [out, in]: one dot product per output, in registers. */
function matvec(x: Float32Array, xOff: number, wT: Float32Array, b: Float32Array, inDim: number, outDim: number, y: Float32Array, yOff: number): void {
  const tail = inDim & ~3;
  for (let o = 0; o < outDim; o++) {
    const w = o * inDim;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let i = 0;
    for (; i < tail; i += 4) {
      s0 += x[xOff + i]! * wT[w + i]!;
      s1 += x[xOff + i + 1]! * wT[w + i + 1]!;
      s2 += x[xOff + i + 2]! * wT[w + i + 2]!;
      s3 += x[xOff + i + 3]! * wT[w + i + 3]!;
    }
    for (; i < inDim; i++) s0 += x[xOff + i]! * wT[w + i]!;
    y[yOff + o] = b[o]! + (s0 + s1 + (s2 + s3));
  }
}

/**
 * Y[T, out] = X[T, in] W + b with W given as W^T [out, in]: four rows at a time share each weight row read
 * (the prompt as a matrix), the rest row by row. Every row is summed exactly as matvec sums it (four partial sums
 * over i mod 4, the tail into the first, then s0 + s1 + (s2 + s3)), so a row's result does not depend on the
 * rows computed with it: a prompt gives the same cache however it is split into prefill calls.
 */
function matmul(x: Float32Array, rows: number, wT: Float32Array, b: Float32Array, inDim: number, outDim: number, y: Float32Array): void {
  const tail = inDim & ~3;
  let t = 0;
  for (; t + 4 <= rows; t += 4) {
    const x0 = t * inDim;
    const x1 = x0 + inDim;
    const x2 = x1 + inDim;
    const x3 = x2 + inDim;
    for (let o = 0; o < outDim; o++) {
      const w = o * inDim;
      // a* row t, b* row t+1, c* row t+2, e* row t+3; *0..*3 the partial sums over i mod 4
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      let b0 = 0, b1 = 0, b2 = 0, b3 = 0;
      let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
      let e0 = 0, e1 = 0, e2 = 0, e3 = 0;
      let i = 0;
      for (; i < tail; i += 4) {
        const w0 = wT[w + i]!;
        const w1 = wT[w + i + 1]!;
        const w2 = wT[w + i + 2]!;
        const w3 = wT[w + i + 3]!;
        a0 += x[x0 + i]! * w0;
        a1 += x[x0 + i + 1]! * w1;
        a2 += x[x0 + i + 2]! * w2;
        a3 += x[x0 + i + 3]! * w3;
        b0 += x[x1 + i]! * w0;
        b1 += x[x1 + i + 1]! * w1;
        b2 += x[x1 + i + 2]! * w2;
        b3 += x[x1 + i + 3]! * w3;
        c0 += x[x2 + i]! * w0;
        c1 += x[x2 + i + 1]! * w1;
        c2 += x[x2 + i + 2]! * w2;
        c3 += x[x2 + i + 3]! * w3;
        e0 += x[x3 + i]! * w0;
        e1 += x[x3 + i + 1]! * w1;
        e2 += x[x3 + i + 2]! * w2;
        e3 += x[x3 + i + 3]! * w3;
      }
      for (; i < inDim; i++) {
        const wi = wT[w + i]!;
        a0 += x[x0 + i]! * wi;
        b0 += x[x1 + i]! * wi;
        c0 += x[x2 + i]! * wi;
        e0 += x[x3 + i]! * wi;
      }
      const bo = b[o]!;
      y[t * outDim + o] = bo + (a0 + a1 + (a2 + a3));
      y[(t + 1) * outDim + o] = bo + (b0 + b1 + (b2 + b3));
      y[(t + 2) * outDim + o] = bo + (c0 + c1 + (c2 + c3));
      y[(t + 3) * outDim + o] = bo + (e0 + e1 + (e2 + e3));
    }
  }
  for (; t < rows; t++) matvec(x, t * inDim, wT, b, inDim, outDim, y, t * outDim);
}

/** LayerNorm of every row of x [T, d] into y. */
function layerNorm(x: Float32Array, rows: number, d: number, g: Float32Array, b: Float32Array, eps: number, y: Float32Array): void {
  for (let t = 0; t < rows; t++) {
    const off = t * d;
    let mean = 0;
    for (let i = 0; i < d; i++) mean += x[off + i]!;
    mean /= d;
    let variance = 0;
    for (let i = 0; i < d; i++) {
      const c = x[off + i]! - mean;
      variance += c * c;
    }
    const inv = 1 / Math.sqrt(variance / d + eps);
    for (let i = 0; i < d; i++) y[off + i] = (x[off + i]! - mean) * inv * g[i]! + b[i]!;
  }
}

const GELU_K = -2 * Math.sqrt(2 / Math.PI);

export class CpuEngine implements PrefixEngine {
  readonly config: ModelConfig;
  private pos = 0;
  /** The ids consumed since the last reset (pos of them). */
  private readonly held: number[] = [];
  private readonly wte: Float32Array;
  private readonly wpe: Float32Array | null;
  private readonly lnfG: Float32Array;
  private readonly lnfB: Float32Array;
  private readonly layers: Layer[] = [];
  private readonly rope: RopeTables | null;
  private readonly logits: Float32Array;
  private readonly acc: Float64Array;
  private readonly scores: Float64Array;
  /** 'simd': one block of rows' attention scores for one head [ATTENTION_ROWS, Cp], and their softmax totals. */
  private readonly scoreRows: Float32Array;
  private readonly rowTotals: Float64Array;
  readonly kernel: CpuKernel;
  private readonly kernels: LmKernels | null;
  private readonly arena: Arena;
  /** 'simd': zeros [max(V, Cp)] (the bias of bias-free products). */
  private readonly zeros: Float32Array;
  /** 'simd': the width of a head's key panels (keyPanelsWidth). */
  private readonly keyWidth: number;
  /** Scratch rows, grown to the longest prefill. */
  private capacity = 0;
  private x: Float32Array = new Float32Array(0); // [T, d] residual stream
  private a: Float32Array = new Float32Array(0); // [T, d] normalised
  private qkv: Float32Array = new Float32Array(0); // [T, 3d]
  private att: Float32Array = new Float32Array(0); // [T, d] attention output before projection
  private tmp: Float32Array = new Float32Array(0); // [T, d] projection output
  private hidden: Float32Array = new Float32Array(0); // [T, M]

  constructor(config: ModelConfig, weights: NamedTensors, options: CpuEngineOptions = {}) {
    validateConfig(config);
    this.config = config;
    const { vocabSize: V, context: C, dModel: d, layers } = config;
    const m = mlpWidth(config);
    const fits = d % 4 === 0 && m % 4 === 0 && headDim(config) % 4 === 0;
    let arena = Arena.plain();
    let kernels: LmKernels | null = null;
    if ((options.kernel ?? 'simd') === 'simd' && fits) {
      const candidate = Arena.wasm(arenaFloats(config));
      if (candidate.memory !== null) kernels = lmKernels(candidate.memory);
      if (kernels !== null) arena = candidate;
    }
    this.arena = arena;
    this.kernels = kernels;
    this.kernel = kernels === null ? 'js' : 'simd';
    const w = (name: string, shape: number[]): Float32Array => arena.copy(weight(weights, name, shape));
    // 'js': W^T [out, in] (dot products over contiguous rows); 'simd': W [in, out] in the panels gemm reads.
    const wT = (name: string, inDim: number, outDim: number): Float32Array => {
      const w = weight(weights, name, [inDim, outDim]);
      return arena.copy(kernels === null ? transpose(w, inDim, outDim) : gemmPanels(w, inDim, outDim));
    };
    this.wte = w('wte', [V, d]);
    this.wpe = config.positions === 'learned' ? w('wpe', [C, d]) : null;
    for (let l = 0; l < layers; l++) {
      const p = `h.${l}`;
      this.layers.push({
        ln1g: w(`${p}.ln1.g`, [d]),
        ln1b: w(`${p}.ln1.b`, [d]),
        qkvW: wT(`${p}.attn.qkv.w`, d, 3 * d),
        qkvB: w(`${p}.attn.qkv.b`, [3 * d]),
        projW: wT(`${p}.attn.proj.w`, d, d),
        projB: w(`${p}.attn.proj.b`, [d]),
        ln2g: w(`${p}.ln2.g`, [d]),
        ln2b: w(`${p}.ln2.b`, [d]),
        fcW: wT(`${p}.mlp.fc.w`, d, m),
        fcB: w(`${p}.mlp.fc.b`, [m]),
        outW: wT(`${p}.mlp.proj.w`, m, d),
        outB: w(`${p}.mlp.proj.b`, [d]),
        k: arena.alloc(kernels === null ? C * d : d * keyPanelsWidth(C)),
        v: arena.alloc(kernels === null ? C * d : d * keyPanelsWidth(C)),
      });
    }
    this.lnfG = w('lnf.g', [d]);
    this.lnfB = w('lnf.b', [d]);
    this.rope = config.positions === 'rope' ? ropeTables(C, headDim(config)) : null;
    this.logits = arena.alloc(V);
    this.acc = new Float64Array(Math.max(3 * d, m));
    this.rowTotals = new Float64Array(ATTENTION_ROWS);
    this.scores = new Float64Array(C);
    this.keyWidth = keyPanelsWidth(C);
    this.zeros = arena.alloc(kernels === null ? 0 : Math.max(V, this.keyWidth));
    this.scoreRows = arena.alloc(kernels === null ? 0 : ATTENTION_ROWS * this.keyWidth);
    if (kernels !== null) this.allocRows(C); // every scratch row now: the memory never grows after a view exists
  }

  get position(): number {
    return this.pos;
  }

  get tokens(): readonly number[] {
    return this.held;
  }

  reset(): void {
    this.pos = 0;
    this.held.length = 0;
  }

  /** Forgets the tokens after the first n: the cache rows of positions < n are kept (those of later positions are
   *  overwritten by what is consumed next), and every row depends only on the ids up to its position. */
  truncate(n: number): void {
    checkTruncate(n, this.pos);
    this.pos = n;
    this.held.length = n;
  }

  private ensure(rows: number): void {
    if (rows > this.capacity) this.allocRows(rows);
  }

  private allocRows(rows: number): void {
    const d = this.config.dModel;
    const arena = this.arena;
    this.capacity = rows;
    this.x = arena.alloc(rows * d);
    this.a = arena.alloc(rows * d);
    this.qkv = arena.alloc(rows * 3 * d);
    this.att = arena.alloc(rows * d);
    this.tmp = arena.alloc(rows * d);
    this.hidden = arena.alloc(rows * mlpWidth(this.config));
  }

  prefill(ids: readonly number[]): Float32Array {
    if (ids.length === 0) throw new RangeError('prefill needs at least one token');
    checkIds(ids, this.config, this.pos);
    return this.run(ids);
  }

  step(id: number): Float32Array {
    checkIds([id], this.config, this.pos);
    return this.run([id]);
  }

  /** y = x W + b over `rows` rows (W as the kernel keeps it). */
  private linear(x: Float32Array, rows: number, wT: Float32Array, b: Float32Array, inDim: number, outDim: number, y: Float32Array): void {
    const kernels = this.kernels;
    if (kernels === null) {
      matmul(x, rows, wT, b, inDim, outDim, y);
      return;
    }
    kernels.gemm(wT.byteOffset, x.byteOffset, b.byteOffset, y.byteOffset, inDim, outDim, rows, inDim * 4, outDim * 4);
  }

  /** 'simd': the key and value of position p (row q of qkv) into the layer's panels. Key component c of head h:
   *  the head's panel p / 32, row c, lane p % 32. Value component c: the head's value panel c / 32, row p. */
  private cacheSimd(layer: Layer, qkv: Float32Array, q: number, p: number): void {
    const { dModel: d, heads: H } = this.config;
    const hd = d / H;
    const Cp = this.keyWidth;
    const keyLane = ((p / GEMM_PANEL) | 0) * hd * GEMM_PANEL + (p % GEMM_PANEL);
    for (let h = 0; h < H; h++) {
      const keys = h * hd * Cp + keyLane;
      for (let c = 0; c < hd; c++) layer.k[keys + c * GEMM_PANEL] = qkv[q + d + h * hd + c]!;
      for (let c0 = 0; c0 < hd; c0 += GEMM_PANEL) {
        const width = Math.min(GEMM_PANEL, hd - c0);
        const values = h * hd * Cp + c0 * Cp + p * width;
        for (let c = 0; c < width; c++) layer.v[values + c] = qkv[q + 2 * d + h * hd + c0 + c]!;
      }
    }
  }

  /** 'simd' attention of rows 0..T-1 (positions p0..p0+T-1) for head h, over cache positions up to each row's
   *  own, into att; in blocks of ATTENTION_ROWS rows, each over the positions its last row sees (rounded up to
   *  whole panels: `cols`). S [rows, cols] = Q_h K_h^T in one gemm over the head's key panels; per row, a softmax
   *  over whole vectors of four (the scores past the row's position -inf, and 0 from the next vector on), so that
   *  the row of S is its unnormalised probabilities over all `cols` positions; O [rows, hd] = S V_h in one gemm
   *  per value panel (its sums over positions in order, as a weighted sum takes them; the zeros add nothing), then
   *  each row divided by its total. A row's results do not depend on the block it is computed in. */
  private attendHeadSimd(kernels: LmKernels, layer: Layer, h: number, T: number, p0: number, scale: number): void {
    const { dModel: d } = this.config;
    const hd = headDim(this.config);
    const Cp = this.keyWidth;
    const ho = h * hd;
    const scores = this.scoreRows;
    const att = this.att;
    const totals = this.rowTotals;
    for (let t0 = 0; t0 < T; t0 += ATTENTION_ROWS) {
      const rows = Math.min(ATTENTION_ROWS, T - t0);
      const cols = Math.ceil((p0 + t0 + rows) / GEMM_PANEL) * GEMM_PANEL;
      kernels.gemm(layer.k.byteOffset + ho * Cp * 4, this.qkv.byteOffset + (t0 * 3 * d + ho) * 4, this.zeros.byteOffset, scores.byteOffset, hd, cols, rows, 3 * d * 4, cols * 4);
      for (let r = 0; r < rows; r++) {
        const last = p0 + t0 + r; // attends to positions 0..last
        const row = r * cols;
        const n4 = (last + 4) & ~3;
        for (let j = last + 1; j < n4; j++) scores[row + j] = -Infinity;
        totals[r] = kernels.softmax(scores.byteOffset + row * 4, n4, scale);
        scores.fill(0, row + n4, row + cols);
      }
      for (let c0 = 0; c0 < hd; c0 += GEMM_PANEL) {
        const width = Math.min(GEMM_PANEL, hd - c0);
        kernels.gemm(layer.v.byteOffset + (ho * Cp + c0 * Cp) * 4, scores.byteOffset, this.zeros.byteOffset, att.byteOffset + (t0 * d + ho + c0) * 4, cols, width, rows, cols * 4, d * 4);
      }
      for (let r = 0; r < rows; r++) {
        const out = (t0 + r) * d + ho;
        const inv = 1 / totals[r]!;
        for (let c = 0; c < hd; c++) att[out + c] = att[out + c]! * inv;
      }
    }
  }

  private run(ids: readonly number[]): Float32Array {
    const { dModel: d, heads: H, layerNormEps: eps, vocabSize: V } = this.config;
    const hd = d / H;
    const m = mlpWidth(this.config);
    const T = ids.length;
    const p0 = this.pos;
    this.ensure(T);
    const { x, a, qkv, att, tmp, hidden, scores } = this;
    const scale = 1 / Math.sqrt(hd);

    // Embeddings: x[t] = wte[id] (+ wpe[p0 + t]).
    for (let t = 0; t < T; t++) {
      const row = ids[t]! * d;
      for (let i = 0; i < d; i++) x[t * d + i] = this.wte[row + i]!;
      if (this.wpe !== null) {
        const prow = (p0 + t) * d;
        for (let i = 0; i < d; i++) x[t * d + i] = x[t * d + i]! + this.wpe[prow + i]!;
      }
    }

    for (const layer of this.layers) {
      // Attention: qkv = LN1(x) Wqkv + b; rotate q, k; append k, v to the cache; attend causally.
      layerNorm(x, T, d, layer.ln1g, layer.ln1b, eps, a);
      this.linear(a, T, layer.qkvW, layer.qkvB, d, 3 * d, qkv);
      for (let t = 0; t < T; t++) {
        const q = t * 3 * d;
        if (this.rope !== null) {
          for (let h = 0; h < H; h++) {
            this.rotate(qkv, q + h * hd, hd, p0 + t);
            this.rotate(qkv, q + d + h * hd, hd, p0 + t);
          }
        }
        if (this.kernels === null) {
          const cacheRow = (p0 + t) * d;
          for (let i = 0; i < d; i++) {
            layer.k[cacheRow + i] = qkv[q + d + i]!;
            layer.v[cacheRow + i] = qkv[q + 2 * d + i]!;
          }
        } else {
          this.cacheSimd(layer, qkv, q, p0 + t);
        }
      }
      const keys = layer.k;
      const values = layer.v;
      const acc = this.acc;
      const kernels = this.kernels;
      if (kernels !== null) for (let h = 0; h < H; h++) this.attendHeadSimd(kernels, layer, h, T, p0, scale);
      for (let t = 0; t < T && kernels === null; t++) {
        const last = p0 + t; // attends to positions 0..last
        for (let h = 0; h < H; h++) {
          const q = t * 3 * d + h * hd;
          const ho = h * hd;
          let max = -Infinity;
          for (let j = 0; j <= last; j++) {
            const kRow = j * d + ho;
            let s0 = 0;
            let s1 = 0;
            let c = 0;
            for (; c + 1 < hd; c += 2) {
              s0 += qkv[q + c]! * keys[kRow + c]!;
              s1 += qkv[q + c + 1]! * keys[kRow + c + 1]!;
            }
            if (c < hd) s0 += qkv[q + c]! * keys[kRow + c]!;
            const s = (s0 + s1) * scale;
            scores[j] = s;
            if (s > max) max = s;
          }
          let total = 0;
          for (let j = 0; j <= last; j++) {
            const e = Math.exp(scores[j]! - max);
            scores[j] = e;
            total += e;
          }
          acc.fill(0, 0, hd);
          for (let j = 0; j <= last; j++) {
            const pj = scores[j]!;
            const vRow = j * d + ho;
            for (let c = 0; c < hd; c++) acc[c] = acc[c]! + pj * values[vRow + c]!;
          }
          const inv = 1 / total;
          for (let c = 0; c < hd; c++) att[t * d + ho + c] = acc[c]! * inv;
        }
      }
      this.linear(att, T, layer.projW, layer.projB, d, d, tmp);
      for (let i = 0; i < T * d; i++) x[i] = x[i]! + tmp[i]!;

      // MLP: x += GELU(LN2(x) Wfc + b) Wproj + b.
      layerNorm(x, T, d, layer.ln2g, layer.ln2b, eps, a);
      this.linear(a, T, layer.fcW, layer.fcB, d, m, hidden);
      // GELU (tanh form): 0.5 u (1 + tanh(z)) = u / (1 + exp(-2z)), one exp being cheaper than a tanh in V8.
      if (kernels !== null) {
        kernels.gelu(hidden.byteOffset, T * m);
      } else {
        for (let i = 0; i < T * m; i++) {
          const u = hidden[i]!;
          hidden[i] = u / (1 + Math.exp(GELU_K * (u + 0.044715 * u * u * u)));
        }
      }
      this.linear(hidden, T, layer.outW, layer.outB, m, d, tmp);
      for (let i = 0; i < T * d; i++) x[i] = x[i]! + tmp[i]!;
    }
    this.pos += T;
    for (const id of ids) this.held.push(id);

    // Only the last row goes through LNf and the tied output projection: logits[v] = hf . wte[v].
    const lastRow = x.subarray((T - 1) * d, T * d);
    const hf = a.subarray(0, d);
    layerNorm(lastRow, 1, d, this.lnfG, this.lnfB, eps, hf);
    const wte = this.wte;
    if (this.kernels !== null) {
      this.kernels.matvec(wte.byteOffset, hf.byteOffset, this.zeros.byteOffset, this.logits.byteOffset, d, V, d * 4);
      return this.logits.slice();
    }
    for (let v = 0; v < V; v++) {
      const row = v * d;
      let s = 0;
      for (let i = 0; i < d; i++) s += hf[i]! * wte[row + i]!;
      this.logits[v] = s;
    }
    return Float32Array.from(this.logits);
  }

  private rotate(x: Float32Array, off: number, hd: number, p: number): void {
    const rope = this.rope;
    if (rope === null) return;
    const half = hd / 2;
    for (let j = 0; j < half; j++) {
      const c = rope.cos[p * half + j]!;
      const s = rope.sin[p * half + j]!;
      const x1 = x[off + j]!;
      const x2 = x[off + half + j]!;
      x[off + j] = x1 * c - x2 * s;
      x[off + half + j] = x2 * c + x1 * s;
    }
  }
}
