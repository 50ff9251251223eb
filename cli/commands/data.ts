// `umwelt data`: training data for the language-model planner. Runs the oracle over seeds of a split for every
// family asked and writes DIR/corpus.txt (one passage per line), DIR/sft.jsonl (one instruction example per line:
// {prompt, response, family, seed, step}, the prompt format of agent/prompt.ts) and DIR/manifest.json (counts,
// seeds, families, version, sha256 of each file). Byte-identical output for the same arguments. With
// --memory-mode prompt (memory families), the visits of each house share one memory (agent/data/jobs.ts).
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { DATA_VERSION, generateData, type EpisodeSummary } from '../../agent/data/generate.ts';
import { DATA_MEMORY_MODES, dataJobs, DataOptionsError, type DataJob, type DataMemoryMode } from '../../agent/data/jobs.ts';
import { LATEST_PROMPT_FORMAT, parsePromptFormat, PROMPT_FORMATS, type PromptFormat } from '../../agent/prompt-format.ts';
import { loadBundleFile } from '../../agent/lm/bundle-file.ts';
import { LMPlanner } from '../../agent/planners/lm.ts';
import { FAMILY_NAMES, MEMORY_FAMILY_NAMES, SPLITS, type FamilyName, type Split } from '../../scenes/family-names.ts';
import { REVISIT_VISITS } from '../../scenes/revisit.ts';
import { SPLIT_SIZE } from '../../scenes/splits.ts';
import { EXIT, UsageError } from '../errors.ts';
import { plural } from '../format.ts';
import { parseFamily, parseInteger, parseMaxSteps, preloadCheckpoint } from '../options.ts';
import { startDataPool } from '../data-pool.ts';
import { printJson, type Output } from '../output.ts';
import type { CliContext } from './context.ts';

export interface DataCommandOptions {
  split: Split;
  episodes: number;
  out: string;
  families?: FamilyName[];
  start: number;
  maxSteps?: number;
  /** DAgger: an lm planner checkpoint whose actions are carried out at `studentRate` of the steps. */
  student?: string;
  studentRate?: number;
  /** Long-term memory in the prompts (default 'off'): 'prompt' runs each house's visits with one shared memory. */
  memoryMode?: DataMemoryMode;
  /** The prompt format of the examples (default LATEST_PROMPT_FORMAT): a model fine-tuned on another reads it. */
  promptFormat?: PromptFormat;
  /** Worker threads (default 1: this thread). */
  workers?: number;
  force?: boolean;
  json?: boolean;
}

export interface DataManifest {
  version: number;
  /** The prompt format of the examples' prompts (agent/prompt-format.ts); absent in older data: 1. */
  promptFormat: PromptFormat;
  split: Split;
  /** The DAgger student's checkpoint file and rate, when there was one. */
  student?: { checkpoint: string; rate: number };
  /** The memory mode of the examples' episodes (agent/data/jobs.ts), when not 'off'; absent: 'off'. */
  memoryMode?: Exclude<DataMemoryMode, 'off'>;
  start: number;
  episodesPerFamily: number;
  families: FamilyName[];
  counts: { episodes: number; successes: number; failures: number; notGenerated: number; corpusLines: number; examples: number };
  episodes: EpisodeSummary[];
  files: Record<string, { bytes: number; sha256: string }>;
}

export const DATA_FILES = ['corpus.txt', 'sft.jsonl'] as const;

function parseSplit(value: string): Split {
  if ((SPLITS as readonly string[]).includes(value)) return value as Split;
  throw new InvalidArgumentError(`unknown split "${value}"; valid splits: ${SPLITS.join(', ')}`);
}

function promptFormatOption(value: string): PromptFormat {
  const format = parsePromptFormat(value);
  if (format === null) throw new InvalidArgumentError(`prompt format "${value}" is not one of ${PROMPT_FORMATS.join(', ')}`);
  return format;
}

function rate(value: string): number {
  const n = /^\s*(0|1|0?\.\d+|1\.0*)\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError(`must be a number from 0 to 1, got "${value}"`);
  return n;
}

function parseDataMemoryMode(value: string): DataMemoryMode {
  const mode = DATA_MEMORY_MODES.find((m) => m === value);
  if (mode !== undefined) return mode;
  const why = value === 'record' ? ' (in record mode the planner sees nothing of the memory: the examples would be those of off)' : '';
  throw new InvalidArgumentError(`memory mode "${value}" is not one data are made in${why}; valid modes: ${DATA_MEMORY_MODES.join(', ')}`);
}

/** The jobs the options ask for; options that ask for what cannot be made (DataOptionsError) are a UsageError. */
function jobsOf(options: DataCommandOptions, families: readonly FamilyName[]): DataJob[] {
  try {
    return dataJobs({ split: options.split, episodes: options.episodes, start: options.start, families, memoryMode: options.memoryMode });
  } catch (e) {
    if (e instanceof DataOptionsError) throw new UsageError(e.message);
    throw e;
  }
}

