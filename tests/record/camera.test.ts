// Camera images in recordings, and recording into memory (the browser's way): an oracle episode recorded by
// EpisodeRecorder.toWritable into a BytesWritable, with PNG images of every kind added as the browser app adds them
// (after reset, after every step, the last one before the result), reads back through Recording.fromBytes and
// @mcap/core's own indexed reader: every image byte for byte, one per step and kind, on its topic with its schema,
// stamped with the simulated time; the recording still verifies. Bad images are RecorderErrors naming what is wrong.
// A file recording (`EpisodeRecorder.create(path)`, as `umwelt run --record` makes it) is unchanged: the same bytes
// as the in-memory recording of the same episode, no camera topics. The new modules use no Node built-ins.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { deflateSync } from 'node:zlib';
import { McapIndexedReader } from '@mcap/core';
import { afterAll, describe, expect, it } from 'vitest';
import { runEpisode, type EpisodeResult, type LoopEvent } from '../../agent/loop.ts';
import type { Planner } from '../../agent/planner.ts';
import { OraclePlanner } from '../../agent/planners/oracle.ts';
import { BytesWritable, openRecordingBytes, verify } from '../../record/browser.ts';
import { encodedSize, fromBase64, toBase64 } from '../../record/camera.ts';
import { decompressHandlers } from '../../record/compression.ts';
import { CAMERA_FRAME, CAMERA_KINDS, CAMERA_TOPICS, DEPTH_RANGE_M, TOPICS, type CameraImage, type CameraKind } from '../../record/format.ts';
import { Recording } from '../../record/reader.ts';
import { EpisodeRecorder, RecorderError } from '../../record/recorder.ts';
import { EpisodeRecorder as CoreRecorder } from '../../record/recorder-core.ts';
import { packageVersions } from '../../record/versions.ts';
import { familyEnv } from '../../scenes/env.ts';
import { DEFAULT_SENSOR } from '../../sim/sensor.ts';
import { ROOT } from '../cli/run-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'umwelt-camera-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SEED = 1_000_000;
const FAMILY = 'goto';

// ---- a small PNG encoder (RGB, 8 bits, no filtering), so that the images are real PNGs -------------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const out = Buffer.alloc(12 + data.byteLength);
  out.writeUInt32BE(data.byteLength, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), 8 + data.byteLength);
  return out;
}
/** A width x height RGB PNG whose pixels are `pixel(x, y)` (0xRRGGBB). */
function png(width: number, height: number, pixel: (x: number, y: number) => number): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const raw = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = pixel(x, y);
      raw.set([(p >> 16) & 255, (p >> 8) & 255, p & 255], y * (1 + width * 3) + 1 + x * 3);
    }
  }
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return new Uint8Array(Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))]));
}

/** The three images of a moment: different content per kind and per capture. */
function images(capture: number, width = 16, height = 12): CameraImage[] {
  return CAMERA_KINDS.map((kind, k) => ({
    kind,
    format: 'png' as const,
    data: png(width, height, (x, y) => ((x * 16 + capture * 7) << 16) | ((y * 20 + k * 50) << 8) | ((capture * 31 + x + y) & 255)),
    width,
    height,
  }));
}

/** A minimal JPEG: SOI, an APP0 segment, then a baseline frame header (SOF0) of the given size. */
function jpegHeader(width: number, height: number): Uint8Array {
  const app0 = [0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00];
  const sof0 = [0xff, 0xc0, 0x00, 0x0b, 0x08, height >> 8, height & 255, width >> 8, width & 255, 0x01, 0x01, 0x11, 0x00];
  return new Uint8Array([0xff, 0xd8, ...app0, ...sof0, 0xff, 0xd9]);
}

// ---- recording an episode with camera images, as the browser's world worker does ------------------------------------

interface CameraRun {
  recorder: CoreRecorder;
  result: EpisodeResult;
  /** The images added, per capture (0: after reset, k: after step k). */
  added: CameraImage[][];
}

/**
 * An oracle episode recorded by `recorder`; with `camera`, images after reset and before every decision (the page's
 * gate) and after the end, with the result held back until the last ones are in (the world worker's order).
 */
