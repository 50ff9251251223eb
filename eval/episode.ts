// One planned episode, run to its record: build the env (a task family's, or a scripted scenario's), run the
// oracle first on the same episode for the SPL reference when the planner is not the oracle (without a memory:
// the same reference for every memory mode), then the planner with the episode's memory, optionally recording it
// as an MCAP file (the recorder only reads the env: results are the same either way). A job (eval/plan.ts jobsOf)
// runs the episodes of one series in order with one in-memory AgentMemory that spans them, fresh for each job.
// Used inside the worker threads, and in-process by anything that wants a single episode.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runEpisode, type EpisodeResult } from '../agent/loop.ts';
import { AgentMemory, loopMemory, seriesMemory } from '../agent/memory/index.ts';
import { BundleError } from '../agent/lm/bundle.ts';
import type { Planner } from '../agent/planner.ts';
import { changedLMSettings, isRunPlannerName, makePlanner, type LMSettings, type RemoteSettings } from '../agent/planners/index.ts';
import { LMPlanner } from '../agent/planners/lm.ts';
import { RemotePlanner, RemotePlannerError } from '../agent/planners/remote.ts';
import type { EpisodeSource } from '../record/format.ts';
import { EpisodeRecorder, RecorderError } from '../record/recorder.ts';
import { familyEnv } from '../scenes/env.ts';
import { isFamilyName } from '../scenes/families.ts';
import type { ScriptedScenario } from '../scenes/scripted.ts';
import { DEFAULT_ENV_CONFIG, Env } from '../sim/env.ts';
import { labelOf, type EpisodeOutcome, type EpisodeRecord, type EpisodeSpec } from './record.ts';
import { EvalInputError, importScripted } from './source.ts';

const scripted = new Map<string, Promise<ScriptedScenario>>();

/** A scripted scenario module, imported once per thread. */
function scriptedScenario(path: string): Promise<ScriptedScenario> {
  let loaded = scripted.get(path);
  if (!loaded) {
    loaded = importScripted(path);
    scripted.set(path, loaded);
  }
  return loaded;
}

/** A fresh env for the spec's episodes, with a step limit. */
async function envFor(spec: EpisodeSpec, maxSteps: number): Promise<Env> {
  switch (spec.scenarioKind) {
    case 'json': {
      if (!isFamilyName(spec.family)) throw new EvalInputError(`unknown task family "${spec.family}"`);
      return familyEnv(spec.family, { maxSteps });
    }
    case 'scripted': {
      const scenario = await scriptedScenario(spec.scenarioPath);
      const family = spec.family;
      return new Env((seed) => scenario.makeEpisode(family, seed), { maxSteps });
    }
  }
}

function plannerFor(name: string, env: Env, options: RunSpecOptions = {}): Planner {
  if (!isRunPlannerName(name)) throw new EvalInputError(`unknown planner "${name}"`);
  if (name === 'remote' && !options.remote) throw new EvalInputError('the remote planner needs a server and a model (--base-url URL --model NAME)');
  try {
    // The remote planner reads the key from this thread's process.env, by the variable's name.
    return makePlanner(name, env, { checkpoint: options.checkpoint ?? undefined, remote: options.remote ?? undefined, lm: options.lm ?? {} });
  } catch (e) {
    if (e instanceof RemotePlannerError) throw new EvalInputError(`remote planner: ${e.message}`);
    throw e;
  }
}

/** The planner's settings in a recording: the lm's checkpoint and changedLMSettings (a loop guard or thought rules
 *  turned off, the WebGPU engine), or the remote's server and model (never a key). */
function plannerConfig(planner: Planner, options: RunSpecOptions): Record<string, unknown> | undefined {
  if (planner instanceof LMPlanner) {
    const config = { ...(options.checkpoint ? { checkpoint: options.checkpoint } : {}), ...changedLMSettings(options.lm ?? {}) };
    return Object.keys(config).length > 0 ? config : undefined;
  }
  if (planner instanceof RemotePlanner && options.remote) {
    const r = options.remote;
    return { baseUrl: r.baseUrl, model: r.model, apiKeyEnv: r.apiKeyEnv, mode: r.mode, stream: r.stream };
  }
  return undefined;
}

/** The oracle's path length on the same episode, or null when the oracle does not succeed either. */
async function oracleReference(spec: EpisodeSpec): Promise<number | null> {
  const env = await envFor(spec, Math.max(spec.maxSteps, DEFAULT_ENV_CONFIG.maxSteps));
  const result = await runEpisode({ env, planner: plannerFor('oracle', env), seed: spec.seed });
  return result.success ? result.metrics.pathLength : null;
}

function outcomeOf(result: EpisodeResult, promptTokens: number): EpisodeOutcome {
  const m = result.metrics;
  return {
    success: result.success,
    terminated: result.terminated,
    truncated: result.truncated,
    failureReason: result.failureReason,
    error: null,
    steps: result.steps,
    instruction: result.instruction,
    stateHash: result.stateHash,
    spl: m.spl,
    pathLength: m.pathLength,
    referencePathLength: m.referencePathLength,
    reward: m.reward,
    physicsSteps: m.physicsSteps,
    simSeconds: m.simSeconds,
    failures: { ...m.failures },
    tokens: m.tokens,
    promptTokens,
    custom: { ...m.custom },
  };
}

