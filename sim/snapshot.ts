// Snapshot, restore and hash of the whole world state. A snapshot is plain JSON-safe data; restoring it into a
// World built from the same description continues the run bit for bit.
import * as CANNON from 'cannon-es';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { GripState } from './robot.ts';
import type { Vec3 } from './types.ts';
import type { World } from './world.ts';

export const SNAPSHOT_VERSION = 1;

export interface WorldSnapshot {
  version: typeof SNAPSHOT_VERSION;
  /** Number of bodies the snapshot was taken from: a guard against restoring into another scene. */
  bodyCount: number;
  physicsSteps: number;
  physicsTime: number;
  /** For every non-static body in world order: position(3), quaternion(4), velocity(3), angular velocity(3). */
  bodies: number[];
  /** For every piece of furniture in entity order: openness, target openness, on (0/1). */
  furniture: number[];
  hand: { local: Vec3; yaw: number };
  grip: GripState | null;
}

export class SnapshotError extends Error {
  override readonly name = 'SnapshotError';
}

function movingBodies(world: World): CANNON.Body[] {
  return world.physics.bodies.filter((b) => b.type !== CANNON.Body.STATIC);
}

export function snapshotWorld(world: World): WorldSnapshot {
  const bodies: number[] = [];
  for (const b of movingBodies(world)) {
    const p = b.position;
    const q = b.quaternion;
    const v = b.velocity;
    const w = b.angularVelocity;
    bodies.push(p.x, p.y, p.z, q.x, q.y, q.z, q.w, v.x, v.y, v.z, w.x, w.y, w.z);
  }
  const furniture: number[] = [];
  for (const e of world.entityList) {
    if (e.kind === 'furniture') furniture.push(e.openness, e.targetOpenness, e.on ? 1 : 0);
  }
  const r = world.robot;
  return {
    version: SNAPSHOT_VERSION,
    bodyCount: world.physics.bodies.length,
    physicsSteps: world.physicsSteps,
    physicsTime: world.physics.time,
    bodies,
    furniture,
    hand: { local: [...r.handLocal], yaw: r.handYaw },
    grip: r.gripState(),
  };
}

/**
 * Put a body in a state as if it had been integrated there: pose, velocities, no pending forces, the previous pose
 * equal to this one (no interpolation), and its world inertia recomputed with the same call integrate() makes, so
 * the cached inertia is exactly what it would have been. Snapshots and scripted teleports both go through here.
 */
export function setBodyState(
  b: CANNON.Body,
  position: readonly [number, number, number],
  quaternion: readonly [number, number, number, number],
  velocity: readonly [number, number, number] = [0, 0, 0],
  angularVelocity: readonly [number, number, number] = [0, 0, 0],
): void {
  b.position.set(position[0], position[1], position[2]);
  b.quaternion.set(quaternion[0], quaternion[1], quaternion[2], quaternion[3]);
  b.velocity.set(velocity[0], velocity[1], velocity[2]);
  b.angularVelocity.set(angularVelocity[0], angularVelocity[1], angularVelocity[2]);
  b.force.setZero();
  b.torque.setZero();
  b.previousPosition.copy(b.position);
  b.previousQuaternion.copy(b.quaternion);
  b.aabbNeedsUpdate = true;
  b.updateInertiaWorld();
}

