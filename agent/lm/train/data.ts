// Training rows from a `umwelt data` directory, in the one sequence format (../sequence.ts):
//   pretrain: corpus passages (encodePassage), shuffled per epoch and packed end to end into windows of seqLen
//             inputs (+1 target); every target counts.
//   sft:      one instruction example (encodeExample) per row, never cropped: examples longer than seqLen are
//             dropped and counted, or (longExamples 'shorten-history') first shortened as the planner shortens a
//             prompt, oldest History line first, then the last Memories line (fit-example.ts); rows are
//             right-padded with <pad> (mask 0) to the longest row of their batch. The same holds for the DAgger
//             stages.
// Validation holds out whole episodes (family + seed; the whole house for memory data, whose later visits quote the
// earlier ones), so its rows come from episodes never trained on. Order is a pure function of (seed, stage,
// epoch): a cursor {epoch, index} is all a resumed run needs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeExample, encodePassage, type EncodedSequence } from '../sequence.ts';
import { Prng } from '../prng.ts';
import { fitExamplePrompt } from './fit-example.ts';
import type { Tokenizer } from '../tokenizer.ts';
import type { LongExamples, Stage } from './config.ts';
import { parsePromptFormat, PROMPT_FORMATS, type PromptFormat } from '../../prompt-format.ts';

export interface SftRecord {
  prompt: string;
  response: string;
  family: string;
  seed: number;
  step: number;
  /** The house the episode played in, when episodes share one (memory data: later visits quote earlier ones). */
  house?: string;
}

/** The unit validation holds out whole: the shared house of a memory series, else the episode. */
export const episodeKey = (e: SftRecord): string => e.house ?? `${e.family}:${e.seed}`;

export interface DataDir {
  /** Corpus passages with their episode key ("family:seed"). */
  passages: { text: string; episode: string }[];
  examples: SftRecord[];
  /** The prompt format of the examples (the manifest's `promptFormat`; absent: 1). */
  promptFormat: PromptFormat;
}

export class TrainDataError extends Error {
  override readonly name = 'TrainDataError';
}

interface ManifestEpisode {
  family: string;
  seed: number;
  status: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new TrainDataError(`${path}: cannot read training data (${(e as Error).message}); make it with 'umwelt data'`);
  }
}

/** Which episode each corpus line belongs to: data/generate.ts writes a scene passage per generated episode and a
 *  trajectory for the successful ones, in manifest order. When the counts disagree, lines become their own episode. */
function passageEpisodes(lines: readonly string[], manifest: unknown): string[] {
  const episodes = isRecord(manifest) && Array.isArray(manifest.episodes) ? (manifest.episodes as unknown[]) : [];
  const keys: string[] = [];
  for (const e of episodes) {
    if (!isRecord(e)) continue;
    const { family, seed, status } = e as Partial<ManifestEpisode>;
    const key = `${String(family)}:${String(seed)}`;
    const n = status === 'success' ? 2 : status === 'failure' ? 1 : 0;
    for (let i = 0; i < n; i++) keys.push(key);
  }
  return keys.length === lines.length ? keys : lines.map((_, i) => `line:${i}`);
}

/** DIR/manifest.json, parsed. */
function readManifest(dir: string): unknown {
  try {
    return JSON.parse(readText(join(dir, 'manifest.json')));
  } catch (e) {
    if (e instanceof TrainDataError) throw e;
    throw new TrainDataError(`${join(dir, 'manifest.json')}: not JSON`);
  }
}

export function readDataDir(dir: string): DataDir {
  const corpus = readText(join(dir, 'corpus.txt')).split('\n').filter((l) => l.length > 0);
  const manifest = readManifest(dir);
  const keys = passageEpisodes(corpus, manifest);
  const passages = corpus.map((text, i) => ({ text, episode: keys[i] ?? `line:${i}` }));
  return { passages, examples: readSftExamples(dir), promptFormat: manifestPromptFormat(dir, manifest) };
}

/** The prompt format a data directory's manifest names. */
function manifestPromptFormat(dir: string, manifest: unknown): PromptFormat {
  const format = parsePromptFormat(isRecord(manifest) ? manifest.promptFormat : undefined);
  if (format === null) throw new TrainDataError(`${join(dir, 'manifest.json')}: promptFormat ${JSON.stringify(isRecord(manifest) ? manifest.promptFormat : null)} is not one this version reads (${PROMPT_FORMATS.join(', ')})`);
  return format;
}

/** The prompt format of a data directory (its manifest's `promptFormat`). */
export function readPromptFormat(dir: string): PromptFormat {
  return manifestPromptFormat(dir, readManifest(dir));
}

