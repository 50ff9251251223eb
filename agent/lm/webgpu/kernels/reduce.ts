// WGSL for workgroup-wide reductions over a shared array `red` of WG_X * WG_Y floats (a power of two), one value
// per invocation; every invocation gets the result. Call only from uniform control flow (they hold barriers).

export const REDUCE_WGSL = `var<workgroup> red: array<f32, WG_X * WG_Y>;

fn workgroupSum(v: f32, tid: u32) -> f32 {
  red[tid] = v;
  workgroupBarrier();
  for (var s = (WG_X * WG_Y) / 2u; s > 0u; s = s / 2u) {
    if (tid < s) { red[tid] = red[tid] + red[tid + s]; }
    workgroupBarrier();
  }
  let total = red[0];
  workgroupBarrier();
  return total;
}

fn workgroupMax(v: f32, tid: u32) -> f32 {
  red[tid] = v;
  workgroupBarrier();
  for (var s = (WG_X * WG_Y) / 2u; s > 0u; s = s / 2u) {
    if (tid < s) { red[tid] = max(red[tid], red[tid + s]); }
    workgroupBarrier();
  }
  let best = red[0];
  workgroupBarrier();
  return best;
}`;
