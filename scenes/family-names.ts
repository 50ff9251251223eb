/** The standard task families, in rising difficulty: what a scenario's `"families": "all"` means. */
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
export type StandardFamilyName = (typeof FAMILY_NAMES)[number];

/**
 * Families made to measure long-term memory: consecutive seeds share one house (scenes/revisit.ts). They are not
 * part of "all" (nor of `umwelt data`'s default families), so that scenarios written before them keep their
 * episodes; a scenario names them explicitly.
 */
export const MEMORY_FAMILY_NAMES = ['revisit'] as const;
export type MemoryFamilyName = (typeof MEMORY_FAMILY_NAMES)[number];

/** Every task family: the standard ones, then the memory ones. */
export const TASK_FAMILY_NAMES = [...FAMILY_NAMES, ...MEMORY_FAMILY_NAMES] as const;
export type FamilyName = (typeof TASK_FAMILY_NAMES)[number];

export const SPLITS = ['train', 'test', 'heldout'] as const;
export type Split = (typeof SPLITS)[number];

/**
 * What an episode does with a long-term memory (agent/memory/modes.ts): nothing, write and recall without telling
 * the planner, or also hand the planner the recalled memories and what it remembers seeing.
 */
export const MEMORY_MODES = ['off', 'record', 'prompt'] as const;
export type MemoryMode = (typeof MEMORY_MODES)[number];

/** Which episodes of an evaluation share one memory: none (a fresh one per episode), or those of one house. */
export const MEMORY_SCOPES = ['episode', 'house'] as const;
export type MemoryScope = (typeof MEMORY_SCOPES)[number];

export const PLANNER_NAMES = ['oracle', 'random'] as const;
export type PlannerName = (typeof PLANNER_NAMES)[number];
