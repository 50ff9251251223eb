// <umwelt-thought-log>: what the agent thought, did and got, step by step; newest at the bottom, kept in view.
import { css, html, LitElement, type PropertyValues } from 'lit';
import { outcomeText, type StepRow } from '../controllers/episode-controller.ts';

export class ThoughtLog extends LitElement {
  static override properties = { steps: { attribute: false }, label: {}, selected: { attribute: false } };
  declare steps: StepRow[];
  declare label: string;
  /** The step to highlight (replay), or null. */
  declare selected: number | null;

  static override styles = css`
    :host { display: block; overflow-y: auto; font-size: 0.9rem; }
    ol { list-style: none; margin: 0; padding: 0; }
    li { padding: 6px 8px; border-bottom: 1px solid #e1e5ea; }
    li[data-selected] { background: #fff6d8; }
    .n { color: #5b6572; font-variant-numeric: tabular-nums; margin-right: 6px; }
    .thought { color: #1d2733; }
    .action { font-family: ui-monospace, monospace; color: #24527a; }
    .ok { color: #1f7a3a; }
    .fail { color: #a3271f; }
    .meta { color: #6b7684; font-size: 0.8rem; }
    .empty { color: #6b7684; padding: 8px; }
  `;

  constructor() {
    super();
    this.steps = [];
    this.label = 'Thoughts and actions';
    this.selected = null;
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('steps') && this.selected === null) this.scrollTop = this.scrollHeight;
    if (changed.has('selected') && this.selected !== null) {
      this.renderRoot.querySelector(`li[data-step="${this.selected}"]`)?.scrollIntoView({ block: 'nearest' });
    }
  }

  override render() {
    // The legend is set in the rows' fonts and glyphs, so the page loads them (the monospace font above all) while
    // it loads the model, not in the first step's frame: that load was 14-25 ms of a 55-92 ms first-step task in a
    // trace on a busy 2-core machine.
    if (this.steps.length === 0) {
      return html`<p class="empty">
        No steps yet. Each step will show what the agent thought, then its action (<span class="action">goto(mug_3)</span>)
        and its outcome: <span class="ok">✓</span> done, <span class="fail">✗</span> failed, <span class="meta">…</span> under way.
      </p>`;
    }
    return html`<ol aria-label=${this.label} aria-live="polite">
      ${this.steps.map(
        (r) => html`<li data-step=${r.step} ?data-selected=${this.selected === r.step}>
          <div><span class="n">${r.step}</span><span class="thought">${r.thought || '(no thought)'}</span></div>
          <div>
            <span class="action">${r.action ?? '(no action)'}</span>
            ${r.outcome === null ? html`<span class="meta">…</span>` : html`<span class=${r.outcome.ok ? 'ok' : 'fail'}>${r.outcome.ok ? '✓' : '✗'} ${outcomeText(r.outcome)}</span>`}
          </div>
          ${r.latencyMs > 0 ? html`<div class="meta">${r.latencyMs.toFixed(0)} ms${r.tokens > 0 ? `, ${r.tokens} tokens` : ''}</div>` : null}
        </li>`,
      )}
    </ol>`;
  }
}
customElements.define('umwelt-thought-log', ThoughtLog);
