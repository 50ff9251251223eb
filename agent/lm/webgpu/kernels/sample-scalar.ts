// The sampling of sample.ts without workgroup memory or barriers, for CPU adapters (see linear-scalar.ts): one
// invocation makes every reduction of the same bisections, summing the ids in order by blocks of 32 (a block's sum,
// then the sum of the blocks: the f32 error grows as 32 + V / 32 terms, not V), and stops a bisection once it
// has converged. Its params are sample.ts sampleDispatch's.
//   logits [V]   mask [ceil(V / 32)] u32   out [2] u32 (the id, 1 if u was used)
import { programKey, type KernelProgram } from './program.ts';
import { sampleCommonWgsl } from './sample.ts';

function wgsl(masked: boolean): string {
  return `${sampleCommonWgsl(masked, true)}

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
