// `umwelt memory inspect STORE` and `umwelt memory search STORE "query"`: look into an agent's long-term memory log
// (a file written by memory/persist/log.ts). Both only read the file: it is scanned with the log's own framing
// (scanFrames) instead of FileLog.open, which would truncate a torn tail, rewrite around damage and delete a leftover
// `STORE.tmp`. Search replays the ops into an in-memory MemoryStore (no backend) and asks AgentMemory.search of
// agent/memory, so it ranks exactly as the agent recalls, and the touches a retrieval makes never reach the file.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { AgentMemory, defaultIndexFactory } from '../../agent/memory/index.ts';
import { defaultEmbedder } from '../../memory/embed/index.ts';
import { scanFrames } from '../../memory/persist/frame.ts';
import type { RetrievalWeights } from '../../memory/retrieval.ts';
import type { DroppedRange, LogOp } from '../../memory/store/backend.ts';
import { MemoryError } from '../../memory/store/errors.ts';
import { MemoryStore } from '../../memory/store/store.ts';
import { MEMORY_KINDS, type MemoryKind, type MemoryRecord } from '../../memory/types.ts';
import { errorLine, EXIT, UsageError } from '../errors.ts';
import { fixed, grouped, plural, table } from '../format.ts';
import { printJson, type Output } from '../output.ts';
import type { CliContext } from './context.ts';

export const DEFAULT_INSPECT_LIMIT = 10;
export const DEFAULT_INSPECT_TOP = 10;
export const DEFAULT_SEARCH_K = 5;
/** Characters of a memory's text shown in the human-readable tables. */
const TEXT_WIDTH = 60;

export interface InspectOptions {
  json?: boolean;
  /** The most important records to list (default DEFAULT_INSPECT_TOP). */
  top?: number;
  /** The first records in log order to list (JSON: default DEFAULT_INSPECT_LIMIT; human output: only when given). */
  limit?: number;
}

export interface SearchOptions {
  json?: boolean;
  k?: number;
  raw?: boolean;
}

/** A record as listed by inspect and search (no embedding). */
export interface RecordSummary {
  id: string;
  kind: MemoryKind;
  importance: number;
  simTime: number;
  lastAccess: number;
  episode: string;
  text: string;
}

/** `umwelt memory inspect --json`. */
export interface InspectReport {
  path: string;
  /** Size of the file in bytes. */
  bytes: number;
  /** Intact ops (put, delete, touch) in the file. */
  ops: number;
  /** Live records after replaying the ops. */
  records: number;
  byKind: Record<MemoryKind, number>;
  episodes: { episode: string; records: number }[];
  /** Earliest and latest simTime of the live records; null when there are none. */
  simTime: { min: number; max: number } | null;
  /** Embedding dimension of the records (of the first, when they disagree: see warnings); null when there are none. */
  dim: number | null;
  /** Damaged byte ranges that FileLog.open would cut out of the file. */
  dropped: DroppedRange[];
  /** True when the file is non-empty and holds no intact frame at all: it is not a memory log. */
  notALog: boolean;
  warnings: string[];
  /** The `top` most important live records: importance descending, then the latest simTime, then log order. */
  top: RecordSummary[];
  /** The first `limit` live records, in log order. */
  first: RecordSummary[];
}

export interface SearchResult extends RecordSummary {
  rank: number;
  /** The retrieval score (recency + importance + relevance components), or the raw similarity with --raw. */
  score: number;
  similarity: number;
  /** Min-max normalised over the candidates (absent with --raw). */
  components?: RetrievalWeights;
}

/** `umwelt memory search --json`. */
export interface SearchReport {
  path: string;
  query: string;
  k: number;
  mode: 'retrieval' | 'raw';
  embedder: string;
  dim: number;
  /** Simulated time the recency component is measured at: the memory clock, the latest simTime or lastAccess in the
   *  store (where the agent's next episode would start, less its episodeGap). */
  now: number;
  records: number;
  dropped: DroppedRange[];
  results: SearchResult[];
}

