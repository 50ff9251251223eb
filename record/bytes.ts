// An @mcap/core IReadable over bytes already in memory (a recording fetched or dropped into a page, or read whole by
// any other means). No Node built-ins: this module is part of the browser-safe reading path (record/browser.ts).
import type { McapTypes } from '@mcap/core';

export class BytesReadable implements McapTypes.IReadable {
  private readonly bytes: Uint8Array;

  /** Keeps (does not copy) `bytes`: do not modify or transfer them while a reader uses this. */
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  size(): Promise<bigint> {
    return Promise.resolve(BigInt(this.bytes.byteLength));
  }

  /** Exactly `size` bytes at `offset` (a fresh copy, as FileReadable gives: the MCAP readers keep views into it). */
  read(offset: bigint, size: bigint): Promise<Uint8Array> {
    const total = BigInt(this.bytes.byteLength);
    if (offset < 0n || size < 0n || offset + size > total) {
      return Promise.reject(new Error(`read of ${size} bytes at offset ${offset} is outside the file (${total} bytes)`));
    }
    return Promise.resolve(this.bytes.slice(Number(offset), Number(offset + size)));
  }
}
