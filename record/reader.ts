// Reading a recording back from a file (Node): `Recording.open(path)` reads through positional file reads
// (readable.ts), so the indexed reader fetches only the summary, the metadata and the chunks it needs. Everything
// else (the reading itself, validation, the fallback to the valid prefix of a damaged file, RecordingError) is in
// recording.ts, which has no Node built-ins and also reads bytes in memory (`Recording.fromBytes`) in the browser.
import { open as openFile, type FileHandle } from 'node:fs/promises';
import { FileReadable } from './readable.ts';
import { Recording as RecordingBase, RecordingError } from './recording.ts';

export { RecordingError, type CameraFrame, type MessageRange, type RecordingInfo, type RecordingSource } from './recording.ts';

export class Recording extends RecordingBase {
  /**
   * Opens with the MCAP index (McapIndexedReader); if the file is truncated or its summary is damaged, falls back
   * to streaming the valid prefix (McapStreamReader): complete === false and problem says what is wrong. A file that
   * is not MCAP at all, or lacks the umwelt.episode metadata, throws RecordingError.
   */
  static async open(path: string): Promise<Recording> {
    let handle: FileHandle;
    try {
      handle = await openFile(path, 'r');
    } catch (e) {
      throw new RecordingError(`${path}: cannot open the recording: ${e instanceof Error ? e.message : String(e)}`);
    }
    let size: number;
    try {
      size = (await handle.stat()).size;
    } catch (e) {
      await handle.close().catch(() => undefined);
      throw new RecordingError(`${path}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const source = { name: path, readable: new FileReadable(handle, size), close: () => handle.close() };
    return RecordingBase.build(source, (fields) => new Recording(fields));
  }
}
