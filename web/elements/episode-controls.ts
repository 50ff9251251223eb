// <umwelt-controls>: pause / resume, one step, stop, and playback speed. Space pauses or resumes, "n" steps
// (when focus is not in a text field).
import { css, html, LitElement } from 'lit';
import type { EpisodeStatus } from '../controllers/episode-controller.ts';

export const SPEEDS: { label: string; value: number }[] = [
  { label: '1×', value: 1 },
  { label: '4×', value: 4 },
  { label: '16×', value: 16 },
  { label: 'Max', value: Number.POSITIVE_INFINITY },
];

export type ControlAction = 'pause' | 'resume' | 'step' | 'stop';

export class EpisodeControls extends LitElement {
  static override properties = { status: {}, speed: { type: Number } };
  declare status: EpisodeStatus;
  declare speed: number;

  static override styles = css`
    :host { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
    button, select { font: inherit; font-size: 0.9rem; padding: 3px 10px; }
    label { font-size: 0.8rem; color: #4a5563; display: flex; gap: 4px; align-items: center; }
  `;

  constructor() {
    super();
    this.status = 'idle';
    this.speed = 4;
  }

  private readonly onKey = (e: KeyboardEvent): void => {
    const target = e.composedPath()[0];
    if (target instanceof HTMLInputElement || target instanceof HTMLSelectElement || target instanceof HTMLTextAreaElement) return;
    if (e.key === ' ' && (this.status === 'running' || this.status === 'paused')) {
      e.preventDefault();
      this.act(this.status === 'running' ? 'pause' : 'resume');
    } else if (e.key === 'n' && (this.status === 'running' || this.status === 'paused')) {
      this.act('step');
    }
  };

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('keydown', this.onKey);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('keydown', this.onKey);
  }

  private act(action: ControlAction): void {
    this.dispatchEvent(new CustomEvent<ControlAction>('control', { detail: action, bubbles: true, composed: true }));
  }

  private readonly chooseSpeed = (e: Event): void => {
    const value = Number((e.target as HTMLSelectElement).value);
    this.dispatchEvent(new CustomEvent<number>('speed', { detail: value, bubbles: true, composed: true }));
  };

  override render() {
    const live = this.status === 'running' || this.status === 'paused';
    return html`
      ${this.status === 'paused'
        ? html`<button type="button" @click=${() => this.act('resume')} title="Resume (space)">Resume</button>`
        : html`<button type="button" ?disabled=${!live} @click=${() => this.act('pause')} title="Pause (space)">Pause</button>`}
      <button type="button" ?disabled=${!live} @click=${() => this.act('step')} title="One step (n)">Step</button>
      <button type="button" ?disabled=${!live} @click=${() => this.act('stop')}>Stop</button>
      <label>Speed
        <select @change=${this.chooseSpeed} aria-label="Playback speed">
          ${SPEEDS.map((s) => html`<option value=${String(s.value)} ?selected=${s.value === this.speed}>${s.label}</option>`)}
        </select>
      </label>
    `;
  }
}
customElements.define('umwelt-controls', EpisodeControls);
