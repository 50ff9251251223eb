// Reading a recording back, from any IReadable: bytes in memory (BytesReadable, `Recording.fromBytes`, also in the
// browser) or a file (reader.ts adds `Recording.open(path)` over positional file reads; the only part that needs
// Node). A whole file is opened through its MCAP index (McapIndexedReader: only the summary, the metadata and the
// chunks asked for are read, chunk CRCs checked). A file whose summary or footer is missing or damaged (a killed
// run) falls back to the valid prefix, streamed (prefix.ts): `complete` is then false and `problem` says what is
// wrong. Every umwelt message is validated (schemas.ts) as it is read: a recording is untrusted input, and anything
// wrong in it is a RecordingError naming the file (or the name given to the bytes), topic and step.
//
// No Node built-ins anywhere in this module's imports (tests/record/browser-safe.test.ts checks it).
import { hasMcapPrefix, McapIndexedReader, type McapTypes } from '@mcap/core';
import { BytesReadable } from './bytes.ts';
import { decodeCompressedImage } from './camera.ts';
import { decompressHandlers } from './compression.ts';
import {
  CAMERA_KINDS,
  CAMERA_TOPICS,
  METADATA,
  TOPICS,
  type ActionMessage,
  type CameraImage,
  type CameraKind,
  type EpisodeMetadata,
  type ResultMessage,
  type SnapshotMessage,
  type StateMessage,
  type StepIndexMetadata,
  type Topic,
} from './format.ts';
import { decodeEpisodeMetadata, decodeStepIndex, MetadataError } from './metadata.ts';
import { mcapMessage, scanPrefix, type PrefixScan } from './prefix.ts';
import { describeIssues, isUmweltTopic, messageSchema } from './schemas.ts';

/** A recording that cannot be read, or holds something wrong; the message names the file and what is wrong. */
export class RecordingError extends Error {
  override readonly name = 'RecordingError';
}

/** Data the MCAP layer rejects (a chunk whose CRC does not match, a record that does not parse). */
class DamagedFileError extends RecordingError {}

export interface RecordingInfo {
  /** The file's path, or the name given to the bytes or readable the recording was read from. */
  path: string;
  bytes: number;
  complete: boolean;
  problem: string | null;
  /** Chunk compression: 'zstd' or 'none'. */
  compression: string;
  formatVersion: number;
  seed: number;
  family: string;
  planner: string;
  instruction: string;
  steps: number;
  /** Simulated seconds from the start of the physics to the last message. */
  simSeconds: number;
  channels: { topic: string; schema: string; messages: number }[];
  result: ResultMessage | null;
}

/** A camera image read back (RecordingInfo's channels count them per topic). */
export interface CameraFrame extends CameraImage {
  /** The step whose state it shows (0: after reset), or null when it lies outside every step. */
  step: number | null;
  /** Log time (simulated ns). */
  logTime: bigint;
  timestamp: { sec: number; nsec: number };
  frameId: string;
}

/** A range of messages: by step (inclusive, 0 = the reset) or by log time (ns, inclusive). */
export type MessageRange = { fromStep?: number; toStep?: number } | { startNs?: bigint; endNs?: bigint };

interface RawMessage {
  sequence: number;
  logTime: bigint;
  data: Uint8Array;
}

/** Where the messages come from: the indexed file, or the streamed prefix held in memory. */
export interface MessageSource {
  read(topic: Topic, startNs: bigint, endNs: bigint): AsyncIterable<RawMessage>;
}

class IndexedSource implements MessageSource {
  constructor(
    private readonly path: string,
    private readonly reader: McapIndexedReader,
  ) {}

  async *read(topic: Topic, startNs: bigint, endNs: bigint): AsyncIterable<RawMessage> {
    const messages = this.reader.readMessages({ topics: [topic], startTime: startNs, endTime: endNs, validateCrcs: true });
    for (;;) {
      let next: IteratorResult<McapTypes.TypedMcapRecords['Message']>;
      try {
        next = await messages.next();
      } catch (e) {
        throw new DamagedFileError(`${this.path}: cannot read ${topic}: the file is damaged: ${mcapMessage(e)}`);
      }
      if (next.done) return;
      yield next.value;
    }
  }
}

class PrefixSource implements MessageSource {
  constructor(private readonly scan: PrefixScan) {}

  async *read(topic: Topic, startNs: bigint, endNs: bigint): AsyncIterable<RawMessage> {
    for (const m of this.scan.messages) {
      if (m.topic === topic && m.logTime >= startNs && m.logTime <= endNs) yield m;
    }
  }
}

const decoder = new TextDecoder();
const MAX_NS = 2n ** 64n - 1n;