/** DIR/sft.jsonl's instruction examples. */
export function readSftExamples(dir: string): SftRecord[] {
  const examples: SftRecord[] = [];
  readText(join(dir, 'sft.jsonl'))
    .split('\n')
    .forEach((line, i) => {
      if (line.trim().length === 0) return;
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch {
        throw new TrainDataError(`${join(dir, 'sft.jsonl')}:${i + 1}: not JSON`);
      }
      if (!isRecord(v) || typeof v.prompt !== 'string' || typeof v.response !== 'string' || typeof v.family !== 'string' || typeof v.seed !== 'number') {
        throw new TrainDataError(`${join(dir, 'sft.jsonl')}:${i + 1}: expected {prompt, response, family, seed, step}`);
      }
      const house = typeof v.house === 'string' ? { house: v.house } : {};
      examples.push({ prompt: v.prompt, response: v.response, family: v.family, seed: v.seed, step: typeof v.step === 'number' ? v.step : 0, ...house });
    });
  return examples;
}

/** Every text the tokenizer is trained on: passages, prompts, responses. */
export function tokenizerLines(data: DataDir): string[] {
  return [...data.passages.map((p) => p.text), ...data.examples.flatMap((e) => [e.prompt, e.response])];
}

/** In-place Fisher-Yates with the given generator. */
export function shuffle<T>(items: T[], rng: Prng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.nextUint32() % (i + 1);
    const t = items[i]!;
    items[i] = items[j]!;
    items[j] = t;
  }
  return items;
}

/**
 * The held-out episode keys: an episode is held out when a uniform draw seeded by (seed, key) falls under the
 * fraction, so both stages hold out the same episodes (SFT validation episodes were not in the pretraining corpus
 * either). With two or more episodes at least one is held out and at least one kept.
 */
export function validationEpisodes(keys: Iterable<string>, fraction: number, seed: number): Set<string> {
  const distinct = [...new Set(keys)].sort();
  if (fraction <= 0 || distinct.length < 2) return new Set();
  const ranked = distinct.map((key) => ({ key, u: new Prng(`${seed}:validation:${key}`).next() })).sort((a, b) => a.u - b.u || (a.key < b.key ? -1 : 1));
  const n = Math.min(distinct.length - 1, Math.max(1, ranked.filter((r) => r.u < fraction).length));
  return new Set(ranked.slice(0, n).map((r) => r.key));
}

/** One training row: inputs, targets and mask of equal length (<= seqLen). */
export interface Row {
  ids: number[];
  targets: number[];
  mask: number[];
}

/** A batch as plain arrays: [B, T] each, T the longest row (shorter rows padded with mask 0). */
export interface Batch {
  ids: number[][];
  targets: number[][];
  mask: number[][];
  /** Each row's length before padding. */
  lengths: number[];
  /** Targets that count (sum of mask). */
  tokens: number;
}

export interface Cursor {
  epoch: number;
  /** Next row within the epoch. */
  index: number;
}

export interface DataCounts {
  trainSequences: number;
  validationSequences: number;
  trainEpisodes: number;
  validationEpisodes: number;
  /** SFT examples longer than seqLen, left out. */
  dropped: number;
  /** SFT examples longer than seqLen kept with fewer History (and Memories) lines (longExamples 'shorten-history'). */
  shortened: number;
  /** Rows per epoch (pretrain: packed windows). */
  rowsPerEpoch: number;
  validationRows: number;
}

/** Packs sequences end to end into windows: inputs s[k*L .. k*L+L), targets shifted by one. */
function pack(seqs: readonly EncodedSequence[], seqLen: number): Row[] {
  const stream: number[] = [];
  for (const s of seqs) for (const id of s.ids) stream.push(id);
  const rows: Row[] = [];
  for (let start = 0; start + seqLen + 1 <= stream.length; start += seqLen) {
    const window = stream.slice(start, start + seqLen + 1);
    rows.push({ ids: window.slice(0, seqLen), targets: window.slice(1), mask: new Array<number>(seqLen).fill(1) });
  }
  // A stream shorter than one window still gives one (shorter) row rather than nothing.
  if (rows.length === 0 && stream.length >= 2) rows.push({ ids: stream.slice(0, -1), targets: stream.slice(1), mask: new Array<number>(stream.length - 1).fill(1) });
  return rows;
}

const exampleRow = (s: EncodedSequence): Row => ({ ids: s.ids.slice(0, -1), targets: s.ids.slice(1), mask: [...s.lossMask] });

