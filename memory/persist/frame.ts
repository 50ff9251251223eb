// The log's framing, pure (no I/O): encoding an op as a frame, and scanning a byte image of the
// log back into ops with resynchronisation past damage.
//
// Frame: [magic u32][length u32][crc32 u32][payload: length bytes], header fields little-endian,
// crc32 over the payload. Payload: UTF-8 JSON of the op, a put's embedding as base64 of its
// little-endian float32 bytes. The magic's bytes are 4D 45 4D FE ("MEM\xFE"): 0xFE never occurs in
// UTF-8, so a payload can never contain the magic and resynchronising on it is exact up to a CRC
// collision in a header's own bytes (2^-32).

import type { DropReason, DroppedRange, LogOp } from '../store/backend.ts';
import { decodeRecord, encodeRecord } from '../store/codec.ts';
import { MemoryError } from '../store/errors.ts';
import { crc32 } from './crc32.ts';

export const MAGIC = 0xfe4d454d;
export const HEADER_BYTES = 12;
/** Larger length fields are corruption (a record is a few KiB). */
export const MAX_PAYLOAD = 64 * 1024 * 1024;

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

export function encodeFrame(op: LogOp): Uint8Array {
  const json = op.op === 'put' ? { op: 'put', record: encodeRecord(op.record) } : op;
  const payload = utf8.encode(JSON.stringify(json));
  const out = new Uint8Array(HEADER_BYTES + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, payload.length, true);
  view.setUint32(8, crc32(payload), true);
  out.set(payload, HEADER_BYTES);
  return out;
}

/** Parses and validates one payload; throws (MemoryError or SyntaxError) when it is not an op. */
export function decodePayload(payload: Uint8Array): LogOp {
  const v: unknown = JSON.parse(utf8Strict.decode(payload));
  if (typeof v !== 'object' || v === null) throw new MemoryError('invalid-encoding', 'op is not an object');
  const o = v as Record<string, unknown>;
  if (o.op === 'put') return { op: 'put', record: decodeRecord(o.record) };
  if (typeof o.id !== 'string') throw new MemoryError('invalid-encoding', 'op without a string id');
  if (o.op === 'delete') return { op: 'delete', id: o.id };
  if (o.op === 'touch' && typeof o.lastAccess === 'number' && Number.isFinite(o.lastAccess)) {
    return { op: 'touch', id: o.id, lastAccess: o.lastAccess };
  }
  throw new MemoryError('invalid-encoding', `unknown op ${JSON.stringify(o.op)}`);
}

type Probe = { ok: true; end: number } | { ok: false; reason: DropReason };

/** Checks the frame at `p` up to its checksum (not the payload's meaning). */
function probe(bytes: Uint8Array, view: DataView, p: number): Probe {
  if (bytes.length - p < HEADER_BYTES) return { ok: false, reason: 'torn' };
  if (view.getUint32(p, true) !== MAGIC) return { ok: false, reason: 'bad-magic' };
  const length = view.getUint32(p + 4, true);
  if (length > MAX_PAYLOAD) return { ok: false, reason: 'bad-length' };
  const end = p + HEADER_BYTES + length;
  if (end > bytes.length) return { ok: false, reason: 'torn' };
  if (crc32(bytes, p + HEADER_BYTES, end) !== view.getUint32(p + 8, true)) return { ok: false, reason: 'bad-crc' };
  return { ok: true, end };
}

/** The first offset >= from where a frame with a valid checksum starts, or -1. */
function resync(bytes: Uint8Array, view: DataView, from: number): number {
  for (let i = bytes.indexOf(0xfe, from + 3); i !== -1; i = bytes.indexOf(0xfe, i + 1)) {
    const p = i - 3;
    if (view.getUint32(p, true) === MAGIC && probe(bytes, view, p).ok) return p;
  }
  return -1;
}

export interface ScanResult {
  records: LogOp[];
  /** Byte ranges [start, end) of the kept frames, in order. */
  frames: { start: number; end: number }[];
  dropped: DroppedRange[];
}

/**
 * Reads every intact frame. Damage is skipped by resynchronising on the next frame with a valid
 * checksum; each skipped range is reported once, with the reason found at its start ('torn' when
 * it runs to the end of the file because the last frame is incomplete).
 */
export function scanFrames(bytes: Uint8Array): ScanResult {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: ScanResult = { records: [], frames: [], dropped: [] };
  let p = 0;
  while (p < bytes.length) {
    const pr = probe(bytes, view, p);
    if (pr.ok) {
      let op: LogOp | null = null;
      try {
        op = decodePayload(bytes.subarray(p + HEADER_BYTES, pr.end));
      } catch {
        out.dropped.push({ offset: p, bytes: pr.end - p, reason: 'bad-payload' });
      }
      if (op) {
        out.records.push(op);
        out.frames.push({ start: p, end: pr.end });
      }
      p = pr.end;
      continue;
    }
    const next = resync(bytes, view, p + 1);
    const end = next === -1 ? bytes.length : next;
    const reason = pr.reason === 'torn' && next !== -1 ? 'bad-length' : pr.reason;
    out.dropped.push({ offset: p, bytes: end - p, reason });
    p = end;
  }
  return out;
}
