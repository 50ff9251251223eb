// The agent's egocentric perception: a frustum test on bounding spheres, then occlusion rays from the eye to a
// few sample points of each candidate, tested only against the boxes that block sight (walls, furniture shells,
// doors and drawer fronts). Objects do not occlude each other. Nothing here allocates per ray.
import type { Entity } from './entities.ts';
import { rotateYaw, wrapAngle } from './geometry.ts';
import { centerOf } from './relations.ts';
import type { Vec3 } from './types.ts';
import type { OccluderBox, World } from './world.ts';

export interface SensorConfig {
  /** Horizontal and vertical field of view, radians. */
  hfov: number;
  vfov: number;
  /** Downward tilt of the eye, radians. */
  pitch: number;
  near: number;
  range: number;
}

export const DEFAULT_SENSOR: SensorConfig = {
  hfov: (100 * Math.PI) / 180,
  vfov: (90 * Math.PI) / 180,
  pitch: (-28 * Math.PI) / 180,
  near: 0.05,
  range: 9,
};

export interface Sighting {
  entity: Entity;
  center: Vec3;
  distance: number;
  bearing: number;
}

const STRIDE = 8; // cx cy cz hx hy hz cos sin
const RAY_EPS = 1e-4;

export class Sensor {
  readonly config: SensorConfig;
  private readonly world: World;
  private boxes = new Float64Array(0);
  private owners: (string | null)[] = [];
  private readonly scratch: OccluderBox[] = [];
  private readonly samples: Vec3[] = [
    [0, 0, 0],
    [0, 0, 0],
    [0, 0, 0],
  ];

  constructor(world: World, config: SensorConfig = DEFAULT_SENSOR) {
    this.world = world;
    this.config = config;
  }

  /** Load the current occluders (doors and drawers move, so this runs once per observation). */
  private loadOccluders(): void {
    const list = this.world.occluders(this.scratch);
    if (this.boxes.length < list.length * STRIDE) this.boxes = new Float64Array(list.length * STRIDE);
    this.owners.length = list.length;
    for (let i = 0; i < list.length; i++) {
      const b = list[i];
      if (!b) continue;
      const o = i * STRIDE;
      this.boxes[o] = b.center[0];
      this.boxes[o + 1] = b.center[1];
      this.boxes[o + 2] = b.center[2];
      this.boxes[o + 3] = b.half[0];
      this.boxes[o + 4] = b.half[1];
      this.boxes[o + 5] = b.half[2];
      this.boxes[o + 6] = Math.cos(b.yaw);
      this.boxes[o + 7] = Math.sin(b.yaw);
      this.owners[i] = b.owner;
    }
  }

  /** Entities the agent sees now, nearest first. */
  sense(): Sighting[] {
    this.loadOccluders();
    const world = this.world;
    const eye = world.robot.eye();
    const yaw = world.robot.yaw;
    const out: Sighting[] = [];
    for (const e of world.entityList) {
      if (world.robot.held === e) continue;
      const center = centerOf(e);
      const radius = e.kind === 'object' ? e.radius : e.radius;
      const view = this.inFrustum(eye, yaw, center, radius);
      if (!view) continue;
      if (!this.unoccluded(eye, e, center)) continue;
      out.push({ entity: e, center, distance: view.distance, bearing: view.bearing });
    }
    out.sort((a, b) => a.distance - b.distance || (a.entity.id < b.entity.id ? -1 : 1));
    return out;
  }

  /** Sphere-vs-frustum in the eye's frame (yaw, then pitch). Null when outside. */
  inFrustum(eye: Vec3, yaw: number, c: Vec3, radius: number): { distance: number; bearing: number } | null {
    const dx = c[0] - eye[0];
    const dy = c[1] - eye[1];
    const dz = c[2] - eye[2];
    const distance = Math.hypot(dx, dy, dz);
    if (distance - radius > this.config.range) return null;
    // Into the frame where forward is -z: undo yaw.
    const [lx, lzRaw] = rotateYaw(dx, dz, -yaw);
    const forward = -lzRaw;
    // Undo pitch (positive pitch looks up).
    const cp = Math.cos(this.config.pitch);
    const sp = Math.sin(this.config.pitch);
    const depth = forward * cp + dy * sp;
    const up = -forward * sp + dy * cp;
    const bearing = wrapAngle(Math.atan2(-lx, forward));
    if (distance <= radius) return { distance, bearing };
    if (depth < -radius) return null;
    const th = Math.tan(this.config.hfov / 2);
    const tv = Math.tan(this.config.vfov / 2);
    // Distance of the centre outside each side plane (normals of the four planes through the eye).
    const nh = 1 / Math.hypot(1, th);
    const nv = 1 / Math.hypot(1, tv);
    if ((Math.abs(lx) - depth * th) * nh > radius) return null;
    if ((Math.abs(up) - depth * tv) * nv > radius) return null;
    return { distance, bearing };
  }

