// The seeded procedural house: 1-4 rooms on a grid joined by doorways, room-appropriate furniture against the
// walls (each with the floor in front of it kept clear so the robot can reach in), mats on the floor, and clutter.
// Task families add their targets through addObject() and then build().
import type {
  DoorwayDescription,
  FurnitureDescription,
  FurnitureYaw,
  MarkerDescription,
  ObjectDescription,
  RoomDescription,
  RoomType,
  SceneDescription,
  Vec2,
} from '../sim/description.ts';
import { furnitureModel, isOpenable, type FurnitureModel } from '../sim/furniture.ts';
import { rotateYaw } from '../sim/geometry.ts';
import type { Rng } from '../sim/rng.ts';
import type { Color } from '../sim/types.ts';
import { FURNITURE_COLORS, OBJECT_COLORS, OBJECT_KINDS, ROOM_FURNITURE, type FurnitureKind, type ObjectKind } from './catalog.ts';

interface Rect {
  x0: number;
  z0: number;
  x1: number;
  z1: number;
}

const overlaps = (a: Rect, b: Rect): boolean => a.x0 < b.x1 && b.x0 < a.x1 && a.z0 < b.z1 && b.z0 < a.z1;
const inside = (a: Rect, b: Rect): boolean => a.x0 >= b.x0 && a.x1 <= b.x1 && a.z0 >= b.z0 && a.z1 <= b.z1;
const r1 = (v: number): number => Math.round(v * 10) / 10;
const r2 = (v: number): number => Math.round(v * 100) / 100;

/** A surface objects can be put on or in, with the space already taken there. */
export interface SurfaceSlot {
  furniture: FurnitureDescription | MarkerDescription;
  kind: 'on' | 'in';
  level: number;
  half: [number, number];
  /** Height of the surface above the floor and the free height above it. */
  y: number;
  clearance: number;
  room: RoomDescription;
  /** Inside a container that opens (and starts closed). */
  hidden: boolean;
  taken: { x: number; z: number; r: number }[];
}

const WALL_GAP = 0.06;
/** Highest surface clutter and targets are put on: above it the eye cannot see onto it. */
const MAX_SURFACE_HEIGHT = 1.3;

export class HouseBuilder {
  readonly rooms: RoomDescription[] = [];
  readonly doorways: DoorwayDescription[] = [];
  readonly furniture: FurnitureDescription[] = [];
  readonly markers: MarkerDescription[] = [];
  readonly objects: ObjectDescription[] = [];
  readonly slots: SurfaceSlot[] = [];
  agent: { position: Vec2; yaw: number } = { position: [0, 0], yaw: 0 };
  private readonly rng: Rng;
  private readonly counters = new Map<string, number>();
  private readonly footprints: Rect[] = [];
  private readonly zones: Rect[] = [];
  private readonly doorZones: Rect[] = [];

  constructor(rng: Rng, options: { rooms?: number } = {}) {
    this.rng = rng;
    const n = options.rooms ?? rng.int(1, 4);
    this.layoutRooms(n);
    for (const room of this.rooms) this.furnish(room);
    this.placeMats(rng.int(1, 2));
    this.placeAgent();
    for (const f of this.furniture) this.addSlots(f);
    for (const m of this.markers) this.addMarkerSlot(m);
  }

  nextId(category: string): string {
    const n = (this.counters.get(category) ?? 0) + 1;
    this.counters.set(category, n);
    return `${category}_${n}`;
  }

  roomOf(x: number, z: number): RoomDescription {
    const room = this.rooms.find((r) => x >= r.min[0] && x <= r.max[0] && z >= r.min[1] && z <= r.max[1]);
    if (!room) throw new Error(`point (${x}, ${z}) is outside the house`);
    return room;
  }

  // ---- rooms and doorways ------------------------------------------------------------------------------

  private layoutRooms(n: number): void {
    const rng = this.rng;
    const cols = n === 1 ? 1 : 2;
    const rows = n <= 2 ? 1 : 2;
    const widths = Array.from({ length: cols }, () => r1(rng.uniform(4.2, 5.6)));
    const depths = Array.from({ length: rows }, () => r1(rng.uniform(3.8, 5.0)));
    const cells: [number, number][] = [[0, 0], [1, 0], [0, 1], [1, 1]].slice(0, n) as [number, number][];
    const others: RoomType[] = rng.shuffle(['living_room', 'bedroom', 'bathroom'] as const);
    const types: RoomType[] = ['kitchen', ...others];
    const x0 = (c: number): number => widths.slice(0, c).reduce((a, b) => a + b, 0);
    const z0 = (r: number): number => depths.slice(0, r).reduce((a, b) => a + b, 0);
    cells.forEach(([c, r], i) => {
      const type = types[i] ?? 'living_room';
      this.rooms.push({ id: `${type}_1`, type, min: [r2(x0(c)), r2(z0(r))], max: [r2(x0(c) + (widths[c] ?? 0)), r2(z0(r) + (depths[r] ?? 0))] });
    });
    // A spanning tree over the grid: right neighbours, then down neighbours of the first column and the last cell.
    const links: [number, number][] = [];
    if (n >= 2) links.push([0, 1]);
    if (n >= 3) links.push([0, 2]);
    if (n >= 4) links.push(rng.chance(0.5) ? [1, 3] : [2, 3]);
    for (const [a, b] of links) this.addDoorway(a, b);
  }

