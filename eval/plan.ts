// The episodes of a run, in report order: scenario, then planner, then family, then seed. Seeds belong to
// episodes, never to workers, so the results do not depend on how many workers run them or in which order.
import { episodeId, type EpisodeSpec } from './record.ts';
import type { EvalSource } from './source.ts';

export interface PlanOptions {
  /** Planners to run every scenario with; empty: each scenario's own planner. */
  planners: readonly string[];
  /** Cap on episodes per family (after the scenario's own cap); null: no cap. */
  episodesPerFamily: number | null;
}

export function planEpisodes(source: EvalSource, options: PlanOptions): EpisodeSpec[] {
  const specs: EpisodeSpec[] = [];
  for (const scenario of source.scenarios) {
    const planners = options.planners.length > 0 ? options.planners : [scenario.planner];
    const cap = Math.min(scenario.episodesPerFamily ?? Infinity, options.episodesPerFamily ?? Infinity);
    const seeds = scenario.seeds.slice(0, cap);
    for (const planner of planners) {
      for (const family of scenario.families) {
        for (const seed of seeds) {
          specs.push({
            index: specs.length,
            id: episodeId(scenario.name, planner, family, seed),
            scenario: scenario.name,
            scenarioKind: scenario.kind,
            scenarioPath: scenario.path,
            planner,
            family,
            seed,
            maxSteps: scenario.maxSteps,
          });
        }
      }
    }
  }
  return specs;
}

/** The planners a plan runs, in order of first appearance. */
export function plannersOf(specs: readonly EpisodeSpec[]): string[] {
  return [...new Set(specs.map((s) => s.planner))];
}
