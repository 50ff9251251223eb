// The scenario file format (scenes/scenarios/*.json): which task families, split, seeds and planner an
// evaluation run covers. `scenarioEpisodes` expands a scenario into its episodes in a fixed order.
import { z } from 'zod';
import { strictObject } from './spec.ts';
import { FAMILY_NAMES, MEMORY_MODES, MEMORY_SCOPES, PLANNER_NAMES, SPLITS, TASK_FAMILY_NAMES, type FamilyName } from './family-names.ts';
import { seedOf, SPLIT_SIZE } from './splits.ts';

export const SCENARIO_LIMITS = { seedCount: 100_000, maxSteps: 1000 } as const;

const isUnique = (values: readonly unknown[]): boolean => new Set(values).size === values.length;

// Seeds in a scenario are indices within its split: episode seed = SPLIT_BASE[split] + index.
const seed = z.int().min(0).max(SPLIT_SIZE - 1);

export const SeedRangeSchema = strictObject({ start: seed, count: z.int().min(1).max(SCENARIO_LIMITS.seedCount) })
  // Written as a subtraction: the sum itself may round to a safe integer.
  .refine((r) => r.start + r.count <= SPLIT_SIZE, {
    error: `the last seed index (start + count - 1) must be below ${SPLIT_SIZE}, the size of a split`,
    path: ['count'],
  });

export const SeedListSchema = z
  .array(seed)
  .min(1)
  .max(SCENARIO_LIMITS.seedCount)
  .refine(isUnique, { error: 'seeds must be unique' })
  .meta({ uniqueItems: true });

export const ScenarioMemorySchema = strictObject({
  modes: z
    .array(z.enum(MEMORY_MODES))
    .min(1)
    .refine(isUnique, { error: 'memory modes must be unique' })
    .meta({
      uniqueItems: true,
      description:
        'Every episode is run once per mode: "off" (no memory), "record" (written and recalled, the planner gets none of it), ' +
        '"prompt" (the planner gets the recalled memories and, across episodes, what it remembers seeing). ' +
        'Reports list each mode beside the planner ("oracle", "oracle+memory"), compared on the same episodes.',
    }),
  scope: z
    .enum(MEMORY_SCOPES)
    .default('house')
    .meta({ description: '"house": the episodes of one house (the visits of a revisit house) share one memory, run in order; "episode": a fresh memory per episode.' }),
});

export type ScenarioMemory = z.output<typeof ScenarioMemorySchema>;

export const ScenarioSchema = strictObject({
  $schema: z.string().optional().meta({ description: 'Path or URL of this JSON Schema, for editors.' }),
  version: z.literal(1),
  name: z.string().min(1).max(200),
  description: z.string().max(10_000).optional(),
  families: z.union(
    [z
        .array(z.enum(TASK_FAMILY_NAMES))
        .min(1)
        .refine(isUnique, { error: 'families must be unique' })
        .meta({ uniqueItems: true }), z.literal('all')],
    { error: `expected "all" or a non-empty list of family names (${TASK_FAMILY_NAMES.join(', ')}; "all" is ${FAMILY_NAMES.join(', ')})` },
  ),
  split: z.enum(SPLITS).default('test'),
  seeds: z.union([SeedRangeSchema, SeedListSchema], {
    error: 'expected {"start": N, "count": N} or a non-empty list of seeds',
  }),
  maxSteps: z.int().min(1).max(SCENARIO_LIMITS.maxSteps).default(40),
  planner: z.enum(PLANNER_NAMES).default('oracle'),
  episodes: z.int().min(1).optional().meta({ description: 'Caps the number of episodes per family.' }),
  memory: ScenarioMemorySchema.optional().meta({ description: "The agent's long-term memory; absent: none." }),
});

/** A scenario with its defaults applied. */
export type Scenario = z.output<typeof ScenarioSchema>;
/** A scenario as written in a file (defaulted keys optional). */
export type ScenarioInput = z.input<typeof ScenarioSchema>;

/** The top-level keys of a scenario file. */
export const SCENARIO_KEYS = Object.keys(ScenarioSchema.shape);

export interface ScenarioEpisode {
  family: FamilyName;
  seed: number;
}

/** The seed indices of a scenario: a range ascending, a list in the order given. */
export function scenarioSeeds(s: Scenario): number[] {
  if (Array.isArray(s.seeds)) return [...s.seeds];
  const { start, count } = s.seeds;
  return Array.from({ length: count }, (_, i) => start + i);
}

/**
 * Every episode of a scenario, family-major (families in the order given, or FAMILY_NAMES order for "all"),
 * then seeds as `scenarioSeeds` lists them, made absolute within the split; `episodes` caps the count per family.
 */
export function scenarioEpisodes(s: Scenario): ScenarioEpisode[] {
  const families: readonly FamilyName[] = s.families === 'all' ? FAMILY_NAMES : s.families;
  const seeds = scenarioSeeds(s).slice(0, s.episodes ?? Infinity);
  return families.flatMap((family) => seeds.map((index) => ({ family, seed: seedOf(s.split, index) })));
}
