// The scene file format as a zod schema: exactly the shape of sim's SceneDescription, with strict objects
// (unknown keys rejected) and sensible bounds. Checks that need the whole scene (ids, rooms, surfaces) live in
// scenes/validate.ts.
import { z } from 'zod';
import {
  FURNITURE_CATEGORIES,
  FURNITURE_YAWS,
  OBJECT_SHAPES,
  ROOM_TYPES,
  type SceneDescription,
} from '../sim/description.ts';
import { COLORS } from '../sim/types.ts';

/** Ids of rooms and entities: the same shape the action grammar accepts. */
export const ID_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;

/** Bounds of the format (metres unless said otherwise). */
export const SCENE_LIMITS = {
  coordinate: 1000,
  rooms: 64,
  doorways: 256,
  furniture: 512,
  markers: 256,
  objects: 512,
  /** Below this furniture models degenerate (boards thicker than the piece). */
  furnitureMin: 0.2,
  furnitureMax: 5,
  markerMin: 0.1,
  markerMax: 5,
  objectMin: 0.01,
  objectMax: 1,
  massMax: 50,
  doorwayMin: 0.6,
  doorwayMax: 3,
  levelMax: 10,
} as const;

const L = SCENE_LIMITS;

/** A strict object whose unknown-key error names the keys it allows. */
export function strictObject<T extends z.core.$ZodLooseShape>(shape: T) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (iss) => (iss.code === 'unrecognized_keys' ? `unknown key (allowed keys: ${allowed})` : undefined),
  });
}

export const IdSchema = z
  .string()
  .regex(ID_PATTERN, { error: 'must be an id: a lowercase letter, then at most 63 lowercase letters, digits or underscores' });

const coordinate = z.number().min(-L.coordinate).max(L.coordinate);
const Vec2Schema = z.tuple([coordinate, coordinate]);
const length = (min: number, max: number) => z.number().min(min).max(max);
const offset = z.number().min(-1).max(1);

const ColorSchema = z.enum(COLORS);

export const RoomSchema = strictObject({
  id: IdSchema,
  type: z.enum(ROOM_TYPES),
  min: Vec2Schema,
  max: Vec2Schema,
});

export const DoorwaySchema = strictObject({
  between: z.tuple([IdSchema, IdSchema]),
  at: Vec2Schema,
  width: length(L.doorwayMin, L.doorwayMax),
});

const furnitureSide = length(L.furnitureMin, L.furnitureMax);

export const FurnitureSchema = strictObject({
  id: IdSchema,
  category: z.enum(FURNITURE_CATEGORIES),
  color: ColorSchema,
  position: Vec2Schema,
  yaw: z
    .literal(FURNITURE_YAWS, { error: `must be one of ${FURNITURE_YAWS.join(', ')} (degrees)` })
    .meta({ description: 'Degrees; the front faces +z rotated by yaw.' }),
  size: z
    .tuple([furnitureSide, furnitureSide, furnitureSide])
    .meta({ description: 'Width (local x), height, depth (local z), metres.' }),
  openness: z.number().min(0).max(1).optional(),
  on: z.boolean().optional(),
});

const markerSide = length(L.markerMin, L.markerMax);

export const MarkerSchema = strictObject({
  id: IdSchema,
  category: z.literal('mat'),
  color: ColorSchema,
  position: Vec2Schema,
  size: z.tuple([markerSide, markerSide]),
});

const level = z.int().min(0).max(L.levelMax).meta({ description: 'Shelf board or container level, 0 = lowest.' });
const at = z
  .tuple([offset, offset])
  .meta({ description: 'Offset across the surface (local x, local z), each in [-1, 1]; [0, 0] is the centre.' });

/** The keys that tell the placement variants apart. */
export const PLACEMENT_KEYS = ['on', 'in', 'floor'] as const;

export const PlacementSchema = z.union(
  [
    strictObject({ on: IdSchema, level: level.optional(), at: at.optional() }),
    strictObject({ in: IdSchema, level: level.optional(), at: at.optional() }),
    strictObject({ floor: Vec2Schema }),
  ],
  { error: `expected exactly one of ${PLACEMENT_KEYS.join(', ')} (with optional level and at for on/in)` },
).meta({ description: 'Where the object starts: on a surface of furniture or a marker, in a container, or on the floor at [x, z].' });

const objectSide = length(L.objectMin, L.objectMax);

export const ObjectSchema = strictObject({
  id: IdSchema,
  category: z
    .string()
    .regex(/^[a-z][a-z0-9_ -]{0,63}$/, { error: 'must be a lowercase name of at most 64 letters, digits, _, - or spaces' }),
  color: ColorSchema,
  shape: z.enum(OBJECT_SHAPES),
  size: z
    .tuple([objectSide, objectSide, objectSide])
    .meta({ description: 'Width, height, depth in metres (a sphere uses the width as its diameter).' }),
  mass: z.number().positive().max(L.massMax).meta({ description: 'Kilograms.' }),
  placement: PlacementSchema,
});

export const AgentSchema = strictObject({
  position: Vec2Schema,
  yaw: z
    .number()
    .min(-2 * Math.PI)
    .max(2 * Math.PI)
    .meta({ description: 'Heading in radians; 0 looks along -z.' }),
});

export const SceneSpecSchema = strictObject({
  version: z.literal(1),
  name: z.string().max(200).optional(),
  rooms: z.array(RoomSchema).min(1).max(L.rooms),
  doorways: z.array(DoorwaySchema).max(L.doorways),
  furniture: z.array(FurnitureSchema).max(L.furniture),
  markers: z.array(MarkerSchema).max(L.markers),
  objects: z.array(ObjectSchema).max(L.objects),
  agent: AgentSchema,
});

export type SceneSpec = z.infer<typeof SceneSpecSchema>;

/** The top-level keys of a scene file. */
export const SCENE_KEYS = Object.keys(SceneSpecSchema.shape);

// Compile-time proof that the schema and SceneDescription describe the same shape, in both directions.
type Extends<A, B> = [A] extends [B] ? true : false;
// Both operands are `true` when the proof holds, so the intersection is deliberately "duplicated".
// eslint-disable-next-line @typescript-eslint/no-duplicate-type-constituents
export const SCENE_SPEC_MATCHES_DESCRIPTION: Extends<SceneSpec, SceneDescription> & Extends<SceneDescription, SceneSpec> = true;
