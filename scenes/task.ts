// A task built from goal predicates: in 'sequence' mode the goals must come true in order (progress is kept),
// in 'all' mode they must all hold at once. Reward: +1/n for each goal newly achieved.
import type { Task, TaskState } from '../sim/env.ts';
import type { World } from '../sim/world.ts';
import type { FamilyName } from './family-names.ts';
import { goalEntities, goalHolds, type Goal } from './goals.ts';

export type GoalMode = 'sequence' | 'all';

/**
 * A goal-based task. `F` is the type of its family label: a task family's name for generated episodes, any
 * string for a scripted scenario's own scene.
 */
export class GoalTask<F extends string = FamilyName> implements Task {
  readonly family: F;
  readonly instruction: string;
  readonly goals: readonly Goal[];
  readonly mode: GoalMode;
  readonly targets: string[];
  /** Entities that start hidden (for search): privileged knowledge, used by metrics only. */
  readonly hidden: string[];
  private progress = 0;
  private best = 0;

  constructor(family: F, instruction: string, goals: Goal[], mode: GoalMode, hidden: string[] = []) {
    if (goals.length === 0) throw new Error('a task needs at least one goal');
    this.family = family;
    this.instruction = instruction;
    this.goals = goals;
    this.mode = mode;
    this.hidden = hidden;
    this.targets = [...new Set(goals.flatMap(goalEntities))];
  }

  /** Goals achieved so far (sequence) or holding now (all). */
  get achieved(): number {
    return this.progress;
  }

  update(world: World): number {
    const before = this.best;
    if (this.mode === 'sequence') {
      while (this.progress < this.goals.length && goalHolds(world, this.goals[this.progress] as Goal)) this.progress++;
    } else {
      this.progress = this.goals.filter((g) => goalHolds(world, g)).length;
    }
    this.best = Math.max(this.best, this.progress);
    return (this.best - before) / this.goals.length;
  }

  success(world: World): boolean {
    if (this.mode === 'sequence') return this.progress >= this.goals.length;
    return this.goals.every((g) => goalHolds(world, g));
  }

  failure(world: World): string | null {
    // An object a goal is about has left the house (knocked through a gap): nothing can bring it back.
    for (const id of this.targets) {
      const o = world.object(id);
      if (o && o.body.position.y < -1) return `${id} fell out of the world`;
    }
    return null;
  }

  state(): TaskState {
    return { progress: this.progress, best: this.best };
  }

  restore(state: TaskState): void {
    this.progress = typeof state.progress === 'number' ? state.progress : 0;
    this.best = typeof state.best === 'number' ? state.best : 0;
  }
}

/** A task that wraps a goal-based one (a scripted scenario's task): `goalTask` is its current base. */
export interface GoalTaskWrapper {
  readonly goalTask: GoalTask<string> | null;
}

/**
 * The goal-based task behind a task: the task itself, or the current base of a wrapper such as a scripted
 * scenario's task (a new GoalTask once the scenario has replaced the goals). Null when there is none.
 */
export function goalTaskOf(task: Task): GoalTask<string> | null {
  if (task instanceof GoalTask) return task as GoalTask<string>;
  if ('goalTask' in task) {
    const inner = (task as Partial<GoalTaskWrapper>).goalTask;
    if (inner instanceof GoalTask) return inner;
  }
  return null;
}
