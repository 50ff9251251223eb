// A Planner whose decisions come from a PlannerApi on a MessagePort (the planner worker, or the page when a person
// plays): the world worker's loop calls it like any other planner.
import * as Comlink from 'comlink';
import type { Decision, EpisodeInfo, Planner, PlannerContext } from '../../agent/planner.ts';
import type { PlannerApi } from '../protocol.ts';

export class PortPlanner implements Planner {
  private readonly remote: Comlink.Remote<PlannerApi>;

  constructor(
    readonly name: string,
    port: MessagePort,
  ) {
    this.remote = Comlink.wrap<PlannerApi>(port);
  }

  reset(info: EpisodeInfo): void {
    void this.remote.reset(info);
  }

  /** The signal cannot cross the port: an aborted episode stops at the loop's next check instead. */
  decide(context: PlannerContext): Promise<Decision> {
    return this.remote.decide(context);
  }

  close(): void {
    this.remote[Comlink.releaseProxy]();
  }
}
