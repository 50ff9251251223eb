// Spatial relations read off the physics state: what an object rests on or is inside, and entity state.
import type { Entity, FurnitureEntity, ObjectEntity } from './entities.ts';
import { rotateYaw } from './geometry.ts';
import type { EntityState, Vec3 } from './types.ts';
import type { World, WorldSurface } from './world.ts';

/** How far above a surface an object's lowest point may be and still rest on it, metres. */
const REST_TOLERANCE = 0.03;

function withinSurface(s: WorldSurface, p: Vec3, margin: number): boolean {
  const [lx, lz] = rotateYaw(p[0] - s.center[0], p[2] - s.center[2], -s.yaw);
  return Math.abs(lx) <= s.half[0] + margin && Math.abs(lz) <= s.half[1] + margin;
}

/** Is the point inside the container's interior (which moves with a drawer)? */
export function insideContainer(world: World, f: FurnitureEntity, p: Vec3): boolean {
  const interior = f.model.interior;
  if (!interior) return false;
  const local = world.worldToFurniture(f, p);
  const dz = f.model.part?.kind === 'slide' ? world.partSlide(f) : 0;
  return (
    Math.abs(local[0] - interior.center[0]) <= interior.half[0] &&
    Math.abs(local[1] - interior.center[1]) <= interior.half[1] &&
    Math.abs(local[2] - (interior.center[2] + dz)) <= interior.half[2]
  );
}

export interface Relation {
  on_top_of?: string;
  inside?: string;
}

/** What an object rests on or is inside, from where it is now. A held object rests nowhere. */
export function relationOf(world: World, o: ObjectEntity): Relation {
  if (world.robot.held === o) return {};
  const b = o.body;
  const p: Vec3 = [b.position.x, b.position.y, b.position.z];
  const bottom = lowestPoint(o);
  for (const e of world.entityList) {
    if (e.kind === 'object') continue;
    if (e.kind === 'furniture' && insideContainer(world, e, p)) return { inside: e.id };
  }
  for (const e of world.entityList) {
    if (e.kind === 'object') continue;
    for (const s of world.surfacesOf(e)) {
      if (s.kind !== 'on') continue;
      const gap = bottom - s.center[1];
      if (gap >= -REST_TOLERANCE && gap <= REST_TOLERANCE && withinSurface(s, p, 0.05)) return { on_top_of: e.id };
    }
  }
  return {};
}

/** Height of an object's lowest point, from its pose and shape. */
export function lowestPoint(o: ObjectEntity): number {
  const b = o.body;
  if (o.desc.shape === 'sphere') return b.position.y - o.halfHeight;
  const { x, y, z, w } = b.quaternion;
  const [sx, sy, sz] = o.desc.size;
  // |world-y component| of each local axis, times that axis's half extent.
  const extent =
    Math.abs(2 * (x * y + w * z)) * (sx / 2) + Math.abs(1 - 2 * (x * x + z * z)) * (sy / 2) + Math.abs(2 * (y * z - w * x)) * (sz / 2);
  return b.position.y - extent;
}

export function isOpen(f: FurnitureEntity): boolean {
  return f.openness >= 0.95;
}

/** The closed container an object is inside, if any. */
export function closedContainerAround(world: World, o: ObjectEntity): FurnitureEntity | null {
  const p = centerOf(o);
  for (const e of world.entityList) {
    if (e.kind === 'furniture' && e.model.part && !isOpen(e) && insideContainer(world, e, p)) return e;
  }
  return null;
}

export function entityState(world: World, e: Entity): EntityState {
  switch (e.kind) {
    case 'object': {
      const held = world.robot.held === e;
      return held ? { held: true } : { held: false, ...relationOf(world, e) };
    }
    case 'furniture': {
      const state: EntityState = {};
      if (e.model.part) {
        state.open = isOpen(e);
        state.openness = Math.round(e.openness * 100) / 100;
      }
      if (e.model.switchable) state.on = e.on;
      return state;
    }
    case 'marker':
      return {};
  }
}

/** Current centre of an entity in the world. */
export function centerOf(e: Entity): Vec3 {
  switch (e.kind) {
    case 'object':
      return [e.body.position.x, e.body.position.y, e.body.position.z];
    case 'furniture':
    case 'marker':
      return e.center;
  }
}