/** Repeatable and comma-separated: `--families goto,pickup`. */
function collectFamilies(value: string, previous: FamilyName[] | undefined): FamilyName[] {
  const names = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(parseFamily);
  const before = previous ?? [];
  return [...before, ...names.filter((n) => !before.includes(n))];
}

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

function progressBar(out: Output): { start(total: number): void; update(done: number, examples: number): void; stop(): void } | null {
  if (!out.terminal) return null;
  const bar = new SingleBar(
    { stream: out.terminal, format: ' {bar} {value}/{total} episodes │ {examples} examples │ ETA {eta_formatted}', barsize: 30, hideCursor: true, clearOnComplete: true, etaBuffer: 20 },
    Presets.shades_classic,
  );
  return {
    start: (total) => bar.start(total, 0, { examples: 0 }),
    update: (done, examples) => bar.update(done, { examples }),
    stop: () => bar.stop(),
  };
}

export async function dataCommand(options: DataCommandOptions, out: Output, signal?: AbortSignal): Promise<number> {
  const dir = options.out;
  const families = options.families && options.families.length > 0 ? options.families : [...FAMILY_NAMES];
  if (options.start + options.episodes > SPLIT_SIZE) throw new UsageError(`--start ${options.start} with --episodes ${options.episodes} runs past the ${options.split} split (${SPLIT_SIZE} seeds)`);
  const memoryMode = options.memoryMode ?? 'off';
  const jobs = jobsOf(options, families);
  let exists = false;
  try {
    const stat = statSync(dir);
    if (!stat.isDirectory()) throw new UsageError(`${dir} exists and is not a directory`);
    exists = readdirSync(dir).length > 0;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    exists = false;
  }
  if (exists && !options.force) throw new UsageError(`${dir} exists and is not empty; use --force to overwrite its data files`);
  if (options.studentRate !== undefined && options.student === undefined) throw new UsageError('--student-rate needs --student CHECKPOINT');
  let student: { planner: LMPlanner; rate: number } | undefined;
  const studentPath = options.student === undefined ? undefined : resolve(options.student);
  if (studentPath !== undefined) {
    const failed = await preloadCheckpoint(studentPath, out);
    if (failed !== null) return failed;
    student = { planner: new LMPlanner({ bundle: () => loadBundleFile(studentPath), name: 'student' }), rate: options.studentRate ?? 0.5 };
  }
  const lanes = Math.min(options.workers ?? 1, jobs.length);
  const format = options.promptFormat ?? LATEST_PROMPT_FORMAT;
  const studentFile = student && studentPath !== undefined ? { checkpoint: studentPath, rate: student.rate } : null;
  const pool = lanes > 1 ? startDataPool(lanes, { maxSteps: options.maxSteps ?? null, student: studentFile, format }) : null;
  const bar = options.json ? null : progressBar(out);
  let examples = 0;
  bar?.start(families.length * options.episodes);
  let data;
  try {
    data = await generateData({
      split: options.split,
      episodes: options.episodes,
      families,
      start: options.start,
      maxSteps: options.maxSteps,
      student,
      memoryMode,
      format,
      ...(pool === null ? {} : { job: pool.job, lanes }),
      signal,
      onEpisode: async (e, done) => {
        examples += e.examples;
        bar?.update(done, examples);
        // Let the event loop run: the bar redraws and Ctrl-C lands.
        await new Promise<void>((resolve) => setImmediate(resolve));
      },
    });
  } finally {
    bar?.stop();
    await pool?.close();
  }
  if (data.interrupted) {
    out.error(`interrupted after ${plural(data.episodes.length, 'episode')}; nothing written`);
    return EXIT.interrupted;
  }
  const texts: Record<(typeof DATA_FILES)[number], string> = {
    'corpus.txt': data.corpus.map((line) => `${line}\n`).join(''),
    'sft.jsonl': data.examples.map((e) => `${JSON.stringify(e)}\n`).join(''),
  };
  mkdirSync(dir, { recursive: true });
  const files: DataManifest['files'] = {};
  for (const name of DATA_FILES) {
    writeFileSync(join(dir, name), texts[name]);
    files[name] = { bytes: Buffer.byteLength(texts[name]), sha256: sha256(texts[name]) };
  }
  const count = (s: EpisodeSummary['status']): number => data.episodes.filter((e) => e.status === s).length;
  const manifest: DataManifest = {
    version: DATA_VERSION,
    promptFormat: format,
    split: options.split,
    ...(student !== undefined && options.student !== undefined ? { student: { checkpoint: options.student, rate: student.rate } } : {}),
    ...(memoryMode === 'off' ? {} : { memoryMode }),
    start: options.start,
    episodesPerFamily: options.episodes,
    families,
    counts: {
      episodes: data.episodes.length,
      successes: count('success'),
      failures: count('failure'),
      notGenerated: count('not_generated'),
      corpusLines: data.corpus.length,
      examples: data.examples.length,
    },
    episodes: data.episodes,
    files,
  };
  writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  if (options.json) printJson(out, manifest);
  else {
    const c = manifest.counts;
    out.line(
      `${plural(c.episodes, 'episode')} (${c.successes} successful${c.failures ? `, ${c.failures} failed` : ''}${c.notGenerated ? `, ${c.notGenerated} not generated` : ''}): ` +
        `${plural(c.corpusLines, 'corpus passage')} (${files['corpus.txt']?.bytes ?? 0} bytes), ${plural(c.examples, 'example')} (${files['sft.jsonl']?.bytes ?? 0} bytes)`,
    );
    out.line(`Files: ${[...DATA_FILES, 'manifest.json'].map((f) => join(dir, f)).join(', ')}`);
  }
  return EXIT.ok;
}

