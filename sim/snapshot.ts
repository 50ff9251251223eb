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
    b.position.set(at(0), at(1), at(2));
    b.quaternion.set(at(3), at(4), at(5), at(6));
    b.velocity.set(at(7), at(8), at(9));
    b.angularVelocity.set(at(10), at(11), at(12));
    b.force.setZero();
    b.torque.setZero();
    b.previousPosition.copy(b.position);
    b.previousQuaternion.copy(b.quaternion);
    b.aabbNeedsUpdate = true;
    // The same call integrate() makes, so the cached inertia is exactly what it would have been.
    b.updateInertiaWorld();
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

/** A hex digest of the exact world state: equal states give equal digests in every run, process and worker. */
export function hashWorld(world: World, extra = ''): string {
  const s = snapshotWorld(world);
  const numbers = [s.physicsSteps, ...s.bodies, ...s.furniture, ...s.hand.local, s.hand.yaw, ...(s.grip?.numbers ?? [])];
  const f64 = new Float64Array(numbers.length);
  for (let i = 0; i < numbers.length; i++) {
    const x = numbers[i] ?? 0;
    f64[i] = x === 0 ? 0 : x; // -0 and 0 are the same state
  }
  const tail = new TextEncoder().encode(`|${s.grip?.object ?? ''}|${extra}`);
  const bytes = new Uint8Array(f64.byteLength + tail.byteLength);
  bytes.set(new Uint8Array(f64.buffer), 0);
  bytes.set(tail, f64.byteLength);
  return bytesToHex(sha256(bytes)).slice(0, 32);
}