  private addDoorway(ia: number, ib: number): void {
    const a = this.rooms[ia];
    const b = this.rooms[ib];
    if (!a || !b) return;
    const width = 1.0;
    let at: Vec2;
    if (Math.abs(a.max[0] - b.min[0]) < 1e-6) {
      const lo = Math.max(a.min[1], b.min[1]);
      const hi = Math.min(a.max[1], b.max[1]);
      at = [a.max[0], r1((lo + hi) / 2 + this.rng.uniform(-0.6, 0.6))];
      this.doorZones.push({ x0: at[0] - 1.1, z0: at[1] - 0.75, x1: at[0] + 1.1, z1: at[1] + 0.75 });
    } else {
      const lo = Math.max(a.min[0], b.min[0]);
      const hi = Math.min(a.max[0], b.max[0]);
      at = [r1((lo + hi) / 2 + this.rng.uniform(-0.6, 0.6)), a.max[1]];
      this.doorZones.push({ x0: at[0] - 0.75, z0: at[1] - 1.1, x1: at[0] + 0.75, z1: at[1] + 1.1 });
    }
    this.doorways.push({ between: [a.id, b.id], at, width });
  }

  // ---- furniture -----------------------------------------------------------------------------------------

  private roomRect(room: RoomDescription, margin: number): Rect {
    return { x0: room.min[0] + margin, z0: room.min[1] + margin, x1: room.max[0] - margin, z1: room.max[1] - margin };
  }

  /** World AABB of a local rectangle of a piece at (x, z) with yaw. */
  private localRect(x: number, z: number, yawDeg: number, lx0: number, lz0: number, lx1: number, lz1: number): Rect {
    const yaw = (yawDeg * Math.PI) / 180;
    const pts = [[lx0, lz0], [lx1, lz0], [lx0, lz1], [lx1, lz1]].map(([a, b]) => rotateYaw(a as number, b as number, yaw));
    const xs = pts.map((p) => x + p[0]);
    const zs = pts.map((p) => z + p[1]);
    return { x0: Math.min(...xs), z0: Math.min(...zs), x1: Math.max(...xs), z1: Math.max(...zs) };
  }

  /** The floor kept clear in front of (and, for things that open, beside) a piece, in its local frame. */
  private accessZone(kind: FurnitureKind, model: FurnitureModel, w: number, d: number): [number, number, number, number] {
    if (kind.against === 'free') return [-w / 2 - 0.75, -d / 2 - 0.75, w / 2 + 0.75, d / 2 + 0.75];
    const part = model.part;
    if (!part) return [-w / 2, d / 2, w / 2, d / 2 + 0.8];
    const sweep = part.kind === 'hinge' ? w : part.travel;
    return [-w / 2, d / 2, w / 2 + 0.95, d / 2 + sweep + 0.75];
  }

  private furnish(room: RoomDescription): void {
    const rng = this.rng;
    const kinds = ROOM_FURNITURE[room.type];
    kinds.forEach((kind, i) => {
      if (i >= 2 && !rng.chance(0.85)) return;
      this.tryPlaceFurniture(room, kind);
    });
  }

