// <umwelt-replay>: a recorded episode (an MCAP file from `umwelt run --record`), played back from its recorded
// states. Open one with the file input, by dropping it on the element, with the `src` attribute (a URL), or with
// open(file | bytes, name). A timeline scrubber (a range input: arrows, Page Up/Down, Home/End), play/pause,
// previous/next step, speed, "go to step", the 3D view and the recorded thoughts beside it, the current step
// highlighted (click a thought to go to its step). Space plays or pauses, "," and "." step back and forth (when
// focus is not in a field).
//
// For tests and embedding pages, the host says where it is: data-status ('empty' | 'loading' | 'ready' | 'error'),
// data-step (the step shown), data-steps (the recorded steps), data-robot (x y z of the agent's base in the frame
// last handed to the view); drawnAgentPosition() reads the pose the 3D view holds.
import { css, html, LitElement, type PropertyValues } from 'lit';
import type { StepRow } from '../controllers/episode-controller.ts';
import type { SceneViewport } from '../elements/scene-viewport.ts';
import '../elements/scene-viewport.ts';
import '../elements/thought-log.ts';
import { PlaybackController, REPLAY_SPEEDS } from './playback-controller.ts';
import { ReplayController, type LoadedReplay } from './replay-controller.ts';

function rowsOf(replay: LoadedReplay | null): StepRow[] {
  if (replay === null) return [];
  return replay.data.rows.map((r) => ({ step: r.step, thought: r.thought, action: r.action, outcome: r.outcome, latencyMs: r.latencyMs, tokens: r.tokens }));
}

function isField(target: EventTarget | undefined): boolean {
  return target instanceof HTMLInputElement || target instanceof HTMLSelectElement || target instanceof HTMLTextAreaElement || target instanceof HTMLButtonElement;
}

export class UmweltReplay extends LitElement {
  static override properties = { src: {}, dragging: { state: true } };
  /** A URL to fetch the recording from (relative to the page). */
  declare src: string;
  declare dragging: boolean;

  static override styles = css`
    :host { display: grid; grid-template-rows: auto auto 1fr auto; gap: 8px; font-family: system-ui, sans-serif; color: #1d2733; min-height: 0; }
    .open { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; padding: 8px 10px; border: 2px dashed #aab3bd; border-radius: 6px; background: white; }
    :host([data-dragging]) .open { border-color: #24527a; background: #eaf2fa; }
    .open .hint { color: #5b6572; font-size: 0.9rem; }
    .about { display: flex; flex-wrap: wrap; gap: 4px 16px; align-items: baseline; font-size: 0.9rem; }
    .instruction { font-weight: 600; font-size: 1.05rem; }
    .meta { color: #5b6572; }
    .problem { color: #8a5a00; }
    .error { color: #a3271f; background: #fdecea; border: 1px solid #f1b8b2; border-radius: 6px; padding: 8px 10px; margin: 0; white-space: pre-wrap; }
    .loading { color: #4a5563; }
    main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(16rem, 2fr); gap: 12px; min-height: 0; }
    umwelt-viewport { min-height: 320px; }
    section { background: white; border: 1px solid #d5dae0; border-radius: 6px; padding: 8px 10px; display: flex; flex-direction: column; min-height: 0; max-height: 70vh; }
    section h2 { font-size: 0.85rem; text-transform: uppercase; letter-spacing: 0.04em; color: #5b6572; margin: 0 0 6px; }
    umwelt-thought-log { flex: 1; min-height: 0; cursor: pointer; }
    .timeline { display: flex; flex-wrap: wrap; gap: 6px 12px; align-items: center; background: white; border: 1px solid #d5dae0; border-radius: 6px; padding: 8px 10px; }
    .timeline label { font-size: 0.85rem; color: #4a5563; display: flex; gap: 6px; align-items: center; }
    .scrub { flex: 1 1 16rem; }
    .scrub input { flex: 1; min-width: 8rem; }
    button, select, input[type='number'] { font: inherit; font-size: 0.9rem; padding: 3px 10px; }
    input[type='number'] { width: 5rem; padding: 3px 4px; }
    output { font-variant-numeric: tabular-nums; min-width: 8rem; }
    @media (max-width: 800px) {
      main { grid-template-columns: 1fr; }
      umwelt-viewport { height: 60vw; }
      section { max-height: 40vh; }
    }
  `;

