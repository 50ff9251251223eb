// Scene, scenario and suite files: read one (refusing what is missing, too large or not UTF-8), tell which of the
// three it is from its keys, and validate it (validate.ts). The Node side of validation: the only part of scenes/
// that touches the file system.
import { readFileSync, statSync } from 'node:fs';
import type { SceneDescription } from '../sim/description.ts';
import { SCENARIO_KEYS, type Scenario } from './scenario.ts';
import { SCENE_KEYS } from './spec.ts';
import { looksLikeSuite, type Suite } from './suite.ts';
import { parseJsonFile, validateScenario, validateScene, validateSuite, ValidationError } from './validate.ts';

/** Files larger than this are refused before reading. */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A validated file, and which of the three it is. */
export type ValidatedFile =
  | { kind: 'scene'; value: SceneDescription }
  | { kind: 'scenario'; value: Scenario }
  | { kind: 'suite'; value: Suite };

/** A suite says `"kind": "suite"`; a scenario has `families` or `seeds`; a scene has `rooms`. */
export function fileKind(value: unknown): 'scene' | 'scenario' | 'suite' | null {
  if (!isRecord(value)) return null;
  if (looksLikeSuite(value)) return 'suite';
  if (Object.hasOwn(value, 'families') || Object.hasOwn(value, 'seeds')) return 'scenario';
  if (Object.hasOwn(value, 'rooms')) return 'scene';
  return null;
}

/** A file's text, refused with a ValidationError when missing, a directory, too large or not UTF-8. */
export function readTextFile(path: string): string {
  const refuse = (message: string): never => {
    throw new ValidationError([{ path: '$', message }], path);
  };
  let bytes: Buffer;
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) return refuse('is a directory, not a file');
    if (stat.size > MAX_FILE_BYTES) return refuse(`file is too large (${stat.size} bytes; the limit is ${MAX_FILE_BYTES})`);
    bytes = readFileSync(path);
  } catch (e) {
    if (e instanceof ValidationError) throw e;
    const code = isRecord(e) && typeof e.code === 'string' ? e.code : undefined;
    if (code === 'ENOENT') return refuse('file not found');
    return refuse(`cannot read file (${code ?? (e instanceof Error ? e.message : String(e))})`);
  }
  if (bytes.length > MAX_FILE_BYTES) return refuse(`file is too large (${bytes.length} bytes; the limit is ${MAX_FILE_BYTES})`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return refuse('file is not valid UTF-8 text');
  }
}

/** Read, parse and validate a scene, scenario or suite file, deciding which it is from its keys. */
export function validateFile(path: string): ValidatedFile {
  const value = parseJsonFile(readTextFile(path), path);
  switch (fileKind(value)) {
    case 'scenario':
      return { kind: 'scenario', value: validateScenario(value, path) };
    case 'scene':
      return { kind: 'scene', value: validateScene(value, path) };
    case 'suite':
      return { kind: 'suite', value: validateSuite(value, path) };
    case null: {
      const message =
        `neither a scene (keys: ${SCENE_KEYS.join(', ')}) nor a scenario (keys: ${SCENARIO_KEYS.join(', ')}); ` +
        'a scenario has "families" or "seeds", a scene has "rooms", a suite has "kind": "suite"';
      throw new ValidationError([{ path: '$', message }], path);
    }
  }
}