/** The step index of a streamed prefix: a step starts with its decision; the result belongs to none. */
function prefixIndex(path: string, scan: PrefixScan): { index: StepIndexMetadata; snapshots: Set<number> } {
  const steps: [string, string][] = [];
  const sequences: [number, number][] = [];
  const snapshots = new Set<number>();
  let step: number | null = 0;
  for (const m of scan.messages) {
    if (m.topic === TOPICS.decision) {
      const decision = parseJson(path, m, TOPICS.decision);
      const k = typeof decision === 'object' && decision !== null && 'step' in decision ? decision.step : undefined;
      if (typeof k !== 'number' || k !== steps.length) {
        throw new RecordingError(`${path}: ${TOPICS.decision} message at ${m.logTime} ns: expected the decision of step ${steps.length}, found step ${String(k)}`);
      }
      step = k;
    } else if (m.topic === TOPICS.result) {
      step = null;
    }
    if (step === null) continue;
    const range = steps[step];
    const seqs = sequences[step];
    if (range && seqs) {
      range[1] = m.logTime.toString();
      seqs[1] = m.sequence;
    } else {
      steps[step] = [m.logTime.toString(), m.logTime.toString()];
      sequences[step] = [m.sequence, m.sequence];
    }
    if (m.topic === TOPICS.snapshot) snapshots.add(step);
  }
  return { index: { steps, sequences }, snapshots };
}

