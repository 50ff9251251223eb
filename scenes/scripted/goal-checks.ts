// Goals given as data (by a custom scene's build, setInstruction, ctx.holds, or a restored task state): their
// shape, checked with zod, and whether they fit the entities of the scene (an `in` goal needs a container, ...).
import { z } from 'zod';
import type { SceneDescription } from '../../sim/description.ts';
import type { Entity } from '../../sim/entities.ts';
import { furnitureModel } from '../../sim/furniture.ts';
import type { World } from '../../sim/world.ts';
import type { Goal } from '../goals.ts';
import { formatPath } from './errors.ts';

const idString = z.string().min(1, { error: 'expected an entity id' });
const GoalSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('near'), object: idString }),
    z.strictObject({ kind: z.literal('holding'), object: idString }),
    z.strictObject({ kind: z.literal('on'), object: idString, receptacle: idString }),
    z.strictObject({ kind: z.literal('in'), object: idString, container: idString }),
    z.strictObject({ kind: z.literal('open'), container: idString }),
    z.strictObject({ kind: z.literal('closed'), container: idString }),
  ],
  { error: 'expected a goal: {kind: "near" | "holding" | "on" | "in" | "open" | "closed", ...}' },
);
/** A non-empty list of goals (goals.ts Goal), strict. */
export const GoalsSchema = z.array(GoalSchema).min(1, { error: 'expected at least one goal' });
/** A GoalTask's mode. */
export const ModeSchema = z.enum(['sequence', 'all'], { error: 'expected "sequence" or "all"' });

/** What a goal needs to know of an entity. */
export interface EntityFacts {
  kind: Entity['kind'];
  category: string;
  /** A door or drawer. */
  openable: boolean;
  /** Things go in it (it has an interior). */
  container: boolean;
  /** Things go on it. */
  top: boolean;
}

/** What a goal needs to know of an entity of a built world, or undefined when there is none. */
export function factsInWorld(world: World, id: string): EntityFacts | undefined {
  const e = world.entity(id);
  if (!e) return undefined;
  if (e.kind !== 'furniture') return { kind: e.kind, category: e.category, openable: false, container: false, top: e.kind === 'marker' };
  return { kind: 'furniture', category: e.category, openable: e.model.part !== null, container: e.model.interior !== null, top: e.model.surfaces.some((s) => s.kind === 'on') };
}

/** The same, of the entities of a scene description (before the world is built). */
export function factsInDescription(d: SceneDescription): (id: string) => EntityFacts | undefined {
  return (id) => {
    const f = d.furniture.find((x) => x.id === id);
    if (f) {
      const m = furnitureModel(f.category, f.size);
      return { kind: 'furniture', category: f.category, openable: m.part !== null, container: m.interior !== null, top: m.surfaces.some((s) => s.kind === 'on') };
    }
    const mat = d.markers.find((x) => x.id === id);
    if (mat) return { kind: 'marker', category: mat.category, openable: false, container: false, top: true };
    const o = d.objects.find((x) => x.id === id);
    return o ? { kind: 'object', category: o.category, openable: false, container: false, top: false } : undefined;
  };
}

/** Why a goal cannot be about these entities, or null. */
function goalProblem(facts: (id: string) => EntityFacts | undefined, g: Goal): string | null {
  const need = (id: string, what: string, ok: (f: EntityFacts) => boolean): string | null => {
    const f = facts(id);
    if (!f) return `no entity "${id}" in this scene`;
    return ok(f) ? null : `"${id}" is a ${f.category.replace(/_/g, ' ')}, not ${what}`;
  };
  const object = (id: string): string | null => need(id, 'an object', (f) => f.kind === 'object');
  switch (g.kind) {
    case 'near':
    case 'holding':
      return object(g.object);
    case 'on':
      return object(g.object) ?? need(g.receptacle, 'something with a top to put things on', (f) => f.top);
    case 'in':
      return object(g.object) ?? need(g.container, 'a container', (f) => f.container);
    case 'open':
    case 'closed':
      return need(g.container, 'something that opens', (f) => f.openable);
  }
}

/** Goals checked for shape and against a scene's entities; throws `fail(message)`. */
export function checkedGoals(value: unknown, facts: (id: string) => EntityFacts | undefined, fail: (message: string) => Error): Goal[] {
  const parsed = GoalsSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw fail(`goals${issue ? formatPath(issue.path) : ''}: ${issue?.message ?? 'invalid goals'}`);
  }
  const goals = parsed.data.map((g): Goal => ({ ...g }));
  goals.forEach((g, i) => {
    const problem = goalProblem(facts, g);
    if (problem) throw fail(`goals[${i}] (${g.kind}): ${problem}`);
  });
  return goals;
}