  private tryPlaceFurniture(room: RoomDescription, kind: FurnitureKind): void {
    const rng = this.rng;
    const size: [number, number, number] = [r2(rng.uniform(...kind.size[0])), r2(rng.uniform(...kind.size[1])), r2(rng.uniform(...kind.size[2]))];
    const [w, , d] = size;
    const model = furnitureModel(kind.category, size);
    const roomRect = this.roomRect(room, WALL_GAP);
    for (let attempt = 0; attempt < 40; attempt++) {
      let x: number;
      let z: number;
      let yaw: FurnitureYaw;
      if (kind.against === 'free') {
        yaw = rng.pick([0, 90] as const);
        x = r2(rng.uniform(room.min[0] + 1.2, room.max[0] - 1.2));
        z = r2(rng.uniform(room.min[1] + 1.2, room.max[1] - 1.2));
      } else {
        const wall = rng.int(0, 3);
        const off = d / 2 + WALL_GAP;
        if (wall === 0) {
          yaw = 0; // against the wall at min z, facing +z
          z = room.min[1] + off;
          x = r2(rng.uniform(room.min[0] + w / 2 + WALL_GAP, room.max[0] - w / 2 - WALL_GAP));
        } else if (wall === 1) {
          yaw = 180;
          z = room.max[1] - off;
          x = r2(rng.uniform(room.min[0] + w / 2 + WALL_GAP, room.max[0] - w / 2 - WALL_GAP));
        } else if (wall === 2) {
          yaw = 90;
          x = room.min[0] + off;
          z = r2(rng.uniform(room.min[1] + w / 2 + WALL_GAP, room.max[1] - w / 2 - WALL_GAP));
        } else {
          yaw = 270;
          x = room.max[0] - off;
          z = r2(rng.uniform(room.min[1] + w / 2 + WALL_GAP, room.max[1] - w / 2 - WALL_GAP));
        }
        x = r2(x);
        z = r2(z);
      }
      const foot = this.localRect(x, z, yaw, -w / 2 - 0.04, -d / 2, w / 2 + 0.04, d / 2);
      const [a0, b0, a1, b1] = this.accessZone(kind, model, w, d);
      const zone = this.localRect(x, z, yaw, a0, b0, a1, b1);
      if (!inside(foot, roomRect) || !inside(zone, this.roomRect(room, 0.1))) continue;
      if (this.footprints.some((f) => overlaps(f, foot) || overlaps(f, zone))) continue;
      if (this.zones.some((zn) => overlaps(zn, foot))) continue;
      if (this.doorZones.some((dz) => overlaps(dz, foot) || overlaps(dz, zone))) continue;
      this.footprints.push(foot);
      this.zones.push(zone);
      const desc: FurnitureDescription = {
        id: this.nextId(kind.category),
        category: kind.category,
        color: rng.pick(FURNITURE_COLORS),
        position: [x, z],
        yaw,
        size,
      };
      if (isOpenable(kind.category)) desc.openness = 0;
      if (model.switchable) desc.on = rng.chance(0.5);
      this.furniture.push(desc);
      return;
    }
  }

  private placeMats(count: number): void {
    const rng = this.rng;
    const colors = rng.shuffle(OBJECT_COLORS);
    for (let i = 0; i < count; i++) {
      const room = rng.pick(this.rooms);
      for (let attempt = 0; attempt < 40; attempt++) {
        const x = r2(rng.uniform(room.min[0] + 1.2, room.max[0] - 1.2));
        const z = r2(rng.uniform(room.min[1] + 1.2, room.max[1] - 1.2));
        const foot = { x0: x - 0.4, z0: z - 0.4, x1: x + 0.4, z1: z + 0.4 };
        const zone = { x0: x - 1.1, z0: z - 1.1, x1: x + 1.1, z1: z + 1.1 };
        if (this.footprints.some((f) => overlaps(f, zone)) || this.zones.some((zn) => overlaps(zn, foot))) continue;
        if (this.doorZones.some((dz) => overlaps(dz, foot))) continue;
        this.footprints.push(foot);
        this.zones.push(zone);
        this.markers.push({ id: this.nextId('mat'), category: 'mat', color: colors[i] as Color, position: [x, z], size: [0.6, 0.6] });
        break;
      }
    }
  }

  private placeAgent(): void {
    const rng = this.rng;
    for (let attempt = 0; attempt < 400; attempt++) {
      const room = rng.pick(this.rooms);
      const x = r2(rng.uniform(room.min[0] + 0.6, room.max[0] - 0.6));
      const z = r2(rng.uniform(room.min[1] + 0.6, room.max[1] - 0.6));
      const body = { x0: x - 0.6, z0: z - 0.6, x1: x + 0.6, z1: z + 0.6 };
      if (this.footprints.some((f) => overlaps(f, body))) continue;
      this.agent = { position: [x, z], yaw: r2(rng.uniform(-Math.PI, Math.PI)) };
      return;
    }
    throw new Error('no free floor for the agent');
  }

  // ---- surfaces and objects ------------------------------------------------------------------------------

  private addSlots(f: FurnitureDescription): void {
    const model = furnitureModel(f.category, f.size);
    const room = this.roomOf(f.position[0], f.position[1]);
    for (const s of model.surfaces) {
      if (s.center[1] > MAX_SURFACE_HEIGHT) continue;
      const above = model.surfaces.filter((t) => t.kind === s.kind && t.center[1] > s.center[1] + 1e-6).map((t) => t.center[1] - 0.03);
      if (s.kind === 'in') above.push(f.size[1] - 0.03);
      const clearance = above.length ? Math.min(...above) - s.center[1] : 1;
      this.slots.push({ furniture: f, kind: s.kind, level: s.level, half: s.half, y: s.center[1], clearance, room, hidden: s.kind === 'in' && model.part !== null, taken: [] });
    }
  }

