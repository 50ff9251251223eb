// The World as Foxglove messages, so that a recording opens in Foxglove with a 3D view (fixed frame `world`) and a
// log panel: a SceneUpdate with every entity as cubes, spheres and cylinders in its own frame, FrameTransforms with
// the pose of every frame relative to `world`, and Log lines. Foxglove is z-up: a simulator point (x, y, z) (y up)
// is (x, -z, y) here, and rotations are conjugated the same way.
import type {
  Color as FoxColor,
  CubePrimitive,
  CylinderPrimitive,
  FrameTransform,
  FrameTransforms,
  Log,
  LogLevel,
  Pose,
  SceneEntity,
  SceneUpdate,
  SpherePrimitive,
  Time,
  Vector3,
} from '@foxglove/schemas';
import type { Entity, FurnitureEntity, ObjectEntity } from '../sim/entities.ts';
import type { LocalBox } from '../sim/furniture.ts';
import { COLOR_HEX } from '../sim/palette.ts';
import { ROBOT } from '../sim/robot.ts';
import type { Color, Vec3 } from '../sim/types.ts';
import type { World } from '../sim/world.ts';

export const WORLD_FRAME = 'world';
export const ROBOT_FRAME = 'robot';
export const HAND_FRAME = 'hand';
export const WALLS_FRAME = 'walls';
export const roomFrame = (id: string): string => `room:${id}`;
export const partFrame = (id: string): string => `${id}:part`;

type Quat = [number, number, number, number];

/** Round to 1e-6: poses in the recording are for display (the state hash covers the exact state). */
export const round6 = (x: number): number => {
  const r = Math.round(x * 1e6) / 1e6;
  return r === 0 ? 0 : r; // no -0
};

/** A simulator (y-up) vector in Foxglove's z-up world. */
export function zUp(v: readonly [number, number, number]): Vector3 {
  return { x: round6(v[0]), y: round6(-v[2]), z: round6(v[1]) };
}

/** A simulator rotation (x, y, z, w) in Foxglove's z-up world: the vector part turns like a point. */
export function zUpRotation(q: Quat): { x: number; y: number; z: number; w: number } {
  return { x: round6(q[0]), y: round6(-q[2]), z: round6(q[1]), w: round6(q[3]) };
}

/** Extents along simulator x, y, z as Foxglove sizes (x, y, z). */
const zUpSize = (s: readonly [number, number, number]): Vector3 => ({ x: s[0], y: s[2], z: s[1] });

export function yawQuaternion(yaw: number): Quat {
  return [0, Math.sin(yaw / 2), 0, Math.cos(yaw / 2)];
}

export function timeOf(ns: bigint): Time {
  return { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) };
}

function rgba(hex: number, alpha = 1, scale = 1): FoxColor {
  const channel = (shift: number): number => round6(Math.min(1, (((hex >> shift) & 0xff) / 255) * scale));
  return { r: channel(16), g: channel(8), b: channel(0), a: alpha };
}

/** The display colour of a named colour, as Foxglove RGBA in [0, 1]. */
export function colorOf(color: Color, alpha = 1): FoxColor {
  return rgba(COLOR_HEX[color], alpha);
}

const FLOOR_COLOR = rgba(0xcfc6b8);
const WALL_COLOR = rgba(0xe8e4dc, 0.5);
const ROBOT_COLOR = rgba(0x9aa4b1);
const EYE_COLOR = rgba(0x1b1f24);
const HAND_COLOR = rgba(0x4a5058);

const pose = (at: Vec3): Pose => ({ position: zUp(at), orientation: { x: 0, y: 0, z: 0, w: 1 } });
const cube = (b: LocalBox, color: FoxColor): CubePrimitive => ({
  pose: pose(b.center),
  size: zUpSize([b.half[0] * 2, b.half[1] * 2, b.half[2] * 2]),
  color,
});

function entity(time: Time, frame: string, id: string, parts: Partial<Pick<SceneEntity, 'cubes' | 'spheres' | 'cylinders'>>, meta: Record<string, string>): SceneEntity {
  return {
    timestamp: time,
    frame_id: frame,
    id,
    lifetime: { sec: 0, nsec: 0 },
    frame_locked: true,
    metadata: Object.entries(meta).map(([key, value]) => ({ key, value })),
    arrows: [],
    cubes: parts.cubes ?? [],
    spheres: parts.spheres ?? [],
    cylinders: parts.cylinders ?? [],
    lines: [],
    triangles: [],
    texts: [],
    models: [],
  };
}

function objectPrimitives(o: ObjectEntity): Pick<SceneEntity, 'cubes' | 'spheres' | 'cylinders'> {
  const [w, h, d] = o.desc.size;
  const color = colorOf(o.color);
  const centre = pose([0, 0, 0]);
  switch (o.desc.shape) {
    case 'sphere': {
      const s: SpherePrimitive = { pose: centre, size: { x: w, y: w, z: w }, color };
      return { cubes: [], spheres: [s], cylinders: [] };
    }
    case 'cylinder': {
      const c: CylinderPrimitive = { pose: centre, size: zUpSize([w, h, w]), bottom_scale: 1, top_scale: 1, color };
      return { cubes: [], spheres: [], cylinders: [c] };
    }
    case 'box':
      return { cubes: [{ pose: centre, size: zUpSize([w, h, d]), color }], spheres: [], cylinders: [] };
  }
}

