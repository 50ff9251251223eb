// The recorder, checked with readers we did not write: real oracle episodes (real physics) recorded to real files,
// read back with @mcap/core's McapIndexedReader (chunk CRCs validated) and McapStreamReader. Every topic with its
// schema, message counts that match the episode, log times that are simulated time and never go back, Foxglove
// messages that conform to Foxglove's own JSON Schemas, results that recording does not change, and a full disk
// reported by close() with the path.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as foxglove from '@foxglove/schemas/jsonschema.js';
import zstd from '@foxglove/wasm-zstd';
import { McapIndexedReader, McapStreamReader, type McapTypes } from '@mcap/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEpisode, type EpisodeResult, type LoopEvent } from '../../agent/loop.ts';
import { OraclePlanner } from '../../agent/planners/oracle.ts';
import { METADATA, MCAP_PROFILE, simTimeNs, TOPICS, type SnapshotMessage, type StateMessage } from '../../record/format.ts';
import { EpisodeRecorder, type RecorderOptions } from '../../record/recorder.ts';
import { familyEnv } from '../../scenes/env.ts';
import type { FamilyName } from '../../scenes/family-names.ts';

const dir = mkdtempSync(join(tmpdir(), 'umwelt-recorder-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  await zstd.isLoaded;
});

const SEED = 1_000_000;
const MAX_STEPS = 15;

interface Recorded {
  path: string;
  result: EpisodeResult;
  /** Control steps after episode-start, counted by a listener of our own. */
  controlSteps: number;
  events: LoopEvent[];
}

async function record(family: FamilyName, name: string, options: Partial<RecorderOptions> = {}): Promise<Recorded> {
  const env = familyEnv(family, { maxSteps: MAX_STEPS });
  const path = join(dir, `${name}.mcap`);
  const recorder = await EpisodeRecorder.create(path, { env, source: { kind: 'family', family }, planner: { name: 'oracle' }, ...options });
  const events: LoopEvent[] = [];
  let controlSteps = 0;
  env.onControlStep(() => {
    if (events.length > 0) controlSteps++;
  });
  const result = await runEpisode({
    env,
    planner: new OraclePlanner(env),
    seed: SEED,
    onEvent: (e) => {
      events.push(e);
      recorder.onEvent(e);
    },
  });
  await recorder.close();
  return { path, result, controlSteps, events };
}

function readable(handle: FileHandle, size: number): McapTypes.IReadable {
  return {
    size: () => Promise.resolve(BigInt(size)),
    read: async (offset, length) => {
      const buffer = new Uint8Array(Number(length));
      const { bytesRead } = await handle.read(buffer, 0, buffer.byteLength, Number(offset));
      if (bytesRead !== buffer.byteLength) throw new Error('short read');
      return buffer;
    },
  };
}

const decompressHandlers: McapTypes.DecompressHandlers = { zstd: (buffer, size) => zstd.decompress(buffer, Number(size)) };

interface Read {
  reader: McapIndexedReader;
  messages: { topic: string; sequence: number; logTime: bigint; value: unknown }[];
  metadata: Map<string, Map<string, string>>;
}

async function readIndexed(path: string): Promise<Read> {
  const handle = await open(path, 'r');
  try {
    const reader = await McapIndexedReader.Initialize({ readable: readable(handle, (await handle.stat()).size), decompressHandlers });
    const messages: Read['messages'] = [];
    for await (const m of reader.readMessages({ validateCrcs: true })) {
      const topic = reader.channelsById.get(m.channelId)?.topic ?? '?';
      messages.push({ topic, sequence: m.sequence, logTime: m.logTime, value: JSON.parse(new TextDecoder().decode(m.data)) });
    }
    const metadata = new Map<string, Map<string, string>>();
    for await (const m of reader.readMetadata()) metadata.set(m.name, m.metadata);
    return { reader, messages, metadata };
  } finally {
    await handle.close();
  }
}

const count = (read: Read, topic: string): number => read.messages.filter((m) => m.topic === topic).length;
const valuesOf = <T>(read: Read, topic: string): T[] => read.messages.filter((m) => m.topic === topic).map((m) => m.value as T);

