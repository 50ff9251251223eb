// The episodes of a run, in report order: scenario, then planner, then memory mode, then family, then seed. Seeds
// belong to episodes, never to workers, so the results do not depend on how many workers run them or in which
// order. Episodes that share a memory (a series: the visits of one house) form one job, run in plan order by one
// worker with one fresh memory, so their results do not depend on the workers either.
import { houseKey, isFamilyName } from '../scenes/families.ts';
import type { MemoryMode, MemoryScope } from '../scenes/family-names.ts';
import { armLabel, episodeId, labelOf, type EpisodeSpec, type SpecMemory } from './record.ts';
import type { EvalSource } from './source.ts';

/** The memory a run asks for on the command line, over every scenario's own (each part optional). */
export interface MemoryOverride {
  modes?: readonly MemoryMode[];
  scope?: MemoryScope;
}

export interface PlanOptions {
  /** Planners to run every scenario with; empty: each scenario's own planner. */
  planners: readonly string[];
  /** Cap on episodes per family (after the scenario's own cap); null: no cap. */
  episodesPerFamily: number | null;
}

/** The source with the command line's memory modes and scope put over every scenario's own (see withMemory). */
export function withMemory(source: EvalSource, override: MemoryOverride | undefined): EvalSource {
  if (override === undefined || (override.modes === undefined && override.scope === undefined)) return source;
  return {
    ...source,
    scenarios: source.scenarios.map((s) => ({
      ...s,
      memory: { modes: [...(override.modes ?? s.memory?.modes ?? ['off'])], scope: override.scope ?? s.memory?.scope ?? 'house' },
    })),
  };
}

/** The house of an episode for a memory kept per house: a task family's (scenes/families.ts houseKey), else the seed's own. */
const houseOf = (family: string, seed: number): string => (isFamilyName(family) ? houseKey(family, seed) : `${family}-${seed}`);

export function planEpisodes(source: EvalSource, options: PlanOptions): EpisodeSpec[] {
  const specs: EpisodeSpec[] = [];
  for (const scenario of source.scenarios) {
    const planners = options.planners.length > 0 ? options.planners : [scenario.planner];
    const cap = Math.min(scenario.episodesPerFamily ?? Infinity, options.episodesPerFamily ?? Infinity);
    const seeds = scenario.seeds.slice(0, cap);
    const modes = scenario.memory?.modes ?? ['off'];
    const scope = scenario.memory?.scope ?? 'house';
    for (const planner of planners) {
      for (const mode of modes) {
        const label = armLabel(planner, mode);
        for (const family of scenario.families) {
          for (const seed of seeds) {
            const memory: SpecMemory | undefined =
              mode === 'off' ? undefined : { mode, scope, series: scope === 'house' ? `${scenario.name}:${label}:${houseOf(family, seed)}` : null };
            specs.push({
              index: specs.length,
              id: episodeId(scenario.name, label, family, seed),
              scenario: scenario.name,
              scenarioKind: scenario.kind,
              scenarioPath: scenario.path,
              planner,
              family,
              seed,
              maxSteps: scenario.maxSteps,
              ...(memory === undefined ? {} : { memory }),
            });
          }
        }
      }
    }
  }
  return specs;
}

/** The arms a plan runs (planners, with their memory modes: labelOf), in order of first appearance. */
export function plannersOf(specs: readonly EpisodeSpec[]): string[] {
  return [...new Set(specs.map(labelOf))];
}

/**
 * The jobs of a plan: the episodes of one series together, in plan order, placed where the series first appears;
 * every other episode alone. A worker runs a job's episodes one after the other with one memory.
 */
export function jobsOf(specs: readonly EpisodeSpec[]): EpisodeSpec[][] {
  const jobs: EpisodeSpec[][] = [];
  const bySeries = new Map<string, EpisodeSpec[]>();
  for (const spec of specs) {
    const series = spec.memory?.series ?? null;
    if (series === null) {
      jobs.push([spec]);
      continue;
    }
    let job = bySeries.get(series);
    if (!job) {
      job = [];
      bySeries.set(series, job);
      jobs.push(job);
    }
    job.push(spec);
  }
  return jobs;
}
