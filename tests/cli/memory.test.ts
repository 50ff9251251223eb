// `umwelt memory inspect|search`: a small log written with FileLog + MemoryStore, read back by the command
// functions in memory and by the real CLI in a child process; damaged and foreign files; the file is never modified.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { umwelt } from './run-cli.ts';
import { memoryInspectCommand, memorySearchCommand, type InspectReport, type SearchReport } from '../../cli/commands/memory.ts';
import { memoryOutput } from '../../cli/output.ts';
import { runCli } from '../../cli/program.ts';
import { defaultEmbedder } from '../../memory/embed/index.ts';
import { createIndex } from '../../memory/index/index.ts';
import { FileLog } from '../../memory/persist/log.ts';
import { importanceOf } from '../../memory/retrieval.ts';
import { MemoryStore } from '../../memory/store/store.ts';
import type { MemoryKind, MemoryRecord } from '../../memory/types.ts';


const MEMORIES: { text: string; kind: MemoryKind; episode: string; simTime: number; importance: number }[] = [
  { text: 'pick(mug_3) failed: out_of_reach', kind: 'outcome', episode: 'fetch-1', simTime: 4, importance: importanceOf('outcome', { failure: true }) },
  { text: 'cabinet_2 in the bathroom is closed', kind: 'observation', episode: 'fetch-1', simTime: 12.5, importance: importanceOf('observation') },
  { text: 'Saw the red mug on table_1 in the kitchen', kind: 'observation', episode: 'fetch-2', simTime: 30, importance: importanceOf('observation', { foundTarget: true }) },
];

function record(i: number, m: (typeof MEMORIES)[number], embed: (text: string) => Float32Array): MemoryRecord {
  return { id: `m${i}`, kind: m.kind, text: m.text, embedding: embed(m.text), episode: m.episode, simTime: m.simTime, importance: m.importance, lastAccess: m.simTime, entityIds: [], position: null };
}

/** Writes the memories (and deletes/touches) through a FileLog-backed store, the way an agent does. */
async function writeLog(path: string, dim: number, embed: (text: string) => Float32Array): Promise<void> {
  const { store } = await MemoryStore.open({ dim, indexFactory: (d) => createIndex({ kind: 'auto', dim: d }), backend: new FileLog(path, { fsync: 'never' }) });
  MEMORIES.forEach((m, i) => store.add(record(i, m, embed)));
  store.add({ ...record(3, { ...MEMORIES[1]!, text: 'door_4 is open' }, embed), id: 'gone' });
  store.delete('gone');
  store.touch('m1', 20);
  store.close();
}

let dir = '';
let log = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'umwelt-memory-'));
  log = join(dir, 'agent.mem');
  const embedder = defaultEmbedder();
  await writeLog(log, embedder.dim, (t) => embedder.embed(t));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function inspect(path: string, limit?: number): { code: number; report: InspectReport; stderr: string } {
  const out = memoryOutput();
  const code = memoryInspectCommand(path, { json: true, ...(limit === undefined ? {} : { limit }) }, out);
  return { code, report: JSON.parse(out.stdout()) as InspectReport, stderr: out.stderr() };
}

describe('umwelt memory inspect', () => {
  it('counts the live records by kind and episode, the time range and the dimension', () => {
    const { code, report } = inspect(log);
    expect(code).toBe(0);
    expect(report.ops).toBe(6); // 4 puts, 1 delete, 1 touch
    expect(report.records).toBe(3);
    expect(report.byKind).toEqual({ observation: 2, event: 0, outcome: 1, reflection: 0, skill: 0 });
    expect(report.episodes).toEqual([
      { episode: 'fetch-1', records: 2 },
      { episode: 'fetch-2', records: 1 },
    ]);
    expect(report.simTime).toEqual({ min: 4, max: 30 });
    expect(report.dim).toBe(defaultEmbedder().dim);
    expect(report.dropped).toEqual([]);
    expect(report.notALog).toBe(false);
    expect(report.first.map((r) => r.id)).toEqual(['m0', 'm1', 'm2']);
    expect(report.first[1]?.lastAccess).toBe(20); // the touch was replayed
    expect(inspect(log, 1).report.first).toHaveLength(1);
  });

  it('prints a readable summary with truncated texts', () => {
    const out = memoryOutput();
    expect(memoryInspectCommand(log, {}, out)).toBe(0);
    expect(out.stdout()).toMatch(/3 live records/);
    expect(out.stdout()).toMatch(/observation 2, outcome 1/);
    expect(out.stdout()).toContain('Saw the red mug on table_1 in the kitchen');
  });

  it('reports a file of random bytes (dropped ranges, no records) with exit 2, without crashing', () => {
    const junk = join(dir, 'junk.mem');
    const bytes = new Uint8Array(4096).map((_, i) => (i * 2654435761) >>> 24);
    writeFileSync(junk, bytes);
    const { code, report, stderr } = inspect(junk);
    expect(code).toBe(2);
    expect(report.records).toBe(0);
    expect(report.notALog).toBe(true);
    expect(report.dropped.length).toBeGreaterThan(0);
    expect(report.dropped.reduce((n, d) => n + d.bytes, 0)).toBe(4096);
    expect(stderr).toMatch(/not a memory log/);
    expect(readFileSync(junk)).toEqual(Buffer.from(bytes));
  });

  it('reports damage in the middle and a torn tail without repairing the file (and leaves STORE.tmp alone)', () => {
    const damaged = join(dir, 'damaged.mem');
    const good = readFileSync(log);
    const bytes = Buffer.concat([good, Buffer.from('garbage in the middle'), good, good.subarray(0, 40)]);
    writeFileSync(damaged, bytes);
    writeFileSync(`${damaged}.tmp`, 'leftover');
    const { code, report } = inspect(damaged);
    expect(code).toBe(0);
    expect(report.records).toBe(3); // the second copy's puts replace the first's
    expect(report.dropped.map((d) => [d.offset, d.bytes, d.reason])).toEqual([
      [good.length, 21, 'bad-magic'],
      [2 * good.length + 21, 40, 'torn'],
    ]);
    expect(report.warnings.join('\n')).toMatch(/FileLog\.open would cut them out[\s\S]*\.tmp exists/);
    expect(readFileSync(damaged)).toEqual(bytes);
    expect(existsSync(`${damaged}.tmp`)).toBe(true);
  });

  it('exits 2 with one line for a missing file', async () => {
    const out = memoryOutput();
    expect(await runCli(['memory', 'inspect', join(dir, 'nope.mem')], out)).toBe(2);
    expect(out.stderr()).toMatch(/^umwelt: error: no such file: .*nope\.mem\n$/);
    expect(existsSync(join(dir, 'nope.mem'))).toBe(false); // FileLog.open would have created it
  });
});

