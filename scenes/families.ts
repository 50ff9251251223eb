// Task families: each turns (family, seed) into a house and a task, deterministically. Targets are described
// by colour and category, unique in the house, with distractors that share one of the two.
import type { FurnitureDescription, MarkerDescription, ObjectDescription, SceneDescription } from '../sim/description.ts';
import type { EpisodeSetup } from '../sim/env.ts';
import { isOpenable } from '../sim/furniture.ts';
import { buildGrid, planPath } from '../sim/nav.ts';
import { Rng } from '../sim/rng.ts';
import { goalRegion, sweepBoxes } from '../sim/regions.ts';
import type { Color } from '../sim/types.ts';
import { World } from '../sim/world.ts';
import { OBJECT_COLORS, OBJECT_KINDS, type ObjectKind } from './catalog.ts';
import { FAMILY_NAMES, type FamilyName } from './family-names.ts';
import type { Goal } from './goals.ts';
import { HouseBuilder, type SurfaceSlot } from './house.ts';
import { isHeldOutCombo, splitOfSeed } from './splits.ts';
import { GoalTask, type GoalMode } from './task.ts';

export class GenerationError extends Error {
  override readonly name = 'GenerationError';
}

export interface FamilyInfo {
  name: FamilyName;
  difficulty: number;
  summary: string;
}

export const FAMILIES: readonly FamilyInfo[] = [
  { name: 'goto', difficulty: 1, summary: 'go next to a described object' },
  { name: 'pickup', difficulty: 2, summary: 'pick up a described object' },
  { name: 'place-on', difficulty: 3, summary: 'put an object on a piece of furniture' },
  { name: 'place-in', difficulty: 4, summary: 'put an object in a closed container (open it first)' },
  { name: 'open', difficulty: 2, summary: 'open a cabinet, drawer or fridge' },
  { name: 'fetch', difficulty: 4, summary: 'bring an object to a marked spot on the floor' },
  { name: 'search', difficulty: 5, summary: 'find an object hidden in a closed container and pick it up' },
  { name: 'rearrange', difficulty: 6, summary: 'put two or three objects where they belong' },
  { name: 'chain', difficulty: 7, summary: 'two or more subtasks in a given order' },
];

export function isFamilyName(name: string): name is FamilyName {
  return (FAMILY_NAMES as readonly string[]).includes(name);
}

const words = (category: string): string => category.replace(/_/g, ' ');
const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
const objectPhrase = (o: ObjectDescription): string => `the ${o.color} ${words(o.category)}`;

const notMat = (s: SurfaceSlot): boolean => s.furniture.category !== 'mat';

interface Draft {
  goals: Goal[];
  mode: GoalMode;
  instruction: string;
  hidden?: string[];
}

/** Generation context for one episode. */
class Episode {
  readonly rng: Rng;
  readonly house: HouseBuilder;
  readonly family: FamilyName;
  readonly heldOut: boolean;
  /** (colour|category) pairs of targets: unique in the house. */
  private readonly reserved = new Set<string>();