function entityScene(e: Entity, time: Time): SceneEntity[] {
  const meta = { kind: e.kind, category: e.category, color: e.color };
  switch (e.kind) {
    case 'object':
      return [entity(time, e.id, e.id, objectPrimitives(e), meta)];
    case 'marker': {
      const [w, d] = e.desc.size;
      return [entity(time, e.id, e.id, { cubes: [cube({ center: [0, 0.005, 0], half: [w / 2, 0.005, d / 2] }, colorOf(e.color))] }, meta)];
    }
    case 'furniture': {
      const shell = entity(time, e.id, e.id, { cubes: e.model.shell.map((b) => cube(b, colorOf(e.color))) }, meta);
      const part = e.model.part;
      if (!part) return [shell];
      // The part's frame is the hinge line (doors) or the closed drawer's origin, as its physics body is.
      const pivot = part.kind === 'hinge' ? part.hinge : ([0, 0] as [number, number]);
      const color = rgba(COLOR_HEX[e.color], 1, 0.85);
      const cubes = part.boxes.map((b) => cube({ center: [b.center[0] - pivot[0], b.center[1], b.center[2] - pivot[1]], half: b.half }, color));
      return [shell, entity(time, partFrame(e.id), partFrame(e.id), { cubes }, { ...meta, kind: part.kind === 'hinge' ? 'door' : 'drawer' })];
    }
  }
}

/** Every entity of the world in its own frame: rooms' floors, the walls, furniture and parts, mats, objects, robot. */
export function sceneUpdate(world: World, ns: bigint): SceneUpdate {
  const time = timeOf(ns);
  const entities: SceneEntity[] = [];
  for (const r of world.description.rooms) {
    const w = r.max[0] - r.min[0];
    const d = r.max[1] - r.min[1];
    const floor = cube({ center: [0, -0.01, 0], half: [w / 2, 0.01, d / 2] }, FLOOR_COLOR);
    entities.push(entity(time, roomFrame(r.id), roomFrame(r.id), { cubes: [floor] }, { kind: 'room', type: r.type }));
  }
  entities.push(entity(time, WALLS_FRAME, WALLS_FRAME, { cubes: world.walls.map((b) => cube(b, WALL_COLOR)) }, { kind: 'walls' }));
  for (const e of world.entityList) entities.push(...entityScene(e, time));
  const body: CylinderPrimitive = {
    pose: pose([0, ROBOT.height / 2, 0]),
    size: zUpSize([ROBOT.radius * 2, ROBOT.height, ROBOT.radius * 2]),
    bottom_scale: 1,
    top_scale: 1,
    color: ROBOT_COLOR,
  };
  // The eye looks along the robot's -z (its heading), as in the three.js view.
  const eye = cube({ center: [0, ROBOT.eyeHeight - 0.1, -0.12], half: [0.1, 0.04, 0.04] }, EYE_COLOR);
  entities.push(entity(time, ROBOT_FRAME, ROBOT_FRAME, { cylinders: [body], cubes: [eye] }, { kind: 'robot' }));
  const hand: SpherePrimitive = { pose: pose([0, 0, 0]), size: { x: 0.08, y: 0.08, z: 0.08 }, color: HAND_COLOR };
  entities.push(entity(time, HAND_FRAME, HAND_FRAME, { spheres: [hand] }, { kind: 'hand' }));
  return { deletions: [], entities };
}

function transform(time: Time, child: string, position: Vec3, quaternion: Quat): FrameTransform {
  return { timestamp: time, parent_frame_id: WORLD_FRAME, child_frame_id: child, translation: zUp(position), rotation: zUpRotation(quaternion) };
}

const bodyPose = (b: { position: { x: number; y: number; z: number }; quaternion: { x: number; y: number; z: number; w: number } }): [Vec3, Quat] => [
  [b.position.x, b.position.y, b.position.z],
  [b.quaternion.x, b.quaternion.y, b.quaternion.z, b.quaternion.w],
];

function furnitureTransform(time: Time, f: FurnitureEntity): FrameTransform {
  return transform(time, f.id, [f.desc.position[0], 0, f.desc.position[1]], yawQuaternion(f.yaw));
}

/**
 * The pose of every moving frame (robot, hand, objects, door and drawer parts) relative to `world`; with
 * `includeStatic`, also the frames that never move (rooms, walls, furniture, mats).
 */
