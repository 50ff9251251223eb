// The output directory of a run and its journal. DIR/run.json names the run (a fingerprint of the planned
// episodes and the files they come from); DIR/episodes.jsonl gets one line per finished episode, written with one
// write call and fsynced, so a run killed at any moment leaves whole lines plus at most one torn last line, which
// the next open cuts off. Rerunning the same command reads the journal and skips what is done; a directory holding
// a different run is refused rather than mixed. DIR/.lock (holding the owner's pid) keeps two live runs out of one
// directory; a lock left by a killed run is taken over, so a rerun can start at once.
import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { EpisodeRecordSchema, type EpisodeRecord, type EpisodeSpec } from './record.ts';
import { EvalInputError } from './source.ts';

export const RUN_FILE = 'run.json';
export const JOURNAL_FILE = 'episodes.jsonl';
export const MANIFEST_VERSION = 1;

export interface RunManifest {
  version: typeof MANIFEST_VERSION;
  /** SHA-256 over everything that decides the results: the episode specs, the files' digests, the version. */
  fingerprint: string;
  source: string;
  planners: string[];
  episodes: number;
}

const describeDifference = (a: RunManifest, b: RunManifest): string => {
  if (a.source !== b.source) return `it was a run of ${a.source}`;
  if (a.planners.join() !== b.planners.join()) return `it ran planners ${a.planners.join(', ')}`;
  if (a.episodes !== b.episodes) return `it planned ${a.episodes} episodes, not ${b.episodes}`;
  return "the scenario files, their settings, the lm's checkpoint, loop guard, thought rules or engine, the remote planner's server or model, or the Umwelt version differ";
};

function readManifest(path: string): RunManifest {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new EvalInputError(`${path}: not a readable run manifest (${e instanceof Error ? e.message : String(e)})`);
  }
  const v = value as Partial<RunManifest> | null;
  if (typeof v !== 'object' || v === null || v.version !== MANIFEST_VERSION || typeof v.fingerprint !== 'string') {
    throw new EvalInputError(`${path}: not a run manifest of this version (expected {"version": ${MANIFEST_VERSION}, "fingerprint": ...})`);
  }
  return v as RunManifest;
}

/** Parse the journal's lines; a torn or unparsable last line is reported by its byte offset, to be cut off. */
function parseJournal(path: string, known: ReadonlyMap<string, EpisodeSpec>): { records: EpisodeRecord[]; validBytes: number } {
  const bytes = readFileSync(path);
  const records: EpisodeRecord[] = [];
  const seen = new Set<string>();
  let offset = 0;
  let line = 0;
  while (offset < bytes.length) {
    line++;
    const end = bytes.indexOf(0x0a, offset);
    const last = end === -1 || end === bytes.length - 1;
    const text = bytes.subarray(offset, end === -1 ? bytes.length : end).toString('utf8');
    let record: EpisodeRecord | null = null;
    let problem = '';
    try {
      const parsed = EpisodeRecordSchema.safeParse(JSON.parse(text));
      if (parsed.success) record = parsed.data;
      else problem = parsed.error.issues.map((i) => `${i.path.join('.') || '$'}: ${i.message}`).join('; ');
    } catch (e) {
      problem = e instanceof Error ? e.message : String(e);
    }
    if (end === -1 || (record === null && last)) return { records, validBytes: offset }; // a torn tail
    if (record === null) throw new EvalInputError(`${path} line ${line}: not an episode record (${problem}); the journal is damaged`);
    if (!known.has(record.id)) throw new EvalInputError(`${path} line ${line}: episode "${record.id}" is not part of this run`);
    if (!seen.has(record.id)) records.push(record);
    seen.add(record.id);
    offset = end + 1;
  }
  return { records, validBytes: offset };
}

const LOCK_FILE = '.lock';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Take DIR/.lock for this process; returns its release. */
function lockDir(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          unlinkSync(path);
        } catch {
          // already gone: nothing to release
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isInteger(owner) && owner !== process.pid && processAlive(owner)) {
        throw new EvalInputError(`${dir}: another evaluation (pid ${owner}) is running in this directory`);
      }
      unlinkSync(path); // left by a run that was killed
    }
  }
  throw new EvalInputError(`${dir}: cannot take the lock ${path}`);
}

export class Journal {
  private closed = false;

  private constructor(
    readonly dir: string,
    /** Records already in the journal when it was opened. */
    readonly done: readonly EpisodeRecord[],
    private readonly fd: number,
    private readonly unlock: () => void,
  ) {}

  /** Open (or create) DIR for a run; refuses a directory that holds another run or something else. */
  static open(dir: string, manifest: RunManifest, specs: readonly EpisodeSpec[]): Journal {
    if (existsSync(dir) && !statSync(dir).isDirectory()) throw new EvalInputError(`${dir}: exists and is not a directory`);
    mkdirSync(dir, { recursive: true });
    const unlock = lockDir(dir);
    try {
      const runPath = join(dir, RUN_FILE);
      if (existsSync(runPath)) {
        const existing = readManifest(runPath);
        if (existing.fingerprint !== manifest.fingerprint) {
          throw new EvalInputError(
            `${dir} holds the results of a different run (${describeDifference(existing, manifest)}); choose another --out or delete it`,
          );
        }
      } else {
        const entries = readdirSync(dir).filter((name) => !name.startsWith('.'));
        if (entries.length > 0) throw new EvalInputError(`${dir}: not empty and not an evaluation directory (no ${RUN_FILE}); choose another --out`);
        writeFileAtomic.sync(runPath, `${JSON.stringify(manifest, null, 2)}\n`);
      }
      const journalPath = join(dir, JOURNAL_FILE);
      const fd = openSync(journalPath, 'a+');
      const known = new Map(specs.map((s) => [s.id, s]));
      const { records, validBytes } = parseJournal(journalPath, known);
      if (validBytes < statSync(journalPath).size) {
        ftruncateSync(fd, validBytes);
        fsyncSync(fd);
      }
      return new Journal(dir, records, fd, unlock);
    } catch (e) {
      unlock();
      throw e;
    }
  }

  /** Append one finished episode durably. */
  append(record: EpisodeRecord): void {
    if (this.closed) throw new Error('the journal is closed');
    const line = Buffer.from(`${JSON.stringify(record)}\n`);
    let written = 0;
    while (written < line.length) written += writeSync(this.fd, line, written);
    fsyncSync(this.fd);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
    this.unlock();
  }
}