export function restoreWorld(world: World, s: WorldSnapshot): void {
  const moving = movingBodies(world);
  if (s.version !== SNAPSHOT_VERSION) throw new SnapshotError(`snapshot version ${String(s.version)} is not ${String(SNAPSHOT_VERSION)}`);
  if (s.bodyCount !== world.physics.bodies.length || s.bodies.length !== moving.length * 13) {
    throw new SnapshotError(
      `snapshot has ${s.bodyCount} bodies (${s.bodies.length / 13} moving), world has ${world.physics.bodies.length} (${moving.length} moving): not the same scene`,
    );
  }
  const n = s.bodies;
  moving.forEach((b, i) => {
    const o = i * 13;
    const at = (k: number): number => n[o + k] ?? 0;
    setBodyState(b, [at(0), at(1), at(2)], [at(3), at(4), at(5), at(6)], [at(7), at(8), at(9)], [at(10), at(11), at(12)]);
  });
  let k = 0;
  for (const e of world.entityList) {
    if (e.kind !== 'furniture') continue;
    e.openness = s.furniture[k++] ?? 0;
    e.targetOpenness = s.furniture[k++] ?? 0;
    e.on = (s.furniture[k++] ?? 0) === 1;
  }
  world.physicsSteps = s.physicsSteps;
  world.physics.time = s.physicsTime;
  const r = world.robot;
  r.handLocal = [...s.hand.local];
  r.handYaw = s.hand.yaw;
  r.command = { forward: 0, turn: 0 };
  r.restoreGrip(s.grip, (id) => world.object(id));
  world.syncScene();
}

/**
 * Scratch buffer of hashWorld, grown on demand and reused: hashing is synchronous and single-threaded per realm (a
 * worker has its own module instance), so one buffer serves every call.
 */
let hashScratch = new Float64Array(256);
const hashEncoder = new TextEncoder();

/** -0 and 0 are the same state. */
const canonical = (x: number): number => (x === 0 ? 0 : x);

/**
 * A hex digest of the exact world state: equal states give equal digests in every run, process and worker. The bytes
 * hashed are, as little-endian float64s, the physics step count, every moving body's 13 numbers (world order), every
 * furniture's openness, target openness and on (entity order), the hand's local position and yaw and the grip's
 * numbers (when holding), -0 written as 0; then UTF-8 `|<held object id>|<extra>`. The numbers go straight into a
 * reused buffer (no snapshot, no intermediate arrays): tests/sim/snapshot.test.ts ties this to the plain
 * construction over snapshotWorld.
 */
export function hashWorld(world: World, extra = ''): string {
  const bodies = world.physics.bodies;
  const entities = world.entityList;
  const robot = world.robot;
  const grip = robot.gripState();
  // An upper bound on the count: every body moving, every entity furniture.
  const bound = 1 + bodies.length * 13 + entities.length * 3 + 4 + (grip?.numbers.length ?? 0);
  if (hashScratch.length < bound) hashScratch = new Float64Array(Math.max(bound, hashScratch.length * 2));
  const f = hashScratch;
  let n = 0;
  f[n++] = canonical(world.physicsSteps);
  for (const b of bodies) {
    if (b.type === CANNON.Body.STATIC) continue;
    const p = b.position;
    const q = b.quaternion;
    const v = b.velocity;
    const w = b.angularVelocity;
    f[n++] = canonical(p.x);
    f[n++] = canonical(p.y);
    f[n++] = canonical(p.z);
    f[n++] = canonical(q.x);
    f[n++] = canonical(q.y);
    f[n++] = canonical(q.z);
    f[n++] = canonical(q.w);
    f[n++] = canonical(v.x);
    f[n++] = canonical(v.y);
    f[n++] = canonical(v.z);
    f[n++] = canonical(w.x);
    f[n++] = canonical(w.y);
    f[n++] = canonical(w.z);
  }
  for (const e of entities) {
    if (e.kind !== 'furniture') continue;
    f[n++] = canonical(e.openness);
    f[n++] = canonical(e.targetOpenness);
    f[n++] = e.on ? 1 : 0;
  }
  const hand = robot.handLocal;
  f[n++] = canonical(hand[0]);
  f[n++] = canonical(hand[1]);
  f[n++] = canonical(hand[2]);
  f[n++] = canonical(robot.handYaw);
  if (grip) for (const x of grip.numbers) f[n++] = canonical(x);
  const tail = hashEncoder.encode(`|${grip?.object ?? ''}|${extra}`);
  const h = sha256.create();
  h.update(new Uint8Array(f.buffer, 0, n * 8));
  h.update(tail);
  return bytesToHex(h.digest()).slice(0, 32);
}
