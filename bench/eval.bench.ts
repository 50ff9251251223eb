// Evaluation-harness benchmark. The same planned episodes (a scenario, its planner, capped per family) run three
// ways in one process: (a) in-process, a plain sequential loop (runEpisode over familyEnv with makePlanner: no
// threads, no journal, no reports); (b) the harness (eval/evaluate.ts) with 1 worker thread; (c) the harness with
// N worker threads. Each harness run writes to a fresh temporary output directory, removed afterwards.
// Reports episodes/s of each, the ratios between them, and whether (b) and (c) wrote byte-identical deterministic
// per-episode results (eval/record.ts deterministicPart) that agree with (a)'s state hashes.
// Prints ONE JSON object to stdout, progress to stderr.
// Usage: npx tsx bench/eval.bench.ts [--scenario PATH] [--workers N] [--episodes N] [--quick]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runEpisode } from '../agent/loop.ts';
import { isPlannerName, makePlanner, type PlannerName } from '../agent/planners/index.ts';
import { evaluate } from '../eval/evaluate.ts';
import { JOURNAL_FILE } from '../eval/journal.ts';
import { planEpisodes } from '../eval/plan.ts';
import { deterministicPart, EpisodeRecordSchema, type EpisodeRecord, type EpisodeSpec } from '../eval/record.ts';
import { importScripted, loadSource } from '../eval/source.ts';
import { familyEnv } from '../scenes/env.ts';
import { isFamilyName } from '../scenes/families.ts';
import { DEFAULT_ENV_CONFIG, Env } from '../sim/env.ts';
import { intOption } from './args.ts';
import { round } from './numbers.ts';
import { machine } from './machine.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEFAULT_SCENARIO = 'scenes/scenarios/smoke.json';

const log = (message: string): void => {
  process.stderr.write(`[bench:eval] ${message}\n`);
};

interface Options {
  quick: boolean;
  scenario: string;
  workers: number;
  /** Cap on episodes per family; null: the scenario's own seeds. */
  episodesPerFamily: number | null;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      scenario: { type: 'string' },
      workers: { type: 'string' },
      episodes: { type: 'string' },
    },
    strict: true,
  });
  const quick = values.quick === true;
  const episodes = values.episodes === undefined ? (quick ? 1 : null) : intOption(values.episodes, 1, 'episodes', 1);
  return {
    quick,
    scenario: resolve(ROOT, values.scenario ?? DEFAULT_SCENARIO),
    workers: intOption(values.workers, os.availableParallelism(), 'workers', 1),
    episodesPerFamily: episodes,
  };
}

const seconds = (t0: number): number => (performance.now() - t0) / 1000;

interface RunSummary {
  episodes: number;
  successes: number;
  physicsSteps: number;
  wallSeconds: number;
  episodesPerSec: number;
  physicsStepsPerSec: number;
}

function summary(records: readonly { success: boolean; physicsSteps: number }[], wall: number): RunSummary {
  const physicsSteps = records.reduce((a, r) => a + r.physicsSteps, 0);
  return {
    episodes: records.length,
    successes: records.filter((r) => r.success).length,
    physicsSteps,
    wallSeconds: round(wall),
    episodesPerSec: round(records.length / wall),
    physicsStepsPerSec: round(physicsSteps / wall),
  };
}

// ---- (a) in-process baseline -------------------------------------------------------------------------------

interface InProcessResult {
  id: string;
  success: boolean;
  physicsSteps: number;
  stateHash: string;
}

function plannerName(name: string): PlannerName {
  if (!isPlannerName(name)) throw new Error(`unknown planner "${name}"`);
  return name;
}

const scripted = new Map<string, ReturnType<typeof importScripted>>();

/** A fresh env for the spec, built as the harness builds it (a task family's, or a scripted scenario's). */
async function envFor(spec: EpisodeSpec, maxSteps: number): Promise<Env> {
  switch (spec.scenarioKind) {
    case 'json':
      if (!isFamilyName(spec.family)) throw new Error(`unknown task family "${spec.family}"`);
      return familyEnv(spec.family, { maxSteps });
    case 'scripted': {
      let loading = scripted.get(spec.scenarioPath);
      if (loading === undefined) {
        loading = importScripted(spec.scenarioPath);
        scripted.set(spec.scenarioPath, loading);
      }
      const scenario = await loading;
      return new Env((seed) => scenario.makeEpisode(spec.family, seed), { maxSteps });
    }
  }
}

