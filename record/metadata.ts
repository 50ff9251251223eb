// The two metadata records of a recording on disk and back. MCAP metadata values are strings: numbers are written
// in decimal, plain strings as they are, structured values as JSON. Decoding validates with the zod schemas and
// says which key is wrong.
import type { z } from 'zod';
import type { EpisodeMetadata, StepIndexMetadata } from './format.ts';
import { describeIssues, EpisodeMetadataSchema, StepIndexMetadataSchema } from './schemas.ts';

/** Keys of the episode metadata whose values are plain strings or numbers (the rest are JSON). */
const STRING_KEYS = ['family', 'instruction'] as const;
const NUMBER_KEYS = ['formatVersion', 'seed'] as const;

export function encodeEpisodeMetadata(m: EpisodeMetadata): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(m) as [keyof EpisodeMetadata, unknown][]) {
    if (value === undefined) continue;
    if ((STRING_KEYS as readonly string[]).includes(key) && typeof value === 'string') out.set(key, value);
    else if ((NUMBER_KEYS as readonly string[]).includes(key) && typeof value === 'number') out.set(key, String(value));
    else out.set(key, JSON.stringify(value));
  }
  return out;
}

/** What is wrong with a metadata record, as one line. */
export class MetadataError extends Error {
  override readonly name = 'MetadataError';
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new MetadataError(`${what}: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

function jsonValue(map: ReadonlyMap<string, string>, key: string, what: string): unknown {
  const text = map.get(key);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new MetadataError(`${what}: the value of "${key}" is not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

export function decodeEpisodeMetadata(map: ReadonlyMap<string, string>, what = 'umwelt.episode'): EpisodeMetadata {
  const raw: Record<string, unknown> = {};
  for (const key of map.keys()) {
    const text = map.get(key) ?? '';
    if ((STRING_KEYS as readonly string[]).includes(key)) raw[key] = text;
    else if ((NUMBER_KEYS as readonly string[]).includes(key)) raw[key] = /^-?\d+$/.test(text) ? Number(text) : text;
    else raw[key] = jsonValue(map, key, what);
  }
  return parseWith(EpisodeMetadataSchema, raw, what);
}

export function encodeStepIndex(index: StepIndexMetadata): Map<string, string> {
  return new Map([
    ['count', String(index.steps.length)],
    ['steps', JSON.stringify(index.steps)],
    ['sequences', JSON.stringify(index.sequences)],
  ]);
}

export function decodeStepIndex(map: ReadonlyMap<string, string>, what = 'umwelt.steps'): StepIndexMetadata {
  const index = parseWith(StepIndexMetadataSchema, { steps: jsonValue(map, 'steps', what), sequences: jsonValue(map, 'sequences', what) }, what);
  if (index.steps.length !== index.sequences.length) {
    throw new MetadataError(`${what}: ${index.steps.length} time ranges but ${index.sequences.length} sequence ranges`);
  }
  index.steps.forEach(([start, end], k) => {
    if (BigInt(start) > BigInt(end)) throw new MetadataError(`${what}: step ${k} ends (${end} ns) before it starts (${start} ns)`);
  });
  return index;
}
