// An evaluation run, end to end: load and check the scenario or suite, plan the episodes, open the output
// directory (resuming its journal), run what is left on the worker pool, and, once every episode is done, write
// the reports. Everything that can be wrong with the input is found before the directory is touched.
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defaultCheckpointPath, loadBundleFile } from '../agent/lm/bundle-file.ts';
import { lmSettings, PLANNERS, RUN_PLANNERS, usesCheckpoint, type LMSettings, type RemoteSettings } from '../agent/planners/index.ts';
import { RemotePlanner, RemotePlannerError } from '../agent/planners/remote.ts';
import { buildReport } from './aggregate.ts';
import { Journal, MANIFEST_VERSION, type RunManifest } from './journal.ts';
import { settleEngine } from './lm-engine.ts';
import { jobsOf, planEpisodes, plannersOf, withMemory, type MemoryOverride } from './plan.ts';
import { runPool } from './pool.ts';
import type { EpisodeRecord, EpisodeSpec } from './record.ts';
import type { EvalReport } from './report-schema.ts';
import { writeReports } from './report/write.ts';
import { EvalInputError, loadSource, type EvalSource } from './source.ts';
import { packageVersion } from './version.ts';
import { MEMORY_MODES, MEMORY_SCOPES } from '../scenes/family-names.ts';

export interface EvaluateOptions {
  /** A scenario (.json or scripted .ts) or a suite (.json). */
  source: string;
  /** Planners to run; empty: each scenario's own. */
  planners?: readonly string[];
  /** Memory modes and scope for every scenario (each part optional); absent: each scenario's own. */
  memory?: MemoryOverride;
  /** Cap on episodes per family; null or undefined: every seed of the scenario. */
  episodesPerFamily?: number | null;
  /** Worker threads; defaults to one per core. */
  workers?: number;
  /** The output directory. */
  out: string;
  /** Also record every episode run as DIR/recordings/<episode id, ':' -> '_'>.mcap (results are the same). */
  record?: boolean;
  /** The lm planner's checkpoint file (default: models/planner/planner.safetensors). */
  checkpoint?: string;
  /** The remote planner's server and model (required when `planners` holds 'remote'); the key stays in the environment. */
  remote?: RemoteSettings;
  /** The lm planner's settings (the defaults for those absent): its loop guard, thought rules and engine; the engine
   *  is settled once, before the workers start (lm-engine.ts), and they get cpu or webgpu. */
  lm?: Partial<LMSettings>;
  signal?: AbortSignal;
  /** Called with one line on what the run found: the lm planner on WebGPU, or on the CPU engine against what was
   *  asked (auto's choice of the CPU only when `lm.engine` was given). */
  onNote?(line: string): void;
  /** Called once the plan is known and the journal read. */
  onStart?(progress: EvalProgress): void;
  /** Called after each episode finished by this run. */
  onEpisode?(record: EpisodeRecord, progress: EvalProgress): void;
}

export interface EvalProgress {
  total: number;
  done: number;
  /** Of the episodes done. */
  successes: number;
  /** Episodes that were already in the journal. */
  resumed: number;
}

export interface EvaluateResult {
  source: EvalSource;
  progress: EvalProgress;
  interrupted: boolean;
  /** The report, when every episode is done. */
  report: EvalReport | null;
  /** Files written with the report. */
  files: string[];
  /** The directory of the recordings, when recording. */
  recordings: string | null;
  /** The engine the lm planner decoded on; null without an lm planner. */
  lmEngine: 'cpu' | 'webgpu' | null;
}

export const defaultWorkers = (): number => availableParallelism();

/** Scenario files name planners of PLANNERS; a caller may also ask for 'remote' (RUN_PLANNERS), which needs a server. */
export function checkPlanners(names: readonly string[], valid: readonly string[] = PLANNERS): void {
  for (const name of names) {
    if (!valid.includes(name)) throw new EvalInputError(`unknown planner "${name}"; valid planners: ${valid.join(', ')}`);
  }
}

