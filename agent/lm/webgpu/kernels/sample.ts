// Sampling on the GPU, so that only a token id comes back: sampling.ts chooseByUniform (temperature, top-k, top-p)
// for a draw u made on the CPU, optionally among the ids a grammar allows (bit v % 32 of word v / 32, as
// argmax.ts). The mask comes before every cut: a forbidden id is never a candidate, so the choice is that of the
// allowed ids' logits alone in ascending id order, as constrained.ts samples them (CPU reference: engine/async.ts
// chooseMasked, the forbidden logits at -infinity, which samplingDistribution leaves out). With no sort on the GPU,
// each cut of the ranking (logit descending, the lower id first on ties, as samplingDistribution sorts) is found by
// bisection: over the logits' order-preserving u32 keys, then over the ids of the tied logits, each step a
// reduction over the vocabulary of the tokens at or before a candidate cut:
//   1. the top token (largest key, lowest id): the max logit m of samplingDistribution;
//   2. top-k: the earliest cut holding k tokens (k >= the allowed count: no cut);
//   3. top-p: the earliest cut whose weights exp((l - m) / T) sum to >= p times those within top-k;
//   4. the choice: the earliest cut whose weights sum to > u times those of the nucleus; the last token of the
//      nucleus when rounding leaves none (as sampling.ts tokenAt).
// The kernel also says whether u was used: not when the distribution has a single token, where sampleToken draws
// nothing, so that the caller keeps u for the next choice (sampling.ts UniformDraws).
// Float differences from the CPU (float64 there, f32 here: sums in another order, exp within a few ulp, u and p
// rounded to f32): a cumulative probability differs by ~1e-6 of the total, so the choice can differ when u (or
// top-p, for the nucleus) lies that close to a boundary; the ranking itself is exact (the same f32 logits). Whether the distribution has one token is decided as the CPU's float64 rounding
// decides it: with top-p < 1, 1 / (1 + rest) >= p, i.e. the weights besides the top one sum to <= 1/p - 1; with
// top-p = 1, the CPU's 1 + w rounds to 1 exactly when w <= 2^-53, i.e. (l2 - m) / T <= -53 ln 2 for the second
// token l2 (its weight the largest of the rest, so the sum stays 1); both differ only within f32 rounding of the
// boundary. Logits are finite (no NaN).
// One workgroup (<= 256 invocations, SwiftShader's limit): each reduction strides over the ids, then a tree.
// Every reduction is in uniform control flow: the bisections take a fixed number of steps (32 over keys,
// ceil(log2 V) over ids) and the branches test only params.
//   logits [V]   mask [ceil(V / 32)] u32   out [2] u32 (the id, 1 if u was used)
import type { GpuLimits } from '../device.ts';
import { NO_TOKEN } from './argmax.ts';
import { rowWorkgroup, packParams, programKey, type Dispatch, type KernelProgram } from './program.ts';

export interface SampleShape {
  vocab: number;
  /** > 0 (temperature 0 is the greedy argmax, argmax.ts). */
  temperature: number;
  /** 0: all. */
  topK: number;
  /** In (0, 1]. */
  topP: number;
  /** The uniform draw, in [0, 1). */
  u: number;
}

/** The largest f32 below 1: a u that would round up to 1 in f32 takes it instead. */
const BELOW_ONE = 1 - 2 ** -24;

/**
 * WGSL shared by the kernel and its scalar form (sample-scalar.ts), which supply the reductions over the ids,
 * `fn reduceU(op: u32, a: u32, b: u32) -> u32` (combineU of termU) and `fn reduceF(op, a, b) -> f32` (the sum of
 * termF), and `fn search(op: u32, goal: f32, strict: bool, top: u32) -> vec2<u32>`: the earliest cut in rank order
 * whose candidates at or before it measure (op: COUNT or WEIGHT) >= goal (> when strict), or the last candidate's
 * cut when none does (the whole set, its sum maybe short of the goal by rounding); then call sample().
 */
