// <umwelt-viewport>: the three.js view of the episode, with a choice of camera (orbit, follow, the agent's eye).
import { css, html, LitElement } from 'lit';
import { CAMERA_MODES, RenderController, type CameraMode } from '../controllers/render-controller.ts';
import type { EpisodeView } from '../controllers/episode-controller.ts';

const LABELS: Record<CameraMode, string> = { orbit: 'Orbit', follow: 'Follow', agent: "Agent's view" };

export class SceneViewport extends LitElement {
  static override styles = css`
    :host { display: block; position: relative; min-height: 240px; background: #dfe3e8; border-radius: 6px; overflow: hidden; }
    canvas { display: block; width: 100%; height: 100%; outline: none; }
    .cameras { position: absolute; top: 8px; left: 8px; display: flex; gap: 4px; }
    .cameras button { font: inherit; font-size: 0.8rem; padding: 2px 8px; border: 1px solid #8a939e; border-radius: 4px; background: #ffffffd0; cursor: pointer; }
    .cameras button[aria-pressed='true'] { background: #24527a; color: white; border-color: #24527a; }
    .empty { position: absolute; inset: 0; display: grid; place-items: center; color: #4a5563; }
  `;

  private readonly renderer = new RenderController(this, () => this.renderRoot.querySelector('canvas'));
  private shown = false;

  /** Shows an episode's scene (compiling its shaders first). */
  async show(episode: EpisodeView | null): Promise<void> {
    await this.updateComplete;
    await this.renderer.setView(episode?.view ?? null, episode?.player ?? null);
    this.shown = episode !== null;
    this.requestUpdate();
  }

  /** Frames drawn so far. */
  get framesDrawn(): number {
    return this.renderer.drawn;
  }

  snapshot(): string | null {
    return this.renderer.snapshot();
  }

  private choose(mode: CameraMode): void {
    this.renderer.mode = mode;
    this.renderer.invalidate();
    this.requestUpdate();
  }

  override render() {
    return html`
      <canvas tabindex="0" aria-label="3D view of the house (drag to orbit, scroll to zoom)"></canvas>
      <div class="cameras" role="group" aria-label="Camera">
        ${CAMERA_MODES.map(
          (m) => html`<button type="button" aria-pressed=${this.renderer.mode === m ? 'true' : 'false'} @click=${() => this.choose(m)}>${LABELS[m]}</button>`,
        )}
      </div>
      ${this.shown ? null : html`<div class="empty">No scene yet</div>`}
    `;
  }
}
customElements.define('umwelt-viewport', SceneViewport);