/** An episode that threw: recorded as a failure with the error, so that a run always finishes. */
function erroredOutcome(error: unknown): EpisodeOutcome {
  return {
    success: false,
    terminated: false,
    truncated: false,
    failureReason: 'error',
    error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    steps: 0,
    instruction: '',
    stateHash: '',
    spl: 0,
    pathLength: 0,
    referencePathLength: null,
    reward: 0,
    physicsSteps: 0,
    simSeconds: 0,
    failures: {},
    tokens: 0,
    promptTokens: 0,
    custom: {},
  };
}

export interface RunSpecOptions {
  /** Record the episode (not the oracle's reference run) into this directory, as recordingFile(spec.id). */
  recordDir?: string | null;
  /** The lm planner's checkpoint file (absolute); null or absent: the default one. */
  checkpoint?: string | null;
  /** The remote planner's server and model (needed for 'remote'); null or absent: none. */
  remote?: RemoteSettings | null;
  /** The lm planner's settings (absent: the defaults). */
  lm?: Partial<LMSettings>;
}

/** The file name of an episode's recording: its id with ':' replaced by '_', and `.mcap`. */
export const recordingFile = (id: string): string => `${id.replaceAll(':', '_')}.mcap`;

/** How a recording of the spec's episode rebuilds its env. */
function sourceOf(spec: EpisodeSpec): EpisodeSource {
  switch (spec.scenarioKind) {
    case 'json':
      return { kind: 'family', family: spec.family };
    case 'scripted':
      return { kind: 'scripted', path: spec.scenarioPath, family: spec.family };
  }
}

/** The memory of a spec's episode: the job's shared one (a series), a fresh one of its own, or none. */
function memoryFor(spec: EpisodeSpec, shared: AgentMemory | null): AgentMemory | null {
  if (spec.memory === undefined) return null;
  if (spec.memory.series !== null) {
    if (shared === null) throw new Error(`episode ${spec.id} belongs to series ${spec.memory.series} and was given no memory`);
    return shared;
  }
  // One episode's memory: it recalls from that episode (the default recalls from earlier ones only, and there are none).
  return AgentMemory.inMemory({ acrossEpisodes: false, recallScope: 'all-episodes' });
}

/** The episodes of one job (one series, or a single episode) in order, those of a series sharing one fresh memory. */
export async function runJob(specs: readonly EpisodeSpec[], options: RunSpecOptions = {}): Promise<EpisodeRecord[]> {
  const series = specs[0]?.memory?.series ?? null;
  if (specs.some((s) => (s.memory?.series ?? null) !== series)) throw new Error('a job holds the episodes of one series');
  if (series === null && specs.length !== 1) throw new Error('a job without a series holds one episode');
  const shared = series === null ? null : seriesMemory();
  const records: EpisodeRecord[] = [];
  for (const spec of specs) records.push(await runSpec(spec, options, shared));
  return records;
}

export async function runSpec(spec: EpisodeSpec, options: RunSpecOptions = {}, sharedMemory: AgentMemory | null = null): Promise<EpisodeRecord> {
  const started = performance.now();
  const decisionsMs: number[] = [];
  // The loop's metrics count generated tokens; the prompt's tokens are summed here, from the same decisions.
  let promptTokens = 0;
  let result: EpisodeOutcome;
  try {
    const reference = spec.planner === 'oracle' ? undefined : await oracleReference(spec);
    const env = await envFor(spec, spec.maxSteps);
    const planner = plannerFor(spec.planner, env, options);
    const memory = memoryFor(spec, sharedMemory);
    // Read the checkpoint (once per thread) and build the engine before the episode: not a decision's latency.
    if (planner instanceof LMPlanner) await planner.ready();
    const recorder = options.recordDir
      ? await EpisodeRecorder.create(join(options.recordDir, recordingFile(spec.id)), {
          env,
          source: sourceOf(spec),
          planner: { name: spec.planner, config: plannerConfig(planner, options) },
        })
      : null;
    let episode: EpisodeResult;
    try {
      episode = await runEpisode({
        env,
        planner,
        seed: spec.seed,
        referencePathLength: reference,
        memory: memory === null || spec.memory === undefined ? undefined : loopMemory(memory, spec.memory.mode),
        clock: () => performance.now(),
        onEvent: (event) => {
          if (event.type === 'decision') {
            decisionsMs.push(event.latencyMs);
            promptTokens += event.decision.stats.promptTokens ?? 0;
          }
          recorder?.onEvent(event);
        },
      });
    } finally {
      // Also after an episode that threw: the file is finished with what was recorded.
      await recorder?.close();
    }
    result = outcomeOf(episode, promptTokens);
  } catch (e) {
    // Bad input is the caller's to report, not an episode's outcome; so is a recording that cannot be written.
    if (e instanceof EvalInputError || e instanceof RecorderError) throw e;
    // A checkpoint that cannot be read fails every episode alike: the run stops (evaluate checks it first anyway).
    if (e instanceof BundleError) throw new EvalInputError(e.message);
    result = erroredOutcome(e);
  }
  return {
    id: spec.id,
    scenario: spec.scenario,
    planner: labelOf(spec),
    ...(spec.memory === undefined ? {} : { memory: { mode: spec.memory.mode, scope: spec.memory.scope } }),
    family: spec.family,
    seed: spec.seed,
    result,
    timing: { wallMs: performance.now() - started, decisionsMs },
  };
}