export function sampleCommonWgsl(masked: boolean): string {
  return `
struct Params { vocab: u32, topK: u32, indexSteps: u32, nucleus: u32, temperature: f32, topP: f32, restMax: f32, u: f32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;  // [V]
${masked ? '@group(0) @binding(2) var<storage, read> mask: array<u32>;  // [ceil(V / 32)] allowed ids' : ''}
@group(0) @binding(${masked ? 3 : 2}) var<storage, read_write> out: array<u32>;  // [2] the id, whether u was used
override WG_X: u32;
override WG_Y: u32;
const NONE = ${NO_TOKEN}u;
// A cut's id past every id: the cut (key, ALL) holds every token whose key is >= key.
const ALL = 0xffffffffu;
// ln(2^-53): at top-p 1 the CPU's distribution is one token when the second token's weight is <= 2^-53.
const SINGLE_GAP = ${Math.log(2) * -53};
// u32 reductions (termU): the largest key; the lowest id with key a; the smallest key; the largest key but id a's;
// 1 + the largest id with key a and id <= b. f32 sums (termF): the count and the weights of the tokens at or
// before the cut (a, b); the weights of all but id a.
const MAX_KEY = 0u;
const MIN_INDEX_AT = 1u;
const MIN_KEY = 2u;
const SECOND_KEY = 3u;
const LAST_INDEX = 4u;
const COUNT = 0u;
const WEIGHT = 1u;
const REST = 2u;

var<private> topLogit: f32;
// The top-k and top-p cuts found so far (the candidates are the allowed tokens at or before both).
var<private> kKey: u32 = 0u;
var<private> kIndex: u32 = ALL;
var<private> pKey: u32 = 0u;
var<private> pIndex: u32 = ALL;

fn allowed(i: u32) -> bool {
  return ${masked ? '(mask[i / 32u] & (1u << (i % 32u))) != 0u' : 'true'};
}

// The logit's key: keys ordered as u32 are the values ordered; -0 is +0's key (the CPU sees them as equal).
fn keyOf(v: f32) -> u32 {
  let bits = bitcast<u32>(select(v, 0.0, v == 0.0));
  return select(bits | 0x80000000u, ~bits, (bits & 0x80000000u) != 0u);
}

fn valueOf(key: u32) -> f32 {
  return bitcast<f32>(select(~key, key & 0x7fffffffu, (key & 0x80000000u) != 0u));
}

// Whether the token (key, i) ranks at or before the cut (cutKey, cutIndex): a larger logit, or equal and id <= cutIndex.
fn atOrBefore(key: u32, i: u32, cutKey: u32, cutIndex: u32) -> bool {
  return key > cutKey || (key == cutKey && i <= cutIndex);
}

fn candidate(i: u32, key: u32) -> bool {
  return allowed(i) && atOrBefore(key, i, kKey, kIndex) && atOrBefore(key, i, pKey, pIndex);
}

fn weight(v: f32) -> f32 {
  return exp((v - topLogit) / params.temperature);
}

fn isMin(op: u32) -> bool {
  return op == MIN_INDEX_AT || op == MIN_KEY;
}

fn identityU(op: u32) -> u32 {
  return select(0u, NONE, isMin(op));
}

fn combineU(op: u32, x: u32, y: u32) -> u32 {
  return select(max(x, y), min(x, y), isMin(op));
}

fn termU(op: u32, i: u32, a: u32, b: u32) -> u32 {
  let key = keyOf(logits[i]);
  let c = candidate(i, key);
  switch op {
    case MAX_KEY: { return select(0u, key, c); }
    case MIN_INDEX_AT: { return select(NONE, i, c && key == a); }
    case MIN_KEY: { return select(NONE, key, c); }
    case SECOND_KEY: { return select(0u, key, c && i != a); }
    default: { return select(0u, i + 1u, c && key == a && i <= b); }
  }
}

// (Branches, not select: most tokens take no part, and their exp is the cost.)
fn termF(op: u32, i: u32, a: u32, b: u32) -> f32 {
  let v = logits[i];
  let key = keyOf(v);
  if (!candidate(i, key)) { return 0.0; }
  switch op {
    case COUNT: { return select(0.0, 1.0, atOrBefore(key, i, a, b)); }
    case WEIGHT: {
      if (atOrBefore(key, i, a, b)) { return weight(v); }
      return 0.0;
    }
    default: {
      if (i != a) { return weight(v); }
      return 0.0;
    }
  }
}

fn reaches(f: f32, goal: f32, strict: bool) -> bool {
  return select(f >= goal, f > goal, strict);
}

// The sampled id (NONE when the mask allows none) and 1 if u was used.
fn sample() -> vec2<u32> {
  let top = reduceU(MAX_KEY, 0u, 0u);
  let topIndex = reduceU(MIN_INDEX_AT, top, 0u);
  topLogit = valueOf(top);
  if (params.topK > 0u) {
    let cut = search(COUNT, f32(params.topK), false, top);
    kKey = cut.x;
    kIndex = cut.y;
  }
  var single: bool;
  if (params.nucleus == 0u) {
    let second = reduceU(SECOND_KEY, topIndex, 0u);
    single = second == 0u || (valueOf(second) - topLogit) / params.temperature <= SINGLE_GAP;
  } else {
    single = reduceF(REST, topIndex, 0u) <= params.restMax;
  }
  var mass = reduceF(WEIGHT, 0u, ALL);
  if (params.nucleus != 0u) {
    let cut = search(WEIGHT, params.topP * mass, false, top);
    pKey = cut.x;
    pIndex = cut.y;
    mass = reduceF(WEIGHT, 0u, ALL);
  }
  let cut = search(WEIGHT, params.u * mass, true, top);
  let last = reduceU(LAST_INDEX, cut.x, cut.y);
  if (topIndex == NONE) { return vec2<u32>(NONE, 0u); }
  if (single) { return vec2<u32>(topIndex, 0u); }
  return vec2<u32>(last - 1u, 1u);
}`;
}

