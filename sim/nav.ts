// Navigation: an occupancy grid of the floor derived from the geometry (inflated by the robot's radius), and a
// Dijkstra search to the nearest cell of a goal region, then line-of-sight smoothing into waypoints.
import { rotateYaw } from './geometry.ts';
import { ROBOT } from './robot.ts';
import type { OccluderBox, World } from './world.ts';

export const CELL = 0.1;
/** Clearance kept between the base's centre and any obstacle. */
export const INFLATION = ROBOT.radius + 0.07;

export type Waypoint = [number, number];

export class OccupancyGrid {
  readonly minX: number;
  readonly minZ: number;
  readonly cols: number;
  readonly rows: number;
  /** 1 where the base's centre may not go. */
  readonly blocked: Uint8Array;

  constructor(minX: number, minZ: number, maxX: number, maxZ: number) {
    this.minX = minX;
    this.minZ = minZ;
    this.cols = Math.max(1, Math.ceil((maxX - minX) / CELL));
    this.rows = Math.max(1, Math.ceil((maxZ - minZ) / CELL));
    this.blocked = new Uint8Array(this.cols * this.rows);
  }

  index(col: number, row: number): number {
    return row * this.cols + col;
  }

  cellOf(x: number, z: number): [number, number] {
    const col = Math.min(this.cols - 1, Math.max(0, Math.floor((x - this.minX) / CELL)));
    const row = Math.min(this.rows - 1, Math.max(0, Math.floor((z - this.minZ) / CELL)));
    return [col, row];
  }

  centerOf(index: number): Waypoint {
    const col = index % this.cols;
    const row = (index - col) / this.cols;
    return [this.minX + (col + 0.5) * CELL, this.minZ + (row + 0.5) * CELL];
  }

  isBlockedAt(x: number, z: number): boolean {
    const [c, r] = this.cellOf(x, z);
    return this.blocked[this.index(c, r)] === 1;
  }

  /** Block every cell whose centre is within `inflate` of a yaw-rotated box's footprint. */
  blockBox(cx: number, cz: number, hx: number, hz: number, yaw: number, inflate: number): void {
    const reach = Math.hypot(hx, hz) + inflate;
    const [c0, r0] = this.cellOf(cx - reach, cz - reach);
    const [c1, r1] = this.cellOf(cx + reach, cz + reach);
    for (let r = r0; r <= r1; r++) {
      for (let c = c0; c <= c1; c++) {
        const px = this.minX + (c + 0.5) * CELL - cx;
        const pz = this.minZ + (r + 0.5) * CELL - cz;
        const [lx, lz] = rotateYaw(px, pz, -yaw);
        const ex = Math.max(0, Math.abs(lx) - hx);
        const ez = Math.max(0, Math.abs(lz) - hz);
        if (ex * ex + ez * ez < inflate * inflate) this.blocked[this.index(c, r)] = 1;
      }
    }
  }
}

/** Anything the base could bump into, at the robot's height. */
function obstacleBoxes(world: World): OccluderBox[] {
  const boxes = world.occluders().filter((b) => b.center[1] - b.half[1] < ROBOT.height);
  for (const e of world.entityList) {
    if (e.kind === 'marker') {
      // Mats are flat, but objects put on them must not be run over.
      boxes.push({ owner: e.id, center: e.center, half: [e.desc.size[0] / 2, 0.01, e.desc.size[1] / 2], yaw: 0 });
    }
  }
  return boxes;
}

/** The grid for the world as it is now (doors and drawers where they stand). */
export function buildGrid(world: World, extra: OccluderBox[] = []): OccupancyGrid {
  const rooms = world.description.rooms;
  const minX = Math.min(...rooms.map((r) => r.min[0])) - 0.2;
  const minZ = Math.min(...rooms.map((r) => r.min[1])) - 0.2;
  const maxX = Math.max(...rooms.map((r) => r.max[0])) + 0.2;
  const maxZ = Math.max(...rooms.map((r) => r.max[1])) + 0.2;
  const grid = new OccupancyGrid(minX, minZ, maxX, maxZ);
  for (const b of [...obstacleBoxes(world), ...extra]) grid.blockBox(b.center[0], b.center[2], b.half[0], b.half[2], b.yaw, INFLATION);
  // Outside every room is out of bounds.
  for (let i = 0; i < grid.blocked.length; i++) {
    const [x, z] = grid.centerOf(i);
    if (world.roomAt(x, z) === 'outside') grid.blocked[i] = 1;
  }
  return grid;
}

