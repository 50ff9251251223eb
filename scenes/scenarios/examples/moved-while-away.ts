// Moved while away: does the agent notice that an object it has already seen is no longer where it saw it?
//
// Generated `rearrange` episodes (two or three objects to put where they belong). Handling the first object, the
// agent usually sees the last one on the way; the first time that object is out of view again (and neither held
// nor already where it belongs), it is moved to another piece of furniture the agent cannot see at that moment.
// An agent that relies on what it remembers goes to the old place first and has to look for it.
//
// Hooks: an event with `at` and `when` together (ctx.hasSeen, ctx.isVisible, ctx.holding, ctx.holds, ctx.rng,
// ctx.where, ctx.moveObject, ctx.vars), and metrics (`found_after_move`, `steps_after_move`, `fired:move-target`).
//
// The oracle reads the world, so it goes straight to the new place and succeeds; the metrics show how many steps
// the move cost it. Run it with `umwelt eval scenes/scenarios/examples/moved-while-away.ts`.
import { defineScenario, type Goal, type ScenarioContext } from 'umwelt/scenario';

/** The last goal that moves an object: the object the agent handles last, so it has time to see it first. */
function lastObjectGoal(ctx: ScenarioContext): (Goal & { object: string }) | null {
  const goals = ctx.goals.filter((g): g is Goal & { object: string } => 'object' in g);
  return goals[goals.length - 1] ?? null;
}

/** Where the object may be moved: anything with a top, neither where it is now nor where a goal wants something. */
function elsewhere(ctx: ScenarioContext, id: string): string[] {
  const from = ctx.where(id);
  const wanted = new Set(ctx.goals.flatMap((g) => (g.kind === 'on' ? [g.receptacle] : g.kind === 'in' ? [g.container] : [])));
  return ctx.world.entityList
    .filter((e) => e.kind === 'furniture' && e.id !== from && !wanted.has(e.id) && e.model.interior === null && e.model.surfaces.some((s) => s.kind === 'on'))
    .map((e) => e.id);
}

export default defineScenario({
  name: 'moved-while-away',
  description: 'An object the agent has seen is moved elsewhere while it is out of view.',
  families: ['rearrange'],
  split: 'test',
  seeds: [0, 10],
  maxSteps: 40,
  events: [
    {
      name: 'move-target',
      // From the first action on: the agent has seen the object, and now it is out of view.
      at: 1,
      when: (ctx) => {
        const goal = lastObjectGoal(ctx);
        if (!goal) return false;
        const id = goal.object;
        return ctx.hasSeen(id) && !ctx.isVisible(id) && ctx.holding() !== id && !ctx.holds(goal) && elsewhere(ctx, id).length > 0;
      },
      do: (ctx) => {
        const goal = lastObjectGoal(ctx);
        if (!goal) return;
        const id = goal.object;
        const from = ctx.where(id);
        // Somewhere the agent cannot see at this moment, if there is such a place.
        const places = elsewhere(ctx, id);
        const unseen = places.filter((p) => !ctx.isVisible(p));
        const to = ctx.rng.pick(unseen.length > 0 ? unseen : places);
        ctx.moveObject(id, to);
        ctx.vars.moved = id;
        ctx.vars.from = from ?? 'nowhere';
        ctx.vars.to = to;
      },
    },
  ],
  metrics: {
    /** 1 when the object was moved and still ended up where it belongs. */
    found_after_move: (ctx) => {
      const goal = lastObjectGoal(ctx);
      return ctx.fired('move-target') && goal !== null && ctx.holds(goal) ? 1 : 0;
    },
    /** Steps from the move to the end of the episode (0 when it never happened). */
    steps_after_move: (ctx) => {
      const at = ctx.firedAt('move-target');
      return at === null ? 0 : ctx.step - at;
    },
  },
});
