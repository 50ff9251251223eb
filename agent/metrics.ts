// Per-episode metrics: success, steps, skill failures by reason, path length, SPL, decision latency, and the
// task's own metrics (a scripted scenario's).
import type { FailureReason } from '../sim/types.ts';

export interface EpisodeMetrics {
  success: boolean;
  steps: number;
  /** Steps whose action failed, by reason (invalid_action counts unparsable output). */
  failures: Partial<Record<FailureReason, number>>;
  /** Metres the base travelled. */
  pathLength: number;
  /** Success weighted by (reference path length / max(reference, path taken)); reference = the oracle's. */
  spl: number;
  referencePathLength: number | null;
  physicsSteps: number;
  simSeconds: number;
  reward: number;
  decisionLatencyMs: { mean: number; p50: number; p95: number };
  tokens: number;
  /** The task's own metrics, by name (a scripted scenario's); {} when the task defines none. */
  custom: Record<string, number>;
}

export function spl(success: boolean, pathLength: number, reference: number | null): number {
  if (!success) return 0;
  if (reference === null) return 1;
  const denominator = Math.max(reference, pathLength);
  return denominator <= 1e-9 ? 1 : reference / denominator;
}

/** Nearest-rank percentile of a sample (0 for an empty one). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export function latencySummary(values: readonly number[]): EpisodeMetrics['decisionLatencyMs'] {
  const mean = values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0;
  return { mean, p50: percentile(values, 50), p95: percentile(values, 95) };
}
