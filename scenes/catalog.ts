// What a house is made of: object categories with their shapes and sizes, and furniture per room type.
import type { FurnitureCategory, ObjectShape, RoomType } from '../sim/description.ts';
import type { Color } from '../sim/types.ts';

export interface ObjectKind {
  category: string;
  shape: ObjectShape;
  size: [number, number, number];
  mass: number;
}

export const OBJECT_KINDS: readonly ObjectKind[] = [
  { category: 'mug', shape: 'cylinder', size: [0.08, 0.1, 0.08], mass: 0.3 },
  { category: 'cup', shape: 'cylinder', size: [0.07, 0.09, 0.07], mass: 0.2 },
  { category: 'bowl', shape: 'cylinder', size: [0.14, 0.07, 0.14], mass: 0.3 },
  { category: 'plate', shape: 'cylinder', size: [0.2, 0.025, 0.2], mass: 0.4 },
  { category: 'book', shape: 'box', size: [0.15, 0.04, 0.22], mass: 0.5 },
  { category: 'apple', shape: 'sphere', size: [0.08, 0.08, 0.08], mass: 0.2 },
  { category: 'orange', shape: 'sphere', size: [0.08, 0.08, 0.08], mass: 0.2 },
  { category: 'ball', shape: 'sphere', size: [0.12, 0.12, 0.12], mass: 0.3 },
  { category: 'bottle', shape: 'cylinder', size: [0.07, 0.24, 0.07], mass: 0.5 },
  { category: 'can', shape: 'cylinder', size: [0.066, 0.12, 0.066], mass: 0.3 },
  { category: 'box', shape: 'box', size: [0.15, 0.1, 0.12], mass: 0.3 },
  { category: 'vase', shape: 'cylinder', size: [0.1, 0.2, 0.1], mass: 0.6 },
  { category: 'remote', shape: 'box', size: [0.05, 0.025, 0.16], mass: 0.15 },
  { category: 'phone', shape: 'box', size: [0.07, 0.02, 0.14], mass: 0.15 },
  { category: 'toy_car', shape: 'box', size: [0.12, 0.06, 0.07], mass: 0.2 },
  { category: 'candle', shape: 'cylinder', size: [0.06, 0.12, 0.06], mass: 0.2 },
  { category: 'sponge', shape: 'box', size: [0.1, 0.04, 0.07], mass: 0.05 },
  { category: 'laptop', shape: 'box', size: [0.3, 0.03, 0.22], mass: 1.5 },
  { category: 'teddy_bear', shape: 'box', size: [0.15, 0.18, 0.12], mass: 0.3 },
];

export const OBJECT_COLORS: readonly Color[] = ['red', 'green', 'blue', 'yellow', 'white', 'black', 'orange', 'purple'];

export const FURNITURE_COLORS: readonly Color[] = ['white', 'black', 'blue', 'green', 'yellow', 'red'];

export interface FurnitureKind {
  category: FurnitureCategory;
  /** Size ranges: width, height, depth. */
  size: [[number, number], [number, number], [number, number]];
  /** Stands against a wall (front facing the room) or free in the room. */
  against: 'wall' | 'free';
}

const K = (category: FurnitureCategory, w: [number, number], h: [number, number], d: [number, number], against: 'wall' | 'free' = 'wall'): FurnitureKind => ({
  category,
  size: [w, h, d],
  against,
});

export const ROOM_FURNITURE: Record<RoomType, FurnitureKind[]> = {
  kitchen: [
    K('counter', [1.4, 2.0], [0.9, 0.9], [0.6, 0.6]),
    K('fridge', [0.7, 0.8], [1.8, 1.8], [0.7, 0.7]),
    K('cabinet', [0.7, 0.9], [0.85, 0.9], [0.5, 0.55]),
    K('table', [1.0, 1.3], [0.75, 0.75], [0.7, 0.8], 'free'),
    K('drawer', [0.5, 0.7], [0.6, 0.75], [0.45, 0.5]),
  ],
  living_room: [
    K('sofa', [1.6, 2.0], [0.45, 0.45], [0.8, 0.9]),
    K('table', [0.9, 1.1], [0.45, 0.5], [0.5, 0.6], 'free'),
    K('shelf', [0.8, 1.1], [1.4, 1.7], [0.3, 0.35]),
    K('cabinet', [0.8, 1.0], [0.6, 0.7], [0.45, 0.5]),
    K('lamp', [0.3, 0.3], [1.5, 1.5], [0.3, 0.3]),
  ],
  bedroom: [
    K('bed', [1.3, 1.4], [0.5, 0.5], [1.9, 2.0]),
    K('drawer', [0.45, 0.55], [0.55, 0.6], [0.4, 0.45]),
    K('shelf', [0.7, 0.9], [1.2, 1.6], [0.3, 0.35]),
    K('table', [1.0, 1.2], [0.75, 0.75], [0.55, 0.6], 'free'),
    K('lamp', [0.3, 0.3], [1.4, 1.4], [0.3, 0.3]),
  ],
  bathroom: [
    K('counter', [0.9, 1.1], [0.85, 0.85], [0.5, 0.55]),
    K('cabinet', [0.6, 0.7], [0.8, 0.85], [0.4, 0.45]),
    K('shelf', [0.6, 0.7], [1.1, 1.3], [0.3, 0.3]),
  ],
  hallway: [K('shelf', [0.6, 0.8], [1.1, 1.3], [0.3, 0.3]), K('drawer', [0.5, 0.6], [0.6, 0.7], [0.4, 0.45])],
};
