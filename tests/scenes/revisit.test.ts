// The revisit family: the visits of a house build the identical house, each asks for another object hidden in a
// closed container of its own; it is a memory family, outside "all".
import { describe, expect, it } from 'vitest';
import { houseKey, isFamilyName, makeEpisode } from '../../scenes/families.ts';
import { FAMILY_NAMES, MEMORY_FAMILY_NAMES, TASK_FAMILY_NAMES } from '../../scenes/family-names.ts';
import { REVISIT_VISITS, revisitHouse, revisitVisit } from '../../scenes/revisit.ts';
import { ScenarioSchema, scenarioEpisodes } from '../../scenes/scenario.ts';
import { isHeldOutCombo, seedOf } from '../../scenes/splits.ts';
import { validateScene } from '../../scenes/validate.ts';
import { isOpenable } from '../../sim/furniture.ts';

const HOUSES = 3;

describe('the revisit family', () => {
  it('is a task family outside "all"', () => {
    expect(MEMORY_FAMILY_NAMES).toEqual(['revisit']);
    expect(FAMILY_NAMES).not.toContain('revisit');
    expect(TASK_FAMILY_NAMES).toContain('revisit');
    expect(isFamilyName('revisit')).toBe(true);
    const all = ScenarioSchema.parse({ version: 1, name: 'a', families: 'all', seeds: { start: 0, count: 1 } });
    expect(scenarioEpisodes(all).map((e) => e.family)).toEqual([...FAMILY_NAMES]);
    const named = ScenarioSchema.parse({ version: 1, name: 'a', families: ['revisit'], seeds: { start: 0, count: 2 } });
    expect(scenarioEpisodes(named)).toEqual([
      { family: 'revisit', seed: 1_000_000 },
      { family: 'revisit', seed: 1_000_001 },
    ]);
  });

  it('maps seeds to houses and visits, and splits never cut a house', () => {
    expect(REVISIT_VISITS).toBe(4);
    expect([8, 9, 10, 11, 12].map(revisitHouse)).toEqual([2, 2, 2, 2, 3]);
    expect([8, 9, 10, 11, 12].map(revisitVisit)).toEqual([0, 1, 2, 3, 0]);
    for (const split of ['train', 'test', 'heldout'] as const) expect(seedOf(split, 0) % REVISIT_VISITS).toBe(0);
    expect(houseKey('revisit', 1_000_005)).toBe(houseKey('revisit', 1_000_007));
    expect(houseKey('revisit', 1_000_005)).not.toBe(houseKey('revisit', 1_000_008));
    expect(houseKey('search', 1_000_005)).not.toBe(houseKey('search', 1_000_006));
  });

  it('builds the identical, valid house on every visit, asking for a different hidden object in a container of its own', () => {
    for (let h = 0; h < HOUSES; h++) {
      const seeds = Array.from({ length: REVISIT_VISITS }, (_, v) => seedOf('test', h * REVISIT_VISITS + v));
      const visits = seeds.map((seed) => makeEpisode('revisit', seed));
      const first = visits[0];
      if (!first) throw new Error('no visit');
      expect(validateScene(first.description)).toEqual(first.description);
      expect(first.description.rooms).toHaveLength(4);
      const targets: string[] = [];
      const containers = new Set<string>();
      for (const visit of visits) {
        expect(visit.description).toEqual(first.description);
        expect(visit.task.family).toBe('revisit');
        expect(visit.task.goals).toHaveLength(1);
        const goal = visit.task.goals[0];
        if (goal?.kind !== 'holding') throw new Error(`expected a holding goal, got ${JSON.stringify(goal)}`);
        expect(visit.task.hidden).toEqual([goal.object]);
        const o = first.description.objects.find((x) => x.id === goal.object);
        if (!o || !('in' in o.placement)) throw new Error(`${goal.object} is not inside a container`);
        const container = first.description.furniture.find((f) => 'in' in o.placement && f.id === o.placement.in);
        expect(container && isOpenable(container.category)).toBe(true);
        containers.add(o.placement.in);
        targets.push(o.id);
        // Named uniquely by colour and category, as the instruction names it.
        expect(first.description.objects.filter((x) => x.color === o.color && x.category === o.category)).toHaveLength(1);
        expect(visit.task.instruction.toLowerCase()).toContain(`${o.color} ${o.category.replace(/_/g, ' ')}`);
      }
      expect(new Set(targets).size).toBe(REVISIT_VISITS);
      expect(containers.size).toBe(REVISIT_VISITS);
      // Deterministic, and another house is another house.
      expect(makeEpisode('revisit', seeds[1] ?? 0)).toEqual(visits[1]);
      expect(makeEpisode('revisit', seedOf('test', (h + 1) * REVISIT_VISITS)).description).not.toEqual(first.description);
    }
  });

  it('uses held-out combinations for every target of a held-out house and none elsewhere', () => {
    for (const [split, heldOut] of [['test', false], ['heldout', true]] as const) {
      for (let v = 0; v < REVISIT_VISITS; v++) {
        const { description, task } = makeEpisode('revisit', seedOf(split, v));
        const o = description.objects.find((x) => x.id === task.targets[0]);
        if (!o) throw new Error('no target');
        expect(isHeldOutCombo('revisit', o.color, o.category)).toBe(heldOut);
      }
    }
  });
});
