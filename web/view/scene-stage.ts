// The stage on the thread that draws (the render worker, or the page in the fallback): the episode's SceneView built
// from the world worker's description, the FramePlayer that poses it at the chosen speed, the SceneRenderer that
// draws it, and the agent's camera for recordings, which draws the same posed view.
import type { CameraImage } from '../../record/format.ts';
import type { SceneStart } from '../protocol.ts';
import { AgentCamera } from './agent-camera.ts';
import { FramePlayer } from './frame-player.ts';
import type { SceneRenderer } from './scene-renderer.ts';
import { SceneView } from './scene-view.ts';
import { markIfSlow } from './slow-mark.ts';
import type { EpisodeStage, RendererInfo } from './stage.ts';

export class SceneStage implements EpisodeStage {
  private view: SceneView | null = null;
  private player: FramePlayer | null = null;
  private camera: AgentCamera | null = null;

  constructor(private readonly renderer: SceneRenderer) {}

  async show(start: SceneStart, speed: number): Promise<RendererInfo> {
    this.closeCamera();
    // A replaced episode's frames, and whoever waits for them, are done with.
    this.player?.clear();
    const started = performance.now();
    const view = new SceneView(start.description, start.layout);
    view.show(start.frame);
    markIfSlow('scene', started);
    const player = new FramePlayer(view.stride, start.controlDt, (frame, offset) => view.show(frame, offset));
    player.speed = speed;
    this.view = view;
    this.player = player;
    await this.renderer.setView(view, player);
    return this.renderer.info;
  }

  frames(frames: Float32Array, count: number): void {
    this.player?.push(frames, count);
  }

  drained(): Promise<void> {
    return this.player?.drained() ?? Promise.resolve();
  }

  clear(): void {
    this.player?.clear();
  }

  setSpeed(speed: number): void {
    if (this.player !== null) this.player.speed = speed;
  }

  async openCamera(): Promise<void> {
    this.closeCamera();
    const view = this.view;
    if (view === null) throw new Error('the agent camera needs a scene (show one first)');
    const camera = new AgentCamera();
    this.camera = camera;
    try {
      await camera.setView(view);
    } catch (e) {
      if (this.camera === camera) this.closeCamera();
      throw e;
    }
  }

  capture(): Promise<CameraImage[]> {
    if (this.camera === null) return Promise.reject(new Error('the agent camera is not open'));
    return this.camera.capture();
  }

  closeCamera(): void {
    this.camera?.dispose();
    this.camera = null;
  }
}