function wgsl(masked: boolean): string {
  return `${sampleCommonWgsl(masked)}

// search by bisection in a fixed number of steps (each a reduction, so in uniform control flow).
fn search(op: u32, goal: f32, strict: bool, top: u32) -> vec2<u32> {
  // The largest key whose cut (key, ALL) reaches the goal: lo always does (or is the last).
  var lo = reduceU(MIN_KEY, 0u, 0u);
  var hi = top;
  for (var s = 0u; s < 32u; s = s + 1u) {
    let gap = hi - lo;
    let mid = lo + gap / 2u + (gap & 1u);
    let f = reduceF(op, mid, ALL);
    if (gap > 0u) {
      if (reaches(f, goal, strict)) { lo = mid; } else { hi = mid - 1u; }
    }
  }
  // Among the ties at lo, the lowest id whose cut reaches it: last always does (or is the last).
  var first = 0u;
  var last = params.vocab - 1u;
  for (var s = 0u; s < params.indexSteps; s = s + 1u) {
    let gap = last - first;
    let mid = first + gap / 2u;
    let f = reduceF(op, lo, mid);
    if (gap > 0u) {
      if (reaches(f, goal, strict)) { last = mid; } else { first = mid + 1u; }
    }
  }
  return vec2<u32>(lo, last);
}

var<private> tid: u32;
var<workgroup> redU: array<u32, WG_X>;
var<workgroup> redF: array<f32, WG_X>;

fn reduceU(op: u32, a: u32, b: u32) -> u32 {
  var acc = identityU(op);
  for (var i = tid; i < params.vocab; i = i + WG_X) { acc = combineU(op, acc, termU(op, i, a, b)); }
  redU[tid] = acc;
  workgroupBarrier();
  for (var s = WG_X / 2u; s > 0u; s = s / 2u) {
    if (tid < s) { redU[tid] = combineU(op, redU[tid], redU[tid + s]); }
    workgroupBarrier();
  }
  let r = redU[0];
  workgroupBarrier();
  return r;
}

fn reduceF(op: u32, a: u32, b: u32) -> f32 {
  var acc = 0.0;
  for (var i = tid; i < params.vocab; i = i + WG_X) { acc = acc + termF(op, i, a, b); }
  redF[tid] = acc;
  workgroupBarrier();
  for (var s = WG_X / 2u; s > 0u; s = s / 2u) {
    if (tid < s) { redF[tid] = redF[tid] + redF[tid + s]; }
    workgroupBarrier();
  }
  let r = redF[0];
  workgroupBarrier();
  return r;
}

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(local_invocation_index) lid: u32) {
  tid = lid;
  let r = sample();
  if (lid == 0u) {
    out[0] = r.x;
    out[1] = r.y;
  }
}`;
}

/** One workgroup of 256 invocations (the adapter's limit if lower). */
export function sampleProgram(masked: boolean, limits: GpuLimits): KernelProgram {
  const wg = rowWorkgroup(limits);
  return {
    key: programKey('sample', { masked, wg }),
    wgsl: wgsl(masked),
    workgroupSize: [wg, 1],
    constants: {},
    bindings: masked ? ['uniform', 'read', 'read', 'read_write'] : ['uniform', 'read', 'read_write'],
  };
}

/** The params of one choice (both forms); RangeError on options chooseByUniform would refuse, or temperature 0. */
export function sampleDispatch(shape: SampleShape): Dispatch {
  const { vocab, temperature, topK, topP, u } = shape;
  if (!Number.isInteger(vocab) || vocab < 1) throw new RangeError(`vocab must be an integer >= 1, got ${vocab}`);
  if (!(temperature > 0) || !Number.isFinite(temperature)) throw new RangeError(`the sample kernel needs a temperature > 0, got ${temperature}`);
  if (!Number.isInteger(topK) || topK < 0) throw new RangeError(`topK must be an integer >= 0, got ${topK}`);
  if (!(topP > 0 && topP <= 1)) throw new RangeError(`topP must be in (0, 1], got ${topP}`);
  if (!(u >= 0 && u < 1)) throw new RangeError(`u must be in [0, 1), got ${u}`);
  const nucleus = topP < 1;
  return {
    workgroups: [1, 1, 1],
    params: packParams([
      ['u32', vocab],
      ['u32', Math.min(topK, vocab)],
      // Bisection steps over the ids: ceil(log2 V).
      ['u32', 32 - Math.clz32(vocab - 1)],
      ['u32', nucleus ? 1 : 0],
      ['f32', temperature],
      ['f32', topP],
      ['f32', nucleus ? 1 / topP - 1 : 0],
      ['f32', Math.min(Math.fround(u), BELOW_ONE)],
    ]),
  };
}
