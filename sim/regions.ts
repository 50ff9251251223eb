// Where the base must stand to use an entity: goal regions for goto, as predicates on floor points, and the
// space a closed door or drawer sweeps. They encode how one uses a thing: from the same room; in front of shelves
// and containers; beside a closed door, then in front of the opening once it is open; with a table's middle in reach.
import type { Entity, FurnitureEntity } from './entities.ts';
import { rotateYaw } from './geometry.ts';
import { INFLATION } from './nav.ts';
import { centerOf, isOpen, relationOf } from './relations.ts';
import { ROBOT } from './robot.ts';
import type { OccluderBox, World } from './world.ts';

/** The region from which an entity is within reach, as a predicate on floor points. */
export function goalRegion(world: World, e: Entity): (x: number, z: number) => boolean {
  const c = centerOf(e);
  const room = world.roomAt(c[0], c[2]);
  const within = reachRegion(world, e);
  // Never through a wall: stand in the same room.
  return (x, z) => within(x, z) && world.roomAt(x, z) === room;
}

function reachRegion(world: World, e: Entity): (x: number, z: number) => boolean {
  const reach = ROBOT.reach;
  switch (e.kind) {
    case 'object': {
      const c = centerOf(e);
      const near = (x: number, z: number): boolean => Math.hypot(x - c[0], z - c[2]) <= reach - 0.2;
      // On a shelf or in a container, only the front gives a view past the side panels.
      const rel = relationOf(world, e);
      const support = world.furniture(rel.inside ?? rel.on_top_of ?? '');
      if (!support?.model.frontOnly) return near;
      const [w, , d] = support.desc.size;
      const [px, pz] = support.desc.position;
      return (x, z) => {
        if (!near(x, z)) return false;
        const [lx, lz] = rotateYaw(x - px, z - pz, -support.yaw);
        return lz >= d / 2 && Math.abs(lx) <= w / 2 + 0.1;
      };
    }
    case 'marker': {
      const [w, d] = e.desc.size;
      const c = e.center;
      return (x, z) => rectDistance(x - c[0], z - c[2], w / 2, d / 2) <= INFLATION + 0.25;
    }
    case 'furniture': {
      const [w, , d] = e.desc.size;
      const [px, pz] = e.desc.position;
      if (!e.model.frontOnly) {
        // Beside it, with its middle in reach (so a free spot near the middle can always be used).
        const middleReach = Math.max(reach - 0.1, Math.min(w, d) / 2 + INFLATION + 0.2);
        return (x, z) => {
          const [lx, lz] = rotateYaw(x - px, z - pz, -e.yaw);
          return rectDistance(lx, lz, w / 2, d / 2) <= INFLATION + 0.25 && Math.hypot(lx, lz) <= middleReach;
        };
      }
      const interior = e.model.interior;
      const ic = world.furnitureToWorld(e, interior?.center[0] ?? 0, 0, (interior?.center[2] ?? 0) + world.partSlide(e));
      // Closed containers: the door's sweep is kept clear by extra obstacles, so the base parks beside it.
      const facing = e.model.part === null || isOpen(e);
      return (x, z) => {
        const [lx, lz] = rotateYaw(x - px, z - pz, -e.yaw);
        if (lz < d / 2 || Math.hypot(x - ic[0], z - ic[2]) > reach - 0.15) return false;
        if (facing) return Math.abs(lx) <= w / 2 - 0.05;
        // A door is hinged on its left edge and swings out there: wait on the right, or the open door
        // would stand between the base and the opening.
        return e.model.part?.kind !== 'hinge' || lx > 0;
      };
    }
  }
}

/** Space a closed door or drawer sweeps when it opens, so the base does not park there. */
export function sweepBoxes(world: World, f: FurnitureEntity): OccluderBox[] {
  const part = f.model.part;
  if (!part || isOpen(f)) return [];
  const [w, h, d] = f.desc.size;
  const depth = part.kind === 'hinge' ? w : part.travel;
  const cx = part.kind === 'hinge' ? part.hinge[0] + w / 2 : 0;
  const c = world.furnitureToWorld(f, cx, h / 2, d / 2 + depth / 2);
  return [{ owner: f.id, center: c, half: [w / 2, h / 2, depth / 2], yaw: f.yaw }];
}

/** Distance from a point (in the rectangle's frame) to an axis-aligned rectangle of half extents hx, hz. */
export function rectDistance(x: number, z: number, hx: number, hz: number): number {
  return Math.hypot(Math.max(0, Math.abs(x) - hx), Math.max(0, Math.abs(z) - hz));
}