export function frameTransforms(world: World, ns: bigint, includeStatic: boolean): FrameTransforms {
  const time = timeOf(ns);
  const transforms: FrameTransform[] = [];
  if (includeStatic) {
    for (const r of world.description.rooms) {
      transforms.push(transform(time, roomFrame(r.id), [(r.min[0] + r.max[0]) / 2, 0, (r.min[1] + r.max[1]) / 2], [0, 0, 0, 1]));
    }
    transforms.push(transform(time, WALLS_FRAME, [0, 0, 0], [0, 0, 0, 1]));
    for (const e of world.entityList) {
      if (e.kind === 'furniture') transforms.push(furnitureTransform(time, e));
      else if (e.kind === 'marker') transforms.push(transform(time, e.id, [e.desc.position[0], 0, e.desc.position[1]], [0, 0, 0, 1]));
    }
  }
  transforms.push(transform(time, ROBOT_FRAME, ...bodyPose(world.robot.body)));
  transforms.push(transform(time, HAND_FRAME, ...bodyPose(world.robot.hand)));
  for (const e of world.entityList) {
    if (e.kind === 'object') transforms.push(transform(time, e.id, ...bodyPose(e.body)));
    else if (e.kind === 'furniture' && e.part) transforms.push(transform(time, partFrame(e.id), ...bodyPose(e.part)));
  }
  return { transforms };
}

/**
 * Movement below this (metres, quaternion components: 1 mm, about 0.1 degree) is not worth a transform of its own:
 * resting bodies jitter and creep by less per control step (a standing bottle can creep ~2 mm/s).
 */
const MOVED = 1e-3;

/**
 * FrameTransforms for a stream of samples that leaves out what did not move: a full sample holds every frame (the
 * static ones too); the others hold the robot and its hand, and the objects and parts that moved more than 1 mm
 * (or turned more than about 0.1 degree) since the transform last sent for them. Most objects rest most of the time: this keeps the topic small.
 */
export class TransformStream {
  /** The rounded translation (3) and rotation (4) last sent for each frame, updated in place. */
  private readonly sent = new Map<string, number[]>();
  /** partFrame(id) of each furniture id, so that a sample makes no strings. */
  private readonly partFrames = new Map<string, string>();

  next(world: World, ns: bigint, full: boolean): FrameTransforms {
    if (full) {
      const all = frameTransforms(world, ns, true);
      for (const { child_frame_id: child, translation: p, rotation: q } of all.transforms) this.sent.set(child, [p.x, p.y, p.z, q.x, q.y, q.z, q.w]);
      return all;
    }
    // The same transforms, in the same order, as frameTransforms(world, ns, false) filtered by movement; the
    // numbers are compared before any object is built.
    const time = timeOf(ns);
    const transforms: FrameTransform[] = [];
    this.moving(transforms, time, ROBOT_FRAME, world.robot.body, true);
    this.moving(transforms, time, HAND_FRAME, world.robot.hand, true);
    for (const e of world.entityList) {
      if (e.kind === 'object') this.moving(transforms, time, e.id, e.body, false);
      else if (e.kind === 'furniture' && e.part) {
        let frame = this.partFrames.get(e.id);
        if (frame === undefined) {
          frame = partFrame(e.id);
          this.partFrames.set(e.id, frame);
        }
        this.moving(transforms, time, frame, e.part, false);
      }
    }
    return { transforms };
  }

  /** Append the transform of `child` when `always`, never sent, or moved more than MOVED in any number since. */
  private moving(out: FrameTransform[], time: Time, child: string, b: Parameters<typeof bodyPose>[0], always: boolean): void {
    const p = b.position;
    const q = b.quaternion;
    // zUp and zUpRotation, inline.
    const tx = round6(p.x);
    const ty = round6(-p.z);
    const tz = round6(p.y);
    const rx = round6(q.x);
    const ry = round6(-q.z);
    const rz = round6(q.y);
    const rw = round6(q.w);
    const before = this.sent.get(child);
    if (before === undefined) this.sent.set(child, [tx, ty, tz, rx, ry, rz, rw]);
    else {
      const keep =
        always ||
        Math.abs(tx - (before[0] ?? 0)) > MOVED ||
        Math.abs(ty - (before[1] ?? 0)) > MOVED ||
        Math.abs(tz - (before[2] ?? 0)) > MOVED ||
        Math.abs(rx - (before[3] ?? 0)) > MOVED ||
        Math.abs(ry - (before[4] ?? 0)) > MOVED ||
        Math.abs(rz - (before[5] ?? 0)) > MOVED ||
        Math.abs(rw - (before[6] ?? 0)) > MOVED;
      if (!keep) return;
      before[0] = tx;
      before[1] = ty;
      before[2] = tz;
      before[3] = rx;
      before[4] = ry;
      before[5] = rz;
      before[6] = rw;
    }
    out.push({ timestamp: time, parent_frame_id: WORLD_FRAME, child_frame_id: child, translation: { x: tx, y: ty, z: tz }, rotation: { x: rx, y: ry, z: rz, w: rw } });
  }
}

export const LOG_LEVEL = { info: 2 as LogLevel, warning: 3 as LogLevel } as const;

/** A Foxglove log line. `name` says who speaks: `planner` (thoughts) or `agent` (actions and outcomes). */
export function logLine(ns: bigint, level: LogLevel, name: string, message: string): Log {
  return { timestamp: timeOf(ns), level, message, name, file: '', line: 0 };
}
