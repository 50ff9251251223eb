// Reading recordings back (record/reader.ts) from real files of real episodes: metadata round-trips, snapshots that
// restore into a fresh env to the recorded state hash, messages by step and by time; files cut off at several
// points (the surviving prefix is read, `complete` false, a clear `problem`); files that are not recordings at all;
// a flipped byte caught by the chunk CRC; a message that is not what its schema says. And the command line:
// `umwelt run --record` and `umwelt eval --record` write files this reader opens, without changing any result.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { McapIndexedReader, McapWriter } from '@mcap/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEpisode, type EpisodeResult, type LoopEvent } from '../../agent/loop.ts';
import { OraclePlanner } from '../../agent/planners/oracle.ts';
import { evaluate } from '../../eval/evaluate.ts';
import { recordingFile, runSpec } from '../../eval/episode.ts';
import { planEpisodes } from '../../eval/plan.ts';
import { deterministicPart, EpisodeRecordSchema, type EpisodeRecord } from '../../eval/record.ts';
import { loadSource } from '../../eval/source.ts';
import { decompressHandlers } from '../../record/compression.ts';
import { METADATA, TOPICS, type DecisionMessage, type StateMessage } from '../../record/format.ts';
import { FileReadable } from '../../record/readable.ts';
import { Recording, RecordingError } from '../../record/reader.ts';
import { EpisodeRecorder } from '../../record/recorder.ts';
import { FileWritable } from '../../record/writable.ts';
import { familyEnv } from '../../scenes/env.ts';
import type { FamilyName } from '../../scenes/family-names.ts';
import type { SceneDescription } from '../../sim/description.ts';
import { ROOT, umwelt } from '../cli/run-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'umwelt-reader-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SEED = 1_000_000;
const MAX_STEPS = 15;

interface Recorded {
  path: string;
  result: EpisodeResult;
  scene: SceneDescription;
  events: LoopEvent[];
}

async function record(family: FamilyName, name: string, options: { compression?: 'zstd' | 'none'; chunkSize?: number } = {}): Promise<Recorded> {
  const env = familyEnv(family, { maxSteps: MAX_STEPS });
  const path = join(dir, `${name}.mcap`);
  const recorder = await EpisodeRecorder.create(path, { env, source: { kind: 'family', family }, planner: { name: 'oracle', config: { note: 'test' } }, ...options });
  const events: LoopEvent[] = [];
  const result = await runEpisode({ env, planner: new OraclePlanner(env), seed: SEED, onEvent: (e) => (events.push(e), recorder.onEvent(e)) });
  await recorder.close();
  return { path, result, scene: env.world.description, events };
}

async function openOrError(path: string): Promise<Recording | RecordingError> {
  try {
    return await Recording.open(path);
  } catch (e) {
    if (e instanceof RecordingError) return e;
    throw e;
  }
}

/** Chunk offsets and lengths of a whole file, from @mcap/core's index. */
async function chunksOf(path: string): Promise<{ start: number; length: number }[]> {
  const handle = await open(path, 'r');
  try {
    const reader = await McapIndexedReader.Initialize({ readable: new FileReadable(handle, (await handle.stat()).size) });
    return reader.chunkIndexes.map((c) => ({ start: Number(c.chunkStartOffset), length: Number(c.chunkLength) }));
  } finally {
    await handle.close();
  }
}

