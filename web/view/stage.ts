// What the episode drives to show itself: the drawing side of the viewport, in the render worker (an OffscreenCanvas)
// or on the page (where a canvas cannot be handed to a worker). Both take the same calls; the episode does not know
// which it has. The shapes of the page-to-render-worker protocol are here too.
import type { CameraImage } from '../../record/format.ts';
import type { SceneStart } from '../protocol.ts';

export const CAMERA_MODES = ['orbit', 'follow', 'agent'] as const;
export type CameraMode = (typeof CAMERA_MODES)[number];

/** Where the live view is drawn. */
export type DrawingPlace = 'worker' | 'page';

/** The WebGL renderer a stage draws with. */
export interface RendererInfo {
  /** Its unmasked name (SwiftShader, a GPU's), or '' where the browser hides it. */
  name: string;
  /** Whether it rasterizes on the CPU: then the view is drawn at half resolution and fewer frames a second. */
  software: boolean;
}

/** Where and with what the live view is drawn, for the page's status line. */
export interface DrawingInfo {
  place: DrawingPlace;
  /** Null before the first scene is shown. */
  renderer: RendererInfo | null;
  /** Why the view is drawn on the page, when that is a fallback; null otherwise. */
  note: string | null;
}

/** The calls an episode makes to its view, wherever it is drawn. */
export interface EpisodeStage {
  /**
   * Shows an episode's scene: builds its view from the description, compiles its shaders and draws it once
   * (loading work). Rejects when the description cannot be drawn (a SceneViewError).
   */
  show(start: SceneStart, speed: number): Promise<RendererInfo>;
  /** Queues one action's pose frames (transferred where they cross a thread): they play at the stage's speed. */
  frames(frames: Float32Array, count: number): void;
  /** Resolves once every frame queued so far has been shown. */
  drained(): Promise<void>;
  /** Drops the queued frames (a stopped episode); pending drained() calls resolve. */
  clear(): void;
  setSpeed(speed: number): void;
  /** Readies the agent's camera for the scene shown (for a recording); rejects when it cannot draw here. */
  openCamera(): Promise<void>;
  /** The agent camera's images of the state shown now (view/agent-camera.ts). */
  capture(): Promise<CameraImage[]>;
  closeCamera(): void;
}

/** The viewport's stage for live episodes, where it draws, and why there when that is a fallback. */
export interface ViewportStage {
  stage: EpisodeStage;
  place: DrawingPlace;
  note: string | null;
}

/** The canvas's size in CSS pixels and the page's device pixel ratio. */
export interface ViewSize {
  width: number;
  height: number;
  pixelRatio: number;
}

export type ViewInputType = 'pointerdown' | 'pointermove' | 'pointerup' | 'pointercancel' | 'wheel';

/**
 * A pointer or wheel event on the canvas, as the orbit controls read it. Coordinates are relative to the canvas
 * (client and page alike): the controls only use their differences and their offset from the canvas's corner.
 */
export interface ViewInput {
  type: ViewInputType;
  pointerId: number;
  pointerType: string;
  button: number;
  clientX: number;
  clientY: number;
  pageX: number;
  pageY: number;
  deltaX: number;
  deltaY: number;
  deltaMode: number;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
}

/**
 * Why the render worker did not start drawing (view/worker-stage.ts): the viewport then draws on the page instead.
 * The first two are the worker's own answer to init, the last two what the page sees of a worker that never answers.
 */
export type WorkerStartFailure =
  /** Its canvas gave no WebGL2 context (WebGL off or blocked in workers, or the canvas has another kind of context). */
  | { kind: 'no-webgl'; message: string }
  /** The renderer threw while being made, with a context. */
  | { kind: 'renderer'; message: string }
  /** The worker failed to load, threw before it answered, or rejected the start. */
  | { kind: 'worker'; message: string }
  /** It did not answer the start in time. */
  | { kind: 'timeout'; ms: number };

/** The worker's own answer to a start it could not draw from (null: it draws). */
export type RenderInitFailure = Extract<WorkerStartFailure, { kind: 'no-webgl' | 'renderer' }>;

/** How the render worker starts. */
export interface RenderWorkerOptions {
  /**
   * Takes a 2D context of the canvas before the renderer asks it for WebGL, which then genuinely gets none: the way a
   * test makes the worker's start fail (the page's ?workerwebgl=0, web/app/umwelt-app.ts).
   */
  blockWebGL: boolean;
}

/** The render worker's API (workers/render.worker.ts): its canvas and input, then the stage. */
export interface RenderWorkerApi extends EpisodeStage {
  /** Takes the page's canvas (transferred) and starts drawing on it; or says why it cannot draw there. */
  init(canvas: OffscreenCanvas, size: ViewSize, options: RenderWorkerOptions): RenderInitFailure | null;
  resize(size: ViewSize): void;
  input(event: ViewInput): void;
  setMode(mode: CameraMode): void;
}
