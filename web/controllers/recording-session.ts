// The page's side of a recorded episode: the agent's camera (view/agent-camera.ts, drawn by the stage, where the
// posed view is: the render worker, or the page), whose images go to the world worker's recorder at every gate (the
// state after reset, then after each step, once its frames have been shown) and after the end, and the finished
// recording as a download (a Blob URL). A camera that cannot start or draw leaves the recording without images,
// with a warning; the episode goes on.
import * as Comlink from 'comlink';
import type { EpisodeRequest, WorldApi } from '../protocol.ts';
import type { EpisodeStage } from '../view/stage.ts';

/** A finished recording, for the download link. */
export interface RecordingLink {
  /** A Blob URL of the MCAP bytes (revoked when the session is disposed). */
  url: string;
  /** The file name offered: umwelt-<family>-<seed>.mcap. */
  name: string;
  bytes: number;
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class RecordingSession {
  /** The finished recording, or null. */
  link: RecordingLink | null = null;
  /** Why there is no recording, or null. */
  error: string | null = null;
  /** The stage whose agent camera is open, or null. */
  private camera: EpisodeStage | null = null;

  constructor(
    private readonly request: EpisodeRequest,
    private readonly world: Comlink.Remote<WorldApi>,
    /** False once the episode is stopped or replaced: nothing more is sent or kept. */
    private readonly live: () => boolean,
  ) {}

  /** Opens the stage's camera on the episode's scene (shaders compiled, first draws done: loading work). */
  async open(stage: EpisodeStage): Promise<void> {
    // A stopped episode's camera is left to the next scene, which closes it.
    try {
      await stage.openCamera();
      if (this.live()) this.camera = stage;
    } catch (e) {
      if (this.live()) console.warn(`recording: no agent camera (no camera images): ${messageOf(e)}`);
    }
  }

  /** Captures what the agent sees now and hands the images to the world worker's recorder. */
  async capture(): Promise<void> {
    const camera = this.camera;
    if (camera === null) return;
    try {
      const images = await camera.capture();
      if (!this.live()) return;
      await this.world.camera(Comlink.transfer(images, images.map((i) => i.data.buffer as ArrayBuffer)));
    } catch (e) {
      if (this.live()) console.warn(`recording: no camera images this time: ${messageOf(e)}`);
    }
  }

  /** The last step's images, then the finished recording from the world worker, as a download link. */
  async finish(): Promise<void> {
    await this.capture();
    try {
      const bytes = await this.world.recording();
      if (!this.live() || bytes === null) return;
      const blob = new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' });
      this.link = { url: URL.createObjectURL(blob), name: `umwelt-${this.request.family}-${this.request.seed}.mcap`, bytes: bytes.byteLength };
    } catch (e) {
      if (!this.live()) return;
      this.error = messageOf(e);
      console.warn(`recording: ${this.error}`);
    } finally {
      this.disposeCamera();
    }
  }

  /** Frees the camera and the download's URL. */
  dispose(): void {
    this.disposeCamera();
    if (this.link !== null) URL.revokeObjectURL(this.link.url);
    this.link = null;
  }

  private disposeCamera(): void {
    this.camera?.closeCamera();
    this.camera = null;
  }
}
