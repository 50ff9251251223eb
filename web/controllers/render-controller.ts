// The viewport's drawing on the page's own thread: for the replay viewer, and for live episodes where the browser
// cannot hand a canvas to the render worker. A SceneRenderer on the host's canvas, made when first needed, sized by
// a ResizeObserver, and its animation loop running while the host is connected.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { FramePlayer } from '../view/frame-player.ts';
import { SceneRenderer } from '../view/scene-renderer.ts';
import { SceneStage } from '../view/scene-stage.ts';
import type { SceneView } from '../view/scene-view.ts';
import type { CameraMode, ViewSize } from '../view/stage.ts';

export class RenderController implements ReactiveController {
  private renderer: SceneRenderer | null = null;
  private stage: SceneStage | null = null;
  private observer: ResizeObserver | null = null;
  private mode: CameraMode = 'orbit';
  private connected = false;

  constructor(
    host: ReactiveControllerHost,
    private readonly canvas: () => HTMLCanvasElement | null,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.connected = true;
    this.renderer?.start();
  }

  hostDisconnected(): void {
    this.connected = false;
    this.renderer?.stop();
  }

  setMode(mode: CameraMode): void {
    this.mode = mode;
    this.renderer?.setMode(mode);
  }

  /** Shows a page-side scene (null clears it); compiles its shaders first so that the first draw is not a long task. */
  async setView(view: SceneView | null, player: FramePlayer | null): Promise<void> {
    await this.ensure()?.setView(view, player);
  }

  /** A stage for live episodes, drawn here. */
  episodeStage(): SceneStage {
    const renderer = this.ensure();
    if (renderer === null) throw new Error('the viewport has no canvas yet');
    this.stage ??= new SceneStage(renderer);
    return this.stage;
  }

  private ensure(): SceneRenderer | null {
    if (this.renderer !== null) return this.renderer;
    const canvas = this.canvas();
    if (canvas === null) return null;
    const size = (): ViewSize => ({ width: canvas.clientWidth, height: canvas.clientHeight, pixelRatio: devicePixelRatio });
    const renderer = new SceneRenderer(canvas, canvas, size());
    renderer.setMode(this.mode);
    this.renderer = renderer;
    this.observer = new ResizeObserver(() => renderer.resize(size()));
    this.observer.observe(canvas);
    if (this.connected) renderer.start();
    return renderer;
  }
}