async function runWith(make: (env: ReturnType<typeof familyEnv>) => Promise<CoreRecorder>, camera: boolean): Promise<CameraRun> {
  const env = familyEnv(FAMILY, { maxSteps: 15 });
  const recorder = await make(env);
  const added: CameraImage[][] = [];
  const capture = (): void => {
    const shot = images(added.length);
    for (const image of shot) recorder.camera(image);
    added.push(shot);
  };
  const oracle: Planner = new OraclePlanner(env);
  const planner: Planner = {
    name: oracle.name,
    decide: (context, options) => {
      if (camera) capture();
      return oracle.decide(context, options);
    },
  };
  let end: LoopEvent | null = null;
  const result = await runEpisode({
    env,
    planner,
    seed: SEED,
    onEvent: (e) => {
      if (camera && e.type === 'episode-end') end = e;
      else recorder.onEvent(e);
    },
  });
  if (camera) {
    capture();
    if (end) recorder.onEvent(end);
  }
  await recorder.close();
  return { recorder, result, added };
}

async function inMemory(camera: boolean, packages?: Record<string, string>): Promise<CameraRun & { bytes: Uint8Array }> {
  const writable = new BytesWritable();
  const run = await runWith((env) => CoreRecorder.toWritable(writable, { env, name: 'memory.mcap', source: { kind: 'family', family: FAMILY }, planner: { name: 'oracle' }, packages }), camera);
  return { ...run, bytes: writable.bytes() };
}

