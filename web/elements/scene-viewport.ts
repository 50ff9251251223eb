// <umwelt-viewport>: the three.js view of the episode, with a choice of camera (orbit, follow, the agent's eye). A live
// episode's view is drawn in the render worker when the browser can hand it the canvas (stage()), else on the page;
// the replay viewer's is drawn on the page (show()). Whichever comes first decides, for the element's lifetime: a
// canvas handed to a worker cannot be drawn on by the page again.
import { css, html, LitElement } from 'lit';
import { RenderController } from '../controllers/render-controller.ts';
import type { FramePlayer } from '../view/frame-player.ts';
import type { SceneView } from '../view/scene-view.ts';
import { CAMERA_MODES, type CameraMode, type ViewportStage } from '../view/stage.ts';
import { WorkerStage, workerDrawingMissing } from '../view/worker-stage.ts';

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

  /** The stage for live episodes: in the render worker where the canvas can be handed over, else on the page. */
  async stage(): Promise<ViewportStage> {
    await this.updateComplete;
    const canvas = this.renderRoot.querySelector('canvas');
    if (this.surface === null && canvas !== null) {
      const missing = workerDrawingMissing(canvas);
      if (missing === null) {
        this.surface = { place: 'worker', stage: new WorkerStage(canvas, this.mode) };
      } else {
        this.fallback = missing;
        console.warn(`view: drawn on the page: ${missing}`);
      }
    }
    if (this.surface?.place === 'worker') return { stage: this.surface.stage, place: 'worker', note: null };
    return { stage: this.page().episodeStage(), place: 'page', note: this.fallback };
  }

  private page(): RenderController {
    if (this.surface?.place === 'worker') throw new Error('this viewport draws in the render worker');
    this.surface ??= { place: 'page', controller: new RenderController(this, () => this.renderRoot.querySelector('canvas')) };
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
      <canvas tabindex="0" aria-label="3D view of the house (drag to orbit, scroll to zoom)"></canvas>
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
