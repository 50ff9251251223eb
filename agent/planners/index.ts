// Planners by name, for the CLI and the evaluation harness.
import type { Env } from '../../sim/env.ts';
import type { Planner } from '../planner.ts';
import { OraclePlanner } from './oracle.ts';
import { RandomPlanner } from './random.ts';

export const PLANNERS = ['oracle', 'random'] as const;
export type PlannerName = (typeof PLANNERS)[number];

export function isPlannerName(name: string): name is PlannerName {
  return (PLANNERS as readonly string[]).includes(name);
}

/** A planner for an env (the oracle reads that env's world and task). */
export function makePlanner(name: PlannerName, env: Env): Planner {
  switch (name) {
    case 'oracle':
      return new OraclePlanner(env);
    case 'random':
      return new RandomPlanner();
  }
}