  private unoccluded(eye: Vec3, e: Entity, c: Vec3): boolean {
    const s = this.samples;
    let n = 0;
    const set = (i: number, x: number, y: number, z: number): void => {
      const v = s[i];
      if (v) {
        v[0] = x;
        v[1] = y;
        v[2] = z;
      }
    };
    switch (e.kind) {
      case 'object': {
        set(0, c[0], c[1], c[2]);
        set(1, c[0], c[1] + e.halfHeight * 0.8, c[2]);
        // The edge nearest the eye: often the only part seen under a shelf board.
        const toEye = Math.hypot(eye[0] - c[0], eye[2] - c[2]) || 1;
        const r = e.radius * 0.8;
        set(2, c[0] + ((eye[0] - c[0]) / toEye) * r, c[1], c[2] + ((eye[2] - c[2]) / toEye) * r);
        n = 3;
        break;
      }
      case 'furniture': {
        const [w, h, d] = e.desc.size;
        set(0, c[0], h * 0.98, c[2]);
        const [fx, fz] = rotateYaw(0, d / 2 + 0.05, e.yaw);
        set(1, c[0] + fx, h * 0.5, c[2] + fz);
        const [sx, sz] = rotateYaw(w * 0.35, d / 2 + 0.05, e.yaw);
        set(2, c[0] + sx, h * 0.75, c[2] + sz);
        n = 3;
        break;
      }
      case 'marker':
        set(0, c[0], 0.02, c[2]);
        n = 1;
        break;
    }
    for (let i = 0; i < n; i++) {
      const p = s[i];
      if (p && !this.blocked(eye, p, e.id)) return true;
    }
    return false;
  }

  /** Does any occluder not owned by `ignore` cut the open segment from a to b? */
  blocked(a: Vec3, b: Vec3, ignore: string | null): boolean {
    const boxes = this.boxes;
    const dx = b[0] - a[0];
    const dy = b[1] - a[1];
    const dz = b[2] - a[2];
    const count = this.owners.length;
    for (let i = 0; i < count; i++) {
      if (ignore !== null && this.owners[i] === ignore) continue;
      const o = i * STRIDE;
      const c = boxes[o + 6] as number;
      const sn = boxes[o + 7] as number;
      // Segment into the box's frame (rotate by -yaw about +y).
      const ox = (a[0] - (boxes[o] as number)) * c - (a[2] - (boxes[o + 2] as number)) * sn;
      const oz = (a[0] - (boxes[o] as number)) * sn + (a[2] - (boxes[o + 2] as number)) * c;
      const oy = a[1] - (boxes[o + 1] as number);
      const rx = dx * c - dz * sn;
      const rz = dx * sn + dz * c;
      if (slab(ox, oy, oz, rx, dy, rz, boxes[o + 3] as number, boxes[o + 4] as number, boxes[o + 5] as number)) return true;
    }
    return false;
  }
}

/** Segment (o + t r, t in (0, 1)) against the box |x|<=hx, |y|<=hy, |z|<=hz. */
function slab(ox: number, oy: number, oz: number, rx: number, ry: number, rz: number, hx: number, hy: number, hz: number): boolean {
  let t0 = RAY_EPS;
  let t1 = 1 - RAY_EPS;
  // x
  if (Math.abs(rx) < 1e-12) {
    if (ox < -hx || ox > hx) return false;
  } else {
    let a = (-hx - ox) / rx;
    let b = (hx - ox) / rx;
    if (a > b) [a, b] = [b, a];
    if (a > t0) t0 = a;
    if (b < t1) t1 = b;
    if (t0 > t1) return false;
  }
  if (Math.abs(ry) < 1e-12) {
    if (oy < -hy || oy > hy) return false;
  } else {
    let a = (-hy - oy) / ry;
    let b = (hy - oy) / ry;
    if (a > b) [a, b] = [b, a];
    if (a > t0) t0 = a;
    if (b < t1) t1 = b;
    if (t0 > t1) return false;
  }
  if (Math.abs(rz) < 1e-12) {
    if (oz < -hz || oz > hz) return false;
  } else {
    let a = (-hz - oz) / rz;
    let b = (hz - oz) / rz;
    if (a > b) [a, b] = [b, a];
    if (a > t0) t0 = a;
    if (b < t1) t1 = b;
    if (t0 > t1) return false;
  }
  return true;
}