/** A binary min-heap of (cost, index) with deterministic ties (lower index first). */
class Heap {
  private cost: number[] = [];
  private idx: number[] = [];
  get size(): number {
    return this.idx.length;
  }
  private less(i: number, j: number): boolean {
    const a = this.cost[i] as number;
    const b = this.cost[j] as number;
    return a < b || (a === b && (this.idx[i] as number) < (this.idx[j] as number));
  }
  private swap(i: number, j: number): void {
    [this.cost[i], this.cost[j]] = [this.cost[j] as number, this.cost[i] as number];
    [this.idx[i], this.idx[j]] = [this.idx[j] as number, this.idx[i] as number];
  }
  push(cost: number, index: number): void {
    this.cost.push(cost);
    this.idx.push(index);
    let i = this.idx.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }
  pop(): [number, number] {
    const top: [number, number] = [this.cost[0] as number, this.idx[0] as number];
    const lastCost = this.cost.pop() as number;
    const lastIdx = this.idx.pop() as number;
    if (this.idx.length > 0) {
      this.cost[0] = lastCost;
      this.idx[0] = lastIdx;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.idx.length && this.less(l, m)) m = l;
        if (r < this.idx.length && this.less(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
}

const NEIGHBOURS: [number, number, number][] = [
  [1, 0, 1], [-1, 0, 1], [0, 1, 1], [0, -1, 1],
  [1, 1, Math.SQRT2], [1, -1, Math.SQRT2], [-1, 1, Math.SQRT2], [-1, -1, Math.SQRT2],
];

/**
 * Shortest path from (x, z) to the nearest cell where `isGoal` holds. Blocked cells may be crossed only to
 * escape from a blocked start (a base pushed against furniture). Null when no goal cell is reachable.
 */
export function planPath(grid: OccupancyGrid, x: number, z: number, isGoal: (x: number, z: number) => boolean): Waypoint[] | null {
  const n = grid.cols * grid.rows;
  const dist = new Float64Array(n).fill(Infinity);
  const prev = new Int32Array(n).fill(-1);
  const [sc, sr] = grid.cellOf(x, z);
  const start = grid.index(sc, sr);
  dist[start] = 0;
  const heap = new Heap();
  heap.push(0, start);
  let goal = -1;
  while (heap.size > 0) {
    const [d, i] = heap.pop();
    if (d > (dist[i] as number)) continue;
    const [cx, cz] = grid.centerOf(i);
    const free = grid.blocked[i] === 0;
    if (free && isGoal(cx, cz)) {
      goal = i;
      break;
    }
    const col = i % grid.cols;
    const row = (i - col) / grid.cols;
    for (const [dc, dr, w] of NEIGHBOURS) {
      const c = col + dc;
      const r = row + dr;
      if (c < 0 || r < 0 || c >= grid.cols || r >= grid.rows) continue;
      const j = grid.index(c, r);
      const jBlocked = grid.blocked[j] === 1;
      if (jBlocked && free) continue;
      // No corner cutting between two blocked cells.
      if (dc !== 0 && dr !== 0 && free) {
        if (grid.blocked[grid.index(col + dc, row)] === 1 || grid.blocked[grid.index(col, row + dr)] === 1) continue;
      }
      const nd = d + w * CELL * (jBlocked ? 5 : 1);
      if (nd < (dist[j] as number)) {
        dist[j] = nd;
        prev[j] = i;
        heap.push(nd, j);
      }
    }
  }
  if (goal < 0) return null;
  const cells: number[] = [];
  for (let i = goal; i >= 0; i = prev[i] as number) cells.push(i);
  cells.reverse();
  return smooth(grid, cells);
}

/** Keep only the cells needed to walk in straight, unblocked lines. */
function smooth(grid: OccupancyGrid, cells: number[]): Waypoint[] {
  const points = cells.map((c) => grid.centerOf(c));
  if (points.length <= 2) return points.slice(1);
  const out: Waypoint[] = [];
  let anchor = 0;
  while (anchor < points.length - 1) {
    let far = anchor + 1;
    for (let k = points.length - 1; k > anchor + 1; k--) {
      if (lineFree(grid, points[anchor] as Waypoint, points[k] as Waypoint)) {
        far = k;
        break;
      }
    }
    out.push(points[far] as Waypoint);
    anchor = far;
  }
  return out;
}

function lineFree(grid: OccupancyGrid, a: Waypoint, b: Waypoint): boolean {
  const len = Math.hypot(b[0] - a[0], b[1] - a[1]);
  const steps = Math.ceil(len / (CELL / 3));
  for (let s = 0; s <= steps; s++) {
    const t = steps === 0 ? 0 : s / steps;
    if (grid.isBlockedAt(a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)) return false;
  }
  return true;
}
