// An @mcap/core IWritable that keeps the recording in memory: the chunks as they are written, and one Uint8Array
// of them all at the end (`bytes()`). No Node built-ins: the browser's world worker records into one of these and
// hands the page the bytes (a download, or the replay viewer through Recording.fromBytes).
import type { IWritable } from '@mcap/core';

export class BytesWritable implements IWritable {
  private chunks: Uint8Array[] = [];
  private written = 0n;
  private closed = false;

  write(buffer: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the in-memory recording is closed'));
    // A copy: a writer may reuse its buffer once the write resolves.
    this.chunks.push(buffer.slice());
    this.written += BigInt(buffer.byteLength);
    return Promise.resolve();
  }

  position(): bigint {
    return this.written;
  }

  /** Bytes written so far. */
  get byteLength(): number {
    return Number(this.written);
  }

  /** No more writes (idempotent); `bytes()` still gives what was written. */
  close(): void {
    this.closed = true;
  }

  /** Everything written so far, as one array (joined once; the parts are let go). */
  bytes(): Uint8Array {
    if (this.chunks.length === 1) return this.chunks[0]!;
    const out = new Uint8Array(this.byteLength);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.byteLength;
    }
    this.chunks = [out];
    return out;
  }
}
