// Camera images in a recording: foxglove.CompressedImage messages (JSON encoding, so the image bytes travel as
// base64), one topic per kind (format.ts CAMERA_TOPICS). Checking an image before it is written (the encoded size
// must be the size claimed), building the message, and reading one back. No Node built-ins: the browser's world
// worker records, and the page reads recordings.
import type { CompressedImage } from '@foxglove/schemas';
import { CAMERA_FRAME, CAMERA_KINDS, IMAGE_FORMATS, type CameraImage, type ImageFormat } from './format.ts';

/** Largest width or height accepted (pixels), and largest encoded image (bytes). */
export const MAX_IMAGE_SIDE = 8192;
export const MAX_IMAGE_BYTES = 32 * 1024 * 1024;

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] as const;

/** Width and height of an encoded PNG (its IHDR) or JPEG (its first SOF marker); null when the data is not one. */
export function encodedSize(data: Uint8Array, format: ImageFormat): { width: number; height: number } | null {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (format === 'png') {
    // Signature, then the IHDR chunk: length (4), 'IHDR', width (4), height (4), all big-endian.
    if (data.byteLength < 33 || PNG_MAGIC.some((b, i) => data[i] !== b)) return null;
    if (view.getUint32(12) !== 0x49484452) return null;
    return { width: view.getUint32(16), height: view.getUint32(20) };
  }
  // JPEG: SOI, then segments (FF marker, big-endian length) until a start-of-frame (SOF0..SOF15 but DHT, JPG, DAC).
  if (data.byteLength < 4 || data[0] !== 0xff || data[1] !== 0xd8) return null;
  let at = 2;
  while (at + 4 <= data.byteLength) {
    if (data[at] !== 0xff) return null;
    const marker = data[at + 1]!;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return null; // end of image, or scan data before any frame header
    const length = view.getUint16(at + 2);
    const sof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (sof) {
      if (at + 9 > data.byteLength) return null;
      return { width: view.getUint16(at + 7), height: view.getUint16(at + 5) };
    }
    if (length < 2) return null;
    at += 2 + length;
  }
  return null;
}

/** What is wrong with a camera image, or null when it can be written. */
export function cameraImageProblem(image: CameraImage): string | null {
  if (typeof image !== 'object' || image === null) return 'a camera image must be an object';
  const { kind, format, data, width, height } = image;
  if (!(CAMERA_KINDS as readonly unknown[]).includes(kind)) return `kind must be one of ${CAMERA_KINDS.join(', ')}, got ${String(kind)}`;
  if (!(IMAGE_FORMATS as readonly unknown[]).includes(format)) return `format must be one of ${IMAGE_FORMATS.join(', ')}, got ${String(format)}`;
  for (const [name, n] of [['width', width], ['height', height]] as const) {
    if (!Number.isInteger(n) || n < 1 || n > MAX_IMAGE_SIDE) return `${name} must be an integer in 1..${MAX_IMAGE_SIDE}, got ${String(n)}`;
  }
  if (!(data instanceof Uint8Array)) return 'data must be a Uint8Array of the encoded image';
  if (data.byteLength === 0) return 'data is empty';
  if (data.byteLength > MAX_IMAGE_BYTES) return `data is ${data.byteLength} bytes, more than the ${MAX_IMAGE_BYTES} allowed`;
  const size = encodedSize(data, format);
  if (size === null) return `data is not a ${format.toUpperCase()} image`;
  if (size.width !== width || size.height !== height) return `the ${format.toUpperCase()} is ${size.width}x${size.height}, not the ${width}x${height} given`;
  return null;
}

// ---- base64 (the JSON encoding of bytes fields), without Node's Buffer ---------------------------------------------

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const VALUES = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUES[ALPHABET.charCodeAt(i)] = i;

export function toBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  let line = '';
  const n = bytes.byteLength;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    line += ALPHABET[v >> 18]! + ALPHABET[(v >> 12) & 63]! + ALPHABET[(v >> 6) & 63]! + ALPHABET[v & 63]!;
    if (line.length >= 8192) {
      parts.push(line);
      line = '';
    }
  }
  if (i < n) {
    const v = (bytes[i]! << 16) | ((i + 1 < n ? bytes[i + 1]! : 0) << 8);
    line += ALPHABET[v >> 18]! + ALPHABET[(v >> 12) & 63]! + (i + 1 < n ? ALPHABET[(v >> 6) & 63]! : '=') + '=';
  }
  parts.push(line);
  return parts.join('');
}

/** Standard base64 (padding required) to bytes; null when the text is not base64. */
export function fromBase64(text: string): Uint8Array | null {
  if (text.length % 4 !== 0) return null;
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const last = i + 4 === text.length;
    const c = [0, 1, 2, 3].map((k) => {
      const code = text.charCodeAt(i + k);
      if (last && code === 61 /* = */ && k >= 4 - pad) return 0;
      return code < 128 ? VALUES[code]! : -1;
    });
    if (c.some((v) => v < 0)) return null;
    const v = (c[0]! << 18) | (c[1]! << 12) | (c[2]! << 6) | c[3]!;
    out[o++] = v >> 16;
    if (o < out.length) out[o++] = (v >> 8) & 255;
    if (o < out.length) out[o++] = v & 255;
  }
  return out;
}

// ---- messages ------------------------------------------------------------------------------------------------------

/** The foxglove.CompressedImage of an image at simulated time `timeNs`, as its JSON encoding has it. */
export function compressedImage(image: CameraImage, timeNs: bigint): Omit<CompressedImage, 'data'> & { data: string } {
  const timestamp = { sec: Number(timeNs / 1_000_000_000n), nsec: Number(timeNs % 1_000_000_000n) };
  return { timestamp, frame_id: CAMERA_FRAME, data: toBase64(image.data), format: image.format };
}

/** A camera message read back, or what is wrong with it. */
export function decodeCompressedImage(value: unknown): { image: Omit<CameraImage, 'kind'>; frameId: string; timestamp: { sec: number; nsec: number } } | string {
  if (typeof value !== 'object' || value === null) return 'not a JSON object';
  const m = value as Record<string, unknown>;
  const t = m['timestamp'] as Record<string, unknown> | null | undefined;
  if (typeof t !== 'object' || t === null || !Number.isInteger(t['sec']) || !Number.isInteger(t['nsec'])) return '$.timestamp must be { sec, nsec } (integers)';
  if (typeof m['frame_id'] !== 'string') return '$.frame_id must be a string';
  const format = m['format'];
  if (!(IMAGE_FORMATS as readonly unknown[]).includes(format)) return `$.format must be one of ${IMAGE_FORMATS.join(', ')}, got ${JSON.stringify(format)}`;
  if (typeof m['data'] !== 'string') return '$.data must be a base64 string';
  const data = fromBase64(m['data']);
  if (data === null) return '$.data is not base64';
  const size = encodedSize(data, format as ImageFormat);
  if (size === null) return `$.data is not a ${String(format).toUpperCase()} image`;
  return {
    image: { format: format as ImageFormat, data, width: size.width, height: size.height },
    frameId: m['frame_id'],
    timestamp: { sec: t['sec'] as number, nsec: t['nsec'] as number },
  };
}
