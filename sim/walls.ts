// Walls derived from the floor plan: every room edge is a wall; edges shared by two rooms become one wall;
// doorways cut openings in them.
import type { DoorwayDescription, RoomDescription } from './description.ts';
import type { Vec3 } from './types.ts';

export interface WallBox {
  center: Vec3;
  half: Vec3;
}

export const WALL_THICKNESS = 0.1;

type Interval = [number, number];

/** Union of intervals, sorted. */
function union(intervals: Interval[]): Interval[] {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  const out: Interval[] = [];
  for (const iv of sorted) {
    const last = out[out.length - 1];
    if (last && iv[0] <= last[1] + 1e-9) last[1] = Math.max(last[1], iv[1]);
    else out.push([iv[0], iv[1]]);
  }
  return out;
}

/** Remove the holes from the intervals. */
function subtract(intervals: Interval[], holes: Interval[]): Interval[] {
  let current = intervals;
  for (const [h0, h1] of holes) {
    const next: Interval[] = [];
    for (const [a, b] of current) {
      if (h1 <= a || h0 >= b) {
        next.push([a, b]);
        continue;
      }
      if (h0 > a) next.push([a, h0]);
      if (h1 < b) next.push([h1, b]);
    }
    current = next;
  }
  return current.filter(([a, b]) => b - a > 1e-6);
}

const key = (v: number): string => v.toFixed(4);

export function buildWalls(rooms: RoomDescription[], doorways: DoorwayDescription[], height: number): WallBox[] {
  // Lines of constant z (running along x) and of constant x (running along z).
  const alongX = new Map<string, { c: number; spans: Interval[]; holes: Interval[] }>();
  const alongZ = new Map<string, { c: number; spans: Interval[]; holes: Interval[] }>();
  const add = (map: typeof alongX, c: number, a: number, b: number): void => {
    const k = key(c);
    const line = map.get(k) ?? { c, spans: [], holes: [] };
    line.spans.push([Math.min(a, b), Math.max(a, b)]);
    map.set(k, line);
  };
  for (const r of rooms) {
    add(alongX, r.min[1], r.min[0], r.max[0]);
    add(alongX, r.max[1], r.min[0], r.max[0]);
    add(alongZ, r.min[0], r.min[1], r.max[1]);
    add(alongZ, r.max[0], r.min[1], r.max[1]);
  }
  for (const d of doorways) {
    const [x, z] = d.at;
    const hx = alongX.get(key(z));
    const hz = alongZ.get(key(x));
    // A doorway lies on one wall line; prefer the one whose spans contain it.
    const onX = hx?.spans.some(([a, b]) => x > a && x < b);
    if (hx && onX) hx.holes.push([x - d.width / 2, x + d.width / 2]);
    else if (hz) hz.holes.push([z - d.width / 2, z + d.width / 2]);
  }
  const walls: WallBox[] = [];
  const t = WALL_THICKNESS / 2;
  for (const line of alongX.values()) {
    for (const [a, b] of subtract(union(line.spans), line.holes)) {
      walls.push({ center: [(a + b) / 2, height / 2, line.c], half: [(b - a) / 2 + t, height / 2, t] });
    }
  }
  for (const line of alongZ.values()) {
    for (const [a, b] of subtract(union(line.spans), line.holes)) {
      walls.push({ center: [line.c, height / 2, (a + b) / 2], half: [t, height / 2, (b - a) / 2 + t] });
    }
  }
  return walls;
}

/** Does the doorway lie on a wall line shared by its two rooms? (Used by scene validation.) */
export function doorwayOnSharedWall(d: DoorwayDescription, a: RoomDescription, b: RoomDescription): boolean {
  const [x, z] = d.at;
  const eps = 1e-6;
  const sharesZ = (z0: number): boolean =>
    Math.abs(z - z0) < eps && x - d.width / 2 >= Math.max(a.min[0], b.min[0]) - eps && x + d.width / 2 <= Math.min(a.max[0], b.max[0]) + eps;
  const sharesX = (x0: number): boolean =>
    Math.abs(x - x0) < eps && z - d.width / 2 >= Math.max(a.min[1], b.min[1]) - eps && z + d.width / 2 <= Math.min(a.max[1], b.max[1]) + eps;
  return (
    (Math.abs(a.max[1] - b.min[1]) < eps && sharesZ(a.max[1])) ||
    (Math.abs(b.max[1] - a.min[1]) < eps && sharesZ(b.max[1])) ||
    (Math.abs(a.max[0] - b.min[0]) < eps && sharesX(a.max[0])) ||
    (Math.abs(b.max[0] - a.min[0]) < eps && sharesX(b.max[0]))
  );
}
