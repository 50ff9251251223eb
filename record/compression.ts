// Chunk compression of recordings: zstd through @foxglove/wasm-zstd (WebAssembly, loaded once), or none. The
// writer gets a compressChunk function; the reader gets decompress handlers for every compression it may meet.
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
      return (chunkData) => ({ compression: 'zstd', compressedData: zstd.compress(chunkData, ZSTD_LEVEL) });
  }
}

/** Decompress handlers for McapIndexedReader and McapStreamReader (chunks written uncompressed need none). */
export async function decompressHandlers(): Promise<McapTypes.DecompressHandlers> {
  await zstdReady();
  return {
    zstd: (buffer, size) => {
      const out = zstd.decompress(buffer, Number(size));
      if (BigInt(out.byteLength) !== size) throw new Error(`zstd: a chunk decompressed to ${out.byteLength} bytes, not the ${size} its record says`);
      return out;
    },
  };
}
