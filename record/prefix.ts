// Reading what survives of a damaged recording: stream the file from its start through McapStreamReader (chunk CRCs
// checked) and keep every record up to the first one that is cut off or damaged. Used when the indexed reader
// cannot open a file (killed writer: no summary or footer; damaged summary). The surviving messages are held in
// memory (they are what is left of one episode). Reads through an IReadable (a file, or bytes in memory): no Node
// built-ins, so that the browser can read recordings too.
import { McapStreamReader, type McapTypes } from '@mcap/core';

export interface PrefixMessage {
  topic: string;
  sequence: number;
  logTime: bigint;
  data: Uint8Array;
}

export interface PrefixScan {
  /** Whether the MCAP header record was read. */
  header: boolean;
  /** Metadata records by name (the first of each name). */
  metadata: Map<string, Map<string, string>>;
  /** Channels by topic: their schema name. */
  schemas: Map<string, string>;
  /** Every message of the surviving chunks, in file order. */
  messages: PrefixMessage[];
  /** The compression of the first chunk ('' when stored as is), or null when no chunk survived. */
  compression: string | null;
  /** Whether the stream ended with a valid footer (every record is whole). */
  whole: boolean;
  /** Bytes of the file read as whole, valid records. */
  validBytes: number;
  /** Why the stream stopped early: a record cut off at the end of the file, or a damaged one; null when whole. */
  stopped: string | null;
}

const READ_SIZE = 1 << 20;

/** Strip @mcap/core's " [library=...]" suffix from an error message. */
export function mcapMessage(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.replace(/\s*\[(library=[^\]]*|no header)\]$/, '');
}

export async function scanPrefix(readable: McapTypes.IReadable, size: number, decompressHandlers: McapTypes.DecompressHandlers): Promise<PrefixScan> {
  const scan: PrefixScan = {
    header: false,
    metadata: new Map(),
    schemas: new Map(),
    messages: [],
    compression: null,
    whole: false,
    validBytes: 0,
    stopped: null,
  };
  const reader = new McapStreamReader({ includeChunks: true, decompressHandlers, validateCrcs: true });
  const schemaNames = new Map<number, string>();
  const topics = new Map<number, string>();
  let appended = 0;
  /** Where the chunk being read starts, for naming a damaged one. */
  let chunkAt: number | null = null;
  try {
    while (!reader.done()) {
      if (appended < size) {
        const part = await readable.read(BigInt(appended), BigInt(Math.min(READ_SIZE, size - appended)));
        if (part.byteLength === 0) break;
        reader.append(part);
        appended += part.byteLength;
      }
      for (;;) {
        const before = appended - reader.bytesRemaining();
        const record = reader.nextRecord();
        if (!record) break;
        switch (record.type) {
          case 'Header':
            scan.header = true;
            break;
          case 'Schema':
            schemaNames.set(record.id, record.name);
            break;
          case 'Channel':
            topics.set(record.id, record.topic);
            scan.schemas.set(record.topic, schemaNames.get(record.schemaId) ?? '');
            break;
          case 'Message':
            scan.messages.push({ topic: topics.get(record.channelId) ?? '', sequence: record.sequence, logTime: record.logTime, data: record.data });
            break;
          case 'Metadata':
            if (!scan.metadata.has(record.name)) scan.metadata.set(record.name, record.metadata);
            break;
          case 'Chunk':
            scan.compression ??= record.compression;
            chunkAt = before;
            break;
          default:
            break;
        }
        scan.validBytes = appended - reader.bytesRemaining();
      }
      scan.validBytes = appended - reader.bytesRemaining();
      if (appended >= size) break;
    }
    scan.whole = reader.done();
    if (!scan.whole) {
      scan.stopped =
        scan.validBytes < size
          ? `truncated: the file ends inside a record (its whole records end at byte ${scan.validBytes} of ${size})`
          : 'truncated: the file ends without a footer';
    }
  } catch (e) {
    const text = mcapMessage(e);
    const where = chunkAt !== null && /chunk|decompress/i.test(text) ? `the chunk at byte ${chunkAt}` : `the record after byte ${scan.validBytes}`;
    scan.stopped = `damaged data in ${where}: ${text}`;
  }
  return scan;
}