  private addMarkerSlot(m: MarkerDescription): void {
    this.slots.push({
      furniture: m,
      kind: 'on',
      level: 0,
      half: [m.size[0] / 2, m.size[1] / 2],
      y: 0.01,
      clearance: 1,
      room: this.roomOf(m.position[0], m.position[1]),
      hidden: false,
      taken: [],
    });
  }

  /** Put an object of this kind and colour on a random free spot of a slot satisfying `where`. */
  addObject(kind: ObjectKind, color: Color, where: (slot: SurfaceSlot) => boolean): ObjectDescription | null {
    const rng = this.rng;
    const [w, h, d] = kind.size;
    const height = kind.shape === 'sphere' ? w : h;
    const r = (kind.shape === 'sphere' ? w / 2 : Math.hypot(w / 2, d / 2)) + 0.02;
    const candidates = this.slots.filter((s) => where(s) && s.clearance > height + 0.04 && s.half[0] > r && s.half[1] > r);
    for (let attempt = 0; attempt < 30 && candidates.length > 0; attempt++) {
      const slot = rng.pick(candidates);
      const ux = Math.max(0, slot.half[0] - w / 2);
      const uz = Math.max(0, slot.half[1] - d / 2);
      const atx = r2(rng.uniform(-1, 1));
      const atz = r2(rng.uniform(-1, 1));
      const x = atx * ux;
      const z = atz * uz;
      if (Math.abs(x) + r > slot.half[0] + 0.01 || Math.abs(z) + r > slot.half[1] + 0.01) continue;
      if (slot.taken.some((t) => Math.hypot(t.x - x, t.z - z) < t.r + r + 0.02)) continue;
      slot.taken.push({ x, z, r });
      const target = slot.furniture.id;
      const placement =
        slot.kind === 'in' ? { in: target, level: slot.level, at: [atx, atz] as Vec2 } : { on: target, level: slot.level, at: [atx, atz] as Vec2 };
      const object: ObjectDescription = {
        id: this.nextId(kind.category),
        category: kind.category,
        color,
        shape: kind.shape,
        size: [...kind.size],
        mass: kind.mass,
        placement,
      };
      this.objects.push(object);
      return object;
    }
    return null;
  }

  /** Keep room for an object of this kind on (or in) a piece of furniture, so clutter cannot fill it. */
  reserveSpace(receptacle: string, kind: ObjectKind, inside: boolean): boolean {
    const rng = this.rng;
    const [w, h, d] = kind.size;
    const height = kind.shape === 'sphere' ? w : h;
    const r = (kind.shape === 'sphere' ? w / 2 : Math.hypot(w / 2, d / 2)) + 0.03;
    const slots = this.slots.filter((s) => s.furniture.id === receptacle && s.kind === (inside ? 'in' : 'on') && s.clearance > height + 0.04);
    for (let attempt = 0; attempt < 40 && slots.length > 0; attempt++) {
      const slot = rng.pick(slots);
      // Near the middle: reachable from wherever the robot stands beside it.
      const x = rng.uniform(-1, 1) * Math.min(0.25, Math.max(0, slot.half[0] - r));
      const z = rng.uniform(-1, 1) * Math.min(0.25, Math.max(0, slot.half[1] - r));
      if (Math.abs(x) + r > slot.half[0] + 0.01 || Math.abs(z) + r > slot.half[1] + 0.01) continue;
      if (slot.taken.some((t) => Math.hypot(t.x - x, t.z - z) < t.r + r + 0.02)) continue;
      slot.taken.push({ x, z, r });
      return true;
    }
    return false;
  }

  /** Add random clutter, avoiding the (colour, category) pairs reserved for the task. */
  addClutter(count: number, reserved: (color: Color, category: string) => boolean): void {
    const rng = this.rng;
    for (let i = 0; i < count; i++) {
      for (let attempt = 0; attempt < 10; attempt++) {
        const kind = rng.pick(OBJECT_KINDS);
        const color = rng.pick(OBJECT_COLORS);
        if (reserved(color, kind.category)) continue;
        if (this.addObject(kind, color, (s) => s.furniture.category !== 'mat')) break;
      }
    }
  }

  slotOf(object: ObjectDescription): SurfaceSlot | undefined {
    const p = object.placement;
    if ('floor' in p) return undefined;
    const id = 'in' in p ? p.in : p.on;
    const kind = 'in' in p ? 'in' : 'on';
    return this.slots.find((s) => s.furniture.id === id && s.kind === kind && s.level === (p.level ?? 0));
  }

  build(name: string): SceneDescription {
    return {
      version: 1,
      name,
      rooms: this.rooms,
      doorways: this.doorways,
      furniture: this.furniture,
      markers: this.markers,
      objects: this.objects,
      agent: this.agent,
    };
  }
}