describe('camera images in a recording made in memory', () => {
  it('read back byte for byte through Recording.fromBytes: one per step and kind, with its step, time and frame', async () => {
    const { bytes, result, added } = await inMemory(true);
    expect(result.success).toBe(true);
    expect(result.steps).toBeGreaterThan(1);
    expect(added.length).toBe(result.steps + 1);
    const recording = await openRecordingBytes(bytes, 'memory.mcap');
    try {
      expect(recording.complete).toBe(true);
      expect(recording.steps).toBe(result.steps);
      const info = recording.info();
      for (const kind of CAMERA_KINDS) {
        expect(info.channels).toContainEqual({ topic: CAMERA_TOPICS[kind], schema: 'foxglove.CompressedImage', messages: result.steps + 1 });
      }
      const states = await recording.states();
      for (const [k, kind] of CAMERA_KINDS.entries()) {
        const frames = await recording.cameraFrames(kind);
        expect(frames.map((f) => f.step)).toEqual(added.map((_, step) => step));
        frames.forEach((f, step) => {
          const image = added[step]![k]!;
          expect(f.kind).toBe(kind);
          expect(f.format).toBe('png');
          expect([f.width, f.height]).toEqual([16, 12]);
          expect(Buffer.from(f.data).equals(Buffer.from(image.data))).toBe(true);
          expect(f.frameId).toBe(CAMERA_FRAME);
          expect(BigInt(f.timestamp.sec) * 1_000_000_000n + BigInt(f.timestamp.nsec)).toBe(f.logTime);
          // The simulated time of the state it shows: that of the step's last state message.
          const last = states.filter((s) => s.step === step).at(-1)!;
          expect(Number(f.logTime) / 1e9).toBeCloseTo(last.simSeconds, 6);
        });
        // By step, as every other topic.
        const two = await recording.cameraFrames(kind, { fromStep: 2, toStep: 2 });
        expect(two.map((f) => f.step)).toEqual([2]);
      }
      // The result comes after the last images; the episode still verifies.
      expect((await recording.result())?.success).toBe(true);
      const verified = await verify(recording);
      expect(verified.verified).toBe(true);
    } finally {
      await recording.close();
    }

    // @mcap/core's own reader agrees: three CompressedImage channels, JSON encoding, base64 data.
    const reader = await McapIndexedReader.Initialize({
      readable: { size: () => Promise.resolve(BigInt(bytes.byteLength)), read: (o, s) => Promise.resolve(bytes.slice(Number(o), Number(o + s))) },
      decompressHandlers: await decompressHandlers(),
    });
    const topics = [...reader.channelsById.values()].filter((c) => c.topic.startsWith('/foxglove/camera/'));
    expect(topics.map((c) => c.topic).sort()).toEqual([TOPICS.cameraDepth, TOPICS.cameraRgb, TOPICS.cameraSegmentation]);
    for (const c of topics) {
      expect(c.messageEncoding).toBe('json');
      expect(reader.schemasById.get(c.schemaId)?.name).toBe('foxglove.CompressedImage');
    }
    let first: unknown = null;
    for await (const m of reader.readMessages({ topics: [TOPICS.cameraRgb] })) {
      first = JSON.parse(new TextDecoder().decode(m.data));
      break;
    }
    expect(first).toMatchObject({ frame_id: CAMERA_FRAME, format: 'png', data: Buffer.from(added[0]![0]!.data).toString('base64') });
  });

  it('rejects bad images with a RecorderError naming the problem, and images outside the episode', async () => {
    const env = familyEnv(FAMILY, { maxSteps: 3 });
    const writable = new BytesWritable();
    const recorder = await CoreRecorder.toWritable(writable, { env, name: 'bad.mcap', source: { kind: 'family', family: FAMILY }, planner: { name: 'oracle' } });
    const good = images(0)[0]!;
    expect(() => recorder.camera(good)).toThrow(RecorderError);
    expect(() => recorder.camera(good)).toThrow('bad.mcap: a camera image before the episode started');
    let thrown: unknown[] = [];
    let end: LoopEvent | null = null;
    await runEpisode({
      env,
      planner: new OraclePlanner(env),
      seed: SEED,
      onEvent: (e) => {
        if (e.type === 'episode-end') {
          end = e;
          return;
        }
        recorder.onEvent(e);
        if (e.type !== 'episode-start') return;
        const bad: [Partial<CameraImage> & Record<string, unknown>, RegExp][] = [
          [{ ...good, kind: 'thermal' as CameraKind }, /kind must be one of rgb, depth, segmentation, got thermal/],
          [{ ...good, format: 'gif' as 'png' }, /format must be one of png, jpeg, got gif/],
          [{ ...good, width: 0 }, /width must be an integer in 1\.\.8192, got 0/],
          [{ ...good, height: 1.5 }, /height must be an integer/],
          [{ ...good, width: 17 }, /the PNG is 16x12, not the 17x12 given/],
          [{ ...good, data: new Uint8Array(0) }, /data is empty/],
          [{ ...good, data: new TextEncoder().encode('not an image at all, certainly not a png') }, /data is not a PNG image/],
          [{ ...good, data: [1, 2, 3] as unknown as Uint8Array }, /data must be a Uint8Array/],
          [{ ...good, format: 'jpeg' }, /data is not a JPEG image/],
          [{ ...good, format: 'jpeg', data: jpegHeader(640, 480) }, /the JPEG is 640x480, not the 16x12 given/],
        ];
        thrown = bad.map(([image, pattern]) => {
          try {
            recorder.camera(image as CameraImage);
            return `accepted: ${String(pattern)}`;
          } catch (error) {
            return error instanceof RecorderError && pattern.test(error.message) && error.message.startsWith('bad.mcap: bad camera image: ') ? 'ok' : String(error);
          }
        });
        // A JPEG of the right size is fine.
        recorder.camera({ kind: 'rgb', format: 'jpeg', data: jpegHeader(16, 12), width: 16, height: 12 });
      },
    });
    expect(thrown.length).toBe(10);
    expect(thrown.every((t) => t === 'ok'), thrown.join('\n')).toBe(true);
    recorder.onEvent(end!);
    expect(() => recorder.camera(good)).toThrow('bad.mcap: a camera image after the episode ended');
    await recorder.close();
    expect(() => recorder.camera(good)).toThrow('bad.mcap: a camera image after close()');
    // None of the rejected images reached the file; the JPEG did.
    const recording = await openRecordingBytes(writable.bytes(), 'bad.mcap');
    const rgb = await recording.cameraFrames('rgb');
    expect(rgb.map((f) => [f.format, f.width, f.height, f.step])).toEqual([['jpeg', 16, 12, 0]]);
    expect(await recording.cameraFrames('depth')).toEqual([]);
    await recording.close();
  });

  it('a file recording (EpisodeRecorder.create, as umwelt run --record) is unchanged: the same bytes, no camera topics', async () => {
    const path = join(dir, 'file.mcap');
    const fromFile = await runWith((env) => EpisodeRecorder.create(path, { env, source: { kind: 'family', family: FAMILY }, planner: { name: 'oracle' } }), false);
    expect(fromFile.recorder).toBeInstanceOf(EpisodeRecorder);
    expect(fromFile.recorder.path).toBe(path);
    const memory = await inMemory(false, packageVersions());
    const file = new Uint8Array(readFileSync(path));
    expect(file.byteLength).toBe(memory.bytes.byteLength);
    expect(Buffer.from(file).equals(Buffer.from(memory.bytes))).toBe(true);
    const recording = await Recording.open(path);
    try {
      expect(recording.info().channels.some((c) => c.topic.startsWith('/foxglove/camera'))).toBe(false);
      expect(recording.metadata.packages['umwelt']).toBe(packageVersions()['umwelt']);
      expect(await recording.cameraFrames('rgb')).toEqual([]);
    } finally {
      await recording.close();
    }
    // toWritable without versions records none (the browser has no package.json files to read).
    const bare = await openRecordingBytes((await inMemory(false)).bytes, 'bare.mcap');
    expect(bare.metadata.packages).toEqual({});
    await bare.close();
  });

  it('a creation failure still names the file; toWritable rejects a bad chunk size', async () => {
    const env = familyEnv(FAMILY, { maxSteps: 3 });
    await expect(EpisodeRecorder.create(join(dir, 'missing', 'x.mcap'), { env, source: { kind: 'family', family: FAMILY }, planner: { name: 'oracle' } })).rejects.toThrow(
      /missing\/x\.mcap: cannot create the recording: ENOENT/,
    );
    await expect(CoreRecorder.toWritable(new BytesWritable(), { env, name: 'm', source: { kind: 'family', family: FAMILY }, planner: { name: 'oracle' }, chunkSize: 0 })).rejects.toThrow(
      RecorderError,
    );
  });
});

