import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CheckpointError,
  decodeCheckpoint,
  decodeStoredCheckpoint,
  dequantize,
  encodeCheckpoint,
  quantizeInt8,
} from '../../../agent/lm/checkpoint.ts';
import { loadCheckpoint, saveCheckpoint } from '../../../agent/lm/checkpoint-file.ts';
import { elementCount, type NamedTensors } from '../../../agent/lm/tensors.ts';

const bitsOf = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

function tensors(entries: [string, number[], ArrayLike<number>][]): NamedTensors {
  return new Map(entries.map(([name, shape, data]) => [name, { shape, data: Float32Array.from(data) }]));
}

const special = Float32Array.from([0, -0, Infinity, -Infinity, 1.4e-45, -1.4e-45, 1.1754942e-38, 3.4028235e38, Math.PI]);
const nanPayload = new Float32Array(new Uint32Array([0x7fc00001, 0xffa00000, 0x7f800001]).buffer);

const sample = (): NamedTensors =>
  new Map([
    ['wte', { shape: [3, 3], data: special }],
    ['nan', { shape: [3], data: nanPayload }],
    ['h.0.ln1.g', { shape: [2], data: Float32Array.from([1, 2]) }],
    ['10', { shape: [], data: Float32Array.from([7]) }],
    ['2', { shape: [0, 4], data: new Float32Array(0) }],
    ['lnf.b', { shape: [2, 1], data: Float32Array.from([-3, 4.5]) }],
  ]);

/** Independent minimal safetensors parse: header length, JSON, slices. */
function minimalParse(bytes: Uint8Array) {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8')) as Record<string, unknown>;
  const buffer = bytes.subarray(8 + n);
  return { n, header, buffer };
}

function expectOnlyCheckpointError(bytes: Uint8Array): void {
  try {
    decodeCheckpoint(bytes);
  } catch (e) {
    if (!(e instanceof CheckpointError)) throw e;
  }
}

/** A checkpoint from a hand-written header. */
function raw(header: unknown, bufferBytes: number): Uint8Array {
  return rawText(JSON.stringify(header), bufferBytes);
}

function rawText(headerText: string, bufferBytes: number): Uint8Array {
  const json = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + json.length + bufferBytes);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  return out;
}

function errorOf(f: () => unknown): CheckpointError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CheckpointError);
    return e as CheckpointError;
  }
  throw new Error('expected a CheckpointError');
}

