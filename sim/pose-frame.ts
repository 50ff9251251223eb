// Pose frames: every moving body's pose packed into one Float32Array, so that a world stepped in one place (a
// worker, a re-simulation) can be drawn in another (the page's three.js view of the same scene description).
//
// Layout, 7 floats per slot (x, y, z, qx, qy, qz, qw): slot 0 is the robot's base, then one slot per object and
// one per furniture part, in World.entityList order. Two worlds built from the same description agree on the
// layout; `poseFrameLayout` names the slots so a receiver can check that before applying a frame.
import type { World } from './world.ts';

export const POSE_STRIDE = 7;

/** The ids of a frame's slots, in order (`agent` first). */
export function poseFrameLayout(world: World): string[] {
  const ids = ['agent'];
  for (const e of world.entityList) {
    if (e.kind === 'object') ids.push(e.id);
    else if (e.kind === 'furniture' && e.part) ids.push(e.id);
  }
  return ids;
}

export function poseFrameLength(world: World): number {
  return poseFrameLayout(world).length * POSE_STRIDE;
}

interface PoseSource {
  position: { x: number; y: number; z: number };
  quaternion: { x: number; y: number; z: number; w: number };
}

function put(out: Float32Array, slot: number, body: PoseSource): void {
  const o = slot * POSE_STRIDE;
  out[o] = body.position.x;
  out[o + 1] = body.position.y;
  out[o + 2] = body.position.z;
  out[o + 3] = body.quaternion.x;
  out[o + 4] = body.quaternion.y;
  out[o + 5] = body.quaternion.z;
  out[o + 6] = body.quaternion.w;
}

/** Writes the world's current poses into `out` (allocates only when `out` is omitted). */
export function capturePoseFrame(world: World, out: Float32Array = new Float32Array(poseFrameLength(world))): Float32Array {
  put(out, 0, world.robot.body);
  let slot = 1;
  for (const e of world.entityList) {
    if (e.kind === 'object') put(out, slot++, e.body);
    else if (e.kind === 'furniture' && e.part) put(out, slot++, e.part);
  }
  return out;
}

interface PoseTarget {
  position: { set(x: number, y: number, z: number): unknown };
  quaternion: { set(x: number, y: number, z: number, w: number): unknown };
}

function take(frame: Float32Array, offset: number, slot: number, target: PoseTarget): void {
  const o = offset + slot * POSE_STRIDE;
  target.position.set(frame[o]!, frame[o + 1]!, frame[o + 2]!);
  target.quaternion.set(frame[o + 3]!, frame[o + 4]!, frame[o + 5]!, frame[o + 6]!);
}

/**
 * Sets the three.js views of `world` (not its bodies) from a frame starting at `offset`: a world used only for
 * drawing is never stepped, so its bodies stay where they were built.
 */
export function applyPoseFrame(world: World, frame: Float32Array, offset = 0): void {
  take(frame, offset, 0, world.robot.view);
  let slot = 1;
  for (const e of world.entityList) {
    if (e.kind === 'object') take(frame, offset, slot++, e.view);
    else if (e.kind === 'furniture' && e.part && e.partView) take(frame, offset, slot++, e.partView);
  }
}
