// <umwelt-app>: the page. A picker for the episode, the 3D view, the controls, the instruction and the agent's
// thoughts, live metrics, and which engine the planner runs on. The URL sets the first episode
// (?family=&seed=&planner=&engine=&speed=&memory=, ?record=1 to record it, ?autostart=0 to wait for Start); by
// default it starts at once. A recorded episode ends with a download link for its MCAP file (and one to replay it).
// ?workerwebgl=0 is for tests: the render worker's start fails for real (renderWorkerOptionsFromUrl).
import { css, html, LitElement, type PropertyValues } from 'lit';
import { FAMILY_NAMES, type FamilyName } from '../../scenes/family-names.ts';
import { EpisodeController } from '../controllers/episode-controller.ts';
import type { ControlAction } from '../elements/episode-controls.ts';
import type { EpisodeChoice } from '../elements/episode-picker.ts';
import type { SceneViewport } from '../elements/scene-viewport.ts';
import { APP_ENGINES, APP_PLANNERS, MEMORY_MODES, type AppEngine, type AppPlanner, type MemoryMode } from '../protocol.ts';
import type { RenderWorkerOptions, ViewportStage } from '../view/stage.ts';
import { assertNever } from '../../sim/types.ts';
import '../elements/episode-controls.ts';
import '../elements/episode-picker.ts';
import '../elements/keyboard-input.ts';
import '../elements/memory-panel.ts';
import '../elements/metrics-panel.ts';
import '../elements/scene-viewport.ts';
import '../elements/thought-log.ts';
import { markIfSlow } from '../view/slow-mark.ts';

export const DEFAULT_CHOICE: EpisodeChoice = { family: 'goto', seed: 1_000_000, planner: 'lm', engine: 'auto', memory: 'record', record: false };
export const DEFAULT_MAX_STEPS = 40;

function pick<T extends string>(value: string | null, allowed: readonly T[], fallback: T): T {
  return value !== null && (allowed as readonly string[]).includes(value) ? (value as T) : fallback;
}

/** The first episode, from the page's URL. */
export function choiceFromUrl(params: URLSearchParams): { choice: EpisodeChoice; speed: number; autostart: boolean } {
  const seed = Number(params.get('seed'));
  const speedText = params.get('speed');
  const speed = speedText === 'max' ? Number.POSITIVE_INFINITY : Number(speedText);
  return {
    choice: {
      family: pick<FamilyName>(params.get('family'), FAMILY_NAMES, DEFAULT_CHOICE.family),
      seed: params.has('seed') && Number.isSafeInteger(seed) && seed >= 0 ? seed : DEFAULT_CHOICE.seed,
      planner: pick<AppPlanner>(params.get('planner'), APP_PLANNERS, DEFAULT_CHOICE.planner),
      engine: pick<AppEngine>(params.get('engine'), APP_ENGINES, DEFAULT_CHOICE.engine),
      memory: pick<MemoryMode>(params.get('memory'), MEMORY_MODES, DEFAULT_CHOICE.memory),
      record: params.has('record') ? ['1', 'true', 'yes', ''].includes(params.get('record') ?? '') : DEFAULT_CHOICE.record,
    },
    speed: speedText !== null && speed > 0 ? speed : 4,
    autostart: params.get('autostart') !== '0',
  };
}

/**
 * How the render worker starts, from the page's URL. ?workerwebgl=0 makes its start fail for real, as in a browser
 * without WebGL in workers: the worker takes a 2D context of its canvas first, so the renderer's WebGL request gets
 * none. The page then draws the view itself (the viewport's fallback); tests/e2e/app.test.ts checks that it does.
 */
export function renderWorkerOptionsFromUrl(params: URLSearchParams): RenderWorkerOptions {
  return { blockWebGL: params.get('workerwebgl') === '0' };
}