describe('checkpoint encoding', () => {
  it('round-trips bit-exactly (-0, denormals, infinities, NaN payloads) with metadata, in insertion order', () => {
    const t = sample();
    const metadata = { config: JSON.stringify({ layers: 2 }), tokenizer: '{"words":["é🙂"]}', '1': 'integer-like key', empty: '' };
    const decoded = decodeCheckpoint(encodeCheckpoint(t, metadata));
    expect([...decoded.tensors.keys()]).toEqual([...t.keys()]);
    for (const [name, tensor] of t) {
      const got = decoded.tensors.get(name);
      expect(got?.shape).toEqual(tensor.shape);
      expect(bitsOf(got?.data ?? new Float32Array())).toEqual(bitsOf(tensor.data));
    }
    expect(decoded.metadata).toEqual(metadata);
  });

  it('round-trips random tensors (property)', () => {
    const tensorArb = fc
      .array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 })
      .chain((shape) =>
        fc.tuple(fc.constant(shape), fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: elementCount(shape), maxLength: elementCount(shape) })),
      );
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 8 }), tensorArb), { selector: ([name]) => name, maxLength: 6 }), fc.dictionary(fc.string(), fc.string()), (entries, metadata) => {
        const t: NamedTensors = new Map(
          entries
            .filter(([name]) => name !== '__metadata__')
            .map(([name, [shape, bits]]) => [name, { shape, data: new Float32Array(Uint32Array.from(bits).buffer) }]),
        );
        const decoded = decodeCheckpoint(encodeCheckpoint(t, metadata));
        expect([...decoded.tensors.keys()]).toEqual([...t.keys()]);
        for (const [name, tensor] of t) expect(bitsOf(decoded.tensors.get(name)?.data ?? new Float32Array())).toEqual(bitsOf(tensor.data));
        expect(decoded.metadata).toEqual({ ...metadata });
      }),
      { numRuns: 300 },
    );
  });

  it('writes the safetensors layout (checked by an independent parse)', () => {
    const t = sample();
    const bytes = encodeCheckpoint(t, { format: 'pt' });
    const { n, header, buffer } = minimalParse(bytes);
    expect(n % 8).toBe(0);
    expect(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8')).toMatch(/^\{"__metadata__":\{"format":"pt"\}.*\} *$/);
    expect(header.__metadata__).toEqual({ format: 'pt' });
    let offset = 0;
    for (const [name, tensor] of t) {
      const entry = header[name] as { dtype: string; shape: number[]; data_offsets: [number, number] };
      expect(entry).toEqual({ dtype: 'F32', shape: tensor.shape, data_offsets: [offset, offset + tensor.data.length * 4] });
      const view = new DataView(buffer.buffer, buffer.byteOffset + offset);
      for (let i = 0; i < tensor.data.length; i++) {
        expect(view.getUint32(i * 4, true)).toBe(bitsOf(tensor.data)[i]);
      }
      offset += tensor.data.length * 4;
    }
    expect(buffer.length).toBe(offset);
    // Header keys in the JSON text follow insertion order, integer-like names included.
    const text = Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8');
    const positions = [...t.keys()].map((name) => text.indexOf(`${JSON.stringify(name)}:`));
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('rejects encoder misuse', () => {
    expect(errorOf(() => encodeCheckpoint(tensors([['w', [2, 2], [1, 2, 3]]]))).message).toMatch(/"w": shape \[2, 2\] needs 4 elements, data has 3/);
    expect(() => encodeCheckpoint(tensors([['__metadata__', [1], [1]]]))).toThrow(CheckpointError);
    expect(() => encodeCheckpoint(tensors([['w', [-1], []]]))).toThrow(/non-negative/);
  });
});

describe('checkpoint validation', () => {
  const small = encodeCheckpoint(tensors([['a', [2], [1, 2]], ['b', [1, 1], [3]]]), { k: 'v' });

  it('names what is wrong and where', () => {
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array(3), /truncated: 3 bytes/],
      [raw({}, 0).subarray(0, 9), /header length 2 .* runs past the end/],
      [(() => { const b = new Uint8Array(16); new DataView(b.buffer).setUint32(4, 1, true); return b; })(), /exceeds the 100000000-byte limit/],
      [(() => { const b = new Uint8Array(16); new DataView(b.buffer).setUint32(0, 2e9, true); return b; })(), /exceeds/],
      [raw([1], 0), /must be an object/],
      [(() => { const b = raw({}, 0); b[8] = 0x7b; b[9] = 0x20; return b; })(), /not valid JSON/],
      [(() => { const b = new Uint8Array(10); b[0] = 2; b[8] = 0xff; b[9] = 0xfe; return b; })(), /not valid UTF-8/],
      [raw({ w: { dtype: 'F31', shape: [1], data_offsets: [0, 4] } }, 4), /"w": unknown dtype "F31"/],
      [raw({ w: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, 4), /"w": shape\[0\] = 1.5 is not a non-negative integer/],
      [raw({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4), /shape\[0\] = -1/],
      [raw({ w: { dtype: 'F32', shape: 'x', data_offsets: [0, 4] } }, 4), /shape must be an array/],
      [raw({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4], extra: 1 } }, 4), /"w": unknown header key "extra"/],
      [raw({ w: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, 4), /0 <= begin <= end/],
      [raw({ w: { dtype: 'F32', shape: [1], data_offsets: [0] } }, 4), /must be \[begin, end\]/],
      [raw({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 4), /"w": data_offsets \[0, 8\] run past the 4-byte buffer/],
      [raw({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, 4), /"w": F32 shape \[2\] needs 8 bytes, data_offsets \[0, 4\] hold 4/],
      [raw({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, v: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8), /"v": data_offsets \[4, 8\] overlap/],
      [raw({ w: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8), /"w": gap in the buffer before byte offset 4/],
      [raw({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 8), /4 trailing bytes after byte offset 4/],
      [raw({ __metadata__: { a: 1 } }, 0), /__metadata__ "a" is not a string/],
      [rawText('{"w":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"w":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}', 0), /"w" appears twice/],
      [raw({ w: { dtype: 'F16', shape: [1], data_offsets: [0, 2] } }, 2), /"w": dtype F16 is valid safetensors but not supported/],
      [raw({ w: { dtype: 'I8', shape: [1], data_offsets: [0, 1] } }, 1), /"w" is I8 but has no F32 "w.scale"/],
    ];
    for (const [bytes, message] of cases) expect(errorOf(() => decodeCheckpoint(bytes)).message).toMatch(message);
    expect(decodeCheckpoint(small).metadata).toEqual({ k: 'v' });
  });

  it('truncation at every length gives only CheckpointError', () => {
    for (let len = 0; len < small.length; len++) {
      expect(() => decodeCheckpoint(small.subarray(0, len))).toThrow(CheckpointError);
    }
  });

  it('fuzzed inputs give a result or a CheckpointError, never another exception', () => {
    const headerEnd = 8 + Number(new DataView(small.buffer).getBigUint64(0, true));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (flips) => {
        const b = small.slice();
        for (const [at, value] of flips) b[at % headerEnd] = value;
        expectOnlyCheckpointError(b);
      }),
      { numRuns: 3000 },
    );
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => expectOnlyCheckpointError(b)), { numRuns: 2000 });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(), fc.nat(), (tail, low, high) => {
        const b = new Uint8Array(8 + tail.length);
        new DataView(b.buffer).setUint32(0, low, true);
        new DataView(b.buffer).setUint32(4, high % 4, true);
        b.set(tail, 8);
        expectOnlyCheckpointError(b);
      }),
      { numRuns: 1000 },
    );
    const value = fc.oneof(fc.integer({ min: -2, max: 40 }), fc.constant(2 ** 60), fc.constant(1e300), fc.string(), fc.constant(null));
    const entry = fc.record(
      {
        dtype: fc.constantFrom('F32', 'I8', 'F16', 'U8', 'F32x', 7),
        shape: fc.oneof(fc.array(value, { maxLength: 3 }), value),
        data_offsets: fc.oneof(fc.tuple(value, value), fc.array(value, { maxLength: 3 })),
        extra: value,
      },
      { requiredKeys: ['dtype'] },
    );
    // Header text with escapes, nesting and odd keys.
    fc.assert(
      fc.property(fc.json(), fc.nat({ max: 16 }), (text, n) => expectOnlyCheckpointError(rawText(text, n))),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('a', 'b', 'a.scale', '__metadata__', 'c', '0', '__proto__', 'x"\\'), entry), fc.nat({ max: 48 }), (header, n) => {
        expectOnlyCheckpointError(raw(header, n));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('int8 quantization', () => {
  it('dequantizes within scale/2 per element and round-trips through a checkpoint', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 9 }),
        fc.array(fc.oneof(fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), fc.float({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: -300, max: 300 }).map((k) => Math.fround(k * 2 ** -149))), { minLength: 45, maxLength: 45 }),
        (rows, cols, pool) => {
          const data = Float32Array.from({ length: rows * cols }, (_, i) => pool[i % pool.length] as number);
          const t: NamedTensors = new Map([
            ['w', { shape: [rows, cols], data }],
            ['b', { shape: [cols], data: data.slice(0, cols) }],
          ]);
          const q = quantizeInt8(t);
          expect(q.get('w')?.dtype).toBe('I8');
          expect(q.get('b')?.dtype).toBe('F32');
          const scale = q.get('w.scale');
          expect(scale?.shape).toEqual([rows]);
          const fromFile = decodeCheckpoint(encodeCheckpoint(q));
          const direct = dequantize(decodeStoredCheckpoint(encodeCheckpoint(q)).tensors);
          expect([...fromFile.tensors.keys()]).toEqual(['w', 'b']);
          for (const back of [fromFile.tensors, direct]) {
            const w = back.get('w')?.data ?? new Float32Array();
            for (let r = 0; r < rows; r++) {
              const s = scale?.data[r] ?? NaN;
              for (let c = 0; c < cols; c++) {
                const x = data[r * cols + c] as number;
                const err = Math.abs(x - (w[r * cols + c] as number));
                // Bound: half a quantization step, plus F32 rounding of the product.
                expect(err).toBeLessThanOrEqual(s / 2 + Math.abs(x) * 2 ** -23 + 2 ** -149);
              }
            }
            expect(bitsOf(back.get('b')?.data ?? new Float32Array())).toEqual(bitsOf(data.slice(0, cols)));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('handles zero rows and rejects non-finite weights and bad scales', () => {
    const q = quantizeInt8(tensors([['w', [2, 2], [0, 0, 1, -1]]]));
    expect(Array.from(q.get('w.scale')?.data ?? [])).toEqual([0, Math.fround(1 / 127)]);
    expect(Array.from(dequantize(q).get('w')?.data ?? [])).toEqual([0, 0, 1, -1]);
    expect(errorOf(() => quantizeInt8(tensors([['w', [1, 2], [1, NaN]]]))).message).toMatch(/non-finite value NaN at element 1/);
    const bad = quantizeInt8(tensors([['w', [2, 2], [1, 2, 3, 4]]]));
    bad.set('w.scale', { dtype: 'F32', shape: [3], data: new Float32Array(3) });
    expect(errorOf(() => dequantize(bad)).message).toMatch(/"w.scale": shape \[3\] should be \[2\]/);
  });
});

describe('checkpoint files', () => {
  const dirPromise = mkdtemp(join(tmpdir(), 'umwelt-ckpt-'));
  afterAll(async () => rm(await dirPromise, { recursive: true, force: true }));

  it('saves atomically and loads, with an expect hook', async () => {
    const path = join(await dirPromise, 'nested', 'model.safetensors');
    await saveCheckpoint(path, sample(), { config: '{}' });
    const loaded = await loadCheckpoint(path, { expect: (t) => expect(t.has('wte')).toBe(true) });
    expect(bitsOf(loaded.tensors.get('wte')?.data ?? new Float32Array())).toEqual(bitsOf(special));
    expect(loaded.metadata).toEqual({ config: '{}' });
    await expect(
      loadCheckpoint(path, {
        expect: () => {
          throw new Error('missing h.1.ln1.g');
        },
      }),
    ).rejects.toThrow(/model\.safetensors: unexpected tensors: missing h\.1\.ln1\.g/);
    await expect(loadCheckpoint(path, { maxBytes: 10 })).rejects.toThrow(/exceeds the 10-byte limit/);
    // An int8 file is a quarter of the size and loads dequantized.
    const w = Float32Array.from({ length: 64 * 32 }, (_, i) => Math.sin(i));
    const qPath = join(await dirPromise, 'model.int8.safetensors');
    await saveCheckpoint(qPath, quantizeInt8(new Map([['h.0.mlp.fc.w', { shape: [64, 32], data: w }]])));
    const q = await loadCheckpoint(qPath);
    expect([...q.tensors.keys()]).toEqual(['h.0.mlp.fc.w']);
    const back = q.tensors.get('h.0.mlp.fc.w')?.data ?? new Float32Array();
    expect(Math.max(...w.map((x, i) => Math.abs(x - (back[i] as number))))).toBeLessThanOrEqual(1 / 254 + 1e-7);
    expect((await readFile(qPath)).length).toBeLessThan(w.length * 4 / 3);
  });

  it('gives CheckpointErrors naming the path for missing and truncated files', async () => {
    const dir = await dirPromise;
    const missing = join(dir, 'missing.safetensors');
    await expect(loadCheckpoint(missing)).rejects.toThrow(CheckpointError);
    await expect(loadCheckpoint(missing)).rejects.toThrow(`${missing}: no such checkpoint file`);
    const path = join(dir, 'truncated.safetensors');
    await saveCheckpoint(path, sample());
    const full = await readFile(path);
    await writeFile(path, full.subarray(0, full.length - 5));
    const error = await loadCheckpoint(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as Error).message).toContain(path);
    expect((error as Error).message).toMatch(/truncated/);
    await expect(loadCheckpoint(dir)).rejects.toThrow(CheckpointError);
  });
});
