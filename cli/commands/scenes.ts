// `umwelt scenes`: what can be run: the task families (by difficulty), the seed ranges of the splits, and the
// planners.
import type { Command } from 'commander';
import { PLANNERS, type PlannerName } from '../../agent/planners/index.ts';
import { FAMILIES, type FamilyInfo } from '../../scenes/families.ts';
import { SPLITS, type Split } from '../../scenes/family-names.ts';
import { SPLIT_BASE, SPLIT_SIZE } from '../../scenes/splits.ts';
import { EXIT } from '../errors.ts';
import { grouped, table } from '../format.ts';
import { printJson, type Output } from '../output.ts';
import type { CliContext } from './context.ts';

export interface ScenesOptions {
  json?: boolean;
}

export interface SplitInfo {
  name: Split;
  /** First and last seed of the split, inclusive. */
  first: number;
  last: number;
  size: number;
  summary: string;
}

export interface PlannerInfo {
  name: PlannerName;
  summary: string;
}

export interface ScenesReport {
  families: FamilyInfo[];
  splits: SplitInfo[];
  planners: PlannerInfo[];
}

const SPLIT_SUMMARIES: Record<Split, string> = {
  train: 'for training and development',
  test: 'for evaluation',
  heldout: 'evaluation on colour/category combinations never seen in train or test',
};

const PLANNER_SUMMARIES: Record<PlannerName, string> = {
  oracle: 'privileged expert that reads the world state and the goals (the upper bound)',
  random: 'uniformly random valid actions (the lower bound)',
  lm: 'the small GPT trained in this project, on the CPU (--checkpoint FILE; default models/planner/planner.safetensors)',
};

export function scenesReport(): ScenesReport {
  return {
    families: FAMILIES.map((f) => ({ ...f })),
    splits: SPLITS.map((name) => ({ name, first: SPLIT_BASE[name], last: SPLIT_BASE[name] + SPLIT_SIZE - 1, size: SPLIT_SIZE, summary: SPLIT_SUMMARIES[name] })),
    planners: PLANNERS.map((name) => ({ name, summary: PLANNER_SUMMARIES[name] })),
  };
}

export function scenesCommand(options: ScenesOptions, out: Output): number {
  const report = scenesReport();
  if (options.json) {
    printJson(out, report);
    return EXIT.ok;
  }
  out.line(`Task families (${report.families.length})`);
  for (const line of table([['name', 'difficulty', 'summary'], ...report.families.map((f) => [f.name, String(f.difficulty), f.summary])], '  ')) out.line(line);
  out.line();
  out.line('Seed splits');
  for (const line of table(report.splits.map((s) => [s.name, `${grouped(s.first)} – ${grouped(s.last)}`, s.summary]), '  ')) out.line(line);
  out.line();
  out.line('Planners');
  for (const line of table(report.planners.map((p) => [p.name, p.summary]), '  ')) out.line(line);
  return EXIT.ok;
}

export function registerScenes(program: Command, cli: CliContext): void {
  program
    .command('scenes')
    .summary('list the task families, seed splits and planners')
    .description('List the task families with their difficulty, the seed range of each split, and the planners.')
    .option('--json', 'print one JSON object: {families, splits, planners}')
    .addHelpText(
      'after',
      `
Examples:
  $ umwelt scenes
  $ umwelt scenes --json | jq -r '.families[].name'`,
    )
    .action((opts: ScenesOptions) => cli.exit(scenesCommand(opts, cli.out)));
}
