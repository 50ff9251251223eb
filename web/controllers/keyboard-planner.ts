// The person's planner: the world worker asks it for a decision like any other planner (through a port); the page
// shows the observation and waits for an action typed in the action grammar (`goto(table_1)`, `pick(mug_3)`...).
import * as Comlink from 'comlink';
import { parseAction } from '../../agent/grammar.ts';
import type { Decision, EpisodeInfo, PlannerContext } from '../../agent/planner.ts';
import type { PlannerApi } from '../protocol.ts';

export class KeyboardPlanner implements PlannerApi {
  private pending: { context: PlannerContext; resolve: (d: Decision) => void } | null = null;

  constructor(private readonly changed: () => void) {}

  /** The port to hand the world worker (the other end serves this planner). */
  port(): MessagePort {
    const channel = new MessageChannel();
    Comlink.expose(this, channel.port1);
    return channel.port2;
  }

  get waiting(): PlannerContext | null {
    return this.pending?.context ?? null;
  }

  reset(_info: EpisodeInfo): void {
    this.pending = null;
  }

  decide(context: PlannerContext): Promise<Decision> {
    return new Promise((resolve) => {
      this.pending = { context, resolve };
      this.changed();
    });
  }

  /** Answers the waiting decision with the typed action; a line that does not parse goes to the loop as such. */
  submit(text: string, thought = 'typed by a person'): void {
    const pending = this.pending;
    if (pending === null) return;
    this.pending = null;
    const parsed = parseAction(text.trim());
    pending.resolve(
      parsed.ok
        ? { thought, action: parsed.action, raw: text, stats: {} }
        : { thought, action: null, raw: text, error: parsed.error, stats: {} },
    );
    this.changed();
  }
}