/** The episodes one after another on this thread; a non-oracle planner also gets the oracle's reference run. */
async function runInProcess(specs: readonly EpisodeSpec[]): Promise<{ results: InProcessResult[]; wallSeconds: number }> {
  const results: InProcessResult[] = [];
  const t0 = performance.now();
  for (const spec of specs) {
    let reference: number | null | undefined;
    if (spec.planner !== 'oracle') {
      const refEnv = await envFor(spec, Math.max(spec.maxSteps, DEFAULT_ENV_CONFIG.maxSteps));
      const ref = await runEpisode({ env: refEnv, planner: makePlanner('oracle', refEnv), seed: spec.seed });
      reference = ref.success ? ref.metrics.pathLength : null;
    }
    const env = await envFor(spec, spec.maxSteps);
    const e0 = performance.now();
    const result = await runEpisode({ env, planner: makePlanner(plannerName(spec.planner), env), seed: spec.seed, referencePathLength: reference });
    results.push({ id: spec.id, success: result.success, physicsSteps: result.metrics.physicsSteps, stateHash: result.stateHash });
    log(`  ${spec.id}: ${result.success ? 'success' : 'failure'}, ${result.steps} steps, ${seconds(e0).toFixed(3)} s`);
  }
  return { results, wallSeconds: seconds(t0) };
}

// ---- (b), (c) the harness ----------------------------------------------------------------------------------

interface HarnessRun {
  workers: number;
  /** Threads actually started: the pool never starts more than there are episodes. */
  effectiveWorkers: number;
  wallSeconds: number;
  firstEpisodeSeconds: number;
  lastEpisodeSeconds: number;
  /** Journal lines, sorted by episode id. */
  records: EpisodeRecord[];
}

function readJournal(dir: string): EpisodeRecord[] {
  const text = readFileSync(join(dir, JOURNAL_FILE), 'utf8');
  const records = text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => EpisodeRecordSchema.parse(JSON.parse(line)));
  return records.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