type JsonSchema = { type?: string; properties?: Record<string, JsonSchema>; required?: string[]; items?: JsonSchema; oneOf?: { const?: unknown }[]; minimum?: number };

/** The subset of JSON Schema Foxglove's schemas use: types, properties (all present), items, enums, minimum. */
function conform(schema: JsonSchema, value: unknown, path: string, problems: string[]): void {
  if (schema.oneOf) {
    if (!schema.oneOf.some((s) => s.const === value)) problems.push(`${path}: ${JSON.stringify(value)} is none of the allowed values`);
    return;
  }
  switch (schema.type) {
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        problems.push(`${path}: not an object`);
        return;
      }
      const record = value as Record<string, unknown>;
      for (const [key, sub] of Object.entries(schema.properties ?? {})) {
        if (!(key in record)) problems.push(`${path}.${key}: missing`);
        else conform(sub, record[key], `${path}.${key}`, problems);
      }
      for (const key of Object.keys(record)) if (!(key in (schema.properties ?? {}))) problems.push(`${path}.${key}: not in the schema`);
      return;
    }
    case 'array':
      if (!Array.isArray(value)) problems.push(`${path}: not an array`);
      else value.forEach((v, i) => schema.items && conform(schema.items, v, `${path}[${i}]`, problems));
      return;
    case 'number':
    case 'integer':
      if (typeof value !== 'number' || !Number.isFinite(value) || (schema.type === 'integer' && !Number.isInteger(value))) problems.push(`${path}: not a ${schema.type}`);
      else if (schema.minimum !== undefined && value < schema.minimum) problems.push(`${path}: below ${schema.minimum}`);
      return;
    case 'string':
      if (typeof value !== 'string') problems.push(`${path}: not a string`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') problems.push(`${path}: not a boolean`);
      return;
    default:
      problems.push(`${path}: schema type ${String(schema.type)} not understood by this test`);
  }
}

const EXPECTED_SCHEMAS: Record<string, string> = {
  [TOPICS.observation]: 'umwelt.Observation',
  [TOPICS.decision]: 'umwelt.Decision',
  [TOPICS.action]: 'umwelt.Action',
  [TOPICS.reward]: 'umwelt.Reward',
  [TOPICS.state]: 'umwelt.State',
  [TOPICS.snapshot]: 'umwelt.Snapshot',
  [TOPICS.result]: 'umwelt.Result',
  [TOPICS.scene]: 'foxglove.SceneUpdate',
  [TOPICS.transforms]: 'foxglove.FrameTransforms',
  [TOPICS.log]: 'foxglove.Log',
};

