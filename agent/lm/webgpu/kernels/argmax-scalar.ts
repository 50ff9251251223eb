// The greedy choice of argmax.ts without workgroup memory or barriers, for CPU adapters (see linear-scalar.ts): one
// invocation scans the ids in order, keeping the first largest logit among those the mask allows (the lowest index
// on ties, as sampling.ts argmax). No allowed id gives NO_TOKEN.
//   logits [V]   mask [ceil(V / 32)] u32   out [1] u32
import type { ArgmaxShape } from './argmax.ts';
import { NO_TOKEN } from './argmax.ts';
import { packParams, programKey, type Dispatch, type KernelProgram } from './program.ts';

function wgsl(masked: boolean): string {
  return `
struct Params { vocab: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;  // [V]
${masked ? '@group(0) @binding(2) var<storage, read> mask: array<u32>;  // [ceil(V / 32)] allowed ids' : ''}
@group(0) @binding(${masked ? 3 : 2}) var<storage, read_write> out: array<u32>;  // [1]
override WG_X: u32;
override WG_Y: u32;

fn allowed(i: u32) -> bool {
  return ${masked ? '(mask[i / 32u] & (1u << (i % 32u))) != 0u' : 'true'};
}

@compute @workgroup_size(WG_X, WG_Y)
fn main() {
  var bi = ${NO_TOKEN}u;
  var bv = 0.0;
  for (var i = 0u; i < params.vocab; i = i + 1u) {
    if (allowed(i) && (bi == ${NO_TOKEN}u || logits[i] > bv)) {
      bv = logits[i];
      bi = i;
    }
  }
  out[0] = bi;
}`;
}

export function argmaxScalarProgram(masked: boolean): KernelProgram {
  return {
    key: programKey('argmax-scalar', { masked }),
    wgsl: wgsl(masked),
    workgroupSize: [1, 1],
    constants: {},
    bindings: masked ? ['uniform', 'read', 'read', 'read_write'] : ['uniform', 'read', 'read_write'],
  };
}

export function argmaxScalarDispatch(shape: ArgmaxShape): Dispatch {
  return { workgroups: [1, 1, 1], params: packParams([['u32', shape.vocab]]) };
}