describe('Recording', () => {
  let pickup: Recorded;
  let open3: Recorded;
  /** Small uncompressed chunks: many of them, so that a cut-off file keeps some. */
  let chunked: Recorded;
  beforeAll(async () => {
    pickup = await record('pickup', 'pickup');
    open3 = await record('open', 'open');
    chunked = await record('pickup', 'pickup-chunked', { compression: 'none', chunkSize: 16 * 1024 });
  });

  it('round-trips the metadata and the summary', async () => {
    const r = await Recording.open(pickup.path);
    try {
      expect(r.complete).toBe(true);
      expect(r.problem).toBeNull();
      expect(r.steps).toBe(pickup.result.steps);
      const m = r.metadata;
      expect(m.scene).toEqual(pickup.scene);
      expect(m).toMatchObject({ formatVersion: 1, seed: SEED, family: 'pickup', instruction: pickup.result.instruction });
      expect(m.source).toEqual({ kind: 'family', family: 'pickup' });
      expect(m.planner).toEqual({ name: 'oracle', config: { note: 'test' } });
      expect(m.env.maxSteps).toBe(MAX_STEPS);
      expect(m.task.goals?.length).toBeGreaterThan(0);
      expect(m.task.targets.length).toBeGreaterThan(0);
      expect(Object.keys(m.packages)).toEqual(expect.arrayContaining(['umwelt', 'cannon-es', 'three', '@mcap/core']));
      const info = r.info();
      expect(info).toMatchObject({ path: pickup.path, complete: true, compression: 'zstd', seed: SEED, family: 'pickup', planner: 'oracle', steps: r.steps });
      expect(info.bytes).toBe(readFileSync(pickup.path).byteLength);
      expect(info.simSeconds).toBeCloseTo(pickup.result.metrics.simSeconds, 6);
      expect(info.result).toMatchObject({ success: pickup.result.success, steps: pickup.result.steps, stateHash: pickup.result.stateHash });
      expect(await r.result()).toEqual(info.result);
      expect(info.channels.find((c) => c.topic === TOPICS.snapshot)).toEqual({ topic: TOPICS.snapshot, schema: 'umwelt.Snapshot', messages: r.steps + 1 });
    } finally {
      await r.close();
    }
  });

  it('snapshots carry the action hashes and restore into a fresh env to the recorded state', async () => {
    for (const rec of [pickup, open3]) {
      const r = await Recording.open(rec.path);
      try {
        const actions = await r.actions();
        expect(actions.map((a) => a.step)).toEqual(Array.from({ length: r.steps }, (_, i) => i + 1));
        const start = rec.events.find((e) => e.type === 'episode-start');
        expect((await r.snapshot(0)).stateHash).toBe(start?.type === 'episode-start' ? start.stateHash : '');
        for (let k = 0; k <= r.steps; k++) {
          const snapshot = await r.snapshot(k);
          if (k >= 1) expect(snapshot.stateHash).toBe(actions[k - 1]?.stateHash);
          const env = familyEnv(r.metadata.family as FamilyName, r.metadata.env);
          env.restore(snapshot.snapshot);
          expect(env.stateHash()).toBe(snapshot.stateHash);
          // ... and the recorded action continues from there to the next recorded state.
          const next = actions[k];
          if (next?.action) expect(env.step(next.action).info.stateHash).toBe(next.stateHash);
        }
        await expect(r.snapshot(r.steps + 1)).rejects.toThrow(`${rec.path}: no snapshot of step ${r.steps + 1}: the recording has steps 0..${r.steps}`);
      } finally {
        await r.close();
      }
    }
  });

  it('messages() by step and by time', async () => {
    const r = await Recording.open(pickup.path);
    try {
      const all = await r.states();
      expect(all[0]?.step).toBe(0);
      let total = 0;
      for (let k = 0; k <= r.steps; k++) {
        const states = await r.states(k, k);
        expect(states.every((s) => s.step === k)).toBe(true);
        total += states.length;
        const decisions: DecisionMessage[] = [];
        for await (const { message } of r.messages<DecisionMessage>(TOPICS.decision, { fromStep: k, toStep: k })) decisions.push(message);
        expect(decisions.map((d) => d.step)).toEqual(k === 0 ? [] : [k]);
      }
      expect(total).toBe(all.length);
      const later = await r.states(2);
      expect(later.every((s) => s.step >= 2)).toBe(true);
      expect(later.length).toBeGreaterThan(0);

      // By time: the window of step 1's states, inclusive.
      const step1 = await r.states(1, 1);
      const times: bigint[] = [];
      const inWindow: StateMessage[] = [];
      for await (const { logTime } of r.messages<StateMessage>(TOPICS.state, { fromStep: 1, toStep: 1 })) times.push(logTime);
      const [first, last] = [times[0] ?? 0n, times[times.length - 1] ?? 0n];
      for await (const { logTime, message } of r.messages<StateMessage>(TOPICS.state, { startNs: first, endNs: last })) {
        expect(logTime >= first && logTime <= last).toBe(true);
        inWindow.push(message);
      }
      // Step 0's state and step 1's first share no time (step 1 ran physics), so the window is exactly step 1.
      expect(inWindow.map((s) => s.controlStep)).toEqual(step1.map((s) => s.controlStep));
      let transforms = 0;
      for await (const _ of r.messages(TOPICS.transforms, { fromStep: 1, toStep: 1 })) transforms++;
      expect(transforms).toBe(step1.length);
      await expect(r.states(-1, 2)).rejects.toThrow(/fromStep must be a non-negative integer/);
    } finally {
      await r.close();
    }
  });

  it('a file cut off at 50%, at 90% and just before the footer: the surviving steps are read, the problem is said', async () => {
    const bytes = readFileSync(chunked.path);
    const full = await Recording.open(chunked.path);
    const hashes: string[] = [];
    for (let k = 0; k <= full.steps; k++) hashes.push((await full.snapshot(k)).stateHash);
    await full.close();
    const footer = 1 + 8 + 8 + 8 + 4 + 8; // footer record and the closing magic
    const cuts = [Math.floor(bytes.length * 0.5), Math.floor(bytes.length * 0.9), bytes.length - footer];
    const survived: number[] = [];
    for (const cut of cuts) {
      const path = join(dir, `cut-${cut}.mcap`);
      writeFileSync(path, bytes.subarray(0, cut));
      const r = await Recording.open(path);
      try {
        expect(r.complete).toBe(false);
        expect(r.problem).toMatch(/^truncated: the file ends (inside a record|without a footer) .*no usable summary or footer.*read the valid prefix by streaming: steps 0\.\.\d+ survive whole$/);
        expect(r.metadata.seed).toBe(SEED);
        expect(r.info()).toMatchObject({ complete: false, problem: r.problem, compression: 'none' });
        for (let k = 0; k <= r.steps; k++) expect((await r.snapshot(k)).stateHash).toBe(hashes[k]);
        expect((await r.actions()).length).toBe(r.steps);
        survived.push(r.steps);
        if (cut === bytes.length - footer) {
          expect(r.steps).toBe(full.steps);
          expect((await r.result())?.stateHash).toBe(chunked.result.stateHash);
        }
      } finally {
        await r.close();
      }
    }
    expect(survived[0]).toBeLessThan(full.steps); // not vacuous: half the file is not all of it
  });

  it('not a recording: truncated inside the header, random bytes, an empty file, a missing file, an MCAP file of something else', async () => {
    const cases: [string, Uint8Array | null, RegExp][] = [
      ['header', readFileSync(pickup.path).subarray(0, 20), /the file ends inside the MCAP header/],
      ['random', Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251), /not an MCAP file/],
      ['empty', new Uint8Array(0), /the file is empty/],
      ['missing', null, /cannot open the recording: ENOENT/],
    ];
    for (const [name, content, message] of cases) {
      const path = join(dir, `${name}.mcap`);
      if (content) writeFileSync(path, content);
      const result = await openOrError(path);
      expect(result, name).toBeInstanceOf(RecordingError);
      expect((result as RecordingError).message.startsWith(`${path}: `), name).toBe(true);
      expect((result as RecordingError).message, name).toMatch(message);
    }
    // A valid MCAP file without the episode metadata.
    const path = join(dir, 'other.mcap');
    const writable = FileWritable.create(path);
    const writer = new McapWriter({ writable });
    await writer.start({ profile: 'other', library: 'test' });
    await writer.end();
    writable.close();
    await expect(Recording.open(path)).rejects.toThrow(`${path}: not an umwelt recording: it lacks the ${METADATA.episode} metadata`);
  });

  it('a flipped byte in a chunk is caught by its CRC', async () => {
    const bytes = readFileSync(chunked.path);
    const chunks = await chunksOf(chunked.path);
    expect(chunks.length).toBeGreaterThan(3);
    const flip = (at: number): string => {
      const copy = Buffer.from(bytes);
      copy[at] = (copy[at] ?? 0) ^ 0x10;
      const path = join(dir, `flip-${at}.mcap`);
      writeFileSync(path, copy);
      return path;
    };
    // In the first chunk (the scene is its first message): the index opens the file; reading that chunk fails.
    const first = chunks[0] as { start: number; length: number };
    const early = await Recording.open(flip(first.start + Math.floor(first.length / 2)));
    try {
      expect(early.complete).toBe(true);
      const scene = async (): Promise<void> => {
        for await (const _ of early.messages(TOPICS.scene));
      };
      await expect(scene()).rejects.toThrow(/: cannot read \/foxglove\/scene: the file is damaged: Incorrect chunk CRC \d+ \(expected \d+\)$/);
      await expect(scene()).rejects.toThrow(RecordingError);
    } finally {
      await early.close();
    }
    // In the last chunk (where the result is): open falls back to the prefix before it.
    const last = chunks[chunks.length - 1] as { start: number; length: number };
    const late = await Recording.open(flip(last.start + Math.floor(last.length / 2)));
    try {
      expect(late.complete).toBe(false);
      expect(late.problem).toMatch(new RegExp(`^damaged data in the chunk at byte ${last.start}: Incorrect chunk CRC \\d+ \\(expected \\d+\\)`));
      expect(late.steps).toBeLessThanOrEqual(chunked.result.steps);
      await late.snapshot(0);
    } finally {
      await late.close();
    }
  });

  it('a message that is not what its schema says is a RecordingError naming the topic and the step', async () => {
    // Copy the recording through @mcap/core with the action of step 1 broken (its CRCs are then valid).
    const source = await open(open3.path, 'r');
    const path = join(dir, 'tampered.mcap');
    const writable = FileWritable.create(path);
    try {
      const readable = new FileReadable(source, (await source.stat()).size);
      const reader = await McapIndexedReader.Initialize({ readable, decompressHandlers: await decompressHandlers() });
      const writer = new McapWriter({ writable });
      await writer.start(reader.header);
      const ids = new Map<number, number>();
      for (const [id, channel] of reader.channelsById) {
        const schema = reader.schemasById.get(channel.schemaId);
        const schemaId = schema ? await writer.registerSchema({ name: schema.name, encoding: schema.encoding, data: schema.data }) : 0;
        ids.set(id, await writer.registerChannel({ ...channel, schemaId }));
      }
      for await (const m of reader.readMetadata({ name: METADATA.episode })) await writer.addMetadata(m);
      for await (const m of reader.readMessages()) {
        let data = m.data;
        if (reader.channelsById.get(m.channelId)?.topic === TOPICS.action) {
          const action = JSON.parse(new TextDecoder().decode(data)) as Record<string, unknown>;
          if (action.step === 1) data = new TextEncoder().encode(JSON.stringify({ ...action, outcome: { ok: 'yes' } }));
        }
        await writer.addMessage({ ...m, channelId: ids.get(m.channelId) ?? 0, data });
      }
      for await (const m of reader.readMetadata({ name: METADATA.steps })) await writer.addMetadata(m);
      await writer.end();
    } finally {
      writable.close();
      await source.close();
    }
    const r = await Recording.open(path);
    try {
      expect(r.complete).toBe(true);
      await expect(r.actions()).rejects.toThrow(new RegExp(`^${path}: bad /umwelt/action message \\(step 1, at \\d+ ns\\): \\$\\.outcome`));
    } finally {
      await r.close();
    }
  });
});

