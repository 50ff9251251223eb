// The LM planner's loop guard: a greedy policy in a world that answers the same action the same way goes round
// a cycle for good once it has come back to a state it has been in (the trace that made this: goto, open, goto,
// close of one cabinet, again and again until the step limit). The guard remembers, per episode, which actions
// the planner chose in which prompt state (the prompt without its History section, which only counts steps, and
// without distances), and says when a new choice would repeat one; the planner then decodes again by sampling at
// rising temperatures (lm.ts, LOOP_GUARD_TEMPERATURES), seeded, takes the first try the guard accepts (one that
// repeats nothing and does not end the episode), and keeps the greedy choice when there is none.
import { formatAction } from '../grammar.ts';
import type { Action } from '../../sim/types.ts';

/** A distance at a line's end (`, 1.3 m`): coming back to a place from another side changes only these. */
const DISTANCE = /, \d+(\.\d+)? m$/;

/**
 * The prompt's text without its History section (`History:` and its numbered lines, or `History: none`) and
 * without the distances that end its lines.
 */
export function promptState(promptText: string): string {
  const out: string[] = [];
  let inHistory = false;
  for (const line of promptText.split('\n')) {
    if (line.startsWith('History:')) {
      inHistory = true;
      continue;
    }
    if (inHistory && /^\d+\. /.test(line)) continue;
    inHistory = false;
    out.push(line.replace(DISTANCE, ''));
  }
  return out.join('\n');
}

export class LoopGuard {
  private readonly chosen = new Map<string, Set<string>>();

  /** Forget the episode. */
  reset(): void {
    this.chosen.clear();
  }

  /** Whether `action` in this prompt state is one the planner already chose there in this episode. */
  repeats(state: string, action: Action): boolean {
    return this.chosen.get(state)?.has(formatAction(action)) ?? false;
  }

  /** Whether a sampled try's `action` may stand in for a repeated choice: it repeats nothing chosen in this state,
   *  and does not end the episode (a try is there to leave a loop; only the greedy decode may say done: traced, a
   *  try at temperature 2.5 wrote noise and `done` mid-task). */
  accepts(state: string, action: Action): boolean {
    return action.kind !== 'done' && !this.repeats(state, action);
  }

  /** Remember that `action` was chosen in this prompt state. */
  note(state: string, action: Action): void {
    let actions = this.chosen.get(state);
    if (actions === undefined) {
      actions = new Set();
      this.chosen.set(state, actions);
    }
    actions.add(formatAction(action));
  }
}