describe('umwelt memory search', () => {
  function search(query: string, options: { k?: number; raw?: boolean }, path = log): { code: number; report: SearchReport } {
    const out = memoryOutput();
    const code = memorySearchCommand(path, query, { json: true, ...options }, out);
    return { code, report: JSON.parse(out.stdout()) as SearchReport };
  }

  it('ranks the red-mug memory first by retrieval score, with the components, at now = the latest simTime', () => {
    const { code, report } = search('where is the red mug', { k: 3 });
    expect(code).toBe(0);
    expect(report.mode).toBe('retrieval');
    expect(report.now).toBe(30);
    expect(report.results.map((r) => r.rank)).toEqual([1, 2, 3]);
    const top = report.results[0];
    expect(top?.text).toBe('Saw the red mug on table_1 in the kitchen');
    expect(top?.components).toBeDefined();
    const c = top?.components ?? { recency: 0, importance: 0, relevance: 0 };
    expect(top?.score).toBeCloseTo(c.recency + c.importance + c.relevance, 10);
    // The record as stored, not as touched by the search.
    expect(top?.lastAccess).toBe(30);
    expect(report.results.find((r) => r.id === 'm1')?.lastAccess).toBe(20);
  });

  it('ranks by similarity alone with --raw', () => {
    const { report } = search('where is the red mug', { k: 2, raw: true });
    expect(report.mode).toBe('raw');
    expect(report.results).toHaveLength(2);
    expect(report.results[0]?.id).toBe('m2');
    expect(report.results[0]?.components).toBeUndefined();
    expect(report.results[0]?.score).toBeGreaterThan(report.results[1]?.score ?? 1);
  });

  it('prints a table of the components', () => {
    const out = memoryOutput();
    expect(memorySearchCommand(log, 'closed cabinet', { k: 3 }, out)).toBe(0);
    expect(out.stdout()).toMatch(/score\s+recency\s+importance\s+relevance/);
    expect(out.stdout()).toContain('cabinet_2 in the bathroom is closed');
  });

  it('exits 2 for an empty query, a foreign file, and a store of another dimension', async () => {
    const run = async (...args: string[]): Promise<{ code: number; stderr: string }> => {
      const out = memoryOutput();
      const code = await runCli(['memory', 'search', ...args], out);
      return { code, stderr: out.stderr() };
    };
    expect(await run(log, '   ')).toEqual({ code: 2, stderr: 'umwelt: error: the query is empty\n' });
    const junk = join(dir, 'junk2.mem');
    writeFileSync(junk, 'this is not a memory log at all');
    expect((await run(junk, 'mug')).stderr).toMatch(/not a memory log/);
    const small = join(dir, 'small.mem');
    await writeLog(small, 8, (t) => new Float32Array(8).map((_, i) => (t.charCodeAt(i) % 7) + 1));
    const mismatch = await run(small, 'mug');
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toMatch(/8 dimensions .*makes 512/);
    expect((await run(log, 'mug', '--k', '0')).code).toBe(2);
  });

  it('runs in a child process without changing the file', async () => {
    const before = readFileSync(log);
    const res = await umwelt('memory', 'search', log, 'where is the red mug', '--k', '3', '--json');
    expect(res.code, res.stderr).toBe(0);
    const report = JSON.parse(res.stdout) as SearchReport;
    expect(report.results[0]?.text).toBe('Saw the red mug on table_1 in the kitchen');
    expect(readFileSync(log)).toEqual(before);
    const missing = await umwelt('memory', 'search', join(dir, 'missing.mem'), 'mug');
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toEqual([`umwelt: error: no such file: ${join(dir, 'missing.mem')}`]);
  }, 120_000);
});
