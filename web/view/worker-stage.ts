// The page's handle on the render worker (workers/render.worker.ts): it hands the worker the canvas (as an
// OffscreenCanvas: from then on only the worker draws on it), keeps it told of the canvas's size, forwards the orbit
// camera's input, and passes the episode's calls on, transferring pose frames rather than copying them. Whether the
// worker could start drawing is `started`'s answer: the viewport falls back to the page when it could not.
import * as Comlink from 'comlink';
import type { CameraImage } from '../../record/format.ts';
import { assertNever } from '../../sim/types.ts';
import type { SceneStart } from '../protocol.ts';
import { forwardInput } from './input-forward.ts';
import type { CameraMode, EpisodeStage, RendererInfo, RenderWorkerApi, RenderWorkerOptions, ViewSize, WorkerStartFailure } from './stage.ts';

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * How long the worker has to answer its start (load its script, three.js included, and make its WebGL context and
 * renderer) before the page draws instead. Generous: on a busy machine that takes seconds; a healthy start that
 * slow would still be given up, and the page would draw.
 */
export const WORKER_START_TIMEOUT_MS = 20_000;

/** Why this browser cannot draw in a worker, or null when it can. */
export function workerDrawingMissing(canvas: HTMLCanvasElement): string | null {
  if (typeof OffscreenCanvas === 'undefined') return 'this browser has no OffscreenCanvas';
  if (typeof canvas.transferControlToOffscreen !== 'function') return 'this browser cannot hand a canvas to a worker (no transferControlToOffscreen)';
  return null;
}

/** A failed start, as the page says it (the view line) and warns of it. */
export function startFailureText(failure: WorkerStartFailure): string {
  switch (failure.kind) {
    case 'no-webgl':
      return `the render worker has no WebGL (${failure.message})`;
    case 'renderer':
      return `the render worker's renderer failed to start (${failure.message})`;
    case 'worker':
      return `the render worker failed to start (${failure.message})`;
    case 'timeout':
      return `the render worker did not start within ${failure.ms / 1000} s`;
    default:
      return assertNever(failure, 'render worker start failure');
  }
}

export class WorkerStage implements EpisodeStage {
  private readonly worker: Worker;
  private readonly api: Comlink.Remote<RenderWorkerApi>;
  /**
   * Resolves once the worker has answered its start, or failed to, or not in time: null when it draws on the canvas,
   * else why not (then dispose of this stage: the canvas is the worker's and cannot be drawn on by the page).
   * Only the start is answered so: a failure later (a call that rejects, a worker that dies mid-episode) is not
   * fallen back from; it fails the episode or shows in the console as an uncaught error in the worker.
   */
  readonly started: Promise<WorkerStartFailure | null>;
  private readonly observer: ResizeObserver;
  private readonly unforward: () => void;

  /** Takes `canvas` over (see workerDrawingMissing first). */
  constructor(canvas: HTMLCanvasElement, mode: CameraMode, options: RenderWorkerOptions) {
    const size: ViewSize = { width: canvas.clientWidth, height: canvas.clientHeight, pixelRatio: devicePixelRatio };
    const offscreen = canvas.transferControlToOffscreen();
    this.worker = new Worker(new URL('../workers/render.worker.ts', import.meta.url), { type: 'module', name: 'render' });
    this.api = Comlink.wrap<RenderWorkerApi>(this.worker);
    this.started = this.start(offscreen, size, options);
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
    await this.ready();
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
    await this.ready();
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

  private start(offscreen: OffscreenCanvas, size: ViewSize, options: RenderWorkerOptions): Promise<WorkerStartFailure | null> {
    return new Promise((resolve) => {
      const settle = (failure: WorkerStartFailure | null): void => {
        clearTimeout(timer);
        this.worker.removeEventListener('error', failed);
        resolve(failure);
      };
      // Handled (preventDefault): the page falls back and warns instead of reporting an uncaught error. A module
      // worker whose script does not load gets a plain Event, without a message.
      const failed = (e: ErrorEvent): void => {
        e.preventDefault();
        settle({ kind: 'worker', message: (e instanceof ErrorEvent && e.message) || 'its script did not load' });
      };
      this.worker.addEventListener('error', failed);
      const timer = setTimeout(() => settle({ kind: 'timeout', ms: WORKER_START_TIMEOUT_MS }), WORKER_START_TIMEOUT_MS);
      this.api.init(Comlink.transfer(offscreen, [offscreen]), size, options).then(settle, (e: unknown) => settle({ kind: 'worker', message: messageOf(e) }));
    });
  }

  private async ready(): Promise<void> {
    const failure = await this.started;
    if (failure !== null) throw new Error(startFailureText(failure));
  }

  /** A call whose answer nobody waits for: a failure is reported, not left unhandled. */
  private send(call: Promise<void>): void {
    call.catch((e: unknown) => console.warn(`view: the render worker: ${messageOf(e)}`));
  }
}
