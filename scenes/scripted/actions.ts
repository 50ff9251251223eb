// The world-changing actions of a scripted event, done to the World directly (no arm, no skill): put an object on
// or in a piece of furniture or a mat, drive a door or drawer, take the held object out of the robot's hand. Each
// ends with a moment of physics so that the world the agent observes next has settled. The arguments are checked
// by the caller (context.ts); these only report, through `fail`, that there is no room.
import type { FurnitureEntity, MarkerEntity, ObjectEntity } from '../../sim/entities.ts';
import { findSpots, type PlacementSpot } from '../../sim/placement.ts';
import { ROBOT } from '../../sim/robot.ts';
import { setBodyState } from '../../sim/snapshot.ts';
import { World, type WorldSurface } from '../../sim/world.ts';

/** Something to put objects on or in. */
export type Receptacle = FurnitureEntity | MarkerEntity;

/** Physics steps an event's change is given to settle: half a second at the default rate. */
const SETTLE_STEPS = 30;
/** Surfaces above this the eye cannot see onto (as in the house builder). */
const VISIBLE_SURFACE_HEIGHT = 1.3;
/** How far above the surface a moved object is let go. */
const DROP = 0.004;

/**
 * The free spot nearest the middle of the receptacle's lowest visible surface (then higher ones), the object turned
 * to the surface's yaw, or why there is none: 'full', or 'robot' when only the robot (on a mat) is in the way.
 */
function freeSpot(world: World, o: ObjectEntity, receptacle: Receptacle): PlacementSpot | 'full' | 'robot' {
  const { spots } = findSpots(world, o, receptacle, { reach: false, turn: 'surface', drop: DROP });
  const high = (s: WorldSurface): number => Number(s.center[1] > VISIBLE_SURFACE_HEIGHT);
  // A stable sort: each surface's spots stay nearest the middle first.
  const ordered = [...spots].sort((a, b) => high(a.surface) - high(b.surface) || a.surface.level - b.surface.level);
  const [w, , d] = o.desc.size;
  const footprint = o.desc.shape === 'sphere' ? w / 2 : Math.hypot(w / 2, d / 2);
  const robot = world.robot.position;
  // Not into the robot (it may stand on a mat).
  const clear = ordered.find(({ position: p }) => !(p[1] < ROBOT.height + 0.1 && Math.hypot(p[0] - robot[0], p[2] - robot[2]) < ROBOT.radius + footprint + 0.05));
  return clear ?? (spots.length > 0 ? 'robot' : 'full');
}

/** Put an object at a free spot of the receptacle (see freeSpot), or throw `fail(why not)`. */
function put(world: World, o: ObjectEntity, r: Receptacle, fail: (message: string) => Error): void {
  const spot = freeSpot(world, o, r);
  if (typeof spot === 'string') {
    const why = spot === 'robot' ? ' (the robot stands in the way)' : '';
    throw fail(`no free spot for "${o.id}" ${r.kind === 'furniture' && r.model.interior ? 'in' : 'on'} "${r.id}"${why}`);
  }
  teleport(world, o, spot);
}

/** Put an object at a spot, upright and turned to the spot's yaw, at rest; then let the world settle. */
function teleport(world: World, o: ObjectEntity, spot: PlacementSpot): void {
  // A turn about +y, written out: what quaternion.setFromAxisAngle(UNIT_Y, yaw) computes.
  setBodyState(o.body, spot.position, [0, Math.sin(spot.yaw / 2), 0, Math.cos(spot.yaw / 2)]);
  settle(world, SETTLE_STEPS);
}

function settle(world: World, steps: number): void {
  world.robot.command = { forward: 0, turn: 0 };
  for (let i = 0; i < steps; i++) world.stepPhysics();
  world.syncScene();
}

/** Let go of what the robot holds and bring the empty hand back over the tray (as the place skill ends). */
function releaseHeld(world: World): ObjectEntity | null {
  const robot = world.robot;
  const o = robot.detach();
  if (!o) return null;
  o.body.velocity.setZero();
  o.body.angularVelocity.setZero();
  robot.handLocal = [0, ROBOT.trayHeight, 0];
  robot.handYaw = 0;
  robot.placeHand();
  return o;
}

/** Put an object on (or, for a container, in) a receptacle; an object the robot holds is taken from its hand first. */
export function moveObject(world: World, o: ObjectEntity, r: Receptacle, fail: (message: string) => Error): void {
  if (world.robot.held === o) releaseHeld(world);
  put(world, o, r, fail);
}

/** Drive a door or drawer to an openness in [0, 1] through physics, as the open and close skills do. */
export function setOpenness(world: World, e: FurnitureEntity, openness: number): void {
  world.setTargetOpenness(e, openness);
  // As the open and close skills do: full speed until there (a full swing takes 0.8 s), then a moment to settle.
  const limit = Math.ceil(1 / (World.PART_SPEED * world.physicsDt)) + 2;
  for (let i = 0; i < limit && e.openness !== e.targetOpenness; i++) world.stepPhysics();
  settle(world, Math.round(SETTLE_STEPS / 2));
}

/**
 * Take the held object out of the robot's hand and put it down on `r`, or else on the nearest piece of furniture
 * with a free top (then the nearest mat). Returns the object, or null (having done nothing) when the hand is empty.
 */
export function takeFromHand(world: World, r: Receptacle | null, fail: (message: string) => Error): ObjectEntity | null {
  const held = world.robot.held;
  if (!held) return null;
  releaseHeld(world);
  if (r) {
    put(world, held, r, fail);
    return held;
  }
  const here = world.robot.position;
  const distance = (e: Receptacle): number => Math.hypot(e.center[0] - here[0], e.center[2] - here[2]);
  const byDistance = (a: Receptacle, b: Receptacle): number => distance(a) - distance(b) || (a.id < b.id ? -1 : 1);
  const tops = world.entityList
    .filter((e): e is FurnitureEntity => e.kind === 'furniture' && e.model.interior === null && e.model.surfaces.some((s) => s.kind === 'on'))
    .sort(byDistance);
  const mats = world.entityList.filter((e): e is MarkerEntity => e.kind === 'marker').sort(byDistance);
  for (const e of [...tops, ...mats]) {
    const spot = freeSpot(world, held, e);
    if (typeof spot !== 'string') {
      teleport(world, held, spot);
      return held;
    }
  }
  throw fail(`no free spot anywhere to put "${held.id}" down`);
}
