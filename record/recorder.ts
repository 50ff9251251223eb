// Records one episode as an MCAP file while it runs (Node): `EpisodeRecorder.create(path, options)` writes through a
// FileWritable (bytes reach the file as they are produced, so a killed run leaves a readable prefix) and records the
// package versions read from disk. Everything else (the messages, the queue, camera images, close()) is
// recorder-core.ts, which has no Node built-ins and writes to any IWritable (`EpisodeRecorder.toWritable`).
import type { McapWriter } from '@mcap/core';
import { EpisodeRecorder as EpisodeRecorderCore, type RecorderOptions, type RecorderWritable } from './recorder-core.ts';
import { packageVersions } from './versions.ts';
import { FileWritable } from './writable.ts';

export { DEFAULT_CHUNK_SIZE, RecorderError, type RecorderOptions, type RecorderWritable } from './recorder-core.ts';
export type { CameraImage, CameraKind } from './format.ts';

export class EpisodeRecorder extends EpisodeRecorderCore {
  protected constructor(path: string, options: RecorderOptions, writer: McapWriter, writable: RecorderWritable) {
    super(path, options, writer, writable);
  }

  /**
   * Create the file (a RecorderError when it cannot be created) and subscribe to the env's control steps. Writing
   * starts with the header; a write that fails later is reported by close().
   */
  static create(path: string, options: RecorderOptions): Promise<EpisodeRecorder> {
    const withVersions = { ...options, packages: options.packages ?? packageVersions() };
    return EpisodeRecorderCore.begin(path, withVersions, () => FileWritable.create(path), (...args) => new EpisodeRecorder(...args));
  }
}
