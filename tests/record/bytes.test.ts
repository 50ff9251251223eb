// Reading a recording from bytes in memory (Recording.fromBytes, the browser's way: record/recording.ts over
// BytesReadable) gives exactly what reading the same file by its path gives: the info, every message of every
// topic, snapshots, actions, the result; and for damaged data (cut off, garbage, a flipped byte, a bad message, an
// MCAP file of something else) the same RecordingError messages and the same surviving prefix.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { McapIndexedReader, McapWriter } from '@mcap/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRecordingBytes } from '../../record/browser.ts';
import { BytesReadable } from '../../record/bytes.ts';
import { decompressHandlers } from '../../record/compression.ts';
import { TOPICS } from '../../record/format.ts';
import { Recording, RecordingError } from '../../record/reader.ts';
import { Recording as RecordingCore } from '../../record/recording.ts';
import { FileWritable } from '../../record/writable.ts';
import { recordEpisode, rewriteRecording } from '../fixtures/recordings.ts';

const dir = mkdtempSync(join(tmpdir(), 'umwelt-bytes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Everything a reader can say about a recording, as plain data (or the RecordingError it throws on the way). */
async function everything(r: RecordingCore): Promise<unknown> {
  const out: Record<string, unknown> = { info: r.info(), metadata: r.metadata, steps: r.steps, complete: r.complete, problem: r.problem };
  const settle = async (what: () => Promise<unknown>): Promise<unknown> => {
    try {
      return await what();
    } catch (e) {
      if (e instanceof RecordingError) return { error: e.message };
      throw e;
    }
  };
  for (const topic of Object.values(TOPICS)) {
    out[topic] = await settle(async () => {
      const messages: unknown[] = [];
      for await (const m of r.messages(topic)) messages.push(m);
      return messages;
    });
  }
  out.byStep = await settle(async () => {
    const messages: unknown[] = [];
    for await (const m of r.messages(TOPICS.state, { fromStep: 1, toStep: 2 })) messages.push(m);
    return messages;
  });
  out.actions = await settle(() => r.actions());
  out.snapshots = await settle(() => Promise.all(Array.from({ length: r.steps + 1 }, (_, k) => r.snapshot(k))));
  out.states = await settle(() => r.states());
  out.result = await r.result();
  return out;
}

/** The RecordingErrors in what `both` gives: opening's, or those of the reads. */
function errorsOf(result: unknown): string[] {
  if (typeof result !== 'object' || result === null) return [];
  if ('openError' in result && typeof result.openError === 'string') return [result.openError];
  return Object.values(result).flatMap((v: unknown) => (typeof v === 'object' && v !== null && 'error' in v && typeof v.error === 'string' ? [v.error] : []));
}

/** What opening `path` by its path and from its bytes (named by the path) gives: the recording read whole, or the error. */
async function both(path: string): Promise<[unknown, unknown]> {
  const read = async (open: () => Promise<RecordingCore>): Promise<unknown> => {
    let r: RecordingCore;
    try {
      r = await open();
    } catch (e) {
      if (e instanceof RecordingError) return { openError: e.message };
      throw e;
    }
    try {
      return await everything(r);
    } finally {
      await r.close();
    }
  };
  const fromPath = await read(() => Recording.open(path));
  const fromBytes = await read(() => RecordingCore.fromBytes(readFileSync(path), path));
  return [fromPath, fromBytes];
}

describe('a recording read from bytes', () => {
  let zstdPath: string;
  let plainPath: string;
  beforeAll(async () => {
    zstdPath = join(dir, 'fetch.mcap');
    plainPath = join(dir, 'open-plain.mcap');
    await recordEpisode(zstdPath, 'fetch', { maxSteps: 12 });
    await recordEpisode(plainPath, 'open', { maxSteps: 12, compression: 'none' });
  });

  it('gives the same info, messages, snapshots, actions and result as the file read by its path', async () => {
    for (const path of [zstdPath, plainPath]) {
      const [fromPath, fromBytes] = await both(path);
      expect(fromBytes).toEqual(fromPath);
      const info = (fromPath as { info: { complete: boolean; steps: number; bytes: number } }).info;
      expect(info.complete).toBe(true);
      expect(info.steps).toBeGreaterThan(1);
      expect(info.bytes).toBe(readFileSync(path).byteLength);
    }
    // Named as the caller says (a fetched file has no path), and closed like a file.
    const r = await openRecordingBytes(new Uint8Array(readFileSync(zstdPath)), 'episode.mcap');
    expect(r).toBeInstanceOf(RecordingCore);
    expect(r.info().path).toBe('episode.mcap');
    await expect(r.snapshot(r.steps + 1)).rejects.toThrow(`episode.mcap: no snapshot of step ${r.steps + 1}: the recording has steps 0..${r.steps}`);
    await r.close();
    await expect(r.actions()).rejects.toThrow('episode.mcap: the recording is closed');
  });

  it('cut off at several points: the same surviving prefix and problem as the file', async () => {
    const bytes = readFileSync(plainPath);
    const footer = 1 + 8 + 8 + 8 + 4 + 8;
    let partial = 0;
    for (const cut of [20, 200, Math.floor(bytes.length * 0.3), Math.floor(bytes.length * 0.7), bytes.length - footer, bytes.length - 1]) {
      const path = join(dir, `cut-${cut}.mcap`);
      writeFileSync(path, bytes.subarray(0, cut));
      const [fromPath, fromBytes] = await both(path);
      expect(fromBytes, `cut at ${cut}`).toEqual(fromPath);
      if ((fromPath as { complete?: boolean }).complete === false) partial++;
    }
    expect(partial).toBeGreaterThanOrEqual(3); // not vacuous: most cuts leave a readable prefix
  });

  it('garbage, an empty array, an MCAP file of something else, flipped bytes and a bad message: the same RecordingErrors', async () => {
    const paths: string[] = [];
    const put = (name: string, content: Uint8Array): void => {
      const path = join(dir, name);
      writeFileSync(path, content);
      paths.push(path);
    };
    put('random.mcap', Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251));
    put('empty.mcap', new Uint8Array(0));
    put('short.mcap', new Uint8Array([0x89, 0x4d]));
    // The MCAP magic, then garbage.
    const magicThenGarbage = Uint8Array.from({ length: 512 }, (_, i) => (i * 31 + 7) % 256);
    magicThenGarbage.set(readFileSync(plainPath).subarray(0, 8));
    put('magic-garbage.mcap', magicThenGarbage);
    // A valid MCAP file without the episode metadata.
    const other = join(dir, 'other.mcap');
    const writable = FileWritable.create(other);
    const writer = new McapWriter({ writable });
    await writer.start({ profile: 'other', library: 'test' });
    await writer.end();
    writable.close();
    paths.push(other);
    // Flipped bytes in the first and the last chunk (the CRC catches them).
    const bytes = readFileSync(plainPath);
    const reader = await McapIndexedReader.Initialize({ readable: new BytesReadable(bytes) });
    const chunks = reader.chunkIndexes.map((c) => ({ start: Number(c.chunkStartOffset), length: Number(c.chunkLength) }));
    for (const chunk of [chunks[0], chunks[chunks.length - 1]]) {
      if (!chunk) continue;
      const copy = Buffer.from(bytes);
      const at = chunk.start + Math.floor(chunk.length / 2);
      copy[at] = (copy[at] ?? 0) ^ 0x10;
      put(`flip-${at}.mcap`, copy);
    }
    // A message that is not what its schema says.
    const tampered = join(dir, 'tampered.mcap');
    const edited = await rewriteRecording(plainPath, tampered, (topic, m) => (topic === TOPICS.action && m.step === 1 ? { ...m, outcome: { ok: 'yes' } } : m));
    expect(edited).toBe(1);
    paths.push(tampered);

    const errors: string[] = [];
    for (const path of paths) {
      const [fromPath, fromBytes] = await both(path);
      expect(fromBytes, path).toEqual(fromPath);
      const found = errorsOf(fromPath);
      for (const message of found) expect(message.startsWith(`${path}: `), message).toBe(true);
      errors.push(...found);
      // A damaged last chunk is no error: the recording is the prefix before it, and says so.
      const problem = (fromPath as { problem?: string | null }).problem ?? null;
      if (problem) errors.push(problem);
      expect(found.length > 0 || problem !== null, `${path} gives an error or a problem`).toBe(true);
    }
    expect(errors.join('\n')).toMatch(/not an MCAP file/);
    expect(errors.join('\n')).toMatch(/the file is empty/);
    expect(errors.join('\n')).toMatch(/not an umwelt recording: it lacks the umwelt\.episode metadata/);
    expect(errors.join('\n')).toMatch(/cannot read \/foxglove\/scene: the file is damaged: Incorrect chunk CRC/);
    expect(errors.join('\n')).toMatch(/^damaged data in the chunk at byte \d+: Incorrect chunk CRC/m);
    expect(errors.join('\n')).toMatch(/bad \/umwelt\/action message \(step 1, at \d+ ns\): \$\.outcome/);
  });

  it('zstd chunks decompress where there is no global Buffer (a page), and none is left behind', async () => {
    const bytes = readFileSync(zstdPath);
    const reader = await McapIndexedReader.Initialize({ readable: new BytesReadable(bytes) });
    const chunk = reader.chunkIndexes[0];
    expect(chunk?.compression).toBe('zstd');
    const record = bytes.subarray(Number(chunk?.chunkStartOffset ?? 0n), Number((chunk?.chunkStartOffset ?? 0n) + (chunk?.chunkLength ?? 0n)));
    // The Chunk record: opcode, record length, start and end time, uncompressed size, crc, compression, records.
    const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
    const size = view.getBigUint64(1 + 8 + 16, true);
    const nameLength = view.getUint32(1 + 8 + 16 + 8 + 4, true);
    const at = 1 + 8 + 16 + 8 + 4 + 4 + nameLength;
    const compressed = record.subarray(at + 8, at + 8 + Number(view.getBigUint64(at, true)));
    const { zstd } = await decompressHandlers();
    const withNode = new Uint8Array(zstd?.(compressed, size) ?? []);
    const saved = Reflect.get(globalThis, 'Buffer') as unknown;
    let without: Uint8Array;
    let leftBehind: boolean;
    Reflect.deleteProperty(globalThis, 'Buffer');
    try {
      without = zstd?.(compressed, size) ?? new Uint8Array(0);
      leftBehind = 'Buffer' in globalThis;
    } finally {
      Reflect.set(globalThis, 'Buffer', saved);
    }
    expect(leftBehind).toBe(false);
    expect(without.byteLength).toBe(Number(size));
    expect(new Uint8Array(without)).toEqual(withNode);
  });

  it('BytesReadable reads exactly the bytes asked for, as a copy, and refuses reads outside them', async () => {
    const bytes = Uint8Array.from({ length: 100 }, (_, i) => i);
    const readable = new BytesReadable(bytes.subarray(10, 60));
    expect(await readable.size()).toBe(50n);
    const part = await readable.read(5n, 10n);
    expect([...part]).toEqual(Array.from({ length: 10 }, (_, i) => 15 + i));
    part[0] = 255;
    expect(bytes[15]).toBe(15);
    expect((await readable.read(50n, 0n)).byteLength).toBe(0);
    await expect(readable.read(45n, 10n)).rejects.toThrow('read of 10 bytes at offset 45 is outside the file (50 bytes)');
    await expect(readable.read(-1n, 1n)).rejects.toThrow(/outside the file/);
  });
});
