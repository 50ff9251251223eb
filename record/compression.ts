// Chunk compression of recordings: zstd through @foxglove/wasm-zstd (WebAssembly, loaded once), or none. The
// writer gets a compressChunk function; the reader gets decompress handlers for every compression it may meet.
//
// Also loaded in the browser (record/recording.ts reads bytes there, record/recorder-core.ts writes them in the world
// worker). Two things about @foxglove/wasm-zstd there:
// its JavaScript copies results out through Node's global `Buffer`, which a page does not have, so (de)compression
// lends it a minimal stand-in for the duration of the (synchronous) call (`withBuffer`); and its glue finds the
// .wasm file with `require("./wasm-zstd.wasm")`, which a bundler must turn into the file's URL (for Vite, a
// transform that replaces it with `new URL("./wasm-zstd.wasm", import.meta.url).href`).
import zstd from '@foxglove/wasm-zstd';
import type { McapTypes, McapWriterOptions } from '@mcap/core';

export const COMPRESSIONS = ['zstd', 'none'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

/** zstd level: 3 (the library's default) compresses the JSON of an episode about 10x at a few hundred MB/s. */
const ZSTD_LEVEL = 3;

let loaded: Promise<void> | null = null;

/** Wait until the zstd WebAssembly module is ready (once per thread). */
export function zstdReady(): Promise<void> {
  loaded ??= zstd.isLoaded.then(() => undefined);
  return loaded;
}

/** The MCAP writer's compressChunk option for a compression ('none': chunks are stored as they are). */
export async function chunkCompressor(compression: Compression): Promise<McapWriterOptions['compressChunk']> {
  switch (compression) {
    case 'none':
      return undefined;
    case 'zstd':
      await zstdReady();
      return (chunkData) => ({ compression: 'zstd', compressedData: withBuffer(() => zstd.compress(chunkData, ZSTD_LEVEL)) });
  }
}

/** Just what wasm-zstd's decompress and compress use of Node's Buffer: allocUnsafe, and from(arrayBuffer).copy. */
const BUFFER_STAND_IN = {
  allocUnsafe: (size: number): Uint8Array => new Uint8Array(size),
  from: (buffer: ArrayBuffer) => ({
    copy(target: Uint8Array, targetStart: number, sourceStart: number, sourceEnd: number): number {
      target.set(new Uint8Array(buffer, sourceStart, sourceEnd - sourceStart), targetStart);
      return sourceEnd - sourceStart;
    },
  }),
};

/** Runs `f` with a global `Buffer` (Node's, or the stand-in for as long as `f` runs, where there is none). */
function withBuffer<T>(f: () => T): T {
  if ('Buffer' in globalThis) return f();
  Reflect.set(globalThis, 'Buffer', BUFFER_STAND_IN);
  try {
    return f();
  } finally {
    Reflect.deleteProperty(globalThis, 'Buffer');
  }
}

/** Decompress handlers for McapIndexedReader and McapStreamReader (chunks written uncompressed need none). */
export async function decompressHandlers(): Promise<McapTypes.DecompressHandlers> {
  await zstdReady();
  return {
    zstd: (buffer, size) => {
      const out = withBuffer(() => zstd.decompress(buffer, Number(size)));
      if (BigInt(out.byteLength) !== size) throw new Error(`zstd: a chunk decompressed to ${out.byteLength} bytes, not the ${size} its record says`);
      return out;
    },
  };
}
