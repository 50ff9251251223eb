// Door closed and dropped: two disturbances while the agent puts an object into a container.
//
// Generated `place-in` episodes (pick an object up, open a closed container, put the object inside). Two scripted
// events get in the way:
//   - `take-from-hand`: from step 2 on, as soon as the agent holds the object, it is taken out of its hand and put
//     down on the nearest free table top (as if someone took it);
//   - `close-container`: the moment the agent has opened the container, it swings shut again.
// An event with an empty `do`, `regrasped`, marks the step at which the agent holds the object again. The custom
// failure predicate ends the episode when the agent has not got the object back in hand within 10 steps of losing
// it; the metric `recovery_steps` is how long that took.
//
// Hooks: events with `at` + `when` and `when` alone, ctx.takeFromHand, ctx.setOpenness, ctx.holds, ctx.fired /
// ctx.firedAt, a custom `failure`, `metrics`.
//
// The oracle picks the object up again (it knows where it went), goes back to the container, opens it a second
// time and puts the object inside: it succeeds, a few steps later than without the disturbances.
import { defineScenario, type ScenarioContext } from 'umwelt/scenario';

const RECOVERY_LIMIT = 10;

/** The object to put away and the container it goes in (the place-in goal). */
function task(ctx: ScenarioContext): { object: string; container: string } {
  const goal = ctx.goals.find((g) => g.kind === 'in');
  if (!goal || goal.kind !== 'in') throw new Error('this scenario needs a place-in goal');
  return { object: goal.object, container: goal.container };
}

export default defineScenario({
  name: 'door-closed-and-dropped',
  description: 'The object is taken out of the gripper, and the container closes again right after the agent opens it.',
  families: ['place-in'],
  seeds: [0, 1],
  maxSteps: 30,
  events: [
    {
      name: 'take-from-hand',
      at: 2,
      when: (ctx) => ctx.holding() === task(ctx).object,
      do: (ctx) => {
        ctx.takeFromHand();
      },
    },
    {
      name: 'regrasped',
      when: (ctx) => ctx.fired('take-from-hand') && ctx.holding() === task(ctx).object,
      do: () => {},
    },
    {
      name: 'close-container',
      when: (ctx) => ctx.holds({ kind: 'open', container: task(ctx).container }),
      do: (ctx) => {
        ctx.setOpenness(task(ctx).container, 0);
      },
    },
  ],
  failure: (ctx) => {
    const dropped = ctx.firedAt('take-from-hand');
    if (dropped === null || ctx.fired('regrasped')) return null;
    return ctx.step - dropped >= RECOVERY_LIMIT ? `did not pick the object up again within ${RECOVERY_LIMIT} steps of losing it` : null;
  },
  metrics: {
    /** Steps from losing the object to holding it again (0 when it was never lost, or never held again). */
    recovery_steps: (ctx) => {
      const dropped = ctx.firedAt('take-from-hand');
      const regrasped = ctx.firedAt('regrasped');
      return dropped === null || regrasped === null ? 0 : regrasped - dropped;
    },
  },
});
