// The oracle: a privileged expert that reads the world state and the task's goals, decomposes every family into
// skills, searches honestly when its target has not been seen (in the prompt's Places order, skipping the places
// visited, so that a model reading the prompt can learn the same search), and narrates why. A target the agent
// remembers from an earlier episode (ctx.seenBefore, from a long-term memory) is looked for where it was first.
// It keeps no state of its own between decisions. It is the teacher later planners learn from, and the reference
// of SPL.
import type { Env } from '../../sim/env.ts';
import type { Entity, FurnitureEntity, ObjectEntity } from '../../sim/entities.ts';
import { centerOf, closedContainerAround, isOpen, relationOf } from '../../sim/relations.ts';
import { ROBOT } from '../../sim/robot.ts';
import type { Action } from '../../sim/types.ts';
import type { Goal } from '../../scenes/goals.ts';
import { goalHolds } from '../../scenes/goals.ts';
import { goalTaskOf, type GoalTask } from '../../scenes/task.ts';
import { formatAction } from '../grammar.ts';
import { placeOrder, unsearchedPlaces, visitedPlaces } from '../prompt.ts';
import type { Decision, HistoryEntry, Planner, PlannerContext } from '../planner.ts';

interface Step {
  action: Action;
  thought: string;
}

const name = (e: Entity): string => (e.kind === 'object' ? `the ${e.color} ${e.category.replace(/_/g, ' ')}` : `${e.id}`);

export class OraclePlanner implements Planner {
  readonly name = 'oracle';
  private readonly env: Env;
  constructor(env: Env) {
    this.env = env;
  }

  async decide(context: PlannerContext): Promise<Decision> {
    const step = this.next(context);
    const raw = `Thought: ${step.thought}\nAction: ${formatAction(step.action)}`;
    return { thought: step.thought, action: step.action, raw, stats: {} };
  }

  /** The current goal-based task (through a scripted scenario's task, whose goals may change mid-episode). */
  private get task(): GoalTask<string> {
    const task = goalTaskOf(this.env.task);
    if (!task) throw new Error('the oracle needs a goal-based task');
    return task;
  }

  private next(context: PlannerContext): Step {
    const world = this.env.world;
    const task = this.task;
    const last = context.history[context.history.length - 1] ?? null;
    let goal: Goal | undefined;
    if (task.mode === 'sequence') goal = task.goals[task.achieved];
    else {
      const open = task.goals.filter((g) => !goalHolds(world, g));
      // Finish what is in hand first.
      goal = open.find((g) => 'object' in g && g.object === world.robot.held?.id) ?? open[0];
    }
    if (!goal) return { action: { kind: 'done' }, thought: 'Everything asked for is done.' };
    const needed = new Set(task.goals.flatMap((g) => (g.kind === 'open' ? [g.container] : [])));
    // Tidy as it goes: a door left open after putting something inside can block the way later.
    const placedIn = last?.outcome.ok && last.action?.startsWith('place(') ? world.furniture(last.action.slice(0, -1).split(', ')[1] ?? '') : undefined;
    if (placedIn?.model.part && !needed.has(placedIn.id) && placedIn.openness > 0.05) {
      return { action: { kind: 'close', target: placedIn.id }, thought: `It is in ${placedIn.id}; I close it again so it is not in the way.` };
    }
    if (last && !last.outcome.ok && (last.outcome.reason === 'path_blocked' || last.action?.startsWith('close('))) {
      // An open door may stand in the way: close the nearest one that no goal needs open, going to it first.
      const here = world.robot.position;
      const door = world.entityList
        .filter((e): e is FurnitureEntity => e.kind === 'furniture' && e.model.part !== null && e.openness > 0.05 && !needed.has(e.id))
        .sort((a, b) => Math.hypot(a.center[0] - here[0], a.center[2] - here[2]) - Math.hypot(b.center[0] - here[0], b.center[2] - here[2]))[0];
      if (door) {
        if (last.action === `close(${door.id})`) return { action: { kind: 'goto', target: door.id }, thought: `${door.id} is too far to close from here; I go to it.` };
        return { action: { kind: 'close', target: door.id }, thought: `The way is blocked; the open ${door.id} may be in the way, so I close it.` };
      }
    }
    if (last?.outcome.ok && last.action?.startsWith('goto(')) {
      // Arrived at a door to close it after a blocked path.
      const prev = context.history[context.history.length - 2];
      const target = world.furniture(last.action.slice(5, -1));
      if (prev && !prev.outcome.ok && prev.action === `close(${target?.id ?? ''})` && target && target.openness > 0.05) {
        return { action: { kind: 'close', target: target.id }, thought: `I am at ${target.id}; I close it.` };
      }
    }
    return this.achieve(goal, context, last);
  }

