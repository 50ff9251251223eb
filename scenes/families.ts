// Task families: each turns (family, seed) into a house and a task, deterministically. Targets are described
// by colour and category, unique in the house, with distractors that share one of the two.
import type { FurnitureDescription, ObjectDescription } from '../sim/description.ts';
import type { EpisodeSetup } from '../sim/env.ts';
import { isOpenable } from '../sim/furniture.ts';
import {
  capitalise,
  Episode,
  findInstructions,
  GenerationError,
  hiddenSlot,
  objectPhrase,
  reachable,
  visibleSlot,
  type Draft,
} from './episode-builder.ts';
import { TASK_FAMILY_NAMES, type FamilyName, type StandardFamilyName } from './family-names.ts';
import type { Goal } from './goals.ts';
import { makeRevisitEpisode, revisitHouse, REVISIT_VISITS } from './revisit.ts';
import { splitOfSeed } from './splits.ts';
import { GoalTask } from './task.ts';

export { GenerationError } from './episode-builder.ts';

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
  {
    name: 'revisit',
    difficulty: 5,
    summary: `a memory family: ${REVISIT_VISITS} consecutive seeds share one house, each asks for another object hidden in its containers`,
  },
];

/** Any task family, the memory families included (a scenario's "all" means the standard ones: FAMILY_NAMES). */
export function isFamilyName(name: string): name is FamilyName {
  return (TASK_FAMILY_NAMES as readonly string[]).includes(name);
}

type StandardEpisode = Episode<StandardFamilyName>;

type Clause = { goals: Goal[]; text: string };

function pickupClause(ep: StandardEpisode, where = visibleSlot): Clause {
  const o = ep.target(where, true);
  const phrase = objectPhrase(o);
  return { goals: [{ kind: 'holding', object: o.id }], text: ep.template([`pick up ${phrase}`, `grab ${phrase}`, `get ${phrase}`, `take ${phrase} in your gripper`, `lift ${phrase}`]) };
}

function gotoClause(ep: StandardEpisode, first: boolean): Clause {
  const o = ep.target(visibleSlot, first);
  const p = objectPhrase(o);
  return { goals: [{ kind: 'near', object: o.id }], text: ep.template([`go to ${p}`, `walk over to ${p}`, `find ${p} and go next to it`, `move close to ${p}`, `head to ${p}`]) };
}

function surfaces(ep: StandardEpisode, o: ObjectDescription): FurnitureDescription[] {
  const from = ep.house.slotOf(o)?.furniture.id;
  return ep.house.furniture.filter((f) => f.id !== from && !isOpenable(f.category) && ep.house.slots.some((s) => s.furniture === f && s.kind === 'on') && ep.describable(f));
}

function containers(ep: StandardEpisode, exclude?: string): FurnitureDescription[] {
  return ep.house.furniture.filter((f) => f.id !== exclude && isOpenable(f.category) && ep.describable(f));
}

function placeOnClause(ep: StandardEpisode, first: boolean): Clause {
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

function placeInClause(ep: StandardEpisode, first: boolean, container?: FurnitureDescription): Clause {
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

function openClause(ep: StandardEpisode): Clause & { container: FurnitureDescription } {
  const options = containers(ep);
  if (options.length === 0) throw new GenerationError('no container');
  const c = ep.rng.pick(options);
  const cp = ep.describe(c);
  return { container: c, goals: [{ kind: 'open', container: c.id }], text: ep.template([`open ${cp}`, `please open ${cp}`, `pull ${cp} open`, `get ${cp} open`]) };
}

function fetchClause(ep: StandardEpisode, first: boolean): Clause {
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

function draftFor(ep: StandardEpisode): Draft {
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
      const text = ep.template(findInstructions(p));
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

function chainDraft(ep: StandardEpisode): Draft {
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

/** The deterministic episode of a family for a seed: scene description and task. */
export function makeEpisode(family: FamilyName, seed: number): EpisodeSetup & { task: GoalTask } {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new GenerationError(`seed must be a non-negative integer, got ${seed}`);
  if (family === 'revisit') return makeRevisitEpisode(seed);
  return makeStandardEpisode(family, seed);
}

function makeStandardEpisode(family: StandardFamilyName, seed: number): EpisodeSetup & { task: GoalTask } {
  let lastError: unknown = null;
  for (let attempt = 0; attempt < 20; attempt++) {
    const ep = new Episode(family, `${family}:${seed}:${attempt}`, splitOfSeed(seed) === 'heldout');
    try {
      const draft = draftFor(ep);
      const total = ep.rng.int(10, Math.min(40, 12 + 7 * ep.house.rooms.length));
      ep.house.addClutter(Math.max(0, total - ep.house.objects.length), ep.isReserved);
      const description = ep.house.build(`${family}-${seed}`);
      const task = new GoalTask<FamilyName>(family, draft.instruction, draft.goals, draft.mode, draft.hidden ?? []);
      if (!reachable(description, task.targets)) continue;
      return { description, task };
    } catch (e) {
      if (!(e instanceof GenerationError)) throw e;
      lastError = e;
    }
  }
  throw new GenerationError(`no valid ${family} episode for seed ${seed}: ${lastError instanceof Error ? lastError.message : 'unreachable layout'}`);
}

/**
 * The house an episode plays in: episodes with the same key play in the identical house (the visits of a revisit
 * house); every other seed of every family has a house of its own. An evaluation that keeps a memory per house
 * (eval/) runs the episodes of one key in order with one memory.
 */
export function houseKey(family: FamilyName, seed: number): string {
  return family === 'revisit' ? `revisit-house-${revisitHouse(seed)}` : `${family}-${seed}`;
}
