// The procedural generator and task families: deterministic, varied, valid, grounded, and split as promised.
import { describe, expect, it } from 'vitest';
import { FAMILIES, makeEpisode } from '../../scenes/families.ts';
import { FAMILY_NAMES, TASK_FAMILY_NAMES } from '../../scenes/family-names.ts';
import { isHeldOutCombo, seedOf, splitOfSeed } from '../../scenes/splits.ts';
import { validateScene } from '../../scenes/validate.ts';
import { World } from '../../sim/world.ts';
import { relationOf } from '../../sim/relations.ts';

const SEEDS = 12;

describe('task families', () => {
  it('lists every family in rising difficulty, the memory families last', () => {
    expect(FAMILIES.map((f) => f.name)).toEqual([...TASK_FAMILY_NAMES]);
    expect(TASK_FAMILY_NAMES.slice(0, FAMILY_NAMES.length)).toEqual([...FAMILY_NAMES]);
    expect(FAMILIES[0]?.difficulty).toBeLessThan(FAMILIES[FAMILIES.length - 1]?.difficulty ?? 0);
  });

  it('is deterministic: the same family and seed give the same house and task', () => {
    for (const family of FAMILY_NAMES) {
      const a = makeEpisode(family, 1234);
      const b = makeEpisode(family, 1234);
      expect(b.description).toEqual(a.description);
      expect(b.task.instruction).toBe(a.task.instruction);
      expect(b.task.goals).toEqual(a.task.goals);
      expect(makeEpisode(family, 1235).description).not.toEqual(a.description);
    }
  });

  it('makes valid houses of 1-4 rooms with 10-40 objects, varied categories and colours', () => {
    const categories = new Set<string>();
    const colors = new Set<string>();
    const roomCounts = new Set<number>();
    let hiddenObjects = 0;
    for (const family of FAMILY_NAMES) {
      for (let i = 0; i < SEEDS; i++) {
        const { description } = makeEpisode(family, seedOf('train', i));
        expect(validateScene(description)).toEqual(description);
        expect(description.rooms.length).toBeGreaterThanOrEqual(1);
        expect(description.rooms.length).toBeLessThanOrEqual(4);
        expect(description.objects.length).toBeGreaterThanOrEqual(10);
        expect(description.objects.length).toBeLessThanOrEqual(40);
        roomCounts.add(description.rooms.length);
        for (const o of description.objects) {
          categories.add(o.category);
          colors.add(o.color);
          if ('in' in o.placement) hiddenObjects++;
        }
      }
    }
    expect(categories.size).toBeGreaterThanOrEqual(15);
    expect(colors.size).toBeGreaterThanOrEqual(6);
    expect([...roomCounts].sort()).toEqual([1, 2, 3, 4]);
    expect(hiddenObjects).toBeGreaterThan(0);
  });

  it('names each target uniquely and adds distractors sharing its colour or category', () => {
    for (const family of ['pickup', 'fetch', 'place-in'] as const) {
      for (let i = 0; i < SEEDS; i++) {
        const { description, task } = makeEpisode(family, seedOf('test', i));
        const target = description.objects.find((o) => o.id === task.targets[0]);
        expect(target).toBeDefined();
        if (!target) continue;
        const same = description.objects.filter((o) => o.color === target.color && o.category === target.category);
        expect(same).toHaveLength(1);
        expect(task.instruction).toContain(`${target.color} ${target.category.replace(/_/g, ' ')}`);
        const distractors = description.objects.filter((o) => o !== target && (o.color === target.color || o.category === target.category));
        expect(distractors.length).toBeGreaterThanOrEqual(1);
      }
    }
  });

  it('hides the search target in a closed container', () => {
    for (let i = 0; i < SEEDS; i++) {
      const { description, task } = makeEpisode('search', seedOf('test', i));
      const world = new World(description);
      for (let s = 0; s < 30; s++) world.stepPhysics();
      const target = world.object(task.targets[0] ?? '');
      const container = target ? relationOf(world, target).inside : undefined;
      expect(container).toBeDefined();
      expect(world.furniture(container ?? '')?.openness).toBe(0);
    }
  });

  it('keeps held-out (family, colour, category) combinations out of train and test seeds', () => {
    for (const family of FAMILY_NAMES) {
      for (const split of ['train', 'test', 'heldout'] as const) {
        for (let i = 0; i < 6; i++) {
          const seed = seedOf(split, i);
          expect(splitOfSeed(seed)).toBe(split);
          const { description, task } = makeEpisode(family, seed);
          const first = task.targets.map((id) => description.objects.find((o) => o.id === id)).find((o) => o !== undefined);
          if (!first) continue; // `open` has no object target
          expect(isHeldOutCombo(family, first.color, first.category)).toBe(split === 'heldout');
        }
      }
    }
  });

  it('varies the wording of instructions', () => {
    const starts = new Set<string>();
    for (let i = 0; i < 20; i++) starts.add(makeEpisode('pickup', seedOf('train', i)).task.instruction.split(' ')[0] ?? '');
    expect(starts.size).toBeGreaterThanOrEqual(3);
  });
});
