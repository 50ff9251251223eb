// The texts of the agent's memories, in the prompt's vocabulary (agent/prompt.ts): an entity is `colour category`
// (underscores as spaces) followed by its id in parentheses, since marks (`#3`) only mean something inside one
// prompt; a support is `on` or `in` another entity, a room is its id (`kitchen_1`), states are open/closed/on/off,
// actions are written in the grammar (`open(cabinet_2)`) and failures by their reason, as History shows them:
//
//   red mug (mug_3) on white table (table_1) in kitchen_1
//   white bottle (bottle_1) in green fridge (fridge_2) in kitchen_1
//   green fridge (fridge_2) in kitchen_1, open
//   open(cabinet_2) failed: container_closed (the door is stuck), blue cabinet in bathroom_1
//   Opened blue cabinet (cabinet_2) in bathroom_1: inside white bottle (bottle_1).
//   Picked up red mug (mug_3) from white table (table_1) in kitchen_1.
//   Put red mug (mug_3) on blue shelf (shelf_1) in living_room_1.
//   Episode e1-pickup-1000001 succeeded in 6 steps: Pick up the red mug.
//
// Pure functions of JSON-safe input.
import { COLORS, type EntityState, type SeenEntity } from '../../sim/types.ts';
import { PROMPT_LIMITS } from '../prompt.ts';

/** What the memory knows about an entity: from the floor plan (landmarks) or from having seen it. */
export interface KnownEntity {
  id: string;
  kind: 'object' | 'furniture' | 'marker';
  category: string;
  color: string;
  room: string;
  /** Where it was last seen (landmarks not seen yet: null). */
  position: [number, number, number] | null;
  openable: boolean;
}

export const nameOf = (e: { color: string; category: string }): string => `${e.color} ${e.category.replace(/_/g, ' ')}`;

export const clip = (s: string, n: number): string => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

/** `red mug (mug_3)`, or the bare id of an entity the memory knows nothing about. */
export function label(id: string, known: ReadonlyMap<string, KnownEntity>): string {
  const e = known.get(id);
  return e ? `${nameOf(e)} (${id})` : id;
}

/** The state words the prompt's See line uses (held is left out: a held thing is what the agent holds). */
export function stateWords(state: EntityState): string {
  if (state.open !== undefined) return state.open ? 'open' : 'closed';
  if (state.on !== undefined) return state.on ? 'on' : 'off';
  return '';
}

/** ` on white table (table_1)` / ` in green fridge (fridge_2)` / ``. */
export function supportPhrase(state: EntityState, known: ReadonlyMap<string, KnownEntity>): string {
  if (state.inside !== undefined) return ` in ${label(state.inside, known)}`;
  if (state.on_top_of !== undefined) return ` on ${label(state.on_top_of, known)}`;
  return '';
}

/** An observation memory: `red mug (mug_3) on white table (table_1) in kitchen_1[, open]`. */
export function sightingText(e: SeenEntity, known: ReadonlyMap<string, KnownEntity>): string {
  const state = stateWords(e.state);
  return `${nameOf(e)} (${e.id})${supportPhrase(e.state, known)} in ${e.room}${state ? `, ${state}` : ''}`;
}

/** What changes an observation memory: the room, the support and the state words (not the exact position). */
export function sightingSignature(e: SeenEntity): string {
  return [e.room, e.state.inside ?? '', e.state.on_top_of ?? '', stateWords(e.state), e.state.held ? 'held' : ''].join('|');
}

/** `blue cabinet in bathroom_1` for the entities of an action, to give a failure the names of what it was about. */
export function whereabouts(ids: readonly string[], known: ReadonlyMap<string, KnownEntity>): string {
  return ids
    .map((id) => known.get(id))
    .filter((e): e is KnownEntity => e !== undefined)
    .map((e) => `${nameOf(e)} in ${e.room}`)
    .join(', ');
}

/** `open(cabinet_2) failed: container_closed (detail)[, blue cabinet in bathroom_1]`. */
export function failureText(action: string, reason: string, detail: string, where: string): string {
  const d = detail ? ` (${clip(detail, PROMPT_LIMITS.detail)})` : '';
  return `${action} failed: ${reason}${d}${where ? `, ${where}` : ''}`;
}

/** Whether the instruction names this colour and category, as the prompt decides it ("the white table"). */
export function namedInInstruction(instruction: string, e: { color: string; category: string }): boolean {
  return instruction.toLowerCase().includes(nameOf(e));
}

/**
 * The coloured things an instruction names, as `colour word` pairs ("the orange box is hidden" -> `orange box`):
 * the first word after each colour word. What a record must name to concern the task (concernsTask).
 */
export function taskNames(instruction: string): string[] {
  const words = instruction.toLowerCase().split(/[^a-z]+/).filter((w) => w.length > 0);
  const out: string[] = [];
  for (const [i, color] of words.entries()) {
    const word = words[i + 1];
    if (word !== undefined && (COLORS as readonly string[]).includes(color) && !out.includes(`${color} ${word}`)) out.push(`${color} ${word}`);
  }
  return out;
}

/** Whether a record's text names one of the task's things (taskNames) as a whole phrase. */
export function concernsTask(text: string, names: readonly string[]): boolean {
  const lower = text.toLowerCase();
  return names.some((n) => new RegExp(`(^|[^a-z])${n}([^a-z]|$)`).test(lower));
}

/** Whether the instruction names the category as a word ("the fridge", "a mug"), colour aside. */
export function categoryInInstruction(instruction: string, category: string): boolean {
  const words = category.replace(/_/g, ' ').toLowerCase();
  return new RegExp(`(^|[^a-z])${words.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}s?([^a-z]|$)`).test(instruction.toLowerCase());
}
