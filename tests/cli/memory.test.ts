// `umwelt memory inspect|search`: a small log written with FileLog + MemoryStore, read back by the command
// functions in memory and by the real CLI in a child process; damaged and foreign files; the file is never modified.
// Then a log written by real oracle episodes through AgentMemory, read back by the CLI in-process and checked against
// the store itself (counts, recall, what FileLog.open drops from a corrupted copy).
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { umwelt } from './run-cli.ts';
import { runEpisode } from '../../agent/loop.ts';
import { AgentMemory, nameOf } from '../../agent/memory/index.ts';
import { OraclePlanner } from '../../agent/planners/oracle.ts';
import { memoryInspectCommand, memorySearchCommand, type InspectReport, type SearchReport } from '../../cli/commands/memory.ts';
import { memoryOutput } from '../../cli/output.ts';
import { runCli } from '../../cli/program.ts';
import { defaultEmbedder } from '../../memory/embed/index.ts';
import { createIndex } from '../../memory/index/index.ts';
import { FileLog } from '../../memory/persist/log.ts';
import { importanceOf } from '../../memory/retrieval.ts';
import { MemoryStore } from '../../memory/store/store.ts';
import { MEMORY_KINDS, type MemoryKind, type MemoryRecord } from '../../memory/types.ts';
import { familyEnv } from '../../scenes/env.ts';
import { makeEpisode } from '../../scenes/families.ts';


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