async function runHarness(source: string, workers: number, episodesPerFamily: number | null, planned: number): Promise<HarnessRun> {
  const out = mkdtempSync(join(os.tmpdir(), 'umwelt-bench-eval-'));
  try {
    let first = 0;
    let last = 0;
    const t0 = performance.now();
    const result = await evaluate({
      source,
      workers,
      out,
      episodesPerFamily,
      onEpisode: (record, progress) => {
        last = seconds(t0);
        if (progress.done === 1) first = last;
        log(`  [${progress.done}/${progress.total}] ${record.id}: ${record.result.success ? 'success' : 'failure'}, ${record.result.steps} steps`);
      },
    });
    const wallSeconds = seconds(t0);
    if (result.interrupted || result.report === null) throw new Error(`the harness run with ${workers} worker(s) did not finish`);
    if (result.progress.resumed !== 0) throw new Error(`the harness resumed ${result.progress.resumed} episode(s) in a fresh directory`);
    return {
      workers,
      effectiveWorkers: Math.max(1, Math.min(workers, planned)),
      wallSeconds,
      firstEpisodeSeconds: first,
      lastEpisodeSeconds: last,
      records: readJournal(out),
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

function harnessSummary(run: HarnessRun): Record<string, unknown> {
  return {
    workers: run.workers,
    effectiveWorkers: run.effectiveWorkers,
    ...summary(
      run.records.map((r) => r.result),
      run.wallSeconds,
    ),
    firstEpisodeSeconds: round(run.firstEpisodeSeconds),
    lastEpisodeSeconds: round(run.lastEpisodeSeconds),
    afterLastEpisodeSeconds: round(run.wallSeconds - run.lastEpisodeSeconds),
    erroredEpisodes: run.records.filter((r) => r.result.error !== null).length,
  };
}

// ---- comparison --------------------------------------------------------------------------------------------

interface Comparison {
  harnessRunsIdentical: boolean;
  inProcessStateHashesAgree: boolean;
  mismatches: string[];
}

function compare(specs: readonly EpisodeSpec[], inProcess: readonly InProcessResult[], one: HarnessRun, many: HarnessRun): Comparison {
  const mismatches: string[] = [];
  const ids = specs.map((s) => s.id).sort();
  const oneIds = one.records.map((r) => r.id);
  const manyIds = many.records.map((r) => r.id);
  if (oneIds.join('\n') !== ids.join('\n')) mismatches.push(`the 1-worker journal holds ${oneIds.length} episodes, not the ${ids.length} planned`);
  if (manyIds.join('\n') !== ids.join('\n')) mismatches.push(`the ${many.workers}-worker journal holds ${manyIds.length} episodes, not the ${ids.length} planned`);
  let harnessRunsIdentical = mismatches.length === 0;
  const manyById = new Map(many.records.map((r) => [r.id, r]));
  for (const record of one.records) {
    const other = manyById.get(record.id);
    if (other === undefined) continue;
    if (JSON.stringify(deterministicPart(record)) !== JSON.stringify(deterministicPart(other))) {
      harnessRunsIdentical = false;
      mismatches.push(`${record.id}: the 1-worker and ${many.workers}-worker results differ`);
    }
  }
  let inProcessStateHashesAgree = inProcess.length === ids.length;
  const oneById = new Map(one.records.map((r) => [r.id, r]));
  for (const r of inProcess) {
    const record = oneById.get(r.id);
    if (record === undefined || record.result.stateHash !== r.stateHash || record.result.success !== r.success) {
      inProcessStateHashesAgree = false;
      mismatches.push(`${r.id}: in-process ${r.stateHash.slice(0, 12)} vs harness ${record?.result.stateHash.slice(0, 12) ?? 'missing'}`);
    }
  }
  return { harnessRunsIdentical, inProcessStateHashesAgree, mismatches: mismatches.slice(0, 20) };
}

// ---- main --------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const opts = options();
  const started = performance.now();
  const source = await loadSource(opts.scenario);
  const specs = planEpisodes(source, { planners: [], episodesPerFamily: opts.episodesPerFamily });
  if (specs.length === 0) throw new Error(`${opts.scenario}: no episodes planned`);
  const where = relative(ROOT, source.path) || source.path;
  log(`${where}: ${specs.length} episodes (${[...new Set(specs.map((s) => s.planner))].join(', ')}), ${opts.workers} worker(s) for (c)`);

  log(`(a) in-process, sequential: ${specs.length} episodes`);
  const inProcess = await runInProcess(specs);
  log(`(a) ${inProcess.wallSeconds.toFixed(2)} s`);
  log(`(b) harness, 1 worker`);
  const one = await runHarness(opts.scenario, 1, opts.episodesPerFamily, specs.length);
  log(`(b) ${one.wallSeconds.toFixed(2)} s`);
  log(`(c) harness, ${opts.workers} workers`);
  const many = await runHarness(opts.scenario, opts.workers, opts.episodesPerFamily, specs.length);
  log(`(c) ${many.wallSeconds.toFixed(2)} s`);

  const a = summary(inProcess.results, inProcess.wallSeconds);
  const b = harnessSummary(one);
  const c = harnessSummary(many);
  const epsA = specs.length / inProcess.wallSeconds;
  const epsB = specs.length / one.wallSeconds;
  const epsC = specs.length / many.wallSeconds;
  const comparison = compare(specs, inProcess.results, one, many);
  const speedup = epsC / epsB;
  const report = {
    bench: 'eval',
    environment: machine(),
    config: {
      quick: opts.quick,
      scenario: where,
      source: source.name,
      planners: [...new Set(specs.map((s) => s.planner))],
      families: [...new Set(specs.map((s) => s.family))],
      episodesPerFamily: opts.episodesPerFamily,
      episodes: specs.length,
      workers: opts.workers,
    },
    inProcess: a,
    oneWorker: b,
    nWorkers: c,
    /** eps(b) / eps(a): the harness on one worker thread relative to the plain in-process loop (1 = no cost). */
    oneWorkerVsInProcess: round(epsB / epsA, 3),
    /** time(b) / time(a) - 1: the fraction of extra wall time the harness costs on one worker. */
    harnessOverhead: round(one.wallSeconds / inProcess.wallSeconds - 1, 3),
    /** eps(c) / eps(b): what N workers gain over one. */
    speedup: round(speedup, 3),
    /** speedup / effective workers (1 = linear scaling). */
    speedupPerWorker: round(speedup / many.effectiveWorkers, 3),
    /** eps(c) / eps(a): N workers against the plain in-process loop. */
    nWorkersVsInProcess: round(epsC / epsA, 3),
    resultsIdentical: comparison.harnessRunsIdentical && comparison.inProcessStateHashesAgree,
    comparison,
    definitions: {
      episodesPerSec: 'planned episodes / wall seconds of the whole run; for the harness the whole evaluate() call: worker start-up (thread, TypeScript loader, modules), the episodes, the journal and the reports',
      oneWorkerVsInProcess: 'episodesPerSec(oneWorker) / episodesPerSec(inProcess)',
      harnessOverhead: 'wallSeconds(oneWorker) / wallSeconds(inProcess) - 1',
      speedup: 'episodesPerSec(nWorkers) / episodesPerSec(oneWorker)',
      speedupPerWorker: 'speedup / nWorkers.effectiveWorkers',
      nWorkersVsInProcess: 'episodesPerSec(nWorkers) / episodesPerSec(inProcess)',
      resultsIdentical: 'the 1-worker and N-worker journals hold the same episodes with byte-identical deterministic parts (sorted by id), and each episode\'s stateHash and success match the in-process run',
    },
    caveats: [
      'One run of each, in the order in-process, 1 worker, N workers: the in-process loop runs on a thread whose modules are already loaded, while each harness run starts fresh worker threads (firstEpisodeSeconds shows that start-up); few episodes (--quick) make the harness look worse than it is on a full run.',
      'Speedup is bounded by the cores actually free (environment.availableParallelism) and by the slowest episode of the last wave.',
    ],
    totalSeconds: round(seconds(started)),
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

await main();
