// What `umwelt eval` is pointed at, loaded and checked before anything runs: a JSON scenario, a scripted scenario
// (a TypeScript module whose default export is defineScenario({...})), or a suite listing either kind. Every
// problem is an EvalInputError naming the file and, for JSON, the JSON path.
import { createHash } from 'node:crypto';
import { dirname, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { scenarioSeeds, type Scenario, type ScenarioMemory } from '../scenes/scenario.ts';
import { isScriptedScenario, type ScriptedScenario } from '../scenes/scripted.ts';
import { FAMILY_NAMES, type Split } from '../scenes/family-names.ts';
import { seedOf } from '../scenes/splits.ts';
import { fileKind, readTextFile } from '../scenes/validate-file.ts';
import { jsonPath, parseJsonFile, validateScenario, validateSuite, ValidationError } from '../scenes/validate.ts';
import type { ScenarioKind } from './record.ts';

/** Bad input to the harness: a file that cannot be read, parsed or validated, or an unknown name. */
export class EvalInputError extends Error {
  override readonly name = 'EvalInputError';
}

export interface LoadedScenario {
  name: string;
  kind: ScenarioKind;
  /** Absolute path. */
  path: string;
  description: string | null;
  split: Split;
  maxSteps: number;
  /** The planner the file names (the command line may override it). */
  planner: string;
  /** Episode labels: task families, or a scripted scenario's own labels. */
  families: string[];
  /** Absolute seeds, in order. */
  seeds: number[];
  /** The file's own cap on episodes per family, if any. */
  episodesPerFamily: number | null;
  /** The agent's long-term memory the file asks for (its modes and scope), or null: none. */
  memory: ScenarioMemory | null;
  /** SHA-256 of the file's text: a resumed run must be of the same files. */
  digest: string;
}

export interface EvalSource {
  kind: 'scenario' | 'suite';
  name: string;
  path: string;
  description: string | null;
  scenarios: LoadedScenario[];
}

const SCRIPT_EXTENSIONS = new Set(['.ts', '.mts', '.js', '.mjs']);

const digestOf = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Run `read`, turning a ValidationError (which already names the file and JSON path) into an EvalInputError. */
function asInputError<T>(read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof ValidationError) throw new EvalInputError(e.message);
    throw e;
  }
}

const readChecked = (path: string): string => asInputError(() => readTextFile(path));

function fromJsonScenario(s: Scenario, path: string, digest: string): LoadedScenario {
  return {
    name: s.name,
    kind: 'json',
    path,
    description: s.description ?? null,
    split: s.split,
    maxSteps: s.maxSteps,
    planner: s.planner,
    families: s.families === 'all' ? [...FAMILY_NAMES] : [...s.families],
    seeds: scenarioSeeds(s).map((index) => seedOf(s.split, index)),
    episodesPerFamily: s.episodes ?? null,
    memory: s.memory ?? null,
    digest,
  };
}

function fromScripted(s: ScriptedScenario, path: string, digest: string): LoadedScenario {
  return {
    name: s.name,
    kind: 'scripted',
    path,
    description: s.description ?? null,
    split: s.split,
    maxSteps: s.maxSteps,
    planner: s.planner,
    families: [...s.families],
    seeds: [...s.seeds],
    episodesPerFamily: null,
    memory: null,
    digest,
  };
}

/** Import a scripted scenario module and check its default export. */
export async function importScripted(path: string): Promise<ScriptedScenario> {
  let module: unknown;
  try {
    module = await import(pathToFileURL(path).href);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw new EvalInputError(`${path}: cannot load the scripted scenario: ${message}`);
  }
  const value = typeof module === 'object' && module !== null && 'default' in module ? module.default : undefined;
  if (!isScriptedScenario(value)) {
    throw new EvalInputError(`${path}: the default export must be a scenario made with defineScenario({...}) (from 'umwelt/scenario')`);
  }
  return value;
}

const scenarioSource = (scenario: LoadedScenario): EvalSource => ({
  kind: 'scenario',
  name: scenario.name,
  path: scenario.path,
  description: scenario.description,
  scenarios: [scenario],
});

async function loadScenarioFile(path: string, where: string | null): Promise<LoadedScenario> {
  const extension = extname(path).toLowerCase();
  const text = readChecked(path);
  if (SCRIPT_EXTENSIONS.has(extension)) return fromScripted(await importScripted(path), path, digestOf(text));
  if (extension !== '.json') {
    const at = where ? ` (listed at ${where})` : '';
    throw new EvalInputError(`${path}${at}: expected a .json scenario or suite, or a .ts scripted scenario, not "${extension || 'no extension'}"`);
  }
  return asInputError(() => {
    const value = parseJsonFile(text, path);
    if (fileKind(value) === 'suite') {
      throw new ValidationError([{ path: '$.kind', message: `a suite cannot list another suite${where ? ` (listed at ${where})` : ''}` }], path);
    }
    return fromJsonScenario(validateScenario(value, path), path, digestOf(text));
  });
}

/** Load a scenario or suite file and everything it lists. */
export async function loadSource(file: string): Promise<EvalSource> {
  const path = resolve(file);
  if (extname(path).toLowerCase() !== '.json') return scenarioSource(await loadScenarioFile(path, null));
  const text = readChecked(path);
  const value = asInputError(() => parseJsonFile(text, path));
  if (fileKind(value) !== 'suite') return scenarioSource(asInputError(() => fromJsonScenario(validateScenario(value, path), path, digestOf(text))));
  const suite = asInputError(() => validateSuite(value, path));
  const scenarios: LoadedScenario[] = [];
  const names = new Map<string, string>();
  for (const [i, listed] of suite.scenarios.entries()) {
    const where = `${path} ${jsonPath(['scenarios', i])}`;
    const scenario = await loadScenarioFile(resolve(dirname(path), listed), where);
    const clash = names.get(scenario.name);
    if (clash !== undefined) {
      throw new EvalInputError(`${path}: ${jsonPath(['scenarios', i])}: scenario name "${scenario.name}" is also the name of ${clash}; names must be unique within a suite`);
    }
    names.set(scenario.name, scenario.path);
    scenarios.push(scenario);
  }
  return { kind: 'suite', name: suite.name, path, description: suite.description ?? null, scenarios };
}
