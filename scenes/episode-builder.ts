// What every task family builds an episode with: the generation context (a seeded house builder, targets with a
// (colour, category) unique in the house and distractors sharing one of the two, unambiguous descriptions of
// furniture), and the check that keeps a layout only when everything the task needs is reachable.
import type { FurnitureDescription, MarkerDescription, ObjectDescription, SceneDescription } from '../sim/description.ts';
import { buildGrid, planPath } from '../sim/nav.ts';
import { goalRegion, sweepBoxes } from '../sim/regions.ts';
import { Rng } from '../sim/rng.ts';
import type { Color } from '../sim/types.ts';
import { World } from '../sim/world.ts';
import { OBJECT_COLORS, OBJECT_KINDS, type ObjectKind } from './catalog.ts';
import type { FamilyName } from './family-names.ts';
import type { Goal } from './goals.ts';
import { HouseBuilder, type SurfaceSlot } from './house.ts';
import { isHeldOutCombo } from './splits.ts';
import type { GoalMode } from './task.ts';

export class GenerationError extends Error {
  override readonly name = 'GenerationError';
}

export const words = (category: string): string => category.replace(/_/g, ' ');
export const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
export const objectPhrase = (o: ObjectDescription): string => `the ${o.color} ${words(o.category)}`;

export const notMat = (s: SurfaceSlot): boolean => s.furniture.category !== 'mat';
export const visibleSlot = (s: SurfaceSlot): boolean => !s.hidden && s.furniture.category !== 'mat';
export const hiddenSlot = (s: SurfaceSlot): boolean => s.hidden;

export interface Draft {
  goals: Goal[];
  mode: GoalMode;
  instruction: string;
  hidden?: string[];
}

/** Generation context for one episode (one attempt at it). */
export class Episode<F extends FamilyName = FamilyName> {
  readonly rng: Rng;
  readonly house: HouseBuilder;
  readonly family: F;
  readonly heldOut: boolean;
  /** (colour|category) pairs of targets: unique in the house. */
  private readonly reserved = new Set<string>();

  /**
   * `rngName` seeds everything drawn (`family:seed:attempt` for the standard families); `rooms`, when given,
   * draws the number of rooms from the rng (by default the house builder draws 1 to 4).
   */
  constructor(family: F, rngName: string, heldOut: boolean, rooms?: (rng: Rng) => number) {
    this.family = family;
    this.rng = new Rng(rngName);
    this.house = rooms === undefined ? new HouseBuilder(this.rng) : new HouseBuilder(this.rng, { rooms: rooms(this.rng) });
    this.heldOut = heldOut;
  }

  readonly isReserved = (color: Color, category: string): boolean => this.reserved.has(`${color}|${category}`);

  /** Add a target with a (colour, category) unique in the house, honouring the held-out split. */
  target(where: (s: SurfaceSlot) => boolean, first: boolean): ObjectDescription {
    for (let attempt = 0; attempt < 60; attempt++) {
      const kind = this.rng.pick(OBJECT_KINDS);
      const color = this.rng.pick(OBJECT_COLORS);
      if (this.isReserved(color, kind.category)) continue;
      if (this.house.objects.some((o) => o.color === color && o.category === kind.category)) continue;
      if (first && isHeldOutCombo(this.family, color, kind.category) !== this.heldOut) continue;
      const o = this.house.addObject(kind, color, where);
      if (!o) continue;
      this.reserved.add(`${color}|${kind.category}`);
      this.distract(kind, color);
      return o;
    }
    throw new GenerationError(`could not place a target for ${this.family}`);
  }

  /** Objects that share the target's category or colour, so that the instruction must be grounded. */
  private distract(kind: ObjectKind, color: Color): void {
    const rng = this.rng;
    const n = rng.int(1, 2);
    for (let i = 0; i < n; i++) {
      const other = rng.pick(OBJECT_COLORS.filter((c) => c !== color && !this.isReserved(c, kind.category)));
      this.house.addObject(kind, other, notMat);
      const otherKind = rng.pick(OBJECT_KINDS.filter((k) => k.category !== kind.category && !this.isReserved(color, k.category)));
      this.house.addObject(otherKind, color, notMat);
    }
  }

  /** A phrase that names exactly one piece of furniture (or mat) in the house. */
  describe(f: FurnitureDescription | MarkerDescription): string {
    const all: (FurnitureDescription | MarkerDescription)[] = [...this.house.furniture, ...this.house.markers];
    const room = (x: FurnitureDescription | MarkerDescription): string => this.house.roomOf(x.position[0], x.position[1]).type;
    const same = all.filter((x) => x.category === f.category);
    const cat = words(f.category);
    if (same.length === 1) return `the ${cat}`;
    if (same.filter((x) => x.color === f.color).length === 1) return `the ${f.color} ${cat}`;
    if (same.filter((x) => room(x) === room(f)).length === 1) return `the ${cat} in the ${words(room(f))}`;
    return `the ${f.color} ${cat} in the ${words(room(f))}`;
  }

  /** Unambiguous furniture only (two identical cabinets in one room cannot be told apart). */
  describable(f: FurnitureDescription | MarkerDescription): boolean {
    const phrase = this.describe(f);
    return [...this.house.furniture, ...this.house.markers].filter((x) => this.describe(x) === phrase).length === 1;
  }

  /** Keep room for the object where a goal wants it. */
  reserve(object: ObjectDescription, receptacle: string, inside: boolean): void {
    const kind = OBJECT_KINDS.find((k) => k.category === object.category);
    if (!kind || !this.house.reserveSpace(receptacle, kind, inside)) throw new GenerationError(`no room for ${object.id} on ${receptacle}`);
  }

  template(options: string[]): string {
    return this.rng.pick(options);
  }
}

/** Every piece of furniture, mat and target must be reachable from where the agent starts. */
export function reachable(description: SceneDescription, targets: readonly string[]): boolean {
  const world = new World(description);
  const grid = buildGrid(world);
  const [x, , z] = world.robot.position;
  const ids = [...world.entityList.filter((e) => e.kind !== 'object').map((e) => e.id), ...targets];
  for (const id of ids) {
    const e = world.entity(id);
    if (!e) return false;
    const extra = e.kind === 'furniture' ? sweepBoxes(world, e) : [];
    const path = planPath(extra.length ? buildGrid(world, extra) : grid, x, z, goalRegion(world, e));
    if (!path) return false;
    if (e.kind === 'furniture' && e.part) {
      // Once open, its door or drawer must not wall off the place to stand in front of it.
      const stand = path[path.length - 1] ?? [x, z];
      e.openness = e.targetOpenness = 1;
      world.stepPhysics();
      const reachableOpen = planPath(buildGrid(world), stand[0], stand[1], goalRegion(world, e)) !== null;
      e.openness = e.targetOpenness = 0;
      world.stepPhysics();
      if (!reachableOpen) return false;
    }
  }
  return true;
}

/** How a task asks for an object hidden in a container (the search and revisit families). */
export function findInstructions(phrase: string): string[] {
  return [
    `Find ${phrase} and pick it up.`,
    `${capitalise(phrase)} is hidden somewhere. Find it and hold it.`,
    `Search for ${phrase} and grab it.`,
    `Look for ${phrase} in the cupboards and pick it up.`,
  ];
}