describe('camera helpers', () => {
  it('base64 round-trips like Buffer, and rejects what is not base64', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 255, 256, 10_000]) {
      const bytes = new Uint8Array(n).map((_, i) => (i * 37 + n) & 255);
      const text = toBase64(bytes);
      expect(text).toBe(Buffer.from(bytes).toString('base64'));
      expect(Buffer.from(fromBase64(text)!).equals(Buffer.from(bytes))).toBe(true);
    }
    expect(fromBase64('abc')).toBeNull();
    expect(fromBase64('ab$=')).toBeNull();
    expect(fromBase64('a=bc')).toBeNull();
  });

  it('reads the size of PNG and JPEG images', () => {
    expect(encodedSize(png(160, 120, () => 0), 'png')).toEqual({ width: 160, height: 120 });
    expect(encodedSize(jpegHeader(321, 7), 'jpeg')).toEqual({ width: 321, height: 7 });
    expect(encodedSize(png(3, 3, () => 0), 'jpeg')).toBeNull();
    expect(encodedSize(jpegHeader(3, 3), 'png')).toBeNull();
  });

  it('the depth range is the sensor range', () => {
    expect(DEPTH_RANGE_M).toBe(DEFAULT_SENSOR.range);
  });

  it('the in-memory recording path reaches no Node built-in', () => {
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    const seen = new Set<string>();
    const reached: string[] = [];
    const queue = ['record/recorder-core.ts', 'record/bytes-writable.ts', 'record/camera.ts', 'record/browser.ts'].map((p) => resolve(ROOT, p));
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
      for (const m of code.matchAll(/\b(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
        const spec = m[1]!;
        if (spec.startsWith('.')) queue.push(resolve(dirname(file), spec));
        else if (spec.startsWith('node:') || builtins.has(spec.split('/')[0]!)) reached.push(`${relative(ROOT, file)} imports ${spec}`);
      }
    }
    expect(reached).toEqual([]);
    expect([...seen].map((f) => relative(ROOT, f))).toEqual(expect.arrayContaining(['record/recorder-core.ts', 'record/foxglove.ts', 'sim/world.ts']));
    for (const nodeOnly of ['record/recorder.ts', 'record/writable.ts', 'record/versions.ts']) expect(seen.has(resolve(ROOT, nodeOnly)), nodeOnly).toBe(false);
  });
});