export interface StageDataOptions {
  stage: Stage;
  seqLen: number;
  /** What becomes of an instruction example longer than seqLen (default 'drop'). */
  longExamples?: LongExamples;
  seed: number;
  validationFraction: number;
}

/** The rows of a stage, the epoch order and the validation set. */
export class StageData {
  readonly counts: DataCounts;
  readonly validation: Row[];
  private readonly trainSeqs: EncodedSequence[];
  private epochCache: { epoch: number; rows: Row[] } | null = null;

  constructor(
    data: DataDir,
    tokenizer: Tokenizer,
    private readonly options: StageDataOptions,
  ) {
    const { stage, seqLen } = options;
    let items: { seq: EncodedSequence; episode: string }[];
    let shortened = 0;
    switch (stage) {
      case 'pretrain':
        items = data.passages.map((p) => ({ seq: encodePassage(tokenizer, p.text), episode: p.episode }));
        break;
      case 'sft':
      case 'dagger':
      case 'dagger2':
      case 'dagger3':
        items = data.examples.map((e) => {
          const episode = episodeKey(e);
          const seq = encodeExample(tokenizer, e.prompt, e.response);
          if (seq.ids.length - 1 <= seqLen || options.longExamples !== 'shorten-history') return { seq, episode };
          const fitted = fitExamplePrompt(e.prompt, (prompt) => encodeExample(tokenizer, prompt, e.response).ids.length - 1 <= seqLen);
          if (fitted === null) return { seq, episode };
          shortened++;
          return { seq: encodeExample(tokenizer, fitted.prompt, e.response), episode };
        });
        break;
      default: {
        const never: never = stage;
        throw new Error(`unknown stage ${String(never)}`);
      }
    }
    let dropped = 0;
    if (stage !== 'pretrain') {
      const kept = items.filter((it) => it.seq.ids.length - 1 <= seqLen);
      dropped = items.length - kept.length;
      items = kept;
    }
    const held = validationEpisodes(
      items.map((it) => it.episode),
      options.validationFraction,
      options.seed,
    );
    const train = items.filter((it) => !held.has(it.episode));
    const val = items.filter((it) => held.has(it.episode));
    if (train.length === 0) throw new TrainDataError(`no ${stage} training sequences (${dropped} dropped as longer than seqLen ${seqLen})`);
    this.trainSeqs = train.map((it) => it.seq);
    this.validation = stage === 'pretrain' ? pack(val.map((it) => it.seq), seqLen) : val.map((it) => exampleRow(it.seq));
    this.counts = {
      trainSequences: train.length,
      validationSequences: val.length,
      trainEpisodes: new Set(train.map((it) => it.episode)).size,
      validationEpisodes: held.size,
      dropped,
      shortened,
      rowsPerEpoch: this.epochRows(0).length,
      validationRows: this.validation.length,
    };
  }

  /** The rows of an epoch, in order: the train sequences shuffled by (seed, stage, epoch), packed for pretraining. */
  epochRows(epoch: number): Row[] {
    if (this.epochCache?.epoch === epoch) return this.epochCache.rows;
    const order = shuffle([...this.trainSeqs], new Prng(`${this.options.seed}:${this.options.stage}:epoch:${epoch}`));
    const rows = this.options.stage === 'pretrain' ? pack(order, this.options.seqLen) : order.map(exampleRow);
    this.epochCache = { epoch, rows };
    return rows;
  }

  /** The next batchSize rows from the cursor (crossing into the next epoch as needed) and the cursor after them. */
  nextBatch(cursor: Cursor, batchSize: number, padId: number): { batch: Batch; cursor: Cursor } {
    let { epoch, index } = cursor;
    const rows: Row[] = [];
    while (rows.length < batchSize) {
      const epochRows = this.epochRows(epoch);
      if (index >= epochRows.length) {
        epoch += 1;
        index = 0;
        continue;
      }
      rows.push(epochRows[index]!);
      index += 1;
    }
    return { batch: toBatch(rows, padId), cursor: { epoch, index } };
  }
}

/** Rows right-padded with padId (mask 0) to the longest. */
export function toBatch(rows: readonly Row[], padId: number): Batch {
  const T = Math.max(...rows.map((r) => r.ids.length));
  const padded = (xs: readonly number[], fill: number): number[] => [...xs, ...new Array<number>(T - xs.length).fill(fill)];
  const mask = rows.map((r) => padded(r.mask, 0));
  return {
    ids: rows.map((r) => padded(r.ids, padId)),
    targets: rows.map((r) => padded(r.targets, padId)),
    mask,
    lengths: rows.map((r) => r.ids.length),
    tokens: mask.reduce((a, m) => a + m.reduce((x, y) => x + y, 0), 0),
  };
}
