// The render worker: draws the live episode's 3D view on the page's canvas, handed over as an OffscreenCanvas, so that
// three.js's drawing (a software rasterizer's, on a machine without a GPU) never blocks the page's thread. The page
// forwards what it needs: the scene at reset, each action's pose frames (transferred), the speed, the camera mode,
// the canvas's size and the orbit camera's pointer and wheel input. The episode's gate asks it when playback has
// caught up (drained). Recorded episodes' agent camera draws here too, from the same posed view. A start that cannot
// draw (no WebGL context, a renderer that throws) is answered, not thrown: the page then draws instead.
import * as Comlink from 'comlink';
import type { CameraImage } from '../../record/format.ts';
import type { SceneStart } from '../protocol.ts';
import { InputTarget } from '../view/input-target.ts';
import { SceneRenderer, WebGLContextError } from '../view/scene-renderer.ts';
import { SceneStage } from '../view/scene-stage.ts';
import type { CameraMode, RendererInfo, RenderInitFailure, RenderWorkerApi, RenderWorkerOptions, ViewInput, ViewSize } from '../view/stage.ts';

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

class RenderWorker implements RenderWorkerApi {
  private readonly target = new InputTarget();
  private renderer: SceneRenderer | null = null;
  private stage: SceneStage | null = null;

  init(canvas: OffscreenCanvas, size: ViewSize, options: RenderWorkerOptions): RenderInitFailure | null {
    if (this.renderer !== null) throw new Error('the render worker already has a canvas');
    // The test's fault (RenderWorkerOptions): a canvas with a 2D context has no WebGL context to give.
    if (options.blockWebGL) canvas.getContext('2d');
    this.target.resize(size.width, size.height);
    let renderer: SceneRenderer;
    try {
      renderer = new SceneRenderer(canvas, this.target.asElement(), size);
    } catch (e) {
      return { kind: e instanceof WebGLContextError ? 'no-webgl' : 'renderer', message: messageOf(e) };
    }
    this.renderer = renderer;
    this.stage = new SceneStage(renderer);
    renderer.start();
    return null;
  }

  resize(size: ViewSize): void {
    this.target.resize(size.width, size.height);
    this.renderer?.resize(size);
  }

  input(event: ViewInput): void {
    this.target.dispatch(event);
  }

  setMode(mode: CameraMode): void {
    this.renderer?.setMode(mode);
  }

  show(start: SceneStart, speed: number): Promise<RendererInfo> {
    return this.ready().show(start, speed);
  }

  frames(frames: Float32Array, count: number): void {
    this.stage?.frames(frames, count);
  }

  drained(): Promise<void> {
    return this.stage?.drained() ?? Promise.resolve();
  }

  clear(): void {
    this.stage?.clear();
  }

  setSpeed(speed: number): void {
    this.stage?.setSpeed(speed);
  }

  openCamera(): Promise<void> {
    return this.ready().openCamera();
  }

  async capture(): Promise<CameraImage[]> {
    const images = await this.ready().capture();
    return Comlink.transfer(images, images.map((i) => i.data.buffer as ArrayBuffer));
  }

  closeCamera(): void {
    this.stage?.closeCamera();
  }

  private ready(): SceneStage {
    if (this.stage === null) throw new Error('the render worker has no canvas yet (init first)');
    return this.stage;
  }
}

Comlink.expose(new RenderWorker());