/** The remote settings when the run has a remote planner (checked: an http(s) URL and a model), else null. */
function remoteOf(specs: readonly EpisodeSpec[], remote: RemoteSettings | undefined): RemoteSettings | null {
  if (!specs.some((s) => s.planner === 'remote')) {
    if (remote !== undefined) throw new EvalInputError(`remote settings are for the remote planner, and this run has none (planners: ${plannersOf(specs).join(', ')})`);
    return null;
  }
  if (remote === undefined) throw new EvalInputError('the remote planner needs a server and a model (--base-url URL --model NAME)');
  // A copy of exactly these fields, so nothing else (an env, a key) can travel to the workers.
  const settings: RemoteSettings = { baseUrl: remote.baseUrl, model: remote.model, apiKeyEnv: remote.apiKeyEnv, mode: remote.mode, stream: remote.stream };
  try {
    // Checks the options; nothing is asked of the server before the first decision.
    new RemotePlanner({ ...settings, env: {} });
  } catch (e) {
    if (e instanceof RemotePlannerError) throw new EvalInputError(`remote planner: ${e.message}`);
    throw e;
  }
  return settings;
}

function manifestOf(source: EvalSource, specs: readonly EpisodeSpec[], checkpointDigest: string | null, remote: RemoteSettings | null, lm: LMSettings): RunManifest {
  const { loopGuard, thoughtRules, engine } = lm;
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ version: packageVersion(), digests: source.scenarios.map((s) => [s.path, s.digest]) }));
  for (const spec of specs) hash.update(JSON.stringify(spec));
  // Another checkpoint is another run (absent without an lm planner, so that those fingerprints stay as they were).
  if (checkpointDigest !== null) hash.update(JSON.stringify({ checkpoint: checkpointDigest }));
  // So is the lm without its loop guard (only when off, so that the default runs keep their fingerprints).
  if (checkpointDigest !== null && !loopGuard) hash.update(JSON.stringify({ loopGuard }));
  // And the lm without its thought rules (likewise only when off).
  if (checkpointDigest !== null && !thoughtRules) hash.update(JSON.stringify({ thoughtRules }));
  // And the lm on another engine than the CPU's: near-ties may fall otherwise, and latencies differ.
  if (checkpointDigest !== null && engine !== 'cpu') hash.update(JSON.stringify({ engine }));
  // Another server, model, mode or streaming is another run (absent without a remote planner, likewise). The key's
  // variable is not: the same server with another key gives the same run.
  if (remote !== null) hash.update(JSON.stringify({ remote: { baseUrl: remote.baseUrl, model: remote.model, mode: remote.mode, stream: remote.stream } }));
  return { version: MANIFEST_VERSION, fingerprint: hash.digest('hex'), source: source.path, planners: plannersOf(specs), episodes: specs.length };
}

/** The command line's memory override, checked (modes known and unique, scope known). */
function checkedMemory(memory: MemoryOverride | undefined): MemoryOverride | undefined {
  if (memory === undefined) return undefined;
  const modes = memory.modes;
  if (modes !== undefined) {
    if (modes.length === 0) throw new EvalInputError('memory modes: expected at least one');
    for (const m of modes) if (!(MEMORY_MODES as readonly string[]).includes(m)) throw new EvalInputError(`unknown memory mode "${m}"; valid modes: ${MEMORY_MODES.join(', ')}`);
    if (new Set(modes).size !== modes.length) throw new EvalInputError(`memory modes must be unique, got ${modes.join(', ')}`);
  }
  if (memory.scope !== undefined && !(MEMORY_SCOPES as readonly string[]).includes(memory.scope)) {
    throw new EvalInputError(`unknown memory scope "${memory.scope}"; valid scopes: ${MEMORY_SCOPES.join(', ')}`);
  }
  return { ...(modes === undefined ? {} : { modes: [...modes] }), ...(memory.scope === undefined ? {} : { scope: memory.scope }) };
}

