// The `revisit` family, made to measure long-term memory: consecutive seeds share one house. Seed s is visit
// s % REVISIT_VISITS of house floor(s / REVISIT_VISITS). The house (4 rooms, furniture, clutter, and one object
// hidden in a closed container per visit, each in a container of its own) is generated from the house number
// alone, so every visit builds the identical house and the agent starts at the same spot; each visit asks for
// another of the hidden objects ("Find the red mug and pick it up."). The world is the same at the start of every
// visit (what an earlier visit moved is back in place), so what an agent saw on an earlier visit still holds: an
// agent without memory searches the containers again, one that remembers which containers it opened and what was
// inside goes straight to the right one. The order of the visits is the order the targets were drawn in, unrelated
// to the order a search goes through the containers: a visit whose container an earlier visit opened on its way
// gains from memory, the others do not (with the oracle: 21 of the 60 later visits of the memory suite).
// The split of a seed is the split of its house (split bases are multiples of REVISIT_VISITS); every target of a
// held-out house uses a held-out (family, colour, category) combination, and those of other houses never do.
import type { SceneDescription } from '../sim/description.ts';
import type { EpisodeSetup } from '../sim/env.ts';
import type { SurfaceSlot } from './house.ts';
import { Episode, findInstructions, GenerationError, hiddenSlot, objectPhrase, reachable } from './episode-builder.ts';
import type { FamilyName } from './family-names.ts';
import { splitOfSeed, SPLIT_BASE } from './splits.ts';
import { GoalTask } from './task.ts';

/** Visits per house: seeds 4h, 4h+1, 4h+2 and 4h+3 are the visits of house h. */
export const REVISIT_VISITS = 4;

/** Rooms of a revisit house: the most, for the most containers (about half of such houses have four or more). */
const ROOMS = 4;
/** Layouts tried per house; one without a container per visit, or with something out of reach, is passed over. */
const ATTEMPTS = 40;

/** The house a revisit seed belongs to. */
export const revisitHouse = (seed: number): number => Math.floor(seed / REVISIT_VISITS);
/** Which visit of its house a revisit seed is (0 first). */
export const revisitVisit = (seed: number): number => seed % REVISIT_VISITS;

interface RevisitHouse {
  description: SceneDescription;
  /** One per visit, in visit order: the hidden object and the instruction that asks for it. */
  targets: { id: string; instruction: string }[];
}

function buildHouse(house: number, heldOut: boolean): RevisitHouse {
  let lastError: unknown = null;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const ep = new Episode('revisit', `revisit:${house}:${attempt}`, heldOut, () => ROOMS);
    try {
      const used = new Set<string>();
      const targets: RevisitHouse['targets'] = [];
      for (let visit = 0; visit < REVISIT_VISITS; visit++) {
        const o = ep.target((slot: SurfaceSlot) => hiddenSlot(slot) && !used.has(slot.furniture.id), true);
        const container = ep.house.slotOf(o)?.furniture.id;
        if (container !== undefined) used.add(container);
        targets.push({ id: o.id, instruction: ep.template(findInstructions(objectPhrase(o))) });
      }
      const total = ep.rng.int(10, Math.min(40, 12 + 7 * ep.house.rooms.length));
      ep.house.addClutter(Math.max(0, total - ep.house.objects.length), ep.isReserved);
      const description = ep.house.build(`revisit-house-${house}`);
      if (!reachable(description, targets.map((t) => t.id))) continue;
      return { description, targets };
    } catch (e) {
      if (!(e instanceof GenerationError)) throw e;
      lastError = e;
    }
  }
  throw new GenerationError(`no valid revisit house ${house}: ${lastError instanceof Error ? lastError.message : 'unreachable layout'}`);
}

/** The episode of a revisit seed: its house (the same for every visit) and the task of its visit. */
export function makeRevisitEpisode(seed: number): EpisodeSetup & { task: GoalTask } {
  const split = splitOfSeed(seed);
  const house = buildHouse(revisitHouse(seed), split === 'heldout');
  const target = house.targets[revisitVisit(seed)];
  if (target === undefined) throw new GenerationError(`revisit house ${revisitHouse(seed)} has no visit ${revisitVisit(seed)}`);
  const task = new GoalTask<FamilyName>('revisit', target.instruction, [{ kind: 'holding', object: target.id }], 'sequence', [target.id]);
  return { description: house.description, task };
}

// The visits of a house must share a split.
for (const base of Object.values(SPLIT_BASE)) {
  if (base % REVISIT_VISITS !== 0) throw new Error(`split base ${base} is not a multiple of ${REVISIT_VISITS}`);
}
