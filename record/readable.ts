// An @mcap/core IReadable over an open file: positional reads through a fs.promises FileHandle, so the indexed
// reader fetches only the summary and the chunks it needs (a recording is never loaded whole to be read).
import type { FileHandle } from 'node:fs/promises';
import type { McapTypes } from '@mcap/core';

export class FileReadable implements McapTypes.IReadable {
  private readonly handle: FileHandle;
  private readonly bytes: bigint;

  constructor(handle: FileHandle, size: number) {
    this.handle = handle;
    this.bytes = BigInt(size);
  }

  size(): Promise<bigint> {
    return Promise.resolve(this.bytes);
  }

  /** Exactly `size` bytes at `offset` (a fresh buffer: the MCAP readers keep views into it). */
  async read(offset: bigint, size: bigint): Promise<Uint8Array> {
    if (offset < 0n || size < 0n || offset + size > this.bytes) {
      throw new Error(`read of ${size} bytes at offset ${offset} is outside the file (${this.bytes} bytes)`);
    }
    const buffer = new Uint8Array(Number(size));
    let done = 0;
    while (done < buffer.byteLength) {
      const { bytesRead } = await this.handle.read(buffer, done, buffer.byteLength - done, Number(offset) + done);
      if (bytesRead === 0) throw new Error(`the file ended at byte ${Number(offset) + done} while reading ${size} bytes at offset ${offset}`);
      done += bytesRead;
    }
    return buffer;
  }
}
