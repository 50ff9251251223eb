// The plain description a World is built from. scenes/ validates files into this shape (with zod) and
// generates it procedurally; sim/ only trusts it after validation.
import type { Color, EntityId } from './types.ts';

export type Vec2 = [number, number];

/** Largest extent of a house in metres, each way (the navigation grid covers it at 10 cm). */
export const MAX_HOUSE_SPAN = 100;

export const ROOM_TYPES = ['kitchen', 'living_room', 'bedroom', 'bathroom', 'hallway'] as const;
export type RoomType = (typeof ROOM_TYPES)[number];

/** An axis-aligned room on the floor plan (x right, z towards the viewer), walls on every edge. */
export interface RoomDescription {
  id: string;
  type: RoomType;
  min: Vec2;
  max: Vec2;
}

/** An opening in the wall on the line shared by two rooms. `at` is the centre of the opening. */
export interface DoorwayDescription {
  between: [string, string];
  at: Vec2;
  width: number;
}

export const FURNITURE_CATEGORIES = [
  'table', 'counter', 'shelf', 'cabinet', 'drawer', 'fridge', 'sofa', 'bed', 'lamp',
] as const;
export type FurnitureCategory = (typeof FURNITURE_CATEGORIES)[number];

/** Yaw of furniture in degrees: its front (the side one reaches in from) faces +z rotated by yaw. */
export const FURNITURE_YAWS = [0, 90, 180, 270] as const;
export type FurnitureYaw = (typeof FURNITURE_YAWS)[number];

export interface FurnitureDescription {
  id: EntityId;
  category: FurnitureCategory;
  color: Color;
  /** Centre of the footprint on the floor. */
  position: Vec2;
  yaw: FurnitureYaw;
  /** Width (local x), height, depth (local z), metres. */
  size: [number, number, number];
  /** Openable furniture: initial openness in [0, 1]. */
  openness?: number;
  /** Switchable furniture (lamps): initially on. */
  on?: boolean;
}

export const OBJECT_SHAPES = ['box', 'sphere', 'cylinder'] as const;
export type ObjectShape = (typeof OBJECT_SHAPES)[number];

/**
 * Where an object starts. `on`: on a surface of a piece of furniture (or a marker); `in`: inside a container.
 * `level` picks the shelf board or container level (0 = lowest); `at` is an offset in [-1, 1]^2 across the
 * surface (local x, local z), so that layouts stay valid when furniture changes size.
 */
export type PlacementDescription =
  | { on: EntityId; level?: number; at?: Vec2 }
  | { in: EntityId; level?: number; at?: Vec2 }
  | { floor: Vec2 };

export interface ObjectDescription {
  id: EntityId;
  category: string;
  color: Color;
  shape: ObjectShape;
  /** Width, height, depth in metres (a sphere uses the width as its diameter). */
  size: [number, number, number];
  mass: number;
  placement: PlacementDescription;
}

/** A flat marked spot on the floor (a mat) that objects can be brought to. */
export interface MarkerDescription {
  id: EntityId;
  category: 'mat';
  color: Color;
  position: Vec2;
  size: Vec2;
}

export interface SceneDescription {
  version: 1;
  name?: string;
  rooms: RoomDescription[];
  doorways: DoorwayDescription[];
  furniture: FurnitureDescription[];
  markers: MarkerDescription[];
  objects: ObjectDescription[];
  agent: { position: Vec2; yaw: number };
}
