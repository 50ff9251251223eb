// Changed mind: the instruction changes half-way, with new goals, in a scene of the scenario's own.
//
// A hand-written two-room flat (`scene.build` returns a literal scene description; the seed's generator moves the
// mug around the table and turns the agent). The agent is asked to bring the red mug to the green mat in the
// living room. The moment it has the mug in its gripper, the instruction becomes "put it in the white cabinet in
// the kitchen and close the cabinet" (new goals). The scenario's own success predicate only counts the new
// request, after the change: finishing the old one is not enough.
//
// Hooks: `scene` (a custom scene, with `hidden` left out), an event with `at` + `when`, ctx.setInstruction with new
// goals, a custom `success`, and a metric (`steps_after_change`).
//
// The oracle re-reads the goals every step, so it turns round, opens the cabinet, puts the mug in and closes the
// cabinet: it succeeds.
import { defineScenario, type Goal, type SceneDescription } from 'umwelt/scenario';

const MUG = 'mug_1';
const CABINET = 'cabinet_1';
const NEW_GOALS: Goal[] = [
  { kind: 'in', object: MUG, container: CABINET },
  { kind: 'closed', container: CABINET },
];

export default defineScenario({
  name: 'changed-mind',
  description: 'The instruction (and the goals) change as soon as the agent has picked the mug up.',
  split: 'test',
  seeds: { start: 0, count: 3 },
  maxSteps: 30,
  scene: {
    label: 'changed-mind-flat',
    build: (seed, rng) => {
      const r2 = (v: number): number => Math.round(v * 100) / 100;
      const description: SceneDescription = {
        version: 1,
        name: `changed-mind-${seed}`,
        rooms: [
          { id: 'kitchen', type: 'kitchen', min: [0, 0], max: [5, 4] },
          { id: 'living_room', type: 'living_room', min: [5, 0], max: [10, 4] },
        ],
        doorways: [{ between: ['kitchen', 'living_room'], at: [5, 2], width: 1 }],
        furniture: [
          { id: 'table_1', category: 'table', color: 'white', position: [2.5, 2], yaw: 0, size: [1.2, 0.75, 0.8] },
          { id: CABINET, category: 'cabinet', color: 'white', position: [1, 0.32], yaw: 0, size: [0.8, 0.9, 0.5], openness: 0 },
          { id: 'shelf_1', category: 'shelf', color: 'black', position: [8, 0.24], yaw: 0, size: [1.0, 1.6, 0.35] },
          { id: 'counter_1', category: 'counter', color: 'blue', position: [3.6, 3.66], yaw: 180, size: [1.4, 0.9, 0.6] },
        ],
        markers: [{ id: 'mat_1', category: 'mat', color: 'green', position: [8, 2.6], size: [0.6, 0.6] }],
        objects: [
          {
            id: MUG,
            category: 'mug',
            color: 'red',
            shape: 'cylinder',
            size: [0.08, 0.1, 0.08],
            mass: 0.3,
            placement: { on: 'table_1', at: [r2(rng.uniform(-0.7, 0.7)), r2(rng.uniform(-0.7, 0.7))] },
          },
          { id: 'mug_2', category: 'mug', color: 'blue', shape: 'cylinder', size: [0.08, 0.1, 0.08], mass: 0.3, placement: { on: 'counter_1', at: [-0.5, 0] } },
          { id: 'book_1', category: 'book', color: 'red', shape: 'box', size: [0.15, 0.04, 0.22], mass: 0.5, placement: { on: 'shelf_1', level: 1 } },
          { id: 'apple_1', category: 'apple', color: 'green', shape: 'sphere', size: [0.08, 0.08, 0.08], mass: 0.2, placement: { in: CABINET, at: [0.6, 0] } },
        ],
        agent: { position: [7, 1.5], yaw: r2(rng.uniform(-Math.PI, Math.PI)) },
      };
      return {
        description,
        instruction: 'Bring the red mug to the green mat in the living room.',
        goals: [{ kind: 'on', object: MUG, receptacle: 'mat_1' }],
      };
    },
  },
  events: [
    {
      name: 'change-mind',
      at: 1,
      when: (ctx) => ctx.holding() === MUG,
      do: (ctx) => {
        ctx.setInstruction('Change of plan: put the red mug in the white cabinet in the kitchen, then close the cabinet.', NEW_GOALS, 'sequence');
      },
    },
  ],
  // Only the new request counts, and only once it has been made.
  success: (ctx) => ctx.fired('change-mind') && NEW_GOALS.every((g) => ctx.holds(g)),
  metrics: {
    /** Steps from the change of mind to the end of the episode (0 when it never came). */
    steps_after_change: (ctx) => {
      const at = ctx.firedAt('change-mind');
      return at === null ? 0 : ctx.step - at;
    },
  },
});
