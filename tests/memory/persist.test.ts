// The append-only log: round trips, replay of deletes/touches, corruption in the middle,
// truncation at every kind of length, compaction, and crash safety against real SIGKILLed writers.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LogOp } from '../../memory/store/backend.ts';
import { crc32 } from '../../memory/persist/crc32.ts';
import { FileLog } from '../../memory/persist/log.ts';
import { flatIndexFactory } from '../../memory/store/flat-index.ts';
import { MemoryStore } from '../../memory/store/store.ts';
import type { MemoryRecord } from '../../memory/types.ts';
import { mulberry32 } from '../fixtures/random.ts';

const DIM = 8;
const dir = mkdtempSync(join(tmpdir(), 'umwelt-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
const freshPath = (): string => join(dir, `log-${fileNo++}.bin`);

function rec(i: number): MemoryRecord {
  return {
    id: `m${i}`,
    kind: i % 3 === 0 ? 'outcome' : 'observation',
    text: `memory number ${i} ✓`,
    embedding: new Float32Array(DIM).map((_, j) => Math.cos(i * 7 + j) + (j === 0 ? 2 : 0)),
    episode: `ep${i % 4}`,
    simTime: i * 10,
    importance: (i % 11) / 10,
    lastAccess: i * 10,
    entityIds: [`e${i}`],
    position: i % 2 ? [i, -i, 0.5] : null,
  };
}
const put = (i: number): LogOp => ({ op: 'put', record: rec(i) });

function writeLog(path: string, ops: LogOp[]): void {
  const { log } = FileLog.open(path, { fsync: 'never' });
  for (const op of ops) log.append(op);
  log.close();
}

/** Frame boundaries [start, end) read from the headers (independently of the scanner). */
function frameBounds(bytes: Uint8Array): { start: number; end: number }[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: { start: number; end: number }[] = [];
  for (let p = 0; p < bytes.length; ) {
    const end = p + 12 + view.getUint32(p + 4, true);
    out.push({ start: p, end });
    p = end;
  }
  return out;
}

describe('FileLog', () => {
  it('crc32 matches the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('writes N records and reads them back identically', () => {
    const path = freshPath();
    const ops = Array.from({ length: 60 }, (_, i) => put(i));
    writeLog(path, ops);
    const { log, records, dropped } = FileLog.open(path);
    log.close();
    expect(dropped).toEqual([]);
    expect(records).toEqual(ops);
  });

  it('replays deletes and touches, through MemoryStore too', async () => {
    const path = freshPath();
    const ops: LogOp[] = [put(0), put(1), put(2), { op: 'delete', id: 'm1' }, { op: 'touch', id: 'm2', lastAccess: 999 }, put(3)];
    writeLog(path, ops);
    const { store, report } = await MemoryStore.open({ dim: DIM, indexFactory: flatIndexFactory, backend: new FileLog(path) });
    expect(report.records).toEqual(ops);
    expect(store.all().map((r) => r.id)).toEqual(['m0', 'm2', 'm3']);
    expect(store.get('m2')?.lastAccess).toBe(999);
    store.touch('m0', 5);
    store.delete('m3');
    store.add(rec(7));
    store.close();
    const again = await MemoryStore.open({ dim: DIM, indexFactory: flatIndexFactory, backend: new FileLog(path) });
    expect(again.store.all()).toEqual([{ ...rec(0), lastAccess: 5 }, { ...rec(2), lastAccess: 999 }, rec(7)]);
    again.store.close();
  });

  it.each([
    ['payload', 20, 'bad-crc'],
    ['magic', 1, 'bad-magic'],
    ['length', 6, 'bad-length'],
    ['crc', 9, 'bad-crc'],
  ] as const)('a corrupt %s byte in the middle drops exactly that frame', (_what, at, reason) => {
    const path = freshPath();
    const ops = Array.from({ length: 20 }, (_, i) => put(i));
    writeLog(path, ops);
    const bytes = readFileSync(path);
    const frames = frameBounds(bytes);
    const k = 9;
    const f = frames[k]!;
    bytes[f.start + at] = (bytes[f.start + at] ?? 0) ^ (at === 6 ? 0x7f : 0x01);
    writeFileSync(path, bytes);
    const first = FileLog.open(path);
    expect(first.dropped).toEqual([{ offset: f.start, bytes: f.end - f.start, reason }]);
    expect(first.records).toEqual(ops.filter((_, i) => i !== k));
    expect(statSync(path).size).toBe(bytes.length - (f.end - f.start));
    first.log.append(put(100));
    first.log.close();
    const second = FileLog.open(path);
    second.log.close();
    expect(second.dropped).toEqual([]);
    expect(second.records).toEqual([...ops.filter((_, i) => i !== k), put(100)]);
  });

  it('garbage between frames and at the start is skipped and reported', () => {
    const path = freshPath();
    writeLog(path, [put(0), put(1)]);
    const good = readFileSync(path);
    const f = frameBounds(good);
    const junk = new Uint8Array(37).fill(0x41);
    const image = Buffer.concat([junk, good.subarray(0, f[1]!.start), junk, good.subarray(f[1]!.start)]);
    writeFileSync(path, image);
    const { log, records, dropped } = FileLog.open(path);
    log.close();
    expect(records).toEqual([put(0), put(1)]);
    expect(dropped).toEqual([
      { offset: 0, bytes: 37, reason: 'bad-magic' },
      { offset: 37 + f[1]!.start, bytes: 37, reason: 'bad-magic' },
    ]);
    expect(readFileSync(path).equals(good)).toBe(true);
  });

  it('a frame with a valid checksum but an invalid op is dropped as bad-payload', () => {
    const path = freshPath();
    writeLog(path, [put(0), put(1)]);
    const good = readFileSync(path);
    const f = frameBounds(good);
    const payload = new TextEncoder().encode('{"op":"explode","id":"x"}');
    const frame = new Uint8Array(12 + payload.length);
    const view = new DataView(frame.buffer);
    view.setUint32(0, 0xfe4d454d, true);
    view.setUint32(4, payload.length, true);
    view.setUint32(8, crc32(payload), true);
    frame.set(payload, 12);
    writeFileSync(path, Buffer.concat([good.subarray(0, f[1]!.start), frame, good.subarray(f[1]!.start)]));
    const { log, records, dropped } = FileLog.open(path);
    log.close();
    expect(records).toEqual([put(0), put(1)]);
    expect(dropped).toEqual([{ offset: f[1]!.start, bytes: frame.length, reason: 'bad-payload' }]);
  });

  it('truncation at any length reopens to exactly a prefix, and appends after it are clean', () => {
    const path = freshPath();
    const ops = Array.from({ length: 12 }, (_, i) => put(i));
    writeLog(path, ops);
    const full = readFileSync(path);
    const frames = frameBounds(full);
    const lengths = new Set<number>();
    for (let L = 0; L <= frames[1]!.end + 1; L++) lengths.add(L); // every length in the first two frames
    for (const f of frames) for (let d = 0; d <= 13; d++) lengths.add(Math.min(full.length, f.start + d)); // inside each header
    const rnd = mulberry32(7);
    for (let i = 0; i < 60; i++) lengths.add(Math.floor(rnd() * (full.length + 1)));
    const target = freshPath();
    for (const L of lengths) {
      writeFileSync(target, full.subarray(0, L));
      const j = frames.filter((f) => f.end <= L).length;
      const boundary = j === 0 ? 0 : frames[j - 1]!.end;
      const { log, records, dropped } = FileLog.open(target, { fsync: 'never' });
      expect(records, `length ${L}`).toEqual(ops.slice(0, j));
      expect(dropped, `length ${L}`).toEqual(L > boundary ? [{ offset: boundary, bytes: L - boundary, reason: 'torn' }] : []);
      expect(statSync(target).size).toBe(boundary);
      log.append(put(50));
      log.close();
      const again = FileLog.open(target, { fsync: 'never' });
      again.log.close();
      expect(again.dropped).toEqual([]);
      expect(again.records).toEqual([...ops.slice(0, j), put(50)]);
    }
    expect(lengths.size).toBeGreaterThan(600);
  });

  it('compaction keeps the live state, and the log continues after it', async () => {
    const path = freshPath();
    const open = () => MemoryStore.open({ dim: DIM, indexFactory: flatIndexFactory, backend: new FileLog(path, { fsync: 'batch', batchSize: 4 }) });
    const { store } = await open();
    for (let i = 0; i < 30; i++) store.add(rec(i));
    for (let i = 0; i < 30; i += 3) store.delete(`m${i}`);
    for (let i = 1; i < 30; i += 4) store.touch(`m${i}`, 1000 + i);
    const before = store.all();
    const sizeBefore = statSync(path).size;
    store.compact();
    expect(statSync(path).size).toBeLessThan(sizeBefore);
    expect(existsSync(`${path}.tmp`)).toBe(false);
    store.add(rec(77));
    store.close();
    const { store: after, report } = await open();
    expect(report.dropped).toEqual([]);
    expect(report.records.map((op) => op.op)).toEqual(Array<string>(before.length + 1).fill('put'));
    expect(after.all()).toEqual([...before, rec(77)]);
    const q = rec(5).embedding;
    expect(after.search(q, { k: 5 }).map((h) => h.record.id)).toEqual(store.search(q, { k: 5 }).map((h) => h.record.id));
    after.close();
  });

  it('a leftover .tmp of an interrupted compaction is ignored and removed', () => {
    const path = freshPath();
    writeLog(path, [put(0)]);
    writeFileSync(`${path}.tmp`, 'half a compaction');
    const { log, records } = FileLog.open(path);
    log.close();
    expect(records).toEqual([put(0)]);
    expect(existsSync(`${path}.tmp`)).toBe(false);
  });

  it('refuses appends after close', () => {
    const { log } = FileLog.open(freshPath());
    log.close();
    expect(() => log.append(put(0))).toThrow(/closed/);
  });
});

describe('crash safety (real processes, SIGKILL)', () => {
  /** Runs the writer until `delayMs` after its first line, SIGKILLs it, returns the last index it printed. */
  function runWriterAndKill(path: string, delayMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'tests/memory/crash-writer.ts', path], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      let timer: NodeJS.Timeout | undefined;
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (timer === undefined && out.includes('\n')) timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
      });
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      child.on('error', reject);
      child.on('close', (_code, signal) => {
        if (signal !== 'SIGKILL') return reject(new Error(`writer exited without being killed: ${err}`));
        const lines = out.split('\n').slice(0, -1); // only complete lines
        resolve(lines.length === 0 ? -1 : Number(lines.at(-1)));
      });
    });
  }

  it('keeps every acknowledged append (fsync always) and always reopens to a prefix', async () => {
    const path = freshPath();
    const rnd = mulberry32(20240611);
    let previous = 0;
    for (let round = 0; round < 15; round++) {
      const delay = 20 + Math.floor(rnd() * 180);
      const lastPrinted = await runWriterAndKill(path, delay);
      const { log, records, dropped } = FileLog.open(path, { fsync: 'never' });
      log.close();
      const n = records.length;
      expect(records.map((op) => (op.op === 'put' ? op.record.text : op.op))).toEqual(
        Array.from({ length: n }, (_, i) => `record ${i}`),
      );
      expect(lastPrinted, `round ${round}`).toBeGreaterThanOrEqual(previous);
      expect(n, `round ${round}: printed ${lastPrinted}`).toBeGreaterThanOrEqual(lastPrinted + 1);
      expect(dropped.length).toBeLessThanOrEqual(1);
      for (const d of dropped) expect(d.reason).toBe('torn');
      previous = n;
    }
  }, 240_000);
});