describe('umwelt memory on a store written by oracle episodes', () => {
  const EPISODES = [
    ['search', 1_000_001],
    ['fetch', 1_000_000],
  ] as const;
  let path = '';
  let stored: MemoryRecord[] = [];
  /** Each episode's target: its id and its name in the memories' words (`white candle`). */
  const targets: { episode: string; id: string; name: string }[] = [];

  beforeAll(async () => {
    path = join(dir, 'oracle.mem');
    const { memory } = await AgentMemory.open({ backend: new FileLog(path, { fsync: 'never' }), acrossEpisodes: true });
    for (const [family, seed] of EPISODES) {
      const env = familyEnv(family);
      const result = await runEpisode({ env, planner: new OraclePlanner(env), seed, memory });
      expect(result.success).toBe(true);
      const { description, task } = makeEpisode(family, seed);
      const target = description.objects.find((o) => o.id === task.targets[0]);
      if (!target || memory.episode === null) throw new Error(`no target in ${family} ${seed}`);
      targets.push({ episode: memory.episode, id: target.id, name: nameOf(target) });
    }
    stored = memory.records();
    memory.store.close();
  }, 60_000);

  async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const out = memoryOutput();
    const code = await runCli(['memory', ...args], out);
    return { code, stdout: out.stdout(), stderr: out.stderr() };
  }

  async function inspectJson(file: string, ...flags: string[]): Promise<InspectReport> {
    const res = await cli('inspect', file, '--json', ...flags);
    expect(res.code, res.stderr).toBe(0);
    return JSON.parse(res.stdout) as InspectReport;
  }

  function counts<T>(items: readonly T[], key: (t: T) => string): Record<string, number> {
    const n: Record<string, number> = {};
    for (const t of items) n[key(t)] = (n[key(t)] ?? 0) + 1;
    return n;
  }

  it('inspect counts what the store holds, and --json carries the same as the summary', async () => {
    expect(stored.length).toBeGreaterThan(5);
    const report = await inspectJson(path, '--top', '1000', '--limit', '1000');
    expect(report.records).toBe(stored.length);
    expect(report.bytes).toBe(readFileSync(path).length);
    expect(report.dim).toBe(defaultEmbedder().dim);
    expect(report.dropped).toEqual([]);
    expect(report.warnings).toEqual([]);
    expect(report.byKind).toEqual({ ...Object.fromEntries(MEMORY_KINDS.map((k) => [k, 0])), ...counts(stored, (r) => r.kind) });
    expect(Object.fromEntries(report.episodes.map((e) => [e.episode, e.records]))).toEqual(counts(stored, (r) => r.episode));
    expect(report.episodes.map((e) => e.episode)).toEqual(targets.map((t) => t.episode));
    const times = stored.map((r) => r.simTime);
    expect(report.simTime).toEqual({ min: Math.min(...times), max: Math.max(...times) });
    // Log order, with the touches of the agent's recalls replayed.
    expect(report.first.map((r) => [r.id, r.lastAccess])).toEqual(stored.map((r) => [r.id, r.lastAccess]));
    // The most important first (then the latest), every record once.
    expect(new Set(report.top.map((r) => r.id))).toEqual(new Set(stored.map((r) => r.id)));
    for (let i = 1; i < report.top.length; i++) {
      const [a, b] = [report.top[i - 1]!, report.top[i]!];
      expect(a.importance > b.importance || (a.importance === b.importance && a.simTime >= b.simTime)).toBe(true);
    }
    const three = await inspectJson(path, '--top', '3');
    expect(three.top).toEqual(report.top.slice(0, 3));

    const human = await cli('inspect', path, '--top', '3');
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`${stored.length} live records`);
    expect(human.stdout).toContain(`Most important 3 of ${stored.length} records`);
    for (const e of report.episodes) expect(human.stdout).toContain(`${e.episode} (${e.records})`);
    for (const r of three.top) expect(human.stdout).toContain(r.text.slice(0, 40));
    expect(human.stdout).not.toMatch(/in log order/);
  });

  it('search returns the memory of each episode target first, ranked as AgentMemory.search ranks it', async () => {
    for (const t of targets) {
      const query = `where is the ${t.name}`;
      const res = await cli('search', path, query, '--json');
      expect(res.code, res.stderr).toBe(0);
      const report = JSON.parse(res.stdout) as SearchReport;
      expect(report.k).toBe(5);
      expect(report.results).toHaveLength(5);
      expect(report.results[0]?.text, query).toContain(`${t.name} (${t.id})`);
      expect(report.now).toBe(Math.max(...stored.map((r) => Math.max(r.simTime, r.lastAccess))));
      // The same ranking and scores as the agent's own recall at the same time, on a fresh copy of the file (its
      // recall touches what it returns, in the copy).
      const copy = join(dir, `copy-${t.id}.mem`);
      copyFileSync(path, copy);
      const { memory } = await AgentMemory.open({ backend: new FileLog(copy, { fsync: 'never' }), acrossEpisodes: true });
      const agent = memory.search(query, { k: 5, now: report.now });
      memory.store.close();
      expect(report.results.map((r) => [r.id, r.score])).toEqual(agent.map((h) => [h.record.id, h.score]));
      const c = report.results[0]?.components ?? { recency: 0, importance: 0, relevance: 0 };
      expect(report.results[0]?.score).toBeCloseTo(c.recency + c.importance + c.relevance, 10);
    }

    const k2 = await cli('search', path, `where is the ${targets[0]?.name ?? ''}`, '--k', '2');
    expect(k2.code).toBe(0);
    expect(k2.stdout).toMatch(/2 results of \d+ records .*by retrieval score at now = /);
    expect(k2.stdout.split('\n')[2]).toContain(`${targets[0]?.name} (${targets[0]?.id})`);
  });

  it('neither inspect nor search changes a byte of the file', async () => {
    const before = readFileSync(path);
    for (const args of [
      ['inspect', path],
      ['inspect', path, '--json', '--limit', '5'],
      ['search', path, `where is the ${targets[1]?.name ?? ''}`, '--k', '10'],
      ['search', path, 'closed cabinet', '--json'],
      ['search', path, 'failed', '--raw'],
    ]) {
      expect((await cli(...args)).code).toBe(0);
    }
    expect(readFileSync(path)).toEqual(before);
    expect(existsSync(`${path}.tmp`)).toBe(false);
  });

  it('a file with bytes flipped in the middle: the damage is reported with offsets, the intact records listed', async () => {
    const bytes = Buffer.from(readFileSync(path));
    const mid = bytes.length >> 1;
    for (let i = mid; i < mid + 8; i++) bytes[i] = (bytes[i] ?? 0) ^ 0xff;
    const corrupt = join(dir, 'corrupt.mem');
    writeFileSync(corrupt, bytes);

    const report = await inspectJson(corrupt, '--limit', '1000');
    expect(report.dropped.length).toBeGreaterThan(0);
    expect(report.dropped.some((d) => d.offset <= mid && mid < d.offset + d.bytes)).toBe(true);
    expect(report.records).toBeGreaterThan(0);
    expect(report.warnings.join('\n')).toMatch(/damaged byte/);

    // Exactly what the store loads (and FileLog.open cuts out) from another copy of the damaged file.
    const repaired = join(dir, 'repaired.mem');
    writeFileSync(repaired, bytes);
    const { store, report: load } = await MemoryStore.open({ dim: defaultEmbedder().dim, indexFactory: (d) => createIndex({ kind: 'auto', dim: d }), backend: new FileLog(repaired, { fsync: 'never' }) });
    expect(report.dropped).toEqual(load.dropped);
    expect(report.first.map((r) => r.id)).toEqual(store.all().map((r) => r.id));
    store.close();
    const intact = new Set(report.first.map((r) => r.id));
    expect(stored.filter((r) => intact.has(r.id)).length).toBeGreaterThanOrEqual(stored.length - 2);

    const human = await cli('inspect', corrupt);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/Dropped \(\d+\)\n\s+offset\s+bytes\s+reason/);
    const first = report.dropped[0];
    expect(human.stdout).toMatch(new RegExp(`\\n\\s+${first?.offset}\\s+${first?.bytes}\\s+${first?.reason}`));
    expect(human.stderr).toMatch(/^umwelt: warning: .*damaged byte/m);

    const search = await cli('search', corrupt, `where is the ${targets[0]?.name ?? ''}`);
    expect(search.code).toBe(0);
    expect(search.stderr).toMatch(/damaged range.* skipped/);
    expect(readFileSync(corrupt)).toEqual(bytes);
  });

  it('errors: a missing file, a file that is not a memory log, an empty store, one line each and no stack trace', async () => {
    const oneLine = (res: { stderr: string }, pattern: RegExp): void => {
      const lines = res.stderr.trim().split('\n');
      expect(lines.at(-1)).toMatch(pattern);
      expect(res.stderr).not.toMatch(/\n\s+at /);
    };
    const missing = join(dir, 'absent', 'agent.mem');
    for (const sub of [['inspect', missing], ['search', missing, 'mug']]) {
      const res = await cli(...sub);
      expect(res.code).toBe(2);
      oneLine(res, /^umwelt: error: no such file: /);
    }
    expect(existsSync(missing)).toBe(false);

    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'red mug on the kitchen table\n'.repeat(20));
    const inspectText = await cli('inspect', text);
    expect(inspectText.code).toBe(2);
    oneLine(inspectText, /^umwelt: error: .*notes\.txt is not a memory log: no intact frame in 580 bytes$/);
    const searchText = await cli('search', text, 'mug');
    expect(searchText.code).toBe(2);
    oneLine(searchText, /not a memory log/);

    const empty = join(dir, 'empty.mem');
    writeFileSync(empty, new Uint8Array(0));
    const inspectEmpty = await cli('inspect', empty);
    expect(inspectEmpty.code).toBe(0);
    expect(inspectEmpty.stdout).toMatch(/0 bytes, 0 ops, 0 live records\n\s+empty: no memories written yet/);
    const searchEmpty = await cli('search', empty, 'mug', '--json');
    expect(searchEmpty).toMatchObject({ code: 2, stdout: '' });
    oneLine(searchEmpty, /^umwelt: error: .*empty\.mem holds no memories to search \(0 bytes, no records\)$/);

    // A store whose every record was deleted.
    const cleared = join(dir, 'cleared.mem');
    const embedder = defaultEmbedder();
    const { store } = await MemoryStore.open({ dim: embedder.dim, indexFactory: (d) => createIndex({ kind: 'auto', dim: d }), backend: new FileLog(cleared, { fsync: 'never' }) });
    store.add(record(0, MEMORIES[0]!, (t) => embedder.embed(t)));
    store.delete('m0');
    store.close();
    expect((await cli('inspect', cleared)).stdout).toMatch(/no memories: every record written was deleted/);
    const searchCleared = await cli('search', cleared, 'mug');
    expect(searchCleared.code).toBe(2);
    oneLine(searchCleared, /holds no memories to search \(its 2 ops leave no live record\)$/);
  });
});
