// A planner that waits on a gate before each decision: how the page pauses the agent, steps it once, or lets the
// drawing of the last action catch up, without the loop knowing. It counts the time spent waiting, so that the
// loop's decision latency can leave it out.
import type { Decision, EpisodeInfo, Planner, PlannerContext } from '../../agent/planner.ts';

export class GatedPlanner implements Planner {
  /** Milliseconds spent waiting on the gate so far. */
  heldMs = 0;

  constructor(
    private readonly inner: Planner,
    private readonly gate: (step: number) => Promise<void>,
    private readonly nextStep: () => number,
  ) {}

  get name(): string {
    return this.inner.name;
  }

  reset(info: EpisodeInfo): void {
    this.inner.reset?.(info);
  }

  async decide(context: PlannerContext, options: { signal?: AbortSignal }): Promise<Decision> {
    const started = performance.now();
    await this.gate(this.nextStep());
    this.heldMs += performance.now() - started;
    return this.inner.decide(context, options);
  }
}