/** A memory log read without modifying it: the live records after replay, and what was damaged. */
interface LogImage {
  bytes: number;
  ops: LogOp[];
  dropped: DroppedRange[];
  records: MemoryRecord[];
  tmpExists: boolean;
}

/** An error that is neither bad input nor a bug (unreadable file): one line, exit 1. */
class IoError extends Error {
  override readonly name = 'IoError';
}

function readLog(path: string): LogImage {
  let bytes: Uint8Array;
  try {
    if (statSync(path).isDirectory()) throw new UsageError(`${path} is a directory, not a memory log`);
    bytes = readFileSync(path);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = e instanceof Error ? (e as NodeJS.ErrnoException).code : undefined;
    if (code === 'ENOENT') throw new UsageError(`no such file: ${path}`);
    if (code === 'ENOTDIR') throw new UsageError(`no such file: ${path} (a parent is not a directory)`);
    throw new IoError(`cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const scan = scanFrames(bytes);
  // Replay as MemoryStore.open does: a put of a known id replaces it (and moves it last), deletes and touches of
  // unknown ids are ignored.
  const live = new Map<string, MemoryRecord>();
  for (const op of scan.records) {
    if (op.op === 'put') {
      live.delete(op.record.id);
      live.set(op.record.id, op.record);
    } else if (op.op === 'delete') {
      live.delete(op.id);
    } else {
      const r = live.get(op.id);
      if (r) r.lastAccess = op.lastAccess;
    }
  }
  return { bytes: bytes.length, ops: scan.records, dropped: scan.dropped, records: [...live.values()], tmpExists: existsSync(`${path}.tmp`) };
}

function summary(r: MemoryRecord): RecordSummary {
  return { id: r.id, kind: r.kind, importance: r.importance, simTime: r.simTime, lastAccess: r.lastAccess, episode: r.episode, text: r.text };
}

function notALog(image: LogImage): boolean {
  return image.bytes > 0 && image.ops.length === 0;
}

/** Importance descending, then the latest simTime first, then log order (a stable sort). */
function byImportance(records: readonly MemoryRecord[]): MemoryRecord[] {
  return [...records].sort((a, b) => b.importance - a.importance || b.simTime - a.simTime);
}

export function inspectReport(path: string, options: { top?: number; limit?: number } = {}): InspectReport {
  const top = options.top ?? DEFAULT_INSPECT_TOP;
  const limit = options.limit ?? DEFAULT_INSPECT_LIMIT;
  const image = readLog(path);
  const byKind = Object.fromEntries(MEMORY_KINDS.map((k) => [k, 0])) as Record<MemoryKind, number>;
  const episodes = new Map<string, number>();
  const dims = new Set<number>();
  let simTime: InspectReport['simTime'] = null;
  for (const r of image.records) {
    byKind[r.kind]++;
    episodes.set(r.episode, (episodes.get(r.episode) ?? 0) + 1);
    dims.add(r.embedding.length);
    simTime = simTime === null ? { min: r.simTime, max: r.simTime } : { min: Math.min(simTime.min, r.simTime), max: Math.max(simTime.max, r.simTime) };
  }
  const warnings: string[] = [];
  if (dims.size > 1) warnings.push(`the records have embeddings of ${[...dims].join(', ')} dimensions: a store cannot hold them all`);
  if (image.dropped.length > 0 && !notALog(image)) {
    const lost = image.dropped.reduce((n, d) => n + d.bytes, 0);
    warnings.push(`${plural(lost, 'damaged byte')} in ${plural(image.dropped.length, 'range')}: opening the log with FileLog.open would cut them out of the file`);
  }
  if (image.tmpExists) warnings.push(`${path}.tmp exists (an interrupted compaction or repair): opening the log with FileLog.open would delete it`);
  return {
    path,
    bytes: image.bytes,
    ops: image.ops.length,
    records: image.records.length,
    byKind,
    episodes: [...episodes].map(([episode, records]) => ({ episode, records })),
    simTime,
    dim: image.records[0]?.embedding.length ?? null,
    dropped: image.dropped,
    notALog: notALog(image),
    warnings,
    top: byImportance(image.records).slice(0, Math.max(0, top)).map(summary),
    first: image.records.slice(0, Math.max(0, limit)).map(summary),
  };
}

/** Seconds with at most two decimals (12.5, 3600). */
const seconds = (n: number): string => String(Number(n.toFixed(2)));

function clip(text: string, width = TEXT_WIDTH): string {
  const oneLine = text.replace(/\s+/g, ' ');
  const chars = [...oneLine];
  return chars.length <= width ? oneLine : `${chars.slice(0, width - 1).join('')}…`;
}

/** Reports an unreadable file as one line (exit 1); everything else propagates. */
function guarded(out: Output, body: () => number): number {
  try {
    return body();
  } catch (e) {
    if (!(e instanceof IoError)) throw e;
    out.error(errorLine(e.message));
    return EXIT.failure;
  }
}

export function memoryInspectCommand(path: string, options: InspectOptions, out: Output): number {
  return guarded(out, () => {
    const report = inspectReport(path, options);
    if (options.json) printJson(out, report);
    else printInspect(report, out, options.limit !== undefined);
    if (report.notALog) {
      out.error(errorLine(`${path} is not a memory log: no intact frame in ${plural(report.bytes, 'byte')}`));
      return EXIT.usage;
    }
    return EXIT.ok;
  });
}

function printInspect(report: InspectReport, out: Output, listFirst: boolean): void {
  out.line(`${report.path}: ${grouped(report.bytes)} bytes, ${plural(report.ops, 'op')}, ${plural(report.records, 'live record')}`);
  if (report.records === 0 && !report.notALog) {
    out.line(report.ops === 0 ? '  empty: no memories written yet' : '  no memories: every record written was deleted');
  }
  if (report.records > 0) {
    out.line(`  dimension  ${report.dim ?? '-'}`);
    const kinds = MEMORY_KINDS.filter((k) => report.byKind[k] > 0).map((k) => `${k} ${report.byKind[k]}`);
    out.line(`  kinds      ${kinds.join(', ')}`);
    const shown = report.episodes.slice(0, 5).map((e) => `${e.episode} (${e.records})`);
    const more = report.episodes.length > shown.length ? `, … ${report.episodes.length - shown.length} more` : '';
    out.line(`  episodes   ${report.episodes.length}: ${shown.join(', ')}${more}`);
    if (report.simTime) out.line(`  sim time   ${seconds(report.simTime.min)} – ${seconds(report.simTime.max)} s`);
  }
  if (report.dropped.length > 0) {
    out.line();
    out.line(`Dropped (${report.dropped.length})`);
    for (const line of table([['offset', 'bytes', 'reason'], ...report.dropped.map((d) => [String(d.offset), String(d.bytes), d.reason])], '  ')) out.line(line);
  }
  for (const w of report.warnings) out.error(`umwelt: warning: ${w}`);
  const list = (title: string, records: readonly RecordSummary[]): void => {
    if (records.length === 0) return;
    out.line();
    out.line(title);
    const rows = records.map((r) => [r.kind, fixed(r.importance, 2), r.episode, seconds(r.simTime), clip(r.text)]);
    for (const line of table([['kind', 'importance', 'episode', 'simTime', 'text'], ...rows], '  ')) out.line(line);
  };
  list(report.top.length < report.records ? `Most important ${report.top.length} of ${report.records} records` : 'Records, most important first', report.top);
  if (listFirst) list(report.first.length < report.records ? `First ${report.first.length} of ${report.records} records, in log order` : 'Records, in log order', report.first);
}

export function searchReport(path: string, query: string, options: { k?: number; raw?: boolean } = {}): SearchReport {
  if (query.trim() === '') throw new UsageError('the query is empty');
  const k = options.k ?? DEFAULT_SEARCH_K;
  const image = readLog(path);
  if (notALog(image)) throw new UsageError(`${path} is not a memory log: no intact frame in ${plural(image.bytes, 'byte')}`);
  if (image.records.length === 0) {
    const why = image.ops.length === 0 ? `${plural(image.bytes, 'byte')}, no records` : `its ${plural(image.ops.length, 'op')} leave no live record`;
    throw new UsageError(`${path} holds no memories to search (${why})`);
  }
  const embedder = defaultEmbedder();
  const first = image.records[0];
  const dim = first?.embedding.length ?? embedder.dim;
  if (dim !== embedder.dim) {
    throw new UsageError(`${path}: the store's embeddings have ${dim} dimensions but the query embedder (${embedder.name}) makes ${embedder.dim}`);
  }
  // No backend: the store lives in this process only.
  const store = new MemoryStore({ dim, indexFactory: defaultIndexFactory });
  try {
    for (const r of image.records) store.add(r);
  } catch (e) {
    if (e instanceof MemoryError) throw new UsageError(`${path}: the records cannot form one store: ${e.message}`);
    throw e;
  }
  const vector = embedder.embed(query);
  if (!vector.some((x) => x !== 0)) throw new UsageError(`the query "${query}" has nothing the embedder can use (its embedding is all zeros)`);
  // The memory clock, as AgentMemory's episodeStart computes it.
  const now = image.records.reduce((t, r) => Math.max(t, r.simTime, r.lastAccess), -Infinity);
  const base = { path, query, k, embedder: embedder.name, dim, now, records: image.records.length, dropped: image.dropped };
  if (options.raw) {
    const results = store.search(vector, { k }).map((h, i) => ({ rank: i + 1, score: h.similarity, similarity: h.similarity, ...summary(h.record) }));
    return { ...base, mode: 'raw', results };
  }
  const hits = new AgentMemory({ store, embedder }).search(query, { k, now });
  const results = hits.map((h, i) => ({
    rank: i + 1,
    score: h.score,
    similarity: h.raw.relevance,
    components: h.components,
    // The record as stored, not as touched by this search.
    ...summary(image.records.find((r) => r.id === h.record.id) ?? h.record),
  }));
  return { ...base, mode: 'retrieval', results };
}

export function memorySearchCommand(path: string, query: string, options: SearchOptions, out: Output): number {
  return guarded(out, () => {
    const report = searchReport(path, query, options);
    if (options.json) {
      printJson(out, report);
      return EXIT.ok;
    }
    const mode = report.mode === 'raw' ? 'by similarity' : `by retrieval score at now = ${seconds(report.now)} s`;
    out.line(`${report.path}: ${plural(report.results.length, 'result')} of ${plural(report.records, 'record')} for "${report.query}" (${mode})`);
    if (report.dropped.length > 0) out.error(`umwelt: warning: ${plural(report.dropped.length, 'damaged range')} skipped (see 'umwelt memory inspect')`);
    if (report.results.length === 0) return EXIT.ok;
    const header =
      report.mode === 'raw' ? ['#', 'similarity', 'id', 'kind', 'simTime', 'text'] : ['#', 'score', 'recency', 'importance', 'relevance', 'id', 'kind', 'simTime', 'text'];
    const rows = report.results.map((r) => {
      const tail = [r.id, r.kind, seconds(r.simTime), clip(r.text)];
      if (!r.components) return [String(r.rank), fixed(r.similarity, 3), ...tail];
      const c = r.components;
      return [String(r.rank), fixed(r.score, 3), fixed(c.recency, 2), fixed(c.importance, 2), fixed(c.relevance, 2), ...tail];
    });
    for (const line of table([header, ...rows], '  ')) out.line(line);
    return EXIT.ok;
  });
}

function parseCount(what: string, min: number): (value: string) => number {
  return (value) => {
    const text = value.trim();
    const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`${what} must be an integer of at least ${min}, got "${value}"`);
    return n;
  };
}

