// Small geometry helpers for yaw-only transforms (all furniture and walls are rotated about +y only).
import type { Vec3 } from './types.ts';

/** Rotate local (x, z) by yaw (radians) about +y: +z maps to (sin yaw, cos yaw). */
export function rotateYaw(x: number, z: number, yaw: number): [number, number] {
  const c = Math.cos(yaw);
  const s = Math.sin(yaw);
  return [x * c + z * s, -x * s + z * c];
}

/** Wrap an angle to (-pi, pi]. */
export function wrapAngle(a: number): number {
  let r = a % (2 * Math.PI);
  if (r <= -Math.PI) r += 2 * Math.PI;
  if (r > Math.PI) r -= 2 * Math.PI;
  return r;
}

/** Yaw of a quaternion that rotates about +y only. */
export function yawOfQuaternion(q: { x: number; y: number; z: number; w: number }): number {
  // Robust to small tilt: project the rotated -z axis onto the floor.
  const fx = -2 * (q.x * q.z + q.w * q.y);
  const fz = -(1 - 2 * (q.x * q.x + q.y * q.y));
  return Math.atan2(-fx, -fz);
}

/** The agent's forward direction on the floor for a yaw: yaw 0 looks along -z. */
export function forwardOf(yaw: number): [number, number] {
  return [-Math.sin(yaw), -Math.cos(yaw)];
}

export function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function roundVec(v: Vec3, digits = 3): Vec3 {
  return [round(v[0], digits), round(v[1], digits), round(v[2], digits)];
}
