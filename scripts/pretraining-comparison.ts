// The pretraining comparison of the model card ("Does pretraining help SFT?"): the same SFT stage, one arm started
// from the pipeline's pretraining stage and one from random weights, each evaluated on the same episodes.
// Measuring it takes two SFT runs and two evaluations, so what the card's section needs is kept beside the card
// (models/planner/compare.json). A later card, of a model trained by the same recipe, reports that measurement and
// says which data it was made on, instead of dropping the section.
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { z } from 'zod';
import { decodeCheckpoint } from '../agent/lm/checkpoint.ts';
import { lineageOf, META } from '../agent/lm/train/files.ts';
import { EvalReportSchema, type EvalReport } from '../eval/report-schema.ts';

const ArmSchema = z.object({
  /** [step, validation loss] at each evaluation of the arm's SFT stage. */
  val: z.array(z.tuple([z.number().int(), z.number()])),
  episodes: z.number().int().positive(),
  successes: z.number().int().nonnegative(),
  successCi95: z.object({ low: z.number(), high: z.number() }),
  meanOverFamilies: z.number(),
  spl: z.number(),
  meanSteps: z.number(),
});
export type ComparisonArm = z.infer<typeof ArmSchema>;

export const ComparisonSchema = z
  .object({
    /** The prompt format of the arms' training data (agent/prompt-format.ts). */
    promptFormat: z.number().int().positive(),
    sftSteps: z.number().int().positive(),
    pretrainSteps: z.number().int().nonnegative(),
    /** The scenario file both arms were evaluated on, as the repository names it. */
    scenario: z.string().min(1),
    pretrained: ArmSchema,
    scratch: ArmSchema,
  })
  .strict()
  .refine((c) => c.pretrained.episodes === c.scratch.episodes, { message: 'the arms were not evaluated on as many episodes' });
export type Comparison = z.infer<typeof ComparisonSchema>;

export const COMPARISON_FILE = 'compare.json';

/** A report's scenario file as the repository names it (the report may come from a worktree elsewhere). */
export const scenarioPath = (r: EvalReport): string => {
  const path = relative(process.cwd(), r.source.path);
  const at = path.lastIndexOf('scenes/scenarios/');
  return at >= 0 ? path.slice(at) : path;
};

/** [step, validation loss] of the rows of a loss CSV that carry a validation loss. */
const validationLosses = (csv: string): [number, number][] => {
  const rows = csv.trim().split('\n');
  const header = rows[0]!.split(',');
  const [stepAt, valAt] = [header.indexOf('step'), header.indexOf('val_loss')];
  return rows
    .slice(1)
    .map((l) => l.split(','))
    .filter((c) => c[valAt] !== undefined && c[valAt] !== '')
    .map((c): [number, number] => [Number(c[stepAt]), Number(c[valAt])]);
};

/**
 * Reads a comparison's run directory (pretrained/ and scratch/: each arm's sft.safetensors and sft-loss.csv;
 * eval-pretrained/ and eval-scratch/: each arm's `umwelt eval` report), copies the arms' loss curves into the card's
 * directory, and writes the summary there.
 */
export function measureComparison(root: string, dir: string): Comparison {
  const arm = (name: 'pretrained' | 'scratch'): { meta: Record<string, string>; arm: ComparisonArm; report: EvalReport } => {
    const meta = decodeCheckpoint(new Uint8Array(readFileSync(join(root, name, 'sft.safetensors')))).metadata;
    const report = EvalReportSchema.parse(JSON.parse(readFileSync(join(root, `eval-${name}`, 'report.json'), 'utf8')));
    const g = report.overall.find((o) => o.planner === 'lm');
    if (g === undefined) throw new Error(`${join(root, `eval-${name}`, 'report.json')}: no lm planner in the report`);
    const families = report.byFamily.filter((f) => f.planner === 'lm');
    // The arm's loss curve goes beside the card, which names it.
    for (const ext of ['csv', 'svg']) copyFileSync(join(root, name, `sft-loss.${ext}`), join(dir, `compare-${name}-sft-loss.${ext}`));
    return {
      meta,
      report,
      arm: {
        val: validationLosses(readFileSync(join(root, name, 'sft-loss.csv'), 'utf8')),
        episodes: g.episodes,
        successes: g.successes,
        successCi95: g.successCi95,
        meanOverFamilies: families.reduce((s, f) => s + f.successRate, 0) / Math.max(1, families.length),
        spl: g.spl,
        meanSteps: g.steps.mean,
      },
    };
  };
  const pretrained = arm('pretrained');
  const scratch = arm('scratch');
  const steps = (a: { meta: Record<string, string> }): number => Number(a.meta[META.steps]);
  if (steps(pretrained) !== steps(scratch)) throw new Error(`the comparison's arms trained ${steps(pretrained)} and ${steps(scratch)} SFT steps: not equal`);
  if (scenarioPath(pretrained.report) !== scenarioPath(scratch.report)) throw new Error("the comparison's arms were not evaluated on the same scenario");
  const comparison = ComparisonSchema.parse({
    promptFormat: Number(pretrained.meta[META.promptFormat] ?? 1),
    sftSteps: steps(pretrained),
    pretrainSteps: Number(lineageOf(pretrained.meta).find((r) => r.stage === 'pretrain')?.steps ?? 0),
    scenario: scenarioPath(pretrained.report),
    pretrained: pretrained.arm,
    scratch: scratch.arm,
  });
  writeFileSync(join(dir, COMPARISON_FILE), `${JSON.stringify(comparison, null, 2)}\n`);
  return comparison;
}

/** The comparison kept beside the card, or null where there is none; a malformed file is an error naming it. */
export function loadComparison(dir: string): Comparison | null {
  const path = join(dir, COMPARISON_FILE);
  if (!existsSync(path)) return null;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const parsed = ComparisonSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${path}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return parsed.data;
}
