// Planner bundles from files (Node only): read once per path and process, cached, with BundleErrors that name the
// path. The default bundle is the shipped checkpoint, models/planner/planner.safetensors in the repository.
import { readFile, stat } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_MAX_CHECKPOINT_BYTES } from './checkpoint-file.ts';
import { BundleError, decodeBundle, type PlannerBundle } from './bundle.ts';

/** Where the shipped checkpoints are, relative to the repository root. */
export const DEFAULT_CHECKPOINT = 'models/planner/planner.safetensors';
export const DEFAULT_INT8_CHECKPOINT = 'models/planner/planner.int8.safetensors';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The absolute path of a checkpoint given relative to the repository root (the defaults above). */
export const repoPath = (path: string): string => resolve(ROOT, path);

/** The absolute path of the default checkpoint (independent of the working directory). */
export const defaultCheckpointPath = (int8 = false): string => repoPath(int8 ? DEFAULT_INT8_CHECKPOINT : DEFAULT_CHECKPOINT);

const errorCode = (e: unknown): unknown => (typeof e === 'object' && e !== null && 'code' in e ? e.code : undefined);

/** How a path is named in messages: relative to the working directory when inside it. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel !== '' && !rel.startsWith('..') ? rel : path;
}

async function readBundle(path: string): Promise<PlannerBundle> {
  const isDefault = path === defaultCheckpointPath() || path === defaultCheckpointPath(true);
  let bytes: Uint8Array;
  try {
    const { size } = await stat(path);
    if (size > DEFAULT_MAX_CHECKPOINT_BYTES) throw new BundleError('bad_checkpoint', `${shown(path)}: ${size} bytes exceeds the ${DEFAULT_MAX_CHECKPOINT_BYTES}-byte limit for checkpoints`);
    const buffer = await readFile(path);
    bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (e) {
    if (e instanceof BundleError) throw e;
    const code = errorCode(e);
    if (code === 'ENOENT' && isDefault) {
      throw new BundleError('missing_file', `no planner checkpoint at ${relative(ROOT, path)}; run npm run train:planner (or pass --checkpoint FILE)`, { cause: e });
    }
    if (code === 'ENOENT') throw new BundleError('missing_file', `no planner checkpoint at ${shown(path)}`, { cause: e });
    if (code === 'EISDIR') throw new BundleError('missing_file', `${shown(path)} is a directory, not a planner checkpoint`, { cause: e });
    throw new BundleError('missing_file', `cannot read the planner checkpoint ${shown(path)}: ${(e as Error).message}`, { cause: e });
  }
  try {
    return decodeBundle(bytes);
  } catch (e) {
    if (e instanceof BundleError) throw new BundleError(e.code, `${shown(path)}: ${e.message}`, { cause: e });
    throw e;
  }
}

const cache = new Map<string, Promise<PlannerBundle>>();

/** The bundle in a file (the default checkpoint without a path), read once per absolute path and process. */
export function loadBundleFile(path?: string): Promise<PlannerBundle> {
  const absolute = path === undefined ? defaultCheckpointPath() : resolve(path);
  let loading = cache.get(absolute);
  if (loading === undefined) {
    loading = readBundle(absolute);
    cache.set(absolute, loading);
    // A failed load is not cached: the file may appear (or be fixed) later.
    loading.catch(() => cache.delete(absolute));
  }
  return loading;
}

/** Forgets the cached bundles (tests that rewrite a file). */
export function clearBundleCache(): void {
  cache.clear();
}