export function registerData(program: Command, cli: CliContext): void {
  program
    .command('data')
    .summary('write training data for language-model planners from oracle episodes')
    .description(
      'Run the oracle over seeds of a split for every task family and write DIR/corpus.txt (plain-text passages, one ' +
        'per line: scene descriptions full of look-ups between marks, names and ids, and narrated trajectories), ' +
        'DIR/sft.jsonl (one instruction example per line: {prompt, response, family, seed, step}, in the prompt format ' +
        'every planner shares, see agent/prompt.ts) and DIR/manifest.json (counts, seeds, families, version, sha256).\n\n' +
        'The same arguments always give byte-identical files. Only episodes the oracle finishes give examples.\n\n' +
        'With --student CHECKPOINT (DAgger), that lm planner carries out its own action at a seeded share of the steps ' +
        '(--student-rate, default 0.5) and the oracle labels every step: examples of the states a trained planner ' +
        'reaches, from every episode, finished or not.\n\n' +
        `With --memory-mode prompt (memory families only: --families ${MEMORY_FAMILY_NAMES.join(',')}), the visits of each ` +
        'house run in order, on one worker, with one fresh long-term memory, as `umwelt eval` runs them with memory scope ' +
        'house: the prompts of later visits carry the recalled memories and where remembered objects were last seen, ' +
        `and the oracle (and a student) use them. --start and --episodes must then cover whole houses (multiples of ${REVISIT_VISITS} ` +
        'for revisit). The default, off, writes no memory.',
    )
    .requiredOption('-o, --out <dir>', 'output directory (must be empty or absent unless --force)')
    .option('--split <name>', `seed split: ${SPLITS.join(', ')}`, parseSplit, 'train')
    .option('-e, --episodes <n>', 'episodes per family', parseInteger('episodes', 1, SPLIT_SIZE), 100)
    .option(
      '--families <names>',
      `families, repeatable or comma-separated (default: all: ${FAMILY_NAMES.join(', ')}; the memory families, ${MEMORY_FAMILY_NAMES.join(', ')}, only when named)`,
      collectFamilies,
    )
    .option('--start <k>', 'index of the first seed within the split', parseInteger('start', 0, SPLIT_SIZE - 1), 0)
    .option('-n, --max-steps <k>', 'step limit of each episode (default: the environment\'s)', parseMaxSteps)
    .option('--student <checkpoint>', 'DAgger: an lm planner checkpoint that acts at a share of the steps, the oracle labelling all')
    .option('--student-rate <r>', 'share of the steps the student acts, 0 to 1 (default 0.5)', rate)
    .option('--memory-mode <mode>', `long-term memory in the prompts: ${DATA_MEMORY_MODES.join(' or ')} (default off; prompt: memory families, whole houses)`, parseDataMemoryMode)
    .option('--prompt-format <n>', `prompt format of the examples: ${PROMPT_FORMATS.join(', ')} (default ${LATEST_PROMPT_FORMAT}, agent/prompt-format.ts)`, promptFormatOption)
    .option('-w, --workers <n>', 'worker threads; the files are the same for any number', parseInteger('workers', 1, 64), 1)
    .option('--force', 'overwrite the data files of a non-empty directory')
    .option('--json', 'print the manifest as one JSON object, nothing else')
    .addHelpText(
      'after',
      `
Examples:
  $ umwelt data --split train --episodes 20 --out data/train
  $ umwelt data --episodes 5 --families goto,pickup --start 100 --out data/small
  $ umwelt data --episodes 40 --start 160 --student models/planner/planner.safetensors --out data/dagger
  $ umwelt data --families revisit --memory-mode prompt --episodes 40 --out data/memory
  $ head -c 600 data/train/corpus.txt; head -n 1 data/train/sft.jsonl | jq -r .prompt`,
    )
    .action(async (opts: DataCommandOptions) => cli.exit(await dataCommand(opts, cli.out, cli.signal)));
}
