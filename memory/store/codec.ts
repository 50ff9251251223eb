// Record validation, cloning and the JSON-safe encoding shared by snapshots and the log:
// embeddings as base64 of their little-endian float32 bytes (own codec: no Buffer, so it also
// runs in the browser).

import { MEMORY_KINDS, type MemoryKind, type MemoryRecord } from '../types.ts';
import { MemoryError } from './errors.ts';

/** A MemoryRecord with its embedding as base64 (little-endian float32). JSON-safe. */
export type SerializedRecord = Omit<MemoryRecord, 'embedding'> & { embedding: string };

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Map<string, number>([...B64].map((c, i) => [c, i]));

export function bytesToBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i] ?? 0;
    const b = bytes[i + 1] ?? 0;
    const c = bytes[i + 2] ?? 0;
    const n = (a << 16) | (b << 8) | c;
    out += B64.charAt((n >> 18) & 63) + B64.charAt((n >> 12) & 63);
    out += i + 1 < bytes.length ? B64.charAt((n >> 6) & 63) : '=';
    out += i + 2 < bytes.length ? B64.charAt(n & 63) : '=';
  }
  return out;
}

export function base64ToBytes(text: string): Uint8Array {
  if (text.length % 4 !== 0) throw new MemoryError('invalid-encoding', `base64 length ${text.length} is not a multiple of 4`);
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    let n = 0;
    for (let j = 0; j < 4; j++) {
      const ch = text.charAt(i + j);
      const v = ch === '=' && i + 4 === text.length && j >= 4 - pad ? 0 : B64_INDEX.get(ch);
      if (v === undefined) throw new MemoryError('invalid-encoding', `invalid base64 character at ${i + j}`);
      n = (n << 6) | v;
    }
    if (o < out.length) out[o++] = (n >> 16) & 255;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

export function encodeFloat32(v: Float32Array): string {
  const bytes = new Uint8Array(v.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < v.length; i++) view.setFloat32(i * 4, v[i] ?? 0, true);
  return bytesToBase64(bytes);
}

export function decodeFloat32(text: string): Float32Array {
  const bytes = base64ToBytes(text);
  if (bytes.length % 4 !== 0) throw new MemoryError('invalid-encoding', `embedding of ${bytes.length} bytes is not float32`);
  const view = new DataView(bytes.buffer);
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const bad = (id: unknown, msg: string): MemoryError =>
  new MemoryError('invalid-record', `record ${typeof id === 'string' ? JSON.stringify(id) : '(no id)'}: ${msg}`);

/** Throws a MemoryError unless `r` is a well-formed record (of dimension `dim` when given). */
export function checkRecord(r: MemoryRecord, dim: number | null): void {
  const u = r as unknown as Record<string, unknown>;
  if (typeof u !== 'object' || u === null) throw new MemoryError('invalid-record', 'record is not an object');
  const id = u.id;
  if (typeof id !== 'string' || id.length === 0) throw bad(id, 'id must be a non-empty string');
  if (!isMemoryKind(u.kind)) {
    throw new MemoryError('unknown-kind', `record ${JSON.stringify(id)}: kind ${JSON.stringify(u.kind)} is not one of ${MEMORY_KINDS.join(', ')}`);
  }
  if (typeof u.text !== 'string') throw bad(id, 'text must be a string');
  if (typeof u.episode !== 'string') throw bad(id, 'episode must be a string');
  const e = u.embedding;
  if (!(e instanceof Float32Array)) throw bad(id, 'embedding must be a Float32Array');
  if (dim !== null && e.length !== dim) {
    throw new MemoryError('dimension-mismatch', `record ${JSON.stringify(id)}: embedding has ${e.length} dimensions, the store has ${dim}`);
  }
  checkVector(e, `record ${JSON.stringify(id)}: embedding`, 'invalid-record');
  if (!finite(u.simTime)) throw bad(id, `simTime must be a finite number, got ${String(u.simTime)}`);
  if (!finite(u.lastAccess)) throw bad(id, `lastAccess must be a finite number, got ${String(u.lastAccess)}`);
  if (!finite(u.importance) || u.importance < 0 || u.importance > 1) {
    throw bad(id, `importance must be in [0, 1], got ${String(u.importance)}`);
  }
  if (!Array.isArray(u.entityIds) || !u.entityIds.every((x) => typeof x === 'string')) {
    throw bad(id, 'entityIds must be an array of strings');
  }
  const p = u.position;
  if (p !== null && !(Array.isArray(p) && p.length === 3 && p.every(finite))) {
    throw bad(id, 'position must be null or three finite numbers');
  }
}

/** Throws unless every component is finite and the vector is not all zeros (cosine needs a norm). */
export function checkVector(v: Float32Array, what: string, code: 'invalid-record' | 'invalid-query'): void {
  let norm = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i] ?? 0;
    if (!Number.isFinite(x)) throw new MemoryError(code, `${what} has a non-finite component ${x} at ${i}`);
    norm += x * x;
  }
  if (v.length === 0 || norm === 0) throw new MemoryError(code, `${what} is empty or all zeros`);
}

/** A deep copy holding only the MemoryRecord fields. */
export function cloneRecord(r: MemoryRecord): MemoryRecord {
  return {
    id: r.id,
    kind: r.kind,
    text: r.text,
    embedding: new Float32Array(r.embedding),
    episode: r.episode,
    simTime: r.simTime,
    importance: r.importance,
    lastAccess: r.lastAccess,
    entityIds: [...r.entityIds],
    position: r.position === null ? null : [r.position[0], r.position[1], r.position[2]],
  };
}

export function encodeRecord(r: MemoryRecord): SerializedRecord {
  return { ...cloneRecord(r), embedding: encodeFloat32(r.embedding) };
}

/** Decodes and validates a SerializedRecord from parsed JSON; throws MemoryError. */
export function decodeRecord(value: unknown): MemoryRecord {
  if (typeof value !== 'object' || value === null) throw new MemoryError('invalid-record', 'record is not an object');
  const v = value as Record<string, unknown>;
  if (typeof v.embedding !== 'string') throw bad(v.id, 'embedding must be a base64 string');
  const r = { ...v, embedding: decodeFloat32(v.embedding) } as unknown as MemoryRecord;
  checkRecord(r, null);
  return cloneRecord(r);
}

export function isMemoryKind(x: unknown): x is MemoryKind {
  return typeof x === 'string' && (MEMORY_KINDS as readonly string[]).includes(x);
}