export class UmweltApp extends LitElement {
  static override styles = css`
    :host { display: grid; grid-template-rows: auto 1fr; height: 100vh; font-family: system-ui, sans-serif; color: #1d2733; background: #f6f7f9; }
    header { display: flex; flex-wrap: wrap; gap: 8px 24px; align-items: end; padding: 8px 16px; border-bottom: 1px solid #d5dae0; background: white; }
    h1 { font-size: 1.2rem; margin: 0; }
    main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(18rem, 2fr); gap: 12px; padding: 12px 16px; min-height: 0; }
    umwelt-viewport { min-height: 320px; }
    aside { display: flex; flex-direction: column; gap: 10px; min-height: 0; overflow-y: auto; }
    section { background: white; border: 1px solid #d5dae0; border-radius: 6px; padding: 8px 10px; }
    section h2 { font-size: 0.85rem; text-transform: uppercase; letter-spacing: 0.04em; color: #5b6572; margin: 0 0 6px; }
    .instruction { font-size: 1.05rem; font-weight: 600; }
    .status { font-size: 0.85rem; color: #4a5563; }
    .error { color: #a3271f; }
    .log { flex: 1; min-height: 10rem; display: flex; flex-direction: column; }
    /* Strictly contained: a new step lays out and paints the log alone, not the page; its size comes from this
       column, never from its rows. */
    umwelt-thought-log { flex: 1; min-height: 0; contain: strict; }
    @media (max-width: 800px) {
      :host { height: auto; }
      main { grid-template-columns: 1fr; }
      umwelt-viewport { height: 60vw; }
    }
  `;

  readonly episode: EpisodeController;
  private choice: EpisodeChoice;
  private readonly autostart: boolean;

  constructor() {
    super();
    const { choice, speed, autostart } = choiceFromUrl(new URLSearchParams(location.search));
    this.choice = choice;
    this.autostart = autostart;
    const modelUrl = new URL('planner/planner.safetensors', document.baseURI).href;
    this.episode = new EpisodeController(this, modelUrl, () => this.stage());
    this.episode.speed = speed;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.episode.refreshMemories();
    if (this.autostart) void this.updateComplete.then(() => this.start(this.choice));
  }

  private async stage(): Promise<ViewportStage> {
    await this.updateComplete;
    const viewport = this.renderRoot.querySelector<SceneViewport>('umwelt-viewport');
    if (viewport === null) throw new Error('the page has no viewport');
    return viewport.stage(renderWorkerOptionsFromUrl(new URLSearchParams(location.search)));
  }

  start(choice: EpisodeChoice): void {
    this.choice = choice;
    const { family, seed, planner, memory, record } = choice;
    void this.episode.start({ family, seed, planner, maxSteps: DEFAULT_MAX_STEPS, memory, record }, choice.engine);
  }

  private control(action: ControlAction): void {
    switch (action) {
      case 'pause':
        this.episode.pause();
        break;
      case 'resume':
        this.episode.resume();
        break;
      case 'step':
        this.episode.step();
        break;
      case 'stop':
        this.episode.stop();
        this.requestUpdate();
        break;
      default:
        assertNever(action, 'control');
    }
  }

  private engineLine() {
    const e = this.episode;
    if (this.choice.planner !== 'lm') return html`Planner: ${this.choice.planner} (in the world worker${this.choice.planner === 'keyboard' ? ', answered from this page' : ''})`;
    const p = e.planner;
    if (p === null) return html`Planner: loading the language model…`;
    const where = p.engine === 'webgpu' ? `WebGPU (${p.adapter ?? 'unknown adapter'})` : 'the CPU engine (WebAssembly)';
    return html`Planner: language model (${(p.parameters / 1e6).toFixed(2)}M parameters) in a worker on ${where}${p.note ? html` — <span title=${p.note}>${p.note}</span>` : null}`;
  }