  private readonly replay = new ReplayController(this, (loaded) => this.showScene(loaded));
  private readonly playback = new PlaybackController(this, (frames, offset) => this.present(frames, offset));

  constructor() {
    super();
    this.src = '';
    this.dragging = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.addEventListener('dragover', this.onDragOver);
    this.addEventListener('dragleave', this.onDragLeave);
    this.addEventListener('drop', this.onDrop);
    this.addEventListener('keydown', this.onKey);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.removeEventListener('dragover', this.onDragOver);
    this.removeEventListener('dragleave', this.onDragLeave);
    this.removeEventListener('drop', this.onDrop);
    this.removeEventListener('keydown', this.onKey);
  }

  /** Opens a recording: a File (chosen or dropped) or its bytes (copied), named `name` in messages. */
  open(file: File | Uint8Array, name?: string): Promise<void> {
    return this.replay.open(file, name);
  }

  /** Shows the state after `step` (0: after reset). */
  seek(step: number): void {
    this.playback.seek(step);
  }

  /** The agent's base position in the 3D view now (what is drawn), or null when nothing is loaded. */
  drawnAgentPosition(): [number, number, number] | null {
    const p = this.replay.loaded?.view.world.robot.view.position;
    return p === undefined ? null : [p.x, p.y, p.z];
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('src') && this.src) void this.replay.fetch(this.src);
    this.dataset['status'] = this.replay.status;
    this.dataset['step'] = String(this.playback.step);
    this.dataset['steps'] = String(this.playback.steps);
    this.toggleAttribute('data-dragging', this.dragging);
  }

  private async showScene(loaded: LoadedReplay | null): Promise<void> {
    this.playback.setReplay(loaded);
    if (loaded === null) delete this.dataset['robot'];
    await this.updateComplete;
    await this.renderRoot.querySelector<SceneViewport>('umwelt-viewport')?.show(loaded === null ? null : { view: loaded.view, player: loaded.player });
  }

  private present(frames: Float32Array, offset: number): void {
    const loaded = this.replay.loaded;
    if (loaded === null) return;
    const frame = frames.subarray(offset, offset + loaded.view.stride);
    loaded.player.clear();
    loaded.player.push(frame, 1);
    this.dataset['robot'] = `${frame[0]} ${frame[1]} ${frame[2]}`;
  }

  private readonly onDragOver = (e: DragEvent): void => {
    if (!e.dataTransfer?.types.includes('Files')) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    this.dragging = true;
  };

  private readonly onDragLeave = (e: DragEvent): void => {
    if (e.relatedTarget instanceof Node && this.contains(e.relatedTarget)) return;
    this.dragging = false;
  };

  private readonly onDrop = (e: DragEvent): void => {
    e.preventDefault();
    this.dragging = false;
    const file = e.dataTransfer?.files[0];
    if (file !== undefined) void this.open(file);
  };

  private readonly onKey = (e: KeyboardEvent): void => {
    if (this.replay.status !== 'ready' || isField(e.composedPath()[0])) return;
    if (e.key === ' ') {
      e.preventDefault();
      this.playback.toggle();
    } else if (e.key === ',') {
      this.playback.pause();
      this.playback.seek(this.playback.step - 1);
    } else if (e.key === '.') {
      this.playback.pause();
      this.playback.seek(this.playback.step + 1);
    }
  };

  private readonly chosen = (e: Event): void => {
    const input = e.target as HTMLInputElement;
    const file = input.files?.[0];
    if (file !== undefined) void this.open(file);
    input.value = '';
  };

  private readonly scrubbed = (e: Event): void => {
    this.playback.pause();
    this.playback.seek(Number((e.target as HTMLInputElement).value));
  };

  private readonly jumped = (e: Event): void => {
    const input = e.target as HTMLInputElement;
    if (input.value === '' || !input.checkValidity()) return;
    this.playback.pause();
    this.playback.seek(Number(input.value));
  };

  private readonly logClicked = (e: Event): void => {
    const li = e.composedPath().find((t): t is HTMLElement => t instanceof HTMLElement && t.tagName === 'LI' && t.dataset['step'] !== undefined);
    if (li === undefined) return;
    this.playback.pause();
    this.playback.seek(Number(li.dataset['step']));
  };

  private about() {
    const loaded = this.replay.loaded;
    if (loaded === null) return null;
    const info = loaded.data.info;
    const result = info.result === null ? 'no result recorded' : info.result.success ? 'success' : `failed${info.result.reason ? ` (${info.result.reason})` : ''}`;
    return html`<div class="about" aria-label="Recording">
      <span class="instruction" data-instruction>${info.instruction}</span>
      <span class="meta">${info.name} · ${info.family}, seed ${info.seed} · ${info.planner} planner · ${info.steps} steps · ${result}</span>
      ${info.complete ? null : html`<span class="problem">Incomplete file: ${info.problem ?? 'truncated'}</span>`}
    </div>`;
  }

  override render() {
    const r = this.replay;
    const p = this.playback;
    const ready = r.status === 'ready';
    const steps = p.steps;
    return html`
      <div class="open">
        <label>Open a recording (.mcap) <input type="file" accept=".mcap,application/octet-stream" @change=${this.chosen}></label>
        <span class="hint">or drop one here</span>
        ${r.status === 'loading' ? html`<span class="loading" role="status">Loading ${r.name}…</span>` : null}
      </div>
      ${r.status === 'error' ? html`<p class="error" role="alert" data-error>${r.error}</p>` : this.about()}
      <main>
        <umwelt-viewport></umwelt-viewport>
        <section aria-label="Recorded thoughts">
          <h2>Thoughts</h2>
          <umwelt-thought-log label="Recorded thoughts and actions" .steps=${rowsOf(r.loaded)} .selected=${ready && p.step > 0 ? p.step : null} @click=${this.logClicked}></umwelt-thought-log>
        </section>
      </main>
      <div class="timeline" role="group" aria-label="Timeline">
        <button type="button" ?disabled=${!ready} @click=${() => p.toggle()} data-play>${p.playing ? 'Pause' : 'Play'}</button>
        <button type="button" ?disabled=${!ready || p.step <= 0} @click=${() => (p.pause(), p.seek(p.step - 1))} aria-label="Previous step">◀</button>
        <button type="button" ?disabled=${!ready || p.step >= steps} @click=${() => (p.pause(), p.seek(p.step + 1))} aria-label="Next step">▶</button>
        <label class="scrub">Step
          <input type="range" min="0" max=${steps} step="1" .value=${String(p.step)} ?disabled=${!ready}
            aria-valuetext=${`step ${p.step} of ${steps}`} @input=${this.scrubbed} data-scrubber>
        </label>
        <output aria-live="polite" data-step-label>${ready ? `step ${p.step} of ${steps}` : 'no recording'}</output>
        <label>Go to step
          <input type="number" min="0" max=${steps} step="1" .value=${String(p.step)} ?disabled=${!ready} @change=${this.jumped}>
        </label>
        <label>Speed
          <select ?disabled=${!ready} @change=${(e: Event) => p.setSpeed(Number((e.target as HTMLSelectElement).value))}>
            ${REPLAY_SPEEDS.map((s) => html`<option value=${s} ?selected=${s === p.speed}>${s}×</option>`)}
          </select>
        </label>
      </div>
    `;
  }
}
customElements.define('umwelt-replay', UmweltReplay);