  private achieve(goal: Goal, ctx: PlannerContext, last: HistoryEntry | null): Step {
    const world = this.env.world;
    switch (goal.kind) {
      case 'near': {
        const o = world.object(goal.object);
        if (!o) return this.giveUp(goal.object);
        if (world.robot.held === o) return this.putDown(o, last, 'I am holding what I should go to; I put it down first.');
        return this.reach(o, ctx, last, `I need to be next to ${name(o)}.`);
      }
      case 'holding': {
        const o = world.object(goal.object);
        if (!o) return this.giveUp(goal.object);
        return this.obtain(o, ctx, last);
      }
      case 'on':
      case 'in': {
        const o = world.object(goal.object);
        const r = world.entity(goal.kind === 'on' ? goal.receptacle : goal.container);
        if (!o || !r) return this.giveUp(goal.object);
        if (world.robot.held !== o) return this.obtain(o, ctx, last);
        const where = goal.kind === 'on' ? `on ${r.id}` : `in ${r.id}`;
        if (r.kind === 'furniture' && r.model.part && !isOpen(r)) {
          if (this.lastWas(last, 'goto', r.id)) return { action: { kind: 'open', target: r.id }, thought: `${r.id} is closed; I open it to put ${name(o)} inside.` };
          return { action: { kind: 'goto', target: r.id }, thought: `I have ${name(o)}. It goes ${where}, which is closed, so I go there to open it.` };
        }
        const placeFailed = last !== null && !last.outcome.ok && last.action === formatAction({ kind: 'place', object: o.id, receptacle: r.id });
        if (!placeFailed && (this.lastWas(last, 'goto', r.id) || this.lastWas(last, 'open', r.id))) {
          return { action: { kind: 'place', object: o.id, receptacle: r.id }, thought: `I am at ${r.id}; I put ${name(o)} ${goal.kind === 'on' ? 'on' : 'in'} it.` };
        }
        return { action: { kind: 'goto', target: r.id }, thought: `I have ${name(o)}. It goes ${where}, so I go there.` };
      }
      case 'open':
      case 'closed': {
        const f = world.furniture(goal.container);
        if (!f) return this.giveUp(goal.container);
        const kind = goal.kind === 'open' ? 'open' : 'close';
        const failed = last !== null && !last.outcome.ok && last.action === formatAction({ kind, target: f.id });
        if (!failed && this.lastWas(last, 'goto', f.id)) return { action: { kind, target: f.id }, thought: `I am at ${f.id}; I ${kind} it.` };
        return { action: { kind: 'goto', target: f.id }, thought: `I need to ${kind} ${f.id}, so I go to it first.` };
      }
    }
  }

  private giveUp(id: string): Step {
    return { action: { kind: 'say', text: `I cannot find ${id}.` }, thought: `${id} does not exist here.` };
  }

  private lastWas(last: HistoryEntry | null, kind: Action['kind'], target: string): boolean {
    return last !== null && last.outcome.ok && last.action === `${kind}(${target})`;
  }

  /** Get an object into the gripper, putting down whatever else is there first. */
  private obtain(o: ObjectEntity, ctx: PlannerContext, last: HistoryEntry | null): Step {
    const world = this.env.world;
    const held = world.robot.held;
    if (held === o) return { action: { kind: 'done' }, thought: `I am holding ${name(o)}.` };
    if (held) return this.putDown(held, last, `I need my gripper free for ${name(o)}, so I put down ${name(held)} first.`);
    if (!this.env.skills.known.has(o.id)) return this.search(o, ctx, last, `I need ${name(o)}.`);
    const container = closedContainerAround(this.env.world, o);
    if (container) {
      if (this.lastWas(last, 'goto', container.id)) return { action: { kind: 'open', target: container.id }, thought: `${name(o)} is inside ${container.id}, which is closed. I open it.` };
      return { action: { kind: 'goto', target: container.id }, thought: `${name(o)} is inside ${container.id}, which is closed. I go there to open it.` };
    }
    const visible = ctx.observation.visible.some((v) => v.id === o.id);
    const c = centerOf(o);
    const pickFailed = last !== null && !last.outcome.ok && last.action === `pick(${o.id})`;
    if (visible && !pickFailed && world.robot.horizontalDistance(c) <= ROBOT.reach) {
      return { action: { kind: 'pick', object: o.id }, thought: `${name(o)} is right here within reach. I pick it up.` };
    }
    return this.reach(o, ctx, last, `I need ${name(o)}.`);
  }

  /** Go next to an object, searching for it first when it has not been seen yet. */
  private reach(o: ObjectEntity, ctx: PlannerContext, last: HistoryEntry | null, why: string): Step {
    if (this.env.skills.known.has(o.id)) return { action: { kind: 'goto', target: o.id }, thought: `${why} I have seen it, so I go to it.` };
    return this.search(o, ctx, last, why);
  }

