// Goal predicates over world state: the vocabulary every task family is written in. JSON-safe.
import { assertNever } from '../sim/types.ts';
import { isOpen, relationOf } from '../sim/relations.ts';
import { ROBOT } from '../sim/robot.ts';
import type { World } from '../sim/world.ts';

export type Goal =
  | { kind: 'near'; object: string }
  | { kind: 'holding'; object: string }
  | { kind: 'on'; object: string; receptacle: string }
  | { kind: 'in'; object: string; container: string }
  | { kind: 'open'; container: string }
  | { kind: 'closed'; container: string };

export function goalHolds(world: World, g: Goal): boolean {
  switch (g.kind) {
    case 'near': {
      const o = world.object(g.object);
      if (!o || world.robot.held === o) return false;
      return world.robot.horizontalDistance([o.body.position.x, o.body.position.y, o.body.position.z]) <= ROBOT.reach;
    }
    case 'holding':
      return world.robot.held?.id === g.object;
    case 'on': {
      const o = world.object(g.object);
      return o !== undefined && relationOf(world, o).on_top_of === g.receptacle;
    }
    case 'in': {
      const o = world.object(g.object);
      return o !== undefined && relationOf(world, o).inside === g.container;
    }
    case 'open': {
      const f = world.furniture(g.container);
      return f !== undefined && isOpen(f);
    }
    case 'closed': {
      const f = world.furniture(g.container);
      return f !== undefined && f.openness <= 0.05;
    }
    default:
      return assertNever(g, 'goal');
  }
}

/** The entities a goal is about, object first. */
export function goalEntities(g: Goal): string[] {
  switch (g.kind) {
    case 'near':
    case 'holding':
      return [g.object];
    case 'on':
      return [g.object, g.receptacle];
    case 'in':
      return [g.object, g.container];
    case 'open':
    case 'closed':
      return [g.container];
    default:
      return assertNever(g, 'goal');
  }
}
