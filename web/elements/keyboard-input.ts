// <umwelt-keyboard>: a person plays the agent: the entities the agent sees are listed, and an action typed in the
// action grammar (goto(table_1), pick(mug_3), place(mug_3, shelf_2), open(cabinet_1), done()) is sent on Enter.
import { css, html, LitElement } from 'lit';
import type { PlannerContext } from '../../agent/planner.ts';

export class KeyboardInput extends LitElement {
  static override properties = { context: { attribute: false } };
  declare context: PlannerContext | null;

  static override styles = css`
    :host { display: block; background: white; border: 1px solid #d5dae0; border-radius: 6px; padding: 8px 10px; }
    form { display: flex; gap: 6px; }
    input { flex: 1; font: inherit; font-family: ui-monospace, monospace; padding: 3px 6px; }
    .seen { font-size: 0.8rem; color: #4a5563; margin-top: 6px; }
  `;

  constructor() {
    super();
    this.context = null;
  }

  private readonly submit = (e: SubmitEvent): void => {
    e.preventDefault();
    const input = this.renderRoot.querySelector('input');
    if (input === null || input.value.trim() === '') return;
    this.dispatchEvent(new CustomEvent<string>('act', { detail: input.value, bubbles: true, composed: true }));
    input.value = '';
  };

  override render() {
    const c = this.context;
    const ids = c === null ? [] : [...c.observation.visible.map((v) => v.id), ...c.observation.landmarks.map((l) => l.id)];
    return html`<form @submit=${this.submit}>
        <label for="action">Your action</label>
        <input id="action" list="entities" autocomplete="off" ?disabled=${c === null} placeholder=${c === null ? 'waiting for the agent…' : 'goto(table_1)'} />
        <datalist id="entities">${ids.map((id) => html`<option value=${`goto(${id})`}></option>`)}</datalist>
        <button type="submit" ?disabled=${c === null}>Act</button>
      </form>
      ${c === null ? null : html`<div class="seen">Sees: ${c.observation.visible.map((v) => v.id).join(', ') || 'nothing'}</div>`}`;
  }
}
customElements.define('umwelt-keyboard', KeyboardInput);