function parseJson(path: string, m: RawMessage, topic: string): unknown {
  try {
    return JSON.parse(decoder.decode(m.data)) as unknown;
  } catch (e) {
    throw new RecordingError(`${path}: ${topic} message at ${m.logTime} ns is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** What a Recording needs of its source: random-access reads, and how to release it once closed. */
export interface RecordingSource {
  /** Names the recording in every message and error (a file's path, or e.g. the name of a fetched file). */
  name: string;
  readable: McapTypes.IReadable;
  /** Releases the source (a file handle); called once by close(). */
  close?: () => Promise<void>;
}

/** The parts a Recording is made of (for subclasses, see reader.ts). */
export interface RecordingFields {
  path: string;
  release: () => Promise<void>;
  complete: boolean;
  problem: string | null;
  metadata: EpisodeMetadata;
  steps: number;
  source: MessageSource;
  index: StepIndexMetadata;
  bytes: number;
  compression: string;
  channels: RecordingInfo['channels'];
  endNs: bigint;
}

export class Recording {
  /** The file's path, or the name the recording was opened under (fromBytes, fromReadable). */
  readonly path: string;
  readonly complete: boolean;
  readonly problem: string | null;
  readonly metadata: EpisodeMetadata;
  /** Steps recorded after reset (0 when only the reset is there). */
  readonly steps: number;

  private readonly release: () => Promise<void>;
  private readonly source: MessageSource;
  private readonly index: StepIndexMetadata;
  private readonly bytes: number;
  private readonly compression: string;
  private readonly channels: RecordingInfo['channels'];
  private readonly endNs: bigint;
  private resultMessage: ResultMessage | null = null;
  private closed = false;

  protected constructor(fields: RecordingFields) {
    this.path = fields.path;
    this.release = fields.release;
    this.complete = fields.complete;
    this.problem = fields.problem;
    this.metadata = fields.metadata;
    this.steps = fields.steps;
    this.source = fields.source;
    this.index = fields.index;
    this.bytes = fields.bytes;
    this.compression = fields.compression;
    this.channels = fields.channels;
    this.endNs = fields.endNs;
  }

  /**
   * Reads a recording held in memory (a fetched or dropped file): the same reading, validation and errors as
   * `Recording.open(path)` (reader.ts), with `name` in place of the path. Keeps (does not copy) `bytes`: do not
   * modify or transfer them while the recording is open. Works in the browser.
   */
  static fromBytes(bytes: Uint8Array, name: string): Promise<Recording> {
    return Recording.fromReadable({ name, readable: new BytesReadable(bytes) });
  }

  /**
   * Opens with the MCAP index (McapIndexedReader); if the data is truncated or its summary is damaged, falls back
   * to streaming the valid prefix (McapStreamReader): complete === false and problem says what is wrong. Data that
   * is not MCAP at all, or lacks the umwelt.episode metadata, throws RecordingError (and the source is closed).
   */
  static fromReadable(source: RecordingSource): Promise<Recording> {
    return Recording.build(source, (fields) => new Recording(fields));
  }

  /** Loads `source` into a recording made by `make` (a subclass's constructor); closes the source on failure. */
  protected static async build<R extends Recording>(source: RecordingSource, make: (fields: RecordingFields) => R): Promise<R> {
    const { name: path, readable } = source;
    const release = source.close ?? (() => Promise.resolve());
    try {
      return await Recording.load(path, readable, release, make);
    } catch (e) {
      await release().catch(() => undefined);
      if (e instanceof RecordingError) throw e;
      throw new RecordingError(`${path}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private static async load<R extends Recording>(
    path: string,
    readable: McapTypes.IReadable,
    release: () => Promise<void>,
    make: (fields: RecordingFields) => R,
  ): Promise<R> {
    const size = Number(await readable.size());
    if (size === 0) throw new RecordingError(`${path}: the file is empty, not an MCAP recording`);
    const head = size < 8 ? null : await readable.read(0n, 8n);
    if (!head || head.byteLength < 8 || !hasMcapPrefix(new DataView(head.buffer, head.byteOffset, head.byteLength))) {
      throw new RecordingError(`${path}: not an MCAP file (it does not start with the MCAP magic bytes)`);
    }
    const handlers = await decompressHandlers();
    let reader: McapIndexedReader;
    try {
      reader = await McapIndexedReader.Initialize({ readable, decompressHandlers: handlers });
    } catch (e) {
      return Recording.loadPrefix(path, readable, release, make, size, handlers, `no usable summary or footer: ${mcapMessage(e)}`);
    }
    const metadata = await Recording.indexedMetadata(path, reader, METADATA.episode);
    if (!metadata) throw new RecordingError(`${path}: not an umwelt recording: it lacks the ${METADATA.episode} metadata`);
    const episode = Recording.decodeMetadata(path, () => decodeEpisodeMetadata(metadata));
    const stepsRecord = await Recording.indexedMetadata(path, reader, METADATA.steps);
    if (!stepsRecord) {
      return Recording.loadPrefix(path, readable, release, make, size, handlers, `the ${METADATA.steps} metadata is missing (the recorder did not finish the file)`);
    }
    const index = Recording.decodeMetadata(path, () => decodeStepIndex(stepsRecord));

    const counts = reader.statistics?.channelMessageCounts ?? new Map<number, bigint>();
    const channels = [...reader.channelsById.values()]
      .map((c) => ({ topic: c.topic, schema: reader.schemasById.get(c.schemaId)?.name ?? '', messages: Number(counts.get(c.id) ?? 0n) }))
      .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
    // A step is recorded once its snapshot (its last message) is: a run stopped mid-step leaves a partial one.
    const snapshots = channels.find((c) => c.topic === TOPICS.snapshot)?.messages ?? 0;
    const steps = Math.max(0, Math.min(snapshots, index.steps.length) - 1);
    const compression = reader.chunkIndexes[0]?.compression ?? '';
    const recording = make({
      path,
      release,
      complete: true,
      problem: null,
      metadata: episode,
      steps,
      source: new IndexedSource(path, reader),
      index,
      bytes: size,
      compression: compression === '' ? 'none' : compression,
      channels,
      endNs: reader.statistics?.messageEndTime ?? 0n,
    });
    try {
      recording.resultMessage = await recording.lastResult();
    } catch (e) {
      // A damaged chunk at the end: what comes before it may still be read.
      if (e instanceof DamagedFileError) return Recording.loadPrefix(path, readable, release, make, size, handlers, 'reading through the index failed');
      throw e;
    }
    return recording;
  }

  private static async loadPrefix<R extends Recording>(
    path: string,
    readable: McapTypes.IReadable,
    release: () => Promise<void>,
    make: (fields: RecordingFields) => R,
    size: number,
    handlers: McapTypes.DecompressHandlers,
    why: string,
  ): Promise<R> {
    const scan = await scanPrefix(readable, size, handlers);
    if (!scan.header) throw new RecordingError(`${path}: the file ends inside the MCAP header (${size} bytes): nothing is recorded`);
    const metadata = scan.metadata.get(METADATA.episode);
    if (!metadata) {
      const tail = scan.stopped ? ` (${scan.stopped})` : '';
      throw new RecordingError(`${path}: not a readable umwelt recording: the ${METADATA.episode} metadata is missing${tail}`);
    }
    const episode = Recording.decodeMetadata(path, () => decodeEpisodeMetadata(metadata));
    const { index, snapshots } = prefixIndex(path, scan);
    let steps = -1;
    while (snapshots.has(steps + 1)) steps++;
    const survived = steps < 0 ? 'no step survives whole (not even the reset)' : `steps 0..${steps} survive whole`;
    const problem = scan.stopped
      ? `${scan.stopped} (${why}); read the valid prefix by streaming: ${survived}`
      : `${why}; every record is whole and was read by streaming: ${survived}`;
    const counts = new Map<string, number>();
    for (const m of scan.messages) counts.set(m.topic, (counts.get(m.topic) ?? 0) + 1);
    const channels = [...scan.schemas.entries()]
      .map(([topic, schema]) => ({ topic, schema, messages: counts.get(topic) ?? 0 }))
      .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
    const recording = make({
      path,
      release,
      complete: false,
      problem,
      metadata: episode,
      steps: Math.max(0, steps),
      source: new PrefixSource(scan),
      index,
      bytes: size,
      compression: scan.compression === null ? 'unknown' : scan.compression === '' ? 'none' : scan.compression,
      channels,
      endNs: scan.messages[scan.messages.length - 1]?.logTime ?? 0n,
    });
    recording.resultMessage = await recording.lastResult();
    return recording;
  }

  private static async indexedMetadata(path: string, reader: McapIndexedReader, name: string): Promise<Map<string, string> | null> {
    try {
      for await (const record of reader.readMetadata({ name })) return record.metadata;
    } catch (e) {
      throw new RecordingError(`${path}: cannot read the ${name} metadata: ${mcapMessage(e)}`);
    }
    return null;
  }

  private static decodeMetadata<T>(path: string, decode: () => T): T {
    try {
      return decode();
    } catch (e) {
      if (e instanceof MetadataError) throw new RecordingError(`${path}: ${e.message}`);
      throw e;
    }
  }

  private async lastResult(): Promise<ResultMessage | null> {
    let last: ResultMessage | null = null;
    for await (const { message } of this.messages<ResultMessage>(TOPICS.result)) last = message;
    return last;
  }

  info(): RecordingInfo {
    const m = this.metadata;
    return {
      path: this.path,
      bytes: this.bytes,
      complete: this.complete,
      problem: this.problem,
      compression: this.compression,
      formatVersion: m.formatVersion,
      seed: m.seed,
      family: m.family,
      planner: m.planner.name,
      instruction: m.instruction,
      steps: this.steps,
      simSeconds: Number(this.endNs) / 1e9,
      channels: this.channels.map((c) => ({ ...c })),
      result: this.resultMessage,
    };
  }

  // ---- messages ----------------------------------------------------------------------------------------------

  /** The log-time and sequence window of a range. */
  private window(range: MessageRange | undefined): { startNs: bigint; endNs: bigint; first: number; last: number } | null {
    const all = { startNs: 0n, endNs: MAX_NS, first: 0, last: Number.MAX_SAFE_INTEGER };
    if (!range) return all;
    if ('startNs' in range || 'endNs' in range) {
      return { ...all, startNs: range.startNs ?? 0n, endNs: range.endNs ?? MAX_NS };
    }
    const { fromStep, toStep } = range as { fromStep?: number; toStep?: number };
    if (fromStep === undefined && toStep === undefined) return all;
    return this.stepWindow(fromStep ?? 0, toStep ?? this.index.steps.length - 1);
  }

  private stepWindow(fromStep: number, toStep: number): { startNs: bigint; endNs: bigint; first: number; last: number } | null {
    for (const [name, k] of [['fromStep', fromStep], ['toStep', toStep]] as const) {
      if (!Number.isInteger(k) || k < 0) throw new RecordingError(`${this.path}: ${name} must be a non-negative integer, got ${k}`);
    }
    const to = Math.min(toStep, this.index.steps.length - 1);
    if (fromStep > to) return null;
    const start = this.index.steps[fromStep];
    const end = this.index.steps[to];
    const first = this.index.sequences[fromStep];
    const last = this.index.sequences[to];
    if (!start || !end || !first || !last) return null;
    return { startNs: BigInt(start[0]), endNs: BigInt(end[1]), first: first[0], last: last[1] };
  }

  /** The step a message belongs to, by its sequence number (null: after the last step, or unknown). */
  private stepOf(sequence: number): number | null {
    let lo = 0;
    let hi = this.index.sequences.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const [first, last] = this.index.sequences[mid] ?? [0, -1];
      if (sequence < first) hi = mid - 1;
      else if (sequence > last) lo = mid + 1;
      else return mid;
    }
    return null;
  }

  private decode(topic: Topic, m: RawMessage): unknown {
    const value = parseJson(this.path, m, topic);
    if (!isUmweltTopic(topic)) {
      if (typeof value !== 'object' || value === null) throw new RecordingError(`${this.path}: ${topic} message at ${m.logTime} ns is not a JSON object`);
      return value;
    }
    const parsed = messageSchema(topic).safeParse(value);
    if (parsed.success) return parsed.data;
    const claimed = typeof value === 'object' && value !== null && 'step' in value && typeof value.step === 'number' ? value.step : this.stepOf(m.sequence);
    const step = claimed === null ? 'after the last step' : `step ${claimed}`;
    throw new RecordingError(`${this.path}: bad ${topic} message (${step}, at ${m.logTime} ns): ${describeIssues(parsed.error)}`);
  }

  /**
   * Messages of a topic in log-time order (write order where times are equal), optionally limited to steps
   * [fromStep, toStep] or to a log-time range (ns). umwelt messages are validated; foxglove ones only parsed.
   * Streams: a whole file is read chunk by chunk through its index.
   */
  async *messages<T>(topic: Topic, range?: MessageRange): AsyncIterable<{ logTime: bigint; message: T }> {
    if (this.closed) throw new RecordingError(`${this.path}: the recording is closed`);
    const window = this.window(range);
    if (!window) return;
    for await (const m of this.source.read(topic, window.startNs, window.endNs)) {
      if (m.sequence < window.first || m.sequence > window.last) continue;
      yield { logTime: m.logTime, message: this.decode(topic, m) as T };
    }
  }

  private async collect<T>(topic: Topic, range?: MessageRange): Promise<T[]> {
    const out: T[] = [];
    for await (const { message } of this.messages<T>(topic, range)) out.push(message);
    return out;
  }

  /** The action of every step 1..steps, in order. */
  async actions(): Promise<ActionMessage[]> {
    if (this.steps === 0) return [];
    const found = await this.collect<ActionMessage>(TOPICS.action, { fromStep: 1, toStep: this.steps });
    found.forEach((a, i) => {
      if (a.step !== i + 1) throw new RecordingError(`${this.path}: ${TOPICS.action}: expected the action of step ${i + 1}, found step ${a.step}`);
    });
    if (found.length !== this.steps) {
      throw new RecordingError(`${this.path}: ${TOPICS.action}: ${found.length} actions for ${this.steps} steps (step ${found.length + 1} has none)`);
    }
    return found;
  }

  /** The snapshot after step `step` (0: after reset), for 0..steps. */
  async snapshot(step: number): Promise<SnapshotMessage> {
    if (!Number.isInteger(step) || step < 0 || step > this.steps) {
      const tail = this.complete ? '' : ` (the file is incomplete: ${this.problem ?? 'truncated'})`;
      throw new RecordingError(`${this.path}: no snapshot of step ${step}: the recording has steps 0..${this.steps}${tail}`);
    }
    for (const s of await this.collect<SnapshotMessage>(TOPICS.snapshot, { fromStep: step, toStep: step })) {
      if (s.step === step) return s;
    }
    throw new RecordingError(`${this.path}: ${TOPICS.snapshot}: the snapshot of step ${step} is missing`);
  }

  /** The state messages of steps fromStep..toStep (default: all), in order. */
  states(fromStep = 0, toStep = this.steps): Promise<StateMessage[]> {
    return this.collect<StateMessage>(TOPICS.state, { fromStep, toStep });
  }

  /**
   * The camera images of one kind (the browser app records them: one after reset and one after every step), in
   * order, optionally limited to a range; width and height are read from the images themselves. A message that is
   * not a CompressedImage holding a PNG or JPEG is a RecordingError.
   */
  async cameraFrames(kind: CameraKind, range?: MessageRange): Promise<CameraFrame[]> {
    if (!(CAMERA_KINDS as readonly string[]).includes(kind)) throw new RecordingError(`${this.path}: no camera kind ${String(kind)} (${CAMERA_KINDS.join(', ')})`);
    const topic = CAMERA_TOPICS[kind];
    if (this.closed) throw new RecordingError(`${this.path}: the recording is closed`);
    const window = this.window(range);
    if (!window) return [];
    const frames: CameraFrame[] = [];
    for await (const m of this.source.read(topic, window.startNs, window.endNs)) {
      if (m.sequence < window.first || m.sequence > window.last) continue;
      const step = this.stepOf(m.sequence);
      const decoded = decodeCompressedImage(this.decode(topic, m));
      if (typeof decoded === 'string') {
        throw new RecordingError(`${this.path}: bad ${topic} message (${step === null ? 'after the last step' : `step ${step}`}, at ${m.logTime} ns): ${decoded}`);
      }
      frames.push({ kind, ...decoded.image, step, logTime: m.logTime, timestamp: decoded.timestamp, frameId: decoded.frameId });
    }
    return frames;
  }

  /** The episode's result, or null when the file ends before it. */
  result(): Promise<ResultMessage | null> {
    return Promise.resolve(this.resultMessage);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.release();
  }
}
