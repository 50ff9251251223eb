// <umwelt-memory>: the agent's long-term memory: what it wrote this episode, what it recalled for its last
// decision, every stored memory (kept in IndexedDB across reloads), a search box, and a button that clears it.
import { css, html, LitElement } from 'lit';
import type { MemoryRecallView, MemoryWriteView } from '../../agent/loop.ts';
import type { MemoryItem, MemoryMode } from '../protocol.ts';

export class MemoryPanel extends LitElement {
  static override properties = {
    written: { attribute: false },
    recalled: { attribute: false },
    stored: { attribute: false },
    search: { attribute: false },
    mode: {},
  };
  declare written: { step: number; record: MemoryWriteView }[];
  declare recalled: { step: number; memories: MemoryRecallView[] } | null;
  declare stored: MemoryItem[];
  declare search: { query: string; hits: MemoryItem[] } | null;
  declare mode: MemoryMode;

  static override styles = css`
    :host { display: block; font-size: 0.85rem; }
    h3 { font-size: 0.8rem; margin: 8px 0 4px; color: #4a5563; }
    ul { margin: 0; padding-left: 1.1rem; max-height: 9rem; overflow-y: auto; }
    li { margin: 2px 0; }
    /* 0.8rem, a size the page shows from its start: a font's first use at a new size builds its shaper (DejaVu
       Sans' tables), 10-50 ms measured, and the first memory arrives with the first step, where no frame may be long. */
    .kind { color: #6b7684; font-size: 0.8rem; margin-right: 4px; }
    .score { color: #24527a; font-variant-numeric: tabular-nums; margin-left: 4px; }
    form { display: flex; gap: 6px; margin-top: 6px; }
    input { flex: 1; font: inherit; padding: 2px 6px; }
    .row { display: flex; justify-content: space-between; align-items: center; gap: 8px; }
    .note { color: #6b7684; }
  `;

  constructor() {
    super();
    this.written = [];
    this.recalled = null;
    this.stored = [];
    this.search = null;
    this.mode = 'record';
  }

  private readonly submit = (e: SubmitEvent): void => {
    e.preventDefault();
    const query = this.renderRoot.querySelector('input')?.value ?? '';
    this.dispatchEvent(new CustomEvent<string>('memory-search', { detail: query, bubbles: true, composed: true }));
  };

  private clear(): void {
    this.dispatchEvent(new CustomEvent('memory-clear', { bubbles: true, composed: true }));
  }

  private item(m: { kind?: string; text: string; score?: number }) {
    return html`<li>${m.kind ? html`<span class="kind">${m.kind}</span>` : null}${m.text}${m.score === undefined ? null : html`<span class="score">${m.score.toFixed(2)}</span>`}</li>`;
  }

  override render() {
    return html`
      <div class="row">
        <span data-stored-count>${this.stored.length} stored</span>
        <button type="button" @click=${() => this.clear()} ?disabled=${this.stored.length === 0}>Clear memories</button>
      </div>
      ${this.mode === 'off' ? html`<p class="note">Memory is off for this episode.</p>` : null}
      ${this.mode === 'record' ? html`<p class="note">Written and recalled; not in the planner's prompt.</p>` : null}
      <h3>Recalled for step ${this.recalled?.step ?? '—'}</h3>
      <ul data-recalled>${(this.recalled?.memories ?? []).map((m) => this.item(m))}</ul>
      <h3>Written this episode (${this.written.length})</h3>
      <ul data-written>${this.written.slice(-30).map((w) => this.item(w.record))}</ul>
      <h3>Stored</h3>
      <ul data-stored>${this.stored.slice(-30).map((m) => this.item(m))}</ul>
      <form @submit=${this.submit} role="search">
        <label for="q" class="note">Search</label>
        <input id="q" type="search" placeholder="where is the red mug" .value=${this.search?.query ?? ''} />
        <button type="submit">Search</button>
      </form>
      ${this.search === null ? null : html`<ul data-search-hits aria-label="Search results">${this.search.hits.length === 0 ? html`<li class="note">No memories match.</li>` : this.search.hits.map((m) => this.item(m))}</ul>`}
    `;
  }
}
customElements.define('umwelt-memory', MemoryPanel);