  constructor(family: FamilyName, seed: number, attempt: number) {
    this.family = family;
    this.rng = new Rng(`${family}:${seed}:${attempt}`);
    this.house = new HouseBuilder(this.rng);
    this.heldOut = splitOfSeed(seed) === 'heldout';
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

const visibleSlot = (s: SurfaceSlot): boolean => !s.hidden && s.furniture.category !== 'mat';
const hiddenSlot = (s: SurfaceSlot): boolean => s.hidden;

type Clause = { goals: Goal[]; text: string };

function pickupClause(ep: Episode, where = visibleSlot): Clause {
  const o = ep.target(where, true);
  const phrase = objectPhrase(o);
  return { goals: [{ kind: 'holding', object: o.id }], text: ep.template([`pick up ${phrase}`, `grab ${phrase}`, `get ${phrase}`, `take ${phrase} in your gripper`, `lift ${phrase}`]) };
}

function gotoClause(ep: Episode, first: boolean): Clause {
  const o = ep.target(visibleSlot, first);
  const p = objectPhrase(o);
  return { goals: [{ kind: 'near', object: o.id }], text: ep.template([`go to ${p}`, `walk over to ${p}`, `find ${p} and go next to it`, `move close to ${p}`, `head to ${p}`]) };
}

function surfaces(ep: Episode, o: ObjectDescription): FurnitureDescription[] {
  const from = ep.house.slotOf(o)?.furniture.id;
  return ep.house.furniture.filter((f) => f.id !== from && !isOpenable(f.category) && ep.house.slots.some((s) => s.furniture === f && s.kind === 'on') && ep.describable(f));
}

function containers(ep: Episode, exclude?: string): FurnitureDescription[] {
  return ep.house.furniture.filter((f) => f.id !== exclude && isOpenable(f.category) && ep.describable(f));
}

function placeOnClause(ep: Episode, first: boolean): Clause {
  const o = ep.target(visibleSlot, first);
  const options = surfaces(ep, o);
  if (options.length === 0) throw new GenerationError('no other surface to put things on');
  const r = ep.rng.pick(options);
  ep.reserve(o, r.id, false);
  const [op, rp] = [objectPhrase(o), ep.describe(r)];
  return {
    goals: [{ kind: 'on', object: o.id, receptacle: r.id }],
    text: ep.template([`put ${op} on ${rp}`, `place ${op} on top of ${rp}`, `move ${op} onto ${rp}`, `set ${op} down on ${rp}`]),
  };
}

function placeInClause(ep: Episode, first: boolean, container?: FurnitureDescription): Clause {
  const o = ep.target(visibleSlot, first);
  const options = container ? [container] : containers(ep, ep.house.slotOf(o)?.furniture.id);
  if (options.length === 0) throw new GenerationError('no container');
  const c = ep.rng.pick(options);
  ep.reserve(o, c.id, true);
  const [op, cp] = [objectPhrase(o), ep.describe(c)];
  return {
    goals: [{ kind: 'in', object: o.id, container: c.id }],
    text: ep.template([`put ${op} in ${cp}`, `place ${op} inside ${cp}`, `store ${op} in ${cp}`, `move ${op} into ${cp}`]),
  };
}

function openClause(ep: Episode): Clause & { container: FurnitureDescription } {
  const options = containers(ep);
  if (options.length === 0) throw new GenerationError('no container');
  const c = ep.rng.pick(options);
  const cp = ep.describe(c);
  return { container: c, goals: [{ kind: 'open', container: c.id }], text: ep.template([`open ${cp}`, `please open ${cp}`, `pull ${cp} open`, `get ${cp} open`]) };
}

function fetchClause(ep: Episode, first: boolean): Clause {
  const mats = ep.house.markers.filter((m) => ep.describable(m));
  if (mats.length === 0) throw new GenerationError('no mat');
  const m = ep.rng.pick(mats);
  const o = ep.target(visibleSlot, first);
  ep.reserve(o, m.id, false);
  const [op, mp] = [objectPhrase(o), ep.describe(m)];
  return {
    goals: [{ kind: 'on', object: o.id, receptacle: m.id }],
    text: ep.template([`bring ${op} to ${mp}`, `fetch ${op} and put it on ${mp}`, `carry ${op} over to ${mp}`, `take ${op} to ${mp}`]),
  };
}

const sentence = (text: string): string => `${capitalise(text)}.`;

function draftFor(ep: Episode): Draft {
  switch (ep.family) {
    case 'goto': {
      const c = gotoClause(ep, true);
      return { goals: c.goals, mode: 'sequence', instruction: sentence(c.text) };
    }
    case 'pickup': {
      const c = pickupClause(ep);
      return { goals: c.goals, mode: 'sequence', instruction: sentence(c.text) };
    }
    case 'place-on': {
      const c = placeOnClause(ep, true);
      return { goals: c.goals, mode: 'sequence', instruction: sentence(c.text) };
    }
    case 'place-in': {
      const c = placeInClause(ep, true);
      return { goals: c.goals, mode: 'sequence', instruction: sentence(c.text) };
    }
    case 'open': {
      const c = openClause(ep);
      return { goals: c.goals, mode: 'sequence', instruction: sentence(c.text) };
    }
    case 'fetch': {
      const c = fetchClause(ep, true);
      return { goals: c.goals, mode: 'sequence', instruction: sentence(c.text) };
    }
    case 'search': {
      const o = ep.target(hiddenSlot, true);
      const p = objectPhrase(o);
      const text = ep.template([
        `Find ${p} and pick it up.`,
        `${capitalise(p)} is hidden somewhere. Find it and hold it.`,
        `Search for ${p} and grab it.`,
        `Look for ${p} in the cupboards and pick it up.`,
      ]);
      return { goals: [{ kind: 'holding', object: o.id }], mode: 'sequence', instruction: text, hidden: [o.id] };
    }
    case 'rearrange': {
      const n = ep.rng.int(2, 3);
      const clauses: Clause[] = [];
      for (let i = 0; i < n; i++) clauses.push(ep.rng.chance(0.6) ? placeOnClause(ep, i === 0) : placeInClause(ep, i === 0));
      const texts = clauses.map((c) => c.text);
      const list = `${texts.slice(0, -1).join(', ')} and ${texts[texts.length - 1]}`;
      const instruction = ep.template([`Tidy up: ${list}.`, `Rearrange things: ${list}.`, sentence(list)]);
      return { goals: clauses.flatMap((c) => c.goals), mode: 'all', instruction };
    }
    case 'chain':
      return chainDraft(ep);
  }
}

function chainDraft(ep: Episode): Draft {
  const join = (a: string, b: string, c?: string): string => {
    if (c) return ep.template([`First ${a}, then ${b}, and finally ${c}.`, `${capitalise(a)}, then ${b}, then ${c}.`]);
    return ep.template([`First ${a}, then ${b}.`, `${capitalise(a)}, and after that ${b}.`, `${capitalise(a)}. Then ${b}.`]);
  };
  const variant = ep.rng.int(0, 4);
  switch (variant) {
    case 0: {
      const a = gotoClause(ep, true);
      const b = pickupClause(ep, visibleSlot);
      return { goals: [...a.goals, ...b.goals], mode: 'sequence', instruction: join(a.text, b.text) };
    }
    case 1: {
      const a = openClause(ep);
      const b = placeInClause(ep, true);
      return { goals: [...a.goals, ...b.goals], mode: 'sequence', instruction: join(a.text, b.text) };
    }
    case 2: {
      const a = placeOnClause(ep, true);
      const b = fetchClause(ep, false);
      return { goals: [...a.goals, ...b.goals], mode: 'sequence', instruction: join(a.text, b.text) };
    }
    case 3: {
      const a = openClause(ep);
      const b = placeInClause(ep, true, a.container);
      const c: Clause = { goals: [{ kind: 'closed', container: a.container.id }], text: ep.template(['close it again', `shut ${ep.describe(a.container)}`]) };
      const bText = b.text.replace(ep.describe(a.container), 'it');
      return { goals: [...a.goals, ...b.goals, ...c.goals], mode: 'sequence', instruction: join(a.text, bText, c.text) };
    }
    default: {
      const a = pickupClause(ep);
      const b = placeOnClause(ep, false);
      // Hand over the first object before the second: place the held one on the second's receptacle too.
      return { goals: [...a.goals, ...b.goals], mode: 'sequence', instruction: join(a.text, b.text) };
    }
  }
}

/** Every piece of furniture, mat and target must be reachable from where the agent starts. */
function reachable(description: SceneDescription, targets: string[]): boolean {
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

/** The deterministic episode of a family for a seed: scene description and task. */
export function makeEpisode(family: FamilyName, seed: number): EpisodeSetup & { task: GoalTask } {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new GenerationError(`seed must be a non-negative integer, got ${seed}`);
  let lastError: unknown = null;
  for (let attempt = 0; attempt < 20; attempt++) {
    const ep = new Episode(family, seed, attempt);
    try {
      const draft = draftFor(ep);
      const total = ep.rng.int(10, Math.min(40, 12 + 7 * ep.house.rooms.length));
      ep.house.addClutter(Math.max(0, total - ep.house.objects.length), ep.isReserved);
      const description = ep.house.build(`${family}-${seed}`);
      const task = new GoalTask(family, draft.instruction, draft.goals, draft.mode, draft.hidden ?? []);
      if (!reachable(description, task.targets)) continue;
      return { description, task };
    } catch (e) {
      if (!(e instanceof GenerationError)) throw e;
      lastError = e;
    }
  }
  throw new GenerationError(`no valid ${family} episode for seed ${seed}: ${lastError instanceof Error ? lastError.message : 'unreachable layout'}`);
}