const READ_ONLY_NOTE =
  'Neither subcommand writes to STORE: the file is scanned without the repair FileLog.open does (truncating a torn ' +
  'tail, rewriting around damage in the middle, deleting a leftover STORE.tmp); damage is reported instead.';

export function registerMemory(program: Command, cli: CliContext): void {
  const memory = program
    .command('memory')
    .summary("look into an agent's long-term memory log")
    .description(`Look into an agent's long-term memory: a log file written by the memory store (memory/persist/log.ts).\n\n${READ_ONLY_NOTE}`)
    .addHelpText(
      'after',
      `
Examples:
  $ umwelt memory inspect agent.mem
  $ umwelt memory search agent.mem "where is the red mug" --k 3`,
    );
  memory
    .command('inspect')
    .summary('summarise a memory log: records, kinds, episodes, damage')
    .description(
      'Summarise a memory log: its size, the live records (after replaying puts, deletes and touches) by kind and ' +
        'episode, the simulated-time range, the embedding dimension, the damaged byte ranges (offset, length, reason), ' +
        'and the most important records (with --limit, also the first ones in log order).\n\n' +
        `${READ_ONLY_NOTE}\n\nExits 2 when the file is not a memory log (no intact frame), after printing what was found.`,
    )
    .argument('<store>', 'the memory log file')
    .option('--top <n>', 'the most important records to list', parseCount('top', 0), DEFAULT_INSPECT_TOP)
    .option('--limit <n>', `also list the first records in log order (JSON: always, default ${DEFAULT_INSPECT_LIMIT})`, parseCount('limit', 0))
    .option('--json', 'print one JSON object {path, bytes, records, byKind, episodes, simTime, dim, dropped, top, first, ...}')
    .addHelpText(
      'after',
      `
Examples:
  $ umwelt memory inspect agent.mem
  $ umwelt memory inspect agent.mem --top 30
  $ umwelt memory inspect agent.mem --top 0 --limit 50
  $ umwelt memory inspect agent.mem --json | jq .byKind`,
    )
    .action((store: string, opts: InspectOptions) => cli.exit(memoryInspectCommand(store, opts, cli.out)));
  memory
    .command('search')
    .summary('the memories a query retrieves')
    .description(
      'Embed the query with the default embedder and list the top-k memories by the retrieval score (recency + ' +
        'importance + relevance, each min-max normalised over the candidates, as AgentMemory.search ranks them; "now" is ' +
        'the memory clock: the latest simTime or lastAccess in the store), ' +
        'or by cosine similarity alone with --raw.\n\n' +
        `${READ_ONLY_NOTE} The touches a retrieval makes stay in memory.\n\n` +
        "Exits 2 when the store holds no memories or its embedding dimension is not the embedder's.",
    )
    .argument('<store>', 'the memory log file')
    .argument('<query>', 'what to recall, in words')
    .option('-k, --k <n>', 'results to list', parseCount('k', 1), DEFAULT_SEARCH_K)
    .option('--raw', 'rank by cosine similarity only (no recency or importance)')
    .option('--json', 'print one JSON object {path, query, k, mode, now, results: [{rank, score, components?, id, ...}]}')
    .addHelpText(
      'after',
      `
Examples:
  $ umwelt memory search agent.mem "where is the red mug"
  $ umwelt memory search agent.mem "failed pick" --k 10 --raw
  $ umwelt memory search agent.mem "kitchen" --json | jq -r '.results[].text'`,
    )
    .action((store: string, query: string, opts: SearchOptions) => cli.exit(memorySearchCommand(store, query, opts, cli.out)));
}
