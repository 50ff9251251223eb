// The random baseline: a uniformly random valid action over the entities in the observation (never `say`, and
// never `done`, which would end the episode at once). Seeded per episode, so it is reproducible.
import { Rng } from '../../sim/rng.ts';
import type { Action } from '../../sim/types.ts';
import { formatAction } from '../grammar.ts';
import type { Decision, EpisodeInfo, Planner, PlannerContext } from '../planner.ts';

export class RandomPlanner implements Planner {
  readonly name = 'random';
  private rng = new Rng(0);

  reset(info: EpisodeInfo): void {
    this.rng = new Rng(`random:${info.family}:${info.seed}`);
  }

  async decide(context: PlannerContext): Promise<Decision> {
    const obs = context.observation;
    const rng = this.rng;
    const objects = obs.visible.filter((v) => v.kind === 'object').map((v) => v.id);
    const places = obs.landmarks.map((l) => l.id);
    const openable = obs.landmarks.filter((l) => l.openable).map((l) => l.id);
    const switchable = obs.landmarks.filter((l) => l.category === 'lamp').map((l) => l.id);
    const options: (() => Action)[] = [
      () => ({ kind: 'goto', target: rng.pick([...places, ...objects]) }),
      () => ({ kind: 'move', forward: Math.round(rng.uniform(-1, 1) * 100) / 100, turn: Math.round(rng.uniform(-1, 1) * 100) / 100 }),
    ];
    if (objects.length > 0 && !obs.holding) options.push(() => ({ kind: 'pick', object: rng.pick(objects) }));
    if (obs.holding) {
      const held = obs.holding;
      options.push(() => ({ kind: 'place', object: held, receptacle: rng.pick(places) }), () => ({ kind: 'release' }));
    }
    if (openable.length > 0) options.push(() => ({ kind: 'open', target: rng.pick(openable) }), () => ({ kind: 'close', target: rng.pick(openable) }));
    if (switchable.length > 0) options.push(() => ({ kind: 'toggle', target: rng.pick(switchable) }));
    const action = rng.pick(options)();
    const thought = 'I act at random.';
    return { thought, action, raw: `Thought: ${thought}\nAction: ${formatAction(action)}`, stats: {} };
  }
}
