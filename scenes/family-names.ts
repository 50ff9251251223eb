/** Task families, in rising difficulty. */
export const FAMILY_NAMES = [
  'goto',
  'pickup',
  'place-on',
  'place-in',
  'open',
  'fetch',
  'search',
  'rearrange',
  'chain',
] as const;
export type FamilyName = (typeof FAMILY_NAMES)[number];

export const SPLITS = ['train', 'test', 'heldout'] as const;
export type Split = (typeof SPLITS)[number];

export const PLANNER_NAMES = ['oracle', 'random'] as const;
export type PlannerName = (typeof PLANNER_NAMES)[number];
