// Where an object can be put down: free spots on a receptacle's surfaces, turned square to the surface, clear of
// other objects and of the board above. The place skill asks for the spots within the robot's reach, nearest to its
// base first; a scripted event (scenes/scripted/actions.ts), which puts things down without the arm, asks for every
// free spot.
import type { Entity, ObjectEntity } from './entities.ts';
import { rotateYaw, wrapAngle, yawOfQuaternion } from './geometry.ts';
import { rectDistance } from './regions.ts';
import { ROBOT } from './robot.ts';
import type { FailureReason, Vec3 } from './types.ts';
import type { World, WorldSurface } from './world.ts';

/** A spot on a surface where an object can be put down. */
export interface PlacementSpot {
  surface: WorldSurface;
  position: Vec3;
  /** World yaw the object is put down with. */
  yaw: number;
}

/** How findSpots searches. */
export interface SpotOptions {
  /**
   * true (the default, as the place skill needs): only spots the arm reaches from where the robot stands (and below
   * 1.9 m), nearest to its base first. false: every free spot, surface by surface, nearest the middle of its surface
   * first (ties in grid order).
   */
  reach?: boolean;
  /**
   * How the object is turned on the surface: 'quarter' (the default) by the fewest quarter turns that make it square
   * to the surface from its yaw now; 'surface' to the surface's own yaw, whatever its yaw now.
   */
  turn?: 'quarter' | 'surface';
  /** How far above the surface the object is released, in metres (default 6 mm: it drops and settles). */
  drop?: number;
}

/** Spots within reach (every free spot without `reach`), or why there are none. */
export interface SpotSearch {
  spots: PlacementSpot[];
  reason: FailureReason | null;
  detail: string;
}

/** Candidate spots for an object on a receptacle: within the robot's reach, nearest to its base first, by default. */
export function findSpots(world: World, o: ObjectEntity, receptacle: Entity, options: SpotOptions = {}): SpotSearch {
  const { reach = true, turn = 'quarter', drop = 0.006 } = options;
  const wantIn = receptacle.kind === 'furniture' && receptacle.model.interior !== null;
  const surfaces = world.surfacesOf(receptacle).filter((s) => s.kind === (wantIn ? 'in' : 'on'));
  if (surfaces.length === 0) return { spots: [], reason: 'not_applicable', detail: `nothing can be put on ${receptacle.id}` };
  const [w, h, d] = o.desc.size;
  const height = o.desc.shape === 'sphere' ? w : h;
  const robot = world.robot;
  const others = world.entityList.filter((x): x is ObjectEntity => x.kind === 'object' && x !== o && robot.held !== x);
  const spots: PlacementSpot[] = [];
  const objectYaw = yawOfQuaternion(o.body.quaternion);
  let free = 0;
  for (const s of surfaces) {
    const clearance = clearanceAbove(world, receptacle, s);
    if (height + 0.02 > clearance) continue;
    // The object is turned square to the surface (by `turn`), so its footprint is a rectangle there.
    const quarter = turn === 'surface' ? 0 : Math.round(wrapAngle(objectYaw - s.yaw) / (Math.PI / 2));
    const yaw = turn === 'surface' ? s.yaw : s.yaw + quarter * (Math.PI / 2);
    const swap = quarter % 2 !== 0 && o.desc.shape === 'box';
    const hx = (swap ? d : w) / 2 + 0.01;
    const hz = (swap ? w : d) / 2 + 0.01;
    const ux = s.half[0] - hx;
    const uz = s.half[1] - hz;
    if (ux < 0 || uz < 0) continue;
    const step = 0.03;
    /** Without reach: this surface's free spots with their distance from its middle in grid cells. */
    const onSurface: { spot: PlacementSpot; cells: number }[] = [];
    for (let ix = -Math.floor(ux / step); ix <= Math.floor(ux / step); ix++) {
      for (let iz = -Math.floor(uz / step); iz <= Math.floor(uz / step); iz++) {
        const [ox, oz] = rotateYaw(ix * step, iz * step, s.yaw);
        const p: Vec3 = [s.center[0] + ox, s.center[1] + o.halfHeight + drop, s.center[2] + oz];
        const overlaps = others.some((x) => {
          const q = x.body.position;
          if (Math.abs(q.y - p[1]) >= x.halfHeight + o.halfHeight + 0.02) return false;
          const r = (x.desc.shape === 'sphere' ? x.desc.size[0] / 2 : Math.hypot(x.desc.size[0] / 2, x.desc.size[2] / 2)) + 0.005;
          const [lx, lz] = rotateYaw(q.x - p[0], q.z - p[2], -s.yaw);
          return rectDistance(lx, lz, hx, hz) < r;
        });
        if (overlaps) continue;
        free++;
        if (!reach) onSurface.push({ spot: { surface: s, position: p, yaw }, cells: Math.hypot(ix, iz) });
        else if (robot.horizontalDistance(p) <= ROBOT.reach && p[1] < 1.9) spots.push({ surface: s, position: p, yaw });
      }
    }
    // A stable sort: of spots equally far from the middle, the first in grid order comes first.
    if (!reach) for (const { spot } of onSurface.sort((a, b) => a.cells - b.cells)) spots.push(spot);
  }
  if (free === 0) return { spots, reason: 'no_space', detail: `no room for ${o.id} on ${receptacle.id}` };
  if (!reach) return { spots, reason: null, detail: '' };
  if (spots.length === 0) return { spots, reason: 'out_of_reach', detail: `no free spot on ${receptacle.id} within reach` };
  const base = robot.position;
  spots.sort((a, b) => {
    const da = Math.hypot(a.position[0] - base[0], a.position[2] - base[2]);
    const db = Math.hypot(b.position[0] - base[0], b.position[2] - base[2]);
    return da - db || a.surface.level - b.surface.level;
  });
  return { spots, reason: null, detail: '' };
}

/** Free height above a surface: up to the next board or the roof of the container. */
function clearanceAbove(world: World, receptacle: Entity, s: WorldSurface): number {
  if (receptacle.kind !== 'furniture') return 2;
  const above = world
    .surfacesOf(receptacle)
    .filter((t) => t.kind === s.kind && t.center[1] > s.center[1] + 1e-6)
    .map((t) => t.center[1] - 0.03);
  if (s.kind === 'in') above.push(receptacle.desc.size[1] - 0.03);
  return above.length ? Math.min(...above) - s.center[1] : 2;
}