  /**
   * An honest search, using only what the prompt shows: the first of its Unsearched surfaces (unsearchedPlaces:
   * in Places order, the agent's room first, neither visited nor in sight), then of its Unsearched containers, which are opened, looked into from the front and closed again; a target the task
   * says is hidden away is looked for in containers only. Only when every place has been visited (a scripted
   * scenario may have moved the target behind the agent's back) does the oracle use what it knows.
   */
  private search(o: ObjectEntity, ctx: PlannerContext, last: HistoryEntry | null, why: string): Step {
    const world = this.env.world;
    const what = name(o);
    const What = what.charAt(0).toUpperCase() + what.slice(1);
    const hidden = this.task.hidden.includes(o.id);
    const places = placeOrder(ctx.observation, ctx.instruction)
      .map((l) => world.furniture(l.id))
      .filter((f): f is FurnitureEntity => f !== undefined && f.model.surfaces.length > 0);
    const containers = places.filter((f) => f.model.part !== null);
    // A container being looked into: the last step went to it or opened it.
    const current = containers.find((c) => last !== null && last.outcome.ok && (last.action === `goto(${c.id})` || last.action === `open(${c.id})`));
    if (current) {
      if (!isOpen(current)) return { action: { kind: 'open', target: current.id }, thought: `${why} ${What} is not in sight. I open ${current.id} to look inside.` };
      if (last?.action === `open(${current.id})`) return { action: { kind: 'goto', target: current.id }, thought: `${current.id} is open; I step in front of it to look inside for ${what}.` };
      return { action: { kind: 'close', target: current.id }, thought: `${What} is not in ${current.id}. I close it and look elsewhere.` };
    }
    // Where the agent remembers it from an earlier episode (and has not looked yet in this one).
    const remembered = this.rememberedPlace(o, ctx);
    if (remembered) {
      const where = `${remembered.relation} ${remembered.place.id}`;
      return { action: { kind: 'goto', target: remembered.place.id }, thought: `${why} ${What} is not in sight. I remember it ${where}, so I go there.` };
    }
    // The prompt's Unsearched lines, read the same way a model reads them.
    const unsearched = unsearchedPlaces(ctx);
    const nextSurface = hidden ? undefined : unsearched.surfaces[0];
    if (nextSurface) {
      return { action: { kind: 'goto', target: nextSurface.id }, thought: `${why} ${What} is not in sight. It could be on ${nextSurface.id}, the first place I have not looked at.` };
    }
    const nextContainer = unsearched.containers[0];
    if (nextContainer) {
      return { action: { kind: 'goto', target: nextContainer.id }, thought: `${why} ${What} is not in sight. It could be in ${nextContainer.id}, the first container I have not checked.` };
    }
    // Everywhere has been visited: it must have been moved. Fall back on what the oracle knows.
    const container = closedContainerAround(world, o);
    if (container) {
      if (this.lastWas(last, 'goto', container.id)) return { action: { kind: 'open', target: container.id }, thought: `${What} must be inside ${container.id}. I open it.` };
      return { action: { kind: 'goto', target: container.id }, thought: `I have looked everywhere; ${what} must be inside ${container.id}.` };
    }
    const rel = relationOf(world, o);
    const support = rel.inside ?? rel.on_top_of;
    if (support && !this.lastWas(last, 'goto', support)) {
      return { action: { kind: 'goto', target: support }, thought: `I have looked everywhere; ${what} must be ${rel.inside ? 'in' : 'on'} ${support}.` };
    }
    return { action: { kind: 'move', forward: 0, turn: 0.5 }, thought: `${why} I cannot see ${what} from here, so I turn to look around.` };
  }

  /**
   * Where the agent remembers an object it has not seen in this episode (a memory's sighting in ctx.seenBefore that
   * the skills do not know), when it has not yet gone to or opened that place in this episode: once it has, and the
   * object was not there, the memory is stale and the search goes on. Without a memory there is none.
   */
  private rememberedPlace(o: ObjectEntity, ctx: PlannerContext): { place: FurnitureEntity; relation: 'in' | 'on' } | null {
    if (this.env.skills.known.has(o.id)) return null;
    const seen = ctx.seenBefore?.find((e) => e.id === o.id);
    const support = seen?.state.inside ?? seen?.state.on_top_of;
    if (seen === undefined || support === undefined) return null;
    const place = this.env.world.furniture(support);
    if (place === undefined || visitedPlaces(ctx.history, ctx.observation.landmarks).includes(place.id)) return null;
    return { place, relation: seen.state.inside === undefined ? 'on' : 'in' };
  }

  /** Put the held object on the nearest open surface that is not a container. */
  private putDown(held: ObjectEntity, last: HistoryEntry | null, why: string): Step {
    const world = this.env.world;
    const here = world.robot.position;
    const surfaces = world.entityList
      .filter((e): e is FurnitureEntity => e.kind === 'furniture' && e.model.interior === null && e.model.surfaces.some((s) => s.kind === 'on'))
      .sort((a, b) => Math.hypot(a.center[0] - here[0], a.center[2] - here[2]) - Math.hypot(b.center[0] - here[0], b.center[2] - here[2]));
    const failed = new Set<string>();
    if (last && !last.outcome.ok && last.action?.startsWith(`place(${held.id}, `)) failed.add(last.action.slice(`place(${held.id}, `.length, -1));
    const target = surfaces.find((s) => !failed.has(s.id)) ?? surfaces[0];
    if (!target) return { action: { kind: 'release' }, thought: `${why} There is no surface nearby, so I let it go here.` };
    if (this.lastWas(last, 'goto', target.id)) return { action: { kind: 'place', object: held.id, receptacle: target.id }, thought: why };
    return { action: { kind: 'goto', target: target.id }, thought: `${why} The nearest free surface is ${target.id}.` };
  }
}
