// Checkpoint files (Node only): atomic writes, size-capped reads, errors that name the path.

import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { CheckpointError, decodeCheckpoint, encodeCheckpoint, type DecodedCheckpoint, type StoredTensor } from './checkpoint.ts';
import type { NamedTensor, NamedTensors } from './tensors.ts';

/** Default read cap: 2 GiB. */
export const DEFAULT_MAX_CHECKPOINT_BYTES = 2 * 1024 ** 3;

/** Writes the checkpoint atomically (temp file + rename), creating the parent directory. */
export async function saveCheckpoint(
  path: string,
  tensors: ReadonlyMap<string, NamedTensor | StoredTensor>,
  metadata: Record<string, string> = {},
): Promise<void> {
  const bytes = encodeCheckpoint(tensors, metadata);
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

export interface LoadCheckpointOptions {
  /** Refuse files larger than this many bytes (default 2 GiB). */
  maxBytes?: number;
  /** The caller's own check of the tensors (names, shapes); what it throws becomes a CheckpointError. */
  expect?: (tensors: NamedTensors) => void;
}

const errorCode = (e: unknown): unknown => (typeof e === 'object' && e !== null && 'code' in e ? e.code : undefined);

/** Reads, validates and decodes a checkpoint file (int8 tensors are dequantized). */
export async function loadCheckpoint(path: string, options: LoadCheckpointOptions = {}): Promise<DecodedCheckpoint> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_CHECKPOINT_BYTES;
  let bytes: Uint8Array;
  try {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      if (size > maxBytes) throw new CheckpointError(`${path}: ${size} bytes exceeds the ${maxBytes}-byte limit for checkpoints`);
      const buffer = new Uint8Array(size);
      let read = 0;
      while (read < size) {
        const { bytesRead } = await handle.read(buffer, read, size - read, read);
        if (bytesRead === 0) break;
        read += bytesRead;
      }
      bytes = buffer.subarray(0, read);
    } finally {
      await handle.close();
    }
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    const code = errorCode(e);
    if (code === 'ENOENT') throw new CheckpointError(`${path}: no such checkpoint file`, { cause: e });
    if (code === 'EISDIR') throw new CheckpointError(`${path}: is a directory, not a checkpoint file`, { cause: e });
    throw new CheckpointError(`${path}: cannot read checkpoint: ${(e as Error).message}`, { cause: e });
  }
  let decoded: DecodedCheckpoint;
  try {
    decoded = decodeCheckpoint(bytes);
  } catch (e) {
    if (e instanceof CheckpointError) throw new CheckpointError(`${path}: ${e.message}`, { cause: e });
    throw e;
  }
  if (options.expect) {
    try {
      options.expect(decoded.tensors);
    } catch (e) {
      throw new CheckpointError(`${path}: unexpected tensors: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }
  return decoded;
}
