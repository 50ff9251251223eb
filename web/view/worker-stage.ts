// The page's handle on the render worker (workers/render.worker.ts): it hands the worker the canvas (as an
// OffscreenCanvas: from then on only the worker draws on it), keeps it told of the canvas's size, forwards the orbit
// camera's input, and passes the episode's calls on, transferring pose frames rather than copying them.
import * as Comlink from 'comlink';
import type { CameraImage } from '../../record/format.ts';
import type { SceneStart } from '../protocol.ts';
import { forwardInput } from './input-forward.ts';
import type { CameraMode, EpisodeStage, RendererInfo, RenderWorkerApi, ViewSize } from './stage.ts';

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Why this browser cannot draw in a worker, or null when it can. */
export function workerDrawingMissing(canvas: HTMLCanvasElement): string | null {
  if (typeof OffscreenCanvas === 'undefined') return 'this browser has no OffscreenCanvas';
  if (typeof canvas.transferControlToOffscreen !== 'function') return 'this browser cannot hand a canvas to a worker (no transferControlToOffscreen)';
  return null;
}

export class WorkerStage implements EpisodeStage {
  private readonly worker: Worker;
  private readonly api: Comlink.Remote<RenderWorkerApi>;
  /** Settles once the worker has the canvas and a WebGL context (rejects when it cannot draw). */
  private readonly ready: Promise<void>;
  private readonly observer: ResizeObserver;
  private readonly unforward: () => void;

  /** Takes `canvas` over (see workerDrawingMissing first). */
  constructor(canvas: HTMLCanvasElement, mode: CameraMode) {
    const size: ViewSize = { width: canvas.clientWidth, height: canvas.clientHeight, pixelRatio: devicePixelRatio };
    const offscreen = canvas.transferControlToOffscreen();
    this.worker = new Worker(new URL('../workers/render.worker.ts', import.meta.url), { type: 'module', name: 'render' });
    this.api = Comlink.wrap<RenderWorkerApi>(this.worker);
    const failed = new Promise<never>((_, reject) => {
      this.worker.addEventListener('error', (e) => reject(new Error(`the render worker failed to start: ${e.message || 'no message'}`)), { once: true });
    });
    this.ready = Promise.race([this.api.init(Comlink.transfer(offscreen, [offscreen]), size), failed]);
    this.send(this.api.setMode(mode));
    this.observer = new ResizeObserver((entries) => {
      const box = entries.at(-1)?.contentRect;
      if (box !== undefined) this.send(this.api.resize({ width: box.width, height: box.height, pixelRatio: devicePixelRatio }));
    });
    this.observer.observe(canvas);
    this.unforward = forwardInput(canvas, (input) => this.send(this.api.input(input)));
  }

  setMode(mode: CameraMode): void {
    this.send(this.api.setMode(mode));
  }

  async show(start: SceneStart, speed: number): Promise<RendererInfo> {
    await this.ready;
    return this.api.show(start, speed);
  }

  frames(frames: Float32Array, count: number): void {
    this.send(this.api.frames(Comlink.transfer(frames, [frames.buffer as ArrayBuffer]), count));
  }

  drained(): Promise<void> {
    return this.api.drained();
  }

  clear(): void {
    this.send(this.api.clear());
  }

  setSpeed(speed: number): void {
    this.send(this.api.setSpeed(speed));
  }

  async openCamera(): Promise<void> {
    await this.ready;
    return this.api.openCamera();
  }

  capture(): Promise<CameraImage[]> {
    return this.api.capture();
  }

  closeCamera(): void {
    this.send(this.api.closeCamera());
  }

  dispose(): void {
    this.unforward();
    this.observer.disconnect();
    this.api[Comlink.releaseProxy]();
    this.worker.terminate();
  }

  /** A call whose answer nobody waits for: a failure is reported, not left unhandled. */
  private send(call: Promise<void>): void {
    call.catch((e: unknown) => console.warn(`view: the render worker: ${messageOf(e)}`));
  }
}
