// <umwelt-viewport>: the three.js view of the episode, with a choice of camera (orbit, follow, the agent's eye). A live
// episode's view is drawn in the render worker when the browser can hand it the canvas and the worker starts drawing
// on it (stage()), else on the page; the replay viewer's is drawn on the page (show()). Whichever comes first
// decides, for the element's lifetime: a canvas handed to a worker cannot be drawn on by the page again (a worker
// that could not start is let go with that canvas, and the page draws on a fresh one).
import { css, html, LitElement } from 'lit';
import { keyed } from 'lit/directives/keyed.js';
import { RenderController } from '../controllers/render-controller.ts';
import type { FramePlayer } from '../view/frame-player.ts';
import type { SceneView } from '../view/scene-view.ts';
import { CAMERA_MODES, type CameraMode, type RenderWorkerOptions, type ViewportStage, type WorkerStartFailure } from '../view/stage.ts';
import { startFailureText, WorkerStage, workerDrawingMissing } from '../view/worker-stage.ts';

const LABELS: Record<CameraMode, string> = { orbit: 'Orbit', follow: 'Follow', agent: "Agent's view" };

/** A scene built on the page, posed by its frame player (the replay viewer's). */
export interface PageScene {
  view: SceneView;
  player: FramePlayer;
}

type Surface = { place: 'page'; controller: RenderController } | { place: 'worker'; stage: WorkerStage };

export class SceneViewport extends LitElement {
  static override properties = { hasScene: { type: Boolean } };
  /** Whether a scene has been shown (else the view says there is none yet). */
  declare hasScene: boolean;

  static override styles = css`
    :host { display: block; position: relative; min-height: 240px; background: #dfe3e8; border-radius: 6px; overflow: hidden; }
    canvas { display: block; width: 100%; height: 100%; outline: none; touch-action: none; }
    .cameras { position: absolute; top: 8px; left: 8px; display: flex; gap: 4px; }
    .cameras button { font: inherit; font-size: 0.8rem; padding: 2px 8px; border: 1px solid #8a939e; border-radius: 4px; background: #ffffffd0; cursor: pointer; }
    .cameras button[aria-pressed='true'] { background: #24527a; color: white; border-color: #24527a; }
    .empty { position: absolute; inset: 0; display: grid; place-items: center; color: #4a5563; }
  `;

  private surface: Surface | null = null;
  private mode: CameraMode = 'orbit';
  private fallback: string | null = null;
  /** Where live episodes draw, decided once (choosePlace): the started worker's stage, or null for the page. */
  private placing: Promise<WorkerStage | null> | null = null;
  /** Bumped to render a fresh canvas in place of one handed to a worker that could not start. */
  private canvasKey = 0;

  constructor() {
    super();
    this.hasScene = false;
  }

  // The element is not meant to move: a canvas handed to the render worker stays there.
  override disconnectedCallback(): void {
    super.disconnectedCallback();
    if (this.surface?.place === 'worker') this.surface.stage.dispose();
  }

  /** Shows a scene built on the page (compiling its shaders first), or none. */
  async show(scene: PageScene | null): Promise<void> {
    await this.updateComplete;
    await this.page().setView(scene?.view ?? null, scene?.player ?? null);
    this.hasScene = scene !== null;
  }

  /**
   * The stage for live episodes: in the render worker where the canvas can be handed over and the worker starts
   * drawing on it, else on the page. Resolves once that is known (the worker's start is loading work).
   */
  async stage(options: RenderWorkerOptions): Promise<ViewportStage> {
    await this.updateComplete;
    this.placing ??= this.choosePlace(options);
    const worker = await this.placing;
    if (worker !== null) return { stage: worker, place: 'worker', note: null };
    return { stage: this.page().episodeStage(), place: 'page', note: this.fallback };
  }

  /**
   * Hands the canvas to the render worker and waits for its start. Where the browser cannot hand it over, or the
   * worker cannot draw (no WebGL context, a renderer that throws, a worker that fails to load or does not answer),
   * the page draws instead, with one warning and the reason on the page (the app's view line). Only the start is
   * fallen back from: a later failure in the worker is reported as before (WorkerStage.started).
   */
  private async choosePlace(options: RenderWorkerOptions): Promise<WorkerStage | null> {
    const canvas = this.renderRoot.querySelector('canvas');
    // The replay viewer's page drawing came first (or there is no canvas): the page it is, with no fallback to tell.
    if (this.surface !== null || canvas === null) return null;
    const missing = workerDrawingMissing(canvas);
    if (missing !== null) return this.drawOnPage(missing);
    let failure: WorkerStartFailure;
    try {
      const stage = new WorkerStage(canvas, this.mode, options);
      this.surface = { place: 'worker', stage };
      const started = await stage.started;
      if (started === null) return stage;
      failure = started;
      stage.dispose();
    } catch (e) {
      // The worker could not even be made (the canvas may be handed over already).
      failure = { kind: 'worker', message: e instanceof Error ? e.message : String(e) };
    }
    this.surface = null;
    this.canvasKey++;
    this.requestUpdate();
    await this.updateComplete;
    return this.drawOnPage(startFailureText(failure));
  }

  private drawOnPage(reason: string): null {
    this.fallback = reason;
    console.warn(`view: drawn on the page: ${reason}`);
    return null;
  }

  private page(): RenderController {
    if (this.surface?.place === 'worker') throw new Error('this viewport draws in the render worker');
    if (this.surface === null) {
      const controller = new RenderController(this, () => this.renderRoot.querySelector('canvas'));
      controller.setMode(this.mode);
      this.surface = { place: 'page', controller };
    }
    return this.surface.controller;
  }

  private choose(mode: CameraMode): void {
    this.mode = mode;
    if (this.surface?.place === 'worker') this.surface.stage.setMode(mode);
    else this.surface?.controller.setMode(mode);
    this.requestUpdate();
  }

  override render() {
    return html`
      ${keyed(this.canvasKey, html`<canvas tabindex="0" aria-label="3D view of the house (drag to orbit, scroll to zoom)"></canvas>`)}
      <div class="cameras" role="group" aria-label="Camera">
        ${CAMERA_MODES.map(
          (m) => html`<button type="button" aria-pressed=${this.mode === m ? 'true' : 'false'} @click=${() => this.choose(m)}>${LABELS[m]}</button>`,
        )}
      </div>
      ${this.hasScene ? null : html`<div class="empty">No scene yet</div>`}
    `;
  }
}
customElements.define('umwelt-viewport', SceneViewport);