describe('EpisodeRecorder', () => {
  const families: FamilyName[] = ['goto', 'open', 'pickup'];
  const recorded = new Map<FamilyName, Recorded>();
  beforeAll(async () => {
    for (const family of families) recorded.set(family, await record(family, family));
  });

  it.each(families)('%s: every topic with its schema, counts that match the episode, CRCs valid (McapIndexedReader)', async (family) => {
    const r = recorded.get(family) as Recorded;
    const read = await readIndexed(r.path);
    const steps = r.result.steps;
    expect(steps).toBeGreaterThan(0);
    expect(read.reader.header.profile).toBe(MCAP_PROFILE);
    expect(read.reader.chunkIndexes.every((c) => c.compression === 'zstd')).toBe(true);

    const channels = [...read.reader.channelsById.values()];
    expect(channels.map((c) => c.topic).sort()).toEqual(Object.keys(EXPECTED_SCHEMAS).sort());
    for (const c of channels) {
      const schema = read.reader.schemasById.get(c.schemaId);
      expect(schema?.name, c.topic).toBe(EXPECTED_SCHEMAS[c.topic]);
      expect(schema?.encoding).toBe('jsonschema');
      expect(c.messageEncoding).toBe('json');
      const json = JSON.parse(new TextDecoder().decode(schema?.data)) as { title?: string; type?: string };
      expect(json.title).toBe(schema?.name);
      expect(json.type).toBe('object');
    }

    expect(count(read, TOPICS.decision)).toBe(steps);
    expect(count(read, TOPICS.action)).toBe(steps);
    expect(count(read, TOPICS.reward)).toBe(steps);
    expect(count(read, TOPICS.observation)).toBe(steps + 1);
    expect(count(read, TOPICS.snapshot)).toBe(steps + 1);
    expect(count(read, TOPICS.state)).toBe(r.controlSteps + 1);
    expect(count(read, TOPICS.transforms)).toBe(r.controlSteps + 1);
    expect(count(read, TOPICS.scene)).toBe(1);
    expect(count(read, TOPICS.result)).toBe(1);
    expect(count(read, TOPICS.log)).toBeGreaterThanOrEqual(2 * steps); // a thought or an action, and an outcome
    expect(BigInt(read.messages.length)).toBe(read.reader.statistics?.messageCount);

    // One sequence counter over the file, in write order; log times never go back.
    read.messages.forEach((m, i) => expect(m.sequence).toBe(i));
    for (let i = 1; i < read.messages.length; i++) {
      expect(read.messages[i]?.logTime).toBeGreaterThanOrEqual(read.messages[i - 1]?.logTime ?? 0n);
    }
    // Log times are simulated time: the state's and the snapshot's own physics clocks say the same.
    const dt = r.result.metrics.simSeconds / r.result.metrics.physicsSteps;
    for (const m of read.messages.filter((x) => x.topic === TOPICS.state)) {
      const state = m.value as StateMessage;
      expect(m.logTime).toBe(simTimeNs(state.physicsSteps * dt));
      expect(state.simSeconds).toBeCloseTo(state.physicsSteps * dt, 12);
    }
    for (const m of read.messages.filter((x) => x.topic === TOPICS.snapshot)) {
      expect(m.logTime).toBe(simTimeNs((m.value as SnapshotMessage).snapshot.world.physicsSteps * dt));
    }
    const last = read.messages[read.messages.length - 1];
    expect(last?.topic).toBe(TOPICS.result);
    expect(last?.logTime).toBe(simTimeNs(r.result.metrics.simSeconds));

    // The steps and their hashes are the episode's.
    const actions = valuesOf<{ step: number; stateHash: string }>(read, TOPICS.action);
    const ends = r.events.filter((e): e is Extract<LoopEvent, { type: 'action-end' }> => e.type === 'action-end');
    expect(actions.map((a) => [a.step, a.stateHash])).toEqual(ends.map((e) => [e.step, e.stateHash]));
    const states = valuesOf<StateMessage>(read, TOPICS.state);
    expect(states[0]?.step).toBe(0);
    expect(states[0]?.controlStep).toBe(3); // the reset's settling control steps come first
    expect(states.map((s) => s.controlStep)).toEqual(states.map((_, i) => 3 + i));
    // A state's hash is taken mid-step (the step counter moves on when the step ends): the last snapshot is the end.
    const snapshots = valuesOf<SnapshotMessage>(read, TOPICS.snapshot);
    expect(snapshots.map((s) => s.step)).toEqual(snapshots.map((_, i) => i));
    expect(snapshots[snapshots.length - 1]?.stateHash).toBe(r.result.stateHash);

    expect([...read.metadata.keys()]).toEqual([METADATA.episode, METADATA.steps]);
    expect(JSON.parse(read.metadata.get(METADATA.steps)?.get('steps') ?? '[]')).toHaveLength(steps + 1);
  });

  it('McapStreamReader reads every record to the footer', async () => {
    for (const family of families) {
      const r = recorded.get(family) as Recorded;
      const reader = new McapStreamReader({ decompressHandlers, validateCrcs: true });
      reader.append(readFileSync(r.path));
      const types = new Map<string, number>();
      for (let record; (record = reader.nextRecord()); ) types.set(record.type, (types.get(record.type) ?? 0) + 1);
      expect(reader.done()).toBe(true);
      expect(reader.bytesRemaining()).toBe(0);
      const read = await readIndexed(r.path);
      expect(types.get('Message')).toBe(read.messages.length);
      expect(types.get('Metadata')).toBe(2);
      expect(types.get('Footer')).toBe(1);
      expect(types.get('DataEnd')).toBe(1);
    }
  });

  it("the Foxglove topics conform to Foxglove's JSON Schemas, and every entity's frame has a transform", async () => {
    const read = await readIndexed((recorded.get('open') as Recorded).path);
    const problems: string[] = [];
    const schemas: Record<string, JsonSchema> = {
      [TOPICS.scene]: foxglove.SceneUpdate,
      [TOPICS.transforms]: foxglove.FrameTransforms,
      [TOPICS.log]: foxglove.Log,
    };
    for (const m of read.messages) {
      const schema = schemas[m.topic];
      if (schema) conform(schema, m.value, `${m.topic}@${m.logTime}`, problems);
    }
    expect(problems.slice(0, 5)).toEqual([]);

    type Scene = { entities: { frame_id: string; cubes: unknown[]; spheres: unknown[]; cylinders: unknown[] }[] };
    type Transforms = { transforms: { parent_frame_id: string; child_frame_id: string }[] };
    const scene = valuesOf<Scene>(read, TOPICS.scene)[0] as Scene;
    const all = valuesOf<Transforms>(read, TOPICS.transforms);
    const first = new Set((all[0] as Transforms).transforms.map((t) => t.child_frame_id));
    for (const e of scene.entities) {
      expect(first.has(e.frame_id), e.frame_id).toBe(true);
      expect(e.cubes.length + e.spheres.length + e.cylinders.length).toBeGreaterThan(0);
    }
    const frames = scene.entities.map((e) => e.frame_id);
    expect(frames).toEqual(expect.arrayContaining(['robot', 'hand', 'walls']));
    expect(frames.some((f) => f.endsWith(':part'))).toBe(true); // doors and drawers in frames of their own
    expect(all.every((t) => t.transforms.every((x) => x.parent_frame_id === 'world'))).toBe(true);
    // Every sample has the robot; the first of each step has every frame again.
    expect(all.every((t) => t.transforms.some((x) => x.child_frame_id === 'robot'))).toBe(true);
    const logs = valuesOf<{ level: number; message: string }>(read, TOPICS.log);
    expect(logs.some((l) => l.level === 2 && /step 1: /.test(l.message))).toBe(true);
  });

  it('recording does not change the episode', async () => {
    const r = recorded.get('pickup') as Recorded;
    const env = familyEnv('pickup', { maxSteps: MAX_STEPS });
    const bare = await runEpisode({ env, planner: new OraclePlanner(env), seed: SEED });
    expect(JSON.stringify(bare)).toBe(JSON.stringify(r.result));
  });

  it('writes uncompressed chunks with compression "none", and small chunks with a small chunkSize', async () => {
    const r = await record('goto', 'goto-none', { compression: 'none', chunkSize: 16 * 1024 });
    const read = await readIndexed(r.path);
    expect(read.reader.chunkIndexes.length).toBeGreaterThan(5);
    expect(read.reader.chunkIndexes.every((c) => c.compression === '')).toBe(true);
    const zstdFile = await readIndexed((recorded.get('goto') as Recorded).path);
    expect(read.messages.map((m) => [m.topic, m.sequence, m.logTime])).toEqual(zstdFile.messages.map((m) => [m.topic, m.sequence, m.logTime]));
  });

  it.skipIf(!existsSync('/dev/full'))('a full disk: close() rejects with the path, and the episode is unaffected', async () => {
    const env = familyEnv('goto', { maxSteps: MAX_STEPS });
    const recorder = await EpisodeRecorder.create('/dev/full', { env, source: { kind: 'family', family: 'goto' }, planner: { name: 'oracle' } });
    const result = await runEpisode({ env, planner: new OraclePlanner(env), seed: SEED, onEvent: recorder.onEvent });
    await expect(recorder.close()).rejects.toThrow(/^\/dev\/full: cannot write the recording: ENOSPC/);
    await expect(recorder.close()).rejects.toThrow(/\/dev\/full/); // idempotent
    expect(result.stateHash).toBe((recorded.get('goto') as Recorded).result.stateHash);
  });

  it('a file that cannot be created is a RecorderError naming it', async () => {
    const env = familyEnv('goto', { maxSteps: MAX_STEPS });
    const path = join(dir, 'no-such-dir', 'x.mcap');
    await expect(EpisodeRecorder.create(path, { env, source: { kind: 'family', family: 'goto' }, planner: { name: 'oracle' } })).rejects.toThrow(
      `${path}: cannot create the recording: ENOENT`,
    );
  });
});