  private viewLine() {
    const d = this.episode.drawing;
    if (d === null) return null;
    const where = d.place === 'worker' ? 'in a worker (OffscreenCanvas)' : 'on this page';
    const r = d.renderer;
    const gl = r === null ? null : html`, WebGL on <span title=${r.name}>${r.software ? 'a software rasterizer (half resolution, fewer frames)' : 'the GPU'}</span>`;
    return html`View: drawn ${where}${gl}${d.note ? html` — <span title=${d.note}>${d.note}</span>` : null}`;
  }

  private recordingLine() {
    const e = this.episode;
    if (e.recording !== null) {
      const { url, name, bytes } = e.recording;
      const replay = `./replay.html?replay=${encodeURIComponent(url)}`;
      return html`<div class="status" data-recording>
        <a href=${url} download=${name} data-download>Download recording</a> (${name}, ${(bytes / 1024).toFixed(0)} KiB) ·
        <a href=${replay} target="_blank" data-open-replay>Open in replay</a>
      </div>`;
    }
    if (e.recordingError !== null) return html`<div class="status error" data-recording>Recording failed: ${e.recordingError}</div>`;
    if (e.request?.record && e.status !== 'idle' && e.status !== 'error') return html`<div class="status" data-recording>Recording…</div>`;
    return null;
  }

  private renderStarted = 0;

  protected override update(changed: PropertyValues<this>): void {
    this.renderStarted = performance.now();
    super.update(changed);
  }

  protected override updated(): void {
    markIfSlow('app-update', this.renderStarted);
  }

  override render() {
    const e = this.episode;
    this.dataset['status'] = e.status;
    this.dataset['engine'] = e.planner?.engine ?? '';
    this.dataset['drawing'] = e.drawing?.place ?? '';
    return html`
      <header>
        <h1>Umwelt</h1>
        <a href="./replay.html" class="status">Replay a recording</a>
        <umwelt-picker .choice=${this.choice} ?busy=${e.status === 'loading'} @start=${(ev: CustomEvent<EpisodeChoice>) => this.start(ev.detail)}></umwelt-picker>
      </header>
      <main>
        <umwelt-viewport .hasScene=${e.sceneShown}></umwelt-viewport>
        <aside>
          <section aria-label="Instruction">
            <h2>Instruction</h2>
            <div class="instruction" data-instruction>${e.instruction || '—'}</div>
            <div class="status" data-engine-line>${this.engineLine()}</div>
            <div class="status" data-view-line>${this.viewLine()}</div>
            <div class="status" role="status">Status: <span data-status>${e.status}</span>${e.error ? html` — <span class="error">${e.error}</span>` : null}</div>
            ${this.recordingLine()}
          </section>
          <umwelt-controls .status=${e.status} .speed=${e.speed}
            @control=${(ev: CustomEvent<ControlAction>) => this.control(ev.detail)}
            @speed=${(ev: CustomEvent<number>) => e.setSpeed(ev.detail)}></umwelt-controls>
          ${this.choice.planner === 'keyboard' ? html`<umwelt-keyboard .context=${e.keyboard.waiting} @act=${(ev: CustomEvent<string>) => e.keyboard.submit(ev.detail)}></umwelt-keyboard>` : null}
          <section aria-label="Metrics"><h2>Metrics</h2><umwelt-metrics .steps=${e.steps} .result=${e.result} .reward=${e.reward} .maxSteps=${DEFAULT_MAX_STEPS}></umwelt-metrics></section>
          <section aria-label="Memory"><h2>Memory</h2>
            <umwelt-memory .written=${e.memoryWrites} .recalled=${e.memoryRecalls.at(-1) ?? null} .stored=${e.stored} .search=${e.search} .mode=${this.choice.memory}
              @memory-search=${(ev: CustomEvent<string>) => void e.searchMemories(ev.detail)}
              @memory-clear=${() => void e.clearMemories()}></umwelt-memory>
          </section>
          <section class="log" aria-label="Thoughts"><h2>Thoughts</h2><umwelt-thought-log .steps=${e.steps}></umwelt-thought-log></section>
        </aside>
      </main>
    `;
  }
}
customElements.define('umwelt-app', UmweltApp);
