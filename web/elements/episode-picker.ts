// <umwelt-picker>: which episode to run: task family, seed, planner, the language model's engine, the memory, and
// whether to record it (an MCAP file with the agent's camera images, offered as a download at the end).
import { css, html, LitElement } from 'lit';
import { FAMILY_NAMES, type FamilyName } from '../../scenes/family-names.ts';
import { APP_ENGINES, APP_PLANNERS, MEMORY_MODES, type AppEngine, type AppPlanner, type MemoryMode } from '../protocol.ts';

export interface EpisodeChoice {
  family: FamilyName;
  seed: number;
  planner: AppPlanner;
  engine: AppEngine;
  memory: MemoryMode;
  /** Record the episode (MCAP with the agent's camera), to download when it ends. */
  record: boolean;
}

const MEMORY_LABELS: Record<MemoryMode, string> = { off: 'Off', record: 'Record (not in prompt)', prompt: 'In the prompt' };

const PLANNER_LABELS: Record<AppPlanner, string> = { lm: 'Language model', oracle: 'Oracle', random: 'Random', keyboard: 'Keyboard (you)' };

export class EpisodePicker extends LitElement {
  static override properties = { choice: { attribute: false }, busy: { type: Boolean } };
  declare choice: EpisodeChoice;
  declare busy: boolean;

  static override styles = css`
    :host { display: block; }
    form { display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: end; }
    label { display: flex; flex-direction: column; font-size: 0.8rem; color: #4a5563; gap: 2px; }
    select, input { font: inherit; font-size: 0.9rem; padding: 3px 4px; }
    input[type='number'] { width: 8rem; }
    label.check { flex-direction: row; align-items: center; gap: 4px; font-size: 0.9rem; color: inherit; padding-bottom: 4px; }
    button { font: inherit; padding: 4px 14px; border-radius: 4px; border: 1px solid #24527a; background: #24527a; color: white; cursor: pointer; }
    button:disabled { opacity: 0.6; cursor: default; }
  `;

  constructor() {
    super();
    this.choice = { family: 'goto', seed: 1_000_000, planner: 'lm', engine: 'auto', memory: 'record', record: false };
    this.busy = false;
  }

  private readonly submit = (e: SubmitEvent): void => {
    e.preventDefault();
    const data = new FormData(e.target as HTMLFormElement);
    const text = (key: string): string => {
      const value = data.get(key);
      return typeof value === 'string' ? value : '';
    };
    const seed = Number(text('seed'));
    const choice: EpisodeChoice = {
      family: text('family') as FamilyName,
      seed: Number.isSafeInteger(seed) && seed >= 0 ? seed : this.choice.seed,
      planner: text('planner') as AppPlanner,
      engine: text('engine') as AppEngine,
      memory: text('memory') as MemoryMode,
      record: data.get('record') !== null,
    };
    this.choice = choice;
    this.dispatchEvent(new CustomEvent<EpisodeChoice>('start', { detail: choice, bubbles: true, composed: true }));
  };

  override render() {
    const c = this.choice;
    return html`<form @submit=${this.submit} aria-label="Episode">
      <label>Task family
        <select name="family">${FAMILY_NAMES.map((f) => html`<option value=${f} ?selected=${f === c.family}>${f}</option>`)}</select>
      </label>
      <label>Seed <input name="seed" type="number" min="0" step="1" .value=${String(c.seed)} /></label>
      <label>Planner
        <select name="planner">${APP_PLANNERS.map((p) => html`<option value=${p} ?selected=${p === c.planner}>${PLANNER_LABELS[p]}</option>`)}</select>
      </label>
      <label>Engine
        <select name="engine" title="Where the language model runs">${APP_ENGINES.map((e) => html`<option value=${e} ?selected=${e === c.engine}>${e}</option>`)}</select>
      </label>
      <label>Memory
        <select name="memory">${MEMORY_MODES.map((m) => html`<option value=${m} ?selected=${m === c.memory}>${MEMORY_LABELS[m]}</option>`)}</select>
      </label>
      <label class="check" title="Record the episode as MCAP, with the agent's camera (RGB, depth, segmentation), to download when it ends">
        <input name="record" type="checkbox" .checked=${c.record} /> Record
      </label>
      <button type="submit" ?disabled=${this.busy}>Start</button>
    </form>`;
  }
}
customElements.define('umwelt-picker', EpisodePicker);