export async function evaluate(options: EvaluateOptions): Promise<EvaluateResult> {
  const started = performance.now();
  const workers = options.workers ?? defaultWorkers();
  if (!Number.isInteger(workers) || workers < 1) throw new EvalInputError(`workers must be a positive integer, got ${workers}`);
  checkPlanners(options.planners ?? [], RUN_PLANNERS);
  const source = withMemory(await loadSource(options.source), checkedMemory(options.memory));
  checkPlanners(source.scenarios.map((s) => s.planner));
  const specs = planEpisodes(source, { planners: options.planners ?? [], episodesPerFamily: options.episodesPerFamily ?? null });
  if (specs.length === 0) throw new EvalInputError(`${source.path}: the scenario has no episodes`);
  const checkpoint = options.checkpoint === undefined ? null : resolve(options.checkpoint);
  const lm = lmSettings(options.lm);
  let checkpointDigest: string | null = null;
  if (specs.some((s) => usesCheckpoint(s.planner))) {
    // Read and checked here, before any worker starts (a BundleError: missing or invalid).
    await loadBundleFile(checkpoint ?? undefined);
    checkpointDigest = createHash('sha256').update(readFileSync(checkpoint ?? defaultCheckpointPath())).digest('hex');
  } else if (checkpoint !== null) {
    throw new EvalInputError(`a checkpoint is for the lm planner, and this run has none (planners: ${plannersOf(specs).join(', ')})`);
  } else if (!lm.loopGuard) {
    throw new EvalInputError(`turning the loop guard off is for the lm planner, and this run has none (planners: ${plannersOf(specs).join(', ')})`);
  } else if (!lm.thoughtRules) {
    throw new EvalInputError(`turning the thought rules off is for the lm planner, and this run has none (planners: ${plannersOf(specs).join(', ')})`);
  } else if (options.lm?.engine !== undefined) {
    throw new EvalInputError(`an engine is for the lm planner, and this run has none (planners: ${plannersOf(specs).join(', ')})`);
  }

  const remote = remoteOf(specs, options.remote);
  let lmEngine: 'cpu' | 'webgpu' | null = null;
  if (checkpointDigest !== null) {
    const settled = await settleEngine(lm.engine);
    lmEngine = settled.engine;
    // Said when the run is on WebGPU, when WebGPU failed, and for auto's choice when the engine was given.
    const given = options.lm?.engine !== undefined;
    if (settled.engine === 'webgpu' || settled.kind === 'fallback' || (settled.kind === 'declined' && given)) options.onNote?.(settled.note);
  }
  const run: LMSettings = { ...lm, engine: lmEngine ?? 'cpu' };

  const journal = Journal.open(resolve(options.out), manifestOf(source, specs, checkpointDigest, remote, run), specs);
  try {
    const recordings = options.record ? join(journal.dir, 'recordings') : null;
    if (recordings) mkdirSync(recordings, { recursive: true });
    const byId = new Map<string, EpisodeRecord>(journal.done.map((r) => [r.id, r]));
    const progress: EvalProgress = {
      total: specs.length,
      done: byId.size,
      successes: journal.done.filter((r) => r.result.success).length,
      resumed: byId.size,
    };
    options.onStart?.({ ...progress });
    // A job is run whole when any of its episodes is left: the episodes of a series rebuild their memory in order
    // (those already in the journal come out the same and are not written again).
    const pending = jobsOf(specs).filter((job) => job.some((s) => !byId.has(s.id)));
    let ran = 0;
    const pool = await runPool(pending, {
      workers,
      signal: options.signal,
      recordDir: recordings,
      checkpoint,
      remote,
      lm: run,
      onResult: (record) => {
        if (byId.has(record.id)) return;
        journal.append(record);
        ran++;
        byId.set(record.id, record);
        progress.done++;
        if (record.result.success) progress.successes++;
        options.onEpisode?.(record, { ...progress });
      },
    });
    if (pool.interrupted) return { source, progress, interrupted: true, report: null, files: [], recordings, lmEngine };

    const records = specs.map((s) => byId.get(s.id)).filter((r): r is EpisodeRecord => r !== undefined);
    const report = buildReport(source, records, {
      umweltVersion: packageVersion(),
      planners: plannersOf(specs),
      workers,
      wallSeconds: (performance.now() - started) / 1000,
      episodesRun: ran,
    });
    const files = writeReports(journal.dir, report);
    return { source, progress, interrupted: false, report, files, recordings, lmEngine };
  } finally {
    journal.close();
  }
}