describe('recording from the command line and the harness', () => {
  it('umwelt run --record writes a complete recording of the episode shown', async () => {
    const path = join(dir, 'cli-run.mcap');
    const run = await umwelt('run', '--family', 'goto', '--seed', '1000001', '--max-steps', String(MAX_STEPS), '--record', path, '--json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { steps: number; stateHash: string; recording: string };
    expect(report.recording).toBe(path);
    const r = await Recording.open(path);
    try {
      expect(r.complete).toBe(true);
      expect(r.steps).toBe(report.steps);
      expect(r.metadata).toMatchObject({ seed: 1_000_001, family: 'goto', source: { kind: 'family', family: 'goto' }, planner: { name: 'oracle' } });
      expect((await r.result())?.stateHash).toBe(report.stateHash);
    } finally {
      await r.close();
    }
  });

  it('umwelt eval --record writes one file per episode, and the results are byte-identical to a run without', async () => {
    const scenario = join(dir, 'small.json');
    writeFileSync(scenario, JSON.stringify({ version: 1, name: 'small', families: ['goto', 'open', 'pickup'], seeds: { start: 0, count: 1 }, maxSteps: MAX_STEPS }));
    const recordedOut = join(dir, 'eval-recorded');
    const plainOut = join(dir, 'eval-plain');
    const [run, plain] = await Promise.all([
      umwelt('eval', scenario, '--planner', 'oracle,random', '--workers', '1', '--out', recordedOut, '--record', '--json'),
      evaluate({ source: scenario, planners: ['oracle', 'random'], workers: 1, out: plainOut }),
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as { complete: boolean; recordings: string };
    expect(summary.complete).toBe(true);
    expect(plain.recordings).toBeNull();
    const journal = (out: string): EpisodeRecord[] =>
      readFileSync(join(out, 'episodes.jsonl'), 'utf8')
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => EpisodeRecordSchema.parse(JSON.parse(l)));
    const canonical = (records: EpisodeRecord[]): string => records.map((r) => JSON.stringify(deterministicPart(r))).sort().join('\n');
    const records = journal(recordedOut);
    expect(records).toHaveLength(6);
    expect(canonical(records)).toBe(canonical(journal(plainOut)));

    const recordings = join(recordedOut, 'recordings');
    expect(summary.recordings).toBe(recordings);
    expect(readdirSync(recordings).sort()).toEqual(records.map((r) => recordingFile(r.id)).sort());
    expect(recordingFile('small:oracle:goto:1000000')).toBe('small_oracle_goto_1000000.mcap');
    for (const record of records) {
      const r = await Recording.open(join(recordings, recordingFile(record.id)));
      try {
        expect(r.complete).toBe(true);
        expect(r.metadata).toMatchObject({ seed: record.seed, family: record.family, planner: { name: record.planner }, source: { kind: 'family', family: record.family } });
        expect(r.steps).toBe(record.result.steps);
        expect((await r.result())?.stateHash).toBe(record.result.stateHash);
      } finally {
        await r.close();
      }
    }
  });

  it('a scripted scenario episode is recorded with its module as the source, and the same result', async () => {
    const source = await loadSource(join(ROOT, 'scenes/scenarios/examples/changed-mind.ts'));
    const spec = planEpisodes(source, { planners: [], episodesPerFamily: 1 })[0];
    if (!spec) throw new Error('the example scenario has no episode');
    const recordDir = join(dir, 'scripted');
    mkdirSync(recordDir);
    const [recorded, plain] = [await runSpec(spec, { recordDir }), await runSpec(spec)];
    expect(JSON.stringify(deterministicPart(recorded))).toBe(JSON.stringify(deterministicPart(plain)));
    const r = await Recording.open(join(recordDir, recordingFile(spec.id)));
    try {
      expect(r.complete).toBe(true);
      expect(r.metadata.source).toEqual({ kind: 'scripted', path: spec.scenarioPath, family: spec.family });
      expect((await r.result())?.stateHash).toBe(recorded.result.stateHash);
      expect(r.steps).toBe(recorded.result.steps);
    } finally {
      await r.close();
    }
  });
});
