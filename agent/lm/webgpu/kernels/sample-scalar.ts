// The sampling of sample.ts without workgroup memory or barriers, for CPU adapters (see linear-scalar.ts): one
// invocation makes the reductions, summing the ids in order by blocks of 32 (a block's sum, then the sum of the
// blocks: the f32 error grows as 32 + V / 32 terms, not V). Its bisections snap to the keys (and tied ids) that
// candidates have: each pass also finds the nearest candidate key on either side of the midpoint, so a search
// takes about log2 of the distinct keys, not 32 + log2 V passes (with no barriers, the loops may end early).
// Its params are sample.ts sampleDispatch's.
//   logits [V]   mask [ceil(V / 32)] u32   out [2] u32 (the id, 1 if u was used)
import { programKey, type KernelProgram } from './program.ts';
import { sampleCommonWgsl } from './sample.ts';

function wgsl(masked: boolean): string {
  return `${sampleCommonWgsl(masked)}

fn reduceU(op: u32, a: u32, b: u32) -> u32 {
  var acc = identityU(op);
  for (var i = 0u; i < params.vocab; i = i + 1u) { acc = combineU(op, acc, termU(op, i, a, b)); }
  return acc;
}

fn reduceF(op: u32, a: u32, b: u32) -> f32 {
  var total = 0.0;
  for (var block = 0u; block < params.vocab; block = block + 32u) {
    var acc = 0.0;
    for (var i = block; i < min(block + 32u, params.vocab); i = i + 1u) { acc = acc + termF(op, i, a, b); }
    total = total + acc;
  }
  return total;
}

// A bisection step: what the candidates at or before a cut measure (summed as reduceF), and the nearest
// candidate positions on either side of the cut: keys (below the cut key: largest, 0 if none; at or above:
// smallest, NONE if none), or among the ties at one key, ids (<= the cut id: largest, NONE if none; above: smallest).
struct Probe { f: f32, below: u32, above: u32 }

fn probe(op: u32, cutKey: u32, cutIndex: u32, byId: bool) -> Probe {
  var total = 0.0;
  var below = select(0u, NONE, byId);
  var above = NONE;
  for (var block = 0u; block < params.vocab; block = block + 32u) {
    var acc = 0.0;
    for (var i = block; i < min(block + 32u, params.vocab); i = i + 1u) {
      let v = logits[i];
      let key = keyOf(v);
      if (!candidate(i, key)) { continue; }
      if (atOrBefore(key, i, cutKey, cutIndex)) { acc = acc + select(weight(v), 1.0, op == COUNT); }
      if (byId) {
        if (key == cutKey && i <= cutIndex) { below = i; }
        if (key == cutKey && i > cutIndex && above == NONE) { above = i; }
      } else {
        if (key < cutKey) { below = max(below, key); } else { above = min(above, key); }
      }
    }
    total = total + acc;
  }
  return Probe(total, below, above);
}

fn search(op: u32, goal: f32, strict: bool, top: u32) -> vec2<u32> {
  // The largest key whose cut (key, ALL) reaches the goal, in [lo, hi], both candidate keys; lo always reaches it
  // (or is the last).
  var lo = reduceU(MIN_KEY, 0u, 0u);
  var hi = top;
  while (lo < hi) {
    let gap = hi - lo;
    let mid = lo + gap / 2u + (gap & 1u);
    let p = probe(op, mid, ALL, false);
    if (reaches(p.f, goal, strict)) { lo = min(p.above, hi); } else { hi = max(p.below, lo); }
  }
  // Among the ties at lo, the lowest id whose cut reaches it: last always does (or is the last).
  var first = 0u;
  var last = params.vocab - 1u;
  while (first < last) {
    let mid = first + (last - first) / 2u;
    let p = probe(op, lo, mid, true);
    if (reaches(p.f, goal, strict)) { last = select(mid, p.below, p.below != NONE); } else { first = min(p.above, last); }
  }
  return vec2<u32>(lo, last);
}

@compute @workgroup_size(WG_X, WG_Y)
fn main() {
  let r = sample();
  out[0] = r.x;
  out[1] = r.y;
}`;
}

export function sampleScalarProgram(masked: boolean): KernelProgram {
  return {
    key: programKey('sample-scalar', { masked }),
    wgsl: wgsl(masked),
    workgroupSize: [1, 1],
    constants: {},
    bindings: masked ? ['uniform', 'read', 'read', 'read_write'] : ['uniform', 'read', 'read_write'],
  };
}
