// The ONE prompt format every planner shares (the language-model planners trained on `umwelt data`, and a remote
// LLM alike): a PlannerContext -> compact text with numbered marks, and a decision -> `Thought: ...\nAction: ...`.
//
// Example (search, train seed 0, step 1; the text ends with a newline and the answer follows it):
//
//   Actions: goto(x) pick(x) place(x, y) open(x) close(x) toggle(x) say("...") done(); x is a #mark or an id.
//   Places:
//   kitchen_1: yellow counter #1, green fridge #2 (opens), yellow cabinet #3 (opens)
//   living_room_1: black sofa #4, white table #5, blue shelf #6, black lamp #7
//   See:
//   green fridge #2, closed, 1.9 m
//   orange candle #8 on #1, 2.5 m
//   purple can #9 on #1, 2.7 m
//   yellow counter #1, 2.7 m
//   You: in kitchen_1, holding nothing.
//   Unsearched surfaces: black sofa #4, white table #5, blue shelf #6
//   Unsearched containers: green fridge #2, yellow cabinet #3
//   Memories: none
//   History: none
//   Task: Look for the white bottle in the cupboards and pick it up.
//
// and the answer (renderResponse):
//
//   Thought: I need the white bottle. The white bottle is not in sight. It could be in the green fridge #2, the
//   first container I have not checked. So: goto the green fridge #2.
//   Action: goto(#2)
//
// Sections, in this order (each always present, so that a model always sees the same skeleton):
// - `Actions:` the action grammar in one line (agent/grammar.ts). An entity argument is a mark `#n` or an entity id.
// - `Places:` the landmarks (furniture and mats, known from the floor plan), one line per room, the agent's room
//   first, then the others in the order the observation lists them (placeOrder): `colour category #n`, and
//   `(opens)` after openable ones.
//   At most PROMPT_LIMITS.landmarks; those whose colour and category the task names are kept first, then those in
//   the agent's room, then the rest; the line `(+k more)` says how many were left out.
// - `See:` one line per visible entity, nearest first: `colour category #n[ on|in #k][, open|closed|on|off|held],
//   d m`. At most PROMPT_LIMITS.visible (those the task names first, then the nearest), with `(+k more)`.
// - `You:` the agent's room and what it holds (`holding category #n`, the category read off the id because the
//   observation does not list a held thing among the visible ones, or `holding nothing`).
// - `Unsearched surfaces:` and `Unsearched containers:` the places that may still hold something not yet seen, in
//   Places order (unsearchedPlaces, from the whole history): surfaces neither gone to nor in sight, and containers
//   neither opened in this episode (searchedPlaces: going to one is not looking in) nor remembered as looked into
//   on an earlier visit (searchedBefore), or
//   `none`; at most PROMPT_LIMITS.unsearched each, then `(+k more)`. What a search needs to remember beyond the
//   last steps. With a memory, where it last saw a thing the task names comes first (recalledPlaces), and
//   containers searched before are listed again when no other is left.
// - `Memories:` retrieved memories, one `- text` line each (at most PROMPT_LIMITS.memories), or `none`.
// - `History:` the last PROMPT_LIMITS.history steps, oldest first: `step. action: ok` or `step. action: failed
//   reason (detail)`, actions written with marks where the prompt has one, or `none`.
// - `Named in the task:` (format 2, agent/prompt-format.ts) the entities the instruction names (its colour and
//   category, or a landmark's bare category: "the table"), in the order it names them, one line each with what
//   the agent knows of it: `name #n: in reach on #k, 0.8 m` or `in sight[ on|in #k][, open|closed], 4.2 m` (in
//   view now; in reach when the gripper can take it from where the agent stands), `held`, `not in sight, last
//   seen on|in #k` (an object seen earlier in the episode or remembered from an earlier one:
//   PlannerContext.seenBefore; format 3 names the place too, `last seen in the blue fridge #5`), `not in sight` (a landmark
//   out of view); or `none` when none of them has been seen. Finding in the prompt whether the thing asked for is in view, and where it
//   was seen, is a look-up that a pocket-sized model learns slowly; this line does it, and the model decides.
// - `Task:` the instruction as the agent sees it now, last: the answer begins by restating what it asks for
//   ("I need the white bottle."), and a small model copies from a few tokens back far more readily than from the
//   top of a prompt of ~250 tokens, where rotary positions give it no fixed place to look. Format 4 writes
//   `, done` after each thing a step earned a reward for (taskWithProgress: `move the orange plate, done, onto the
//   counter and put the black box on the table`), so that "what is left" is the first thing named without it.
//
// Marks are numbered 1, 2, ... in the order entities first appear in the text (so Places come first), and written
// after the name they belong to, as the answer writes them too (`the green fridge #2`): a model that has just
// written a name finds its mark by looking for the same name earlier and copying what followed it. A MarkTable
// maps `#n` <-> id. The answer is `Thought: ...` (what is needed, where the target is or may be, what to
// do next, restating the chosen entity by mark and name) then `Action: ...` in the grammar, with marks. Planners
// turn it back into an Action with extractAction then resolveMarks (agent/grammar.ts); ids work as well as marks.
// Everything here is a pure function of JSON-safe input: the same context always gives the same bytes.
import type { HistoryEntry, PlannerContext } from './planner.ts';
import { actionEntities, formatAction, mapEntities, markOf, parseAction, type MarkTable } from './grammar.ts';
import { LATEST_PROMPT_FORMAT, type PromptFormat } from './prompt-format.ts';
import { ROBOT } from '../sim/robot.ts';
import { assertNever, COLORS, type Action, type Landmark, type Observation, type SeenEntity } from '../sim/types.ts';

export type { MarkTable } from './grammar.ts';

/** The caps that keep a prompt small (a typical one is under ~350 words). */
export const PROMPT_LIMITS = { landmarks: 16, visible: 10, unsearched: 6, history: 4, memories: 3, detail: 60, memoryChars: 160 } as const;

export const ACTIONS_LINE = 'Actions: goto(x) pick(x) place(x, y) open(x) close(x) toggle(x) say("...") done(); x is a #mark or an id.';

export interface RenderedPrompt {
  text: string;
  marks: MarkTable;
}

const words = (category: string): string => category.replace(/_/g, ' ');
const nameOf = (e: { color: string; category: string }): string => `${e.color} ${words(e.category)}`;
const fixed1 = (n: number): string => (Math.round(n * 10) / 10).toFixed(1);
const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const clip = (s: string, n: number): string => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

/** Marks handed out in order of first use. */
class Marker {
  readonly table: MarkTable = { ids: [], names: [] };
  mark(id: string, name: string): string {
    const known = markOf(this.table, id);
    if (known !== null) return known;
    this.table.ids.push(id);
    this.table.names.push(name);
    return `#${this.table.ids.length}`;
  }
  /** The mark of an already marked id, or the id itself. */
  ref(id: string): string {
    return markOf(this.table, id) ?? id;
  }
}

/** Whether the instruction names this colour and category ("the white table"). */
function named(instruction: string, e: { color: string; category: string }): boolean {
  return instruction.toLowerCase().includes(nameOf(e));
}

/** Keep at most `n` items, preferring those `first` (stable), and return them in their original order. */
function cap<T>(items: readonly T[], n: number, rank: (item: T) => number): { kept: T[]; left: number } {
  if (items.length <= n) return { kept: [...items], left: 0 };
  const order = items.map((item, i) => ({ item, i, r: rank(item) })).sort((a, b) => a.r - b.r || a.i - b.i);
  const keep = new Set(order.slice(0, n).map((x) => x.i));
  return { kept: items.filter((_, i) => keep.has(i)), left: items.length - n };
}

function stateWords(e: SeenEntity): string {
  const s = e.state;
  if (s.held) return 'held';
  if (s.open !== undefined) return s.open ? 'open' : 'closed';
  if (s.on !== undefined) return s.on ? 'on' : 'off';
  return '';
}

/** The action as text with its entities written as marks where `marks` has one. */
export function formatWithMarks(action: Action, marks: MarkTable): string {
  return formatAction(mapEntities(action, (id) => markOf(marks, id) ?? id));
}

/**
 * The landmarks in the order Places lists them: those of the agent's room first, then the others, each group in
 * observation order; the ones a long list leaves out come last. Planners that search (the oracle's honest search
 * among them) go through places in this order, so a model can follow the same rule from the prompt alone.
 */
export function placeOrder(obs: Observation, instruction: string): Landmark[] {
  const roomFirst = [...obs.landmarks.filter((l) => l.room === obs.agent.room), ...obs.landmarks.filter((l) => l.room !== obs.agent.room)];
  const { kept } = cap(roomFirst, PROMPT_LIMITS.landmarks, (l) => (named(instruction, l) ? 0 : l.room === obs.agent.room ? 1 : 2));
  const shown = new Set(kept.map((l) => l.id));
  return [...kept, ...roomFirst.filter((l) => !shown.has(l.id))];
}

/** Places gone to (a `goto` that succeeded) or opened, in the order first visited, from the whole history. */
export function visitedPlaces(history: readonly HistoryEntry[], landmarks: readonly Landmark[]): string[] {
  const ids = new Set(landmarks.map((l) => l.id));
  const out: string[] = [];
  for (const h of history) {
    if (!h.outcome.ok || h.action === null) continue;
    const parsed = parseAction(h.action);
    if (!parsed.ok) continue;
    const a = parsed.action;
    const target = a.kind === 'goto' || a.kind === 'open' ? a.target : null;
    if (target !== null && ids.has(target) && !out.includes(target)) out.push(target);
  }
  return out;
}

/**
 * Places searched in this episode, from the whole history: a surface once gone to (a successful `goto`), a container
 * once opened (a successful `open`). Going to a container is not looking into it: traced, the model went to the
 * drawer that held its target, then opened another container, and the drawer, counted as visited, left the
 * Unsearched line for good (the episode ran out of steps); listed still, it is the first container again.
 */
export function searchedPlaces(history: readonly HistoryEntry[], landmarks: readonly Landmark[]): Set<string> {
  const byId = new Map(landmarks.map((l) => [l.id, l]));
  const out = new Set<string>();
  for (const h of history) {
    if (!h.outcome.ok || h.action === null) continue;
    const parsed = parseAction(h.action);
    if (!parsed.ok) continue;
    const a = parsed.action;
    const place = a.kind === 'goto' || a.kind === 'open' ? byId.get(a.target) : undefined;
    if (place !== undefined && (a.kind === 'open' || !place.openable)) out.add(place.id);
  }
  return out;
}

export interface UnsearchedPlaces {
  /** Places things rest on that are neither gone to nor in sight (what lies on one in sight would be in sight too). */
  surfaces: Landmark[];
  /** Places that open and hold things inside, not yet opened. */
  containers: Landmark[];
}

/**
 * The places where a long-term memory last put the things the task names (PlannerContext.recalled), in the order
 * the instruction names the things: where an earlier episode saw the thing, and this one has not looked yet.
 */
export function recalledPlaces(context: Pick<PlannerContext, 'observation' | 'instruction' | 'recalled'>): string[] {
  const inView = new Set(context.observation.visible.map((v) => v.id));
  const named = (context.recalled ?? [])
    .filter((e) => e.kind === 'object' && !inView.has(e.id) && e.id !== context.observation.holding)
    .map((e) => ({ at: namedAt(context.instruction, e, false), place: e.state.inside ?? e.state.on_top_of }))
    .filter((n): n is { at: number; place: string } => n.at >= 0 && n.place !== undefined)
    .sort((a, b) => a.at - b.at);
  return [...new Set(named.map((n) => n.place))];
}

/**
 * Where something not yet seen may still be: places not searched in this episode (searchedPlaces) nor
 * (containers) looked into on an earlier visit (searchedBefore), in Places order, except that the places where the
 * memory last put a thing the task names (recalledPlaces) come first, searched before or not. When no container is
 * left that way, the containers searched before are listed again: the memory said the thing was in none of them,
 * and it was wrong.
 */
export function unsearchedPlaces(context: Pick<PlannerContext, 'observation' | 'instruction' | 'history' | 'searchedBefore' | 'recalled'>): UnsearchedPlaces {
  const searchedNow = searchedPlaces(context.history, context.observation.landmarks);
  const searched = new Set(context.searchedBefore ?? []);
  const inSight = new Set(context.observation.visible.map((v) => v.id));
  const first = recalledPlaces(context).filter((id) => !searchedNow.has(id));
  const rank = (l: Landmark): number => (first.includes(l.id) ? first.indexOf(l.id) : first.length);
  // Array.prototype.sort is stable: the rest keep Places order.
  const places = placeOrder(context.observation, context.instruction)
    .filter((l) => l.holds && !searchedNow.has(l.id))
    .sort((a, b) => rank(a) - rank(b));
  const fresh = places.filter((l) => first.includes(l.id) || !searched.has(l.id));
  const containers = fresh.filter((l) => l.openable);
  return {
    surfaces: fresh.filter((l) => !l.openable && !inSight.has(l.id)),
    containers: containers.length > 0 ? containers : places.filter((l) => l.openable),
  };
}

export interface RenderOptions {
  /** History entries shown, at most PROMPT_LIMITS.history (fewer to shorten a prompt); the Unsearched lines still read all. */
  history?: number;
  /** The format version (agent/prompt-format.ts); LATEST_PROMPT_FORMAT by default. */
  format?: PromptFormat;
}

/** Where in the instruction an entity is named (its colour and category; a landmark also by its bare category), or -1. */
function namedAt(instruction: string, e: { color: string; category: string }, landmark: boolean): number {
  return namedSpan(instruction, e, landmark)?.start ?? -1;
}

/** The first stretch of the instruction that names an entity (namedAt), or null. */
function namedSpan(instruction: string, e: { color: string; category: string }, landmark: boolean): { start: number; end: number } | null {
  const text = instruction.toLowerCase();
  const name = nameOf(e);
  const full = text.indexOf(name);
  if (full >= 0) return { start: full, end: full + name.length };
  if (!landmark) return null;
  const bare = new RegExp(`\\bthe ${escapeRegExp(words(e.category))}\\b`).exec(text);
  return bare === null ? null : { start: bare.index, end: bare.index + bare[0].length };
}

/**
 * The instruction with `, done` written after each thing that a step of the history earned a reward for (the
 * object a pick, place or goto was about; the furniture an open or close was about), where the instruction names
 * it (format 4). The environment rewards each part of a sequence as it comes true and each placement of a
 * rearrangement as it first holds; the reward is what the agent observes of its progress, and once the step has
 * left History nothing else in the prompt says which parts are behind it. A reward for a step about nothing the
 * instruction names goes to the first thing it names (of those the agent knows) not yet marked: a sequence's
 * parts come true in order, and "move close to the blue box" can come true on the way to the bed beside it.
 * Names it cannot place in the text (not seen, or named otherwise) are left as they are.
 */
export function taskWithProgress(context: Pick<PlannerContext, 'instruction' | 'history' | 'observation' | 'seenBefore'>): string {
  const { instruction, observation } = context;
  const entities = new Map<string, { color: string; category: string; landmark: boolean }>();
  for (const e of [...(context.seenBefore ?? []), ...observation.visible]) entities.set(e.id, { ...e, landmark: e.kind !== 'object' });
  for (const l of observation.landmarks) entities.set(l.id, { ...l, landmark: true });
  // Where the instruction names each thing the agent knows, in its order.
  const spans = [...entities.values()]
    .map((e) => namedSpan(instruction, e, e.landmark))
    .filter((span) => span !== null)
    .sort((a, b) => a.start - b.start);
  const ends = new Set<number>();
  for (const h of context.history) {
    if ((h.reward ?? 0) <= 0 || h.action === null) continue;
    const parsed = parseAction(h.action);
    const subject = parsed.ok ? actionEntities(parsed.action)[0] : undefined;
    const e = subject === undefined ? undefined : entities.get(subject);
    // A reward for a step about nothing the instruction names (a goto to the bed that brought the agent next to
    // the box it was to go to) is for the first part not yet done.
    const span = (e === undefined ? null : namedSpan(instruction, e, e.landmark)) ?? spans.find((x) => !ends.has(x.end)) ?? null;
    if (span !== null) ends.add(span.end);
  }
  let text = instruction;
  // From the end backwards, so that earlier positions stay where they were.
  for (const end of [...ends].sort((a, b) => b - a)) {
    const next = text.charAt(end);
    text = `${text.slice(0, end)}, done${next === ',' || next === '.' ? '' : ','}${text.slice(end)}`;
  }
  return text;
}

/** Whether the gripper can take an object from where the agent stands (the pick skill's test, sim/skills.ts). */
function inReach(obs: Observation, e: SeenEntity): boolean {
  const [ax, , az] = obs.agent.position;
  const [x, , z] = e.position;
  return e.kind === 'object' && Math.hypot(x - ax, z - az) <= ROBOT.reach && e.height <= ROBOT.reachHeight;
}

/** The `Named in the task:` lines (format 2; format 3 names the place of a thing out of sight). */
function namedLines(context: PlannerContext, m: Marker, format: PromptFormat): string[] {
  const obs = context.observation;
  const instruction = context.instruction;
  const support = (e: SeenEntity): string =>
    e.state.inside !== undefined ? ` in ${m.ref(e.state.inside)}` : e.state.on_top_of !== undefined ? ` on ${m.ref(e.state.on_top_of)}` : '';
  // `in the blue fridge #5` (format 3 only: 4 builds on 2): a landmark by name and mark; anything else as `support` writes it.
  const landmarks = new Map(obs.landmarks.map((l) => [l.id, l]));
  const namedSupport = (e: SeenEntity): string => {
    const id = e.state.inside ?? e.state.on_top_of;
    const l = id === undefined ? undefined : landmarks.get(id);
    if (format !== 3 || l === undefined) return support(e);
    return ` ${e.state.inside !== undefined ? 'in' : 'on'} the ${nameOf(l)} ${m.ref(l.id)}`;
  };
  type Named = { at: number; id: string; name: string; says: () => string };
  const named: Named[] = [];
  const add = (id: string, e: { color: string; category: string }, landmark: boolean, says: () => string): void => {
    const at = namedAt(instruction, e, landmark);
    if (at >= 0 && !named.some((n) => n.id === id)) named.push({ at, id, name: nameOf(e), says });
  };
  for (const e of obs.visible) {
    if (e.state.held || e.id === obs.holding) continue;
    const state = stateWords(e);
    add(e.id, e, e.kind !== 'object', () => `${inReach(obs, e) ? 'in reach' : 'in sight'}${support(e)}${state ? `, ${state}` : ''}, ${fixed1(e.distance)} m`);
  }
  const held = obs.holding === null ? undefined : [...obs.visible, ...(context.seenBefore ?? [])].find((e) => e.id === obs.holding);
  if (held) add(held.id, held, false, () => 'held');
  for (const e of context.seenBefore ?? []) {
    add(e.id, e, e.kind !== 'object', () => (e.kind === 'object' ? `not in sight, last seen${namedSupport(e)}` : 'not in sight'));
  }
  for (const l of obs.landmarks) add(l.id, l, true, () => 'not in sight');
  named.sort((a, b) => a.at - b.at);
  // Marks in the order of the lines; a support is written by its mark (landmarks have theirs from Places), else its id.
  return named.map((n) => {
    const mark = m.mark(n.id, n.name);
    return `${n.name} ${mark}: ${n.says()}`;
  });
}

/** The prompt for one decision. */
export function renderPrompt(context: PlannerContext, options: RenderOptions = {}): RenderedPrompt {
  const obs: Observation = context.observation;
  const instruction = context.instruction;
  const m = new Marker();
  const lines: string[] = [ACTIONS_LINE];

  // Places: landmarks grouped by room, the agent's room first.
  const ordered = placeOrder(obs, instruction);
  const places = { kept: ordered.slice(0, PROMPT_LIMITS.landmarks), left: Math.max(0, ordered.length - PROMPT_LIMITS.landmarks) };
  lines.push('Places:');
  const rooms: string[] = [];
  for (const l of places.kept) if (!rooms.includes(l.room)) rooms.push(l.room);
  for (const room of rooms) {
    const items = places.kept.filter((l) => l.room === room).map((l) => `${nameOf(l)} ${m.mark(l.id, nameOf(l))}${l.openable ? ' (opens)' : ''}`);
    lines.push(`${room}: ${items.join(', ')}`);
  }
  if (places.kept.length === 0) lines.push('none');
  if (places.left > 0) lines.push(`(+${places.left} more)`);

  // See: nearest first.
  const byDistance = [...obs.visible].sort((a, b) => a.distance - b.distance || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const seen = cap(byDistance, PROMPT_LIMITS.visible, (e) => (named(instruction, e) ? 0 : 1));
  lines.push('See:');
  for (const e of seen.kept) {
    const support = e.state.inside !== undefined ? ` in ${m.ref(e.state.inside)}` : e.state.on_top_of !== undefined ? ` on ${m.ref(e.state.on_top_of)}` : '';
    const state = stateWords(e);
    lines.push(`${nameOf(e)} ${m.mark(e.id, nameOf(e))}${support}${state ? `, ${state}` : ''}, ${fixed1(e.distance)} m`);
  }
  if (seen.kept.length === 0) lines.push('nothing');
  if (seen.left > 0) lines.push(`(+${seen.left} more)`);

  // You.
  let holding = 'nothing';
  if (obs.holding !== null) {
    // A held thing is not among the visible ones: its id (category_n) still tells the category.
    const held = obs.visible.find((e) => e.id === obs.holding);
    const name = held ? nameOf(held) : words(obs.holding.replace(/_\d+$/, ''));
    holding = `${name} ${m.mark(obs.holding, name)}`;
  }
  lines.push(`You: in ${obs.agent.room}, holding ${holding}.`);

  // Unsearched: from the whole history, not only the steps History shows.
  const unsearched = unsearchedPlaces(context);
  const list = (ls: readonly Landmark[]): string => {
    if (ls.length === 0) return 'none';
    const shown = ls.slice(0, PROMPT_LIMITS.unsearched).map((l) => `${nameOf(l)} ${m.mark(l.id, nameOf(l))}`).join(', ');
    return ls.length > PROMPT_LIMITS.unsearched ? `${shown} (+${ls.length - PROMPT_LIMITS.unsearched} more)` : shown;
  };
  lines.push(`Unsearched surfaces: ${list(unsearched.surfaces)}`);
  lines.push(`Unsearched containers: ${list(unsearched.containers)}`);

  // Memories.
  const memories = context.memories.slice(0, PROMPT_LIMITS.memories);
  if (memories.length === 0) lines.push('Memories: none');
  else {
    lines.push('Memories:');
    for (const text of memories) lines.push(`- ${clip(text.replace(/\s+/g, ' ').trim(), PROMPT_LIMITS.memoryChars)}`);
  }

  // History.
  const shown = Math.max(0, Math.min(PROMPT_LIMITS.history, options.history ?? PROMPT_LIMITS.history));
  const history = shown === 0 ? [] : context.history.slice(-shown);
  if (history.length === 0) lines.push('History: none');
  else {
    lines.push('History:');
    for (const h of history) {
      const parsed = h.action === null ? null : parseAction(h.action);
      const action = parsed === null ? '(unparsable)' : parsed.ok ? formatWithMarks(parsed.action, m.table) : clip(h.action ?? '', 40);
      const outcome = h.outcome.ok ? 'ok' : `failed ${h.outcome.reason}${h.outcome.detail ? ` (${clip(h.outcome.detail, PROMPT_LIMITS.detail)})` : ''}`;
      lines.push(`${h.step}. ${action}: ${outcome}`);
    }
  }
  // Named in the task (format 2): what the agent knows of each thing the instruction names.
  const format = options.format ?? LATEST_PROMPT_FORMAT;
  if (format >= 2) {
    const named = namedLines(context, m, format);
    if (named.length === 0) lines.push('Named in the task: none');
    else lines.push('Named in the task:', ...named);
  }
  // Task: last, right before the answer, which begins by restating what it asks for.
  lines.push(`Task: ${format >= 4 ? taskWithProgress(context) : instruction}`);
  return { text: `${lines.join('\n')}\n`, marks: m.table };
}

// ---------------------------------------------------------------------------------------------
// The answer

/**
 * A thought rewritten for a mark table: every entity id it names becomes `the <colour> <category> #n`, and every
 * `the <colour> <category>` of a marked entity gets its mark (`the white bottle #8`). Ids without marks stay.
 */
export function restateThought(thought: string, marks: MarkTable): string {
  let text = thought;
  // Longest ids first, so that `cabinet_10` is not read as `cabinet_1`.
  const order = marks.ids.map((id, i) => ({ id, i })).sort((a, b) => b.id.length - a.id.length || a.i - b.i);
  const placeholders: string[] = [];
  for (const { id, i } of order) {
    const re = new RegExp(`(?<![\\w#])${escapeRegExp(id)}(?!\\w)`, 'g');
    text = text.replace(re, () => {
      placeholders.push(`the ${marks.names[i] ?? id} #${i + 1}`);
      return `\uE000${placeholders.length - 1}\uE001`;
    });
  }
  for (const [i, name] of marks.names.entries()) {
    if (!name) continue;
    // A held thing's name is its bare category: then any colour may come before it ("the green mug").
    const colour = COLORS.some((c) => name.startsWith(`${c} `)) ? '' : `(?:(?:${COLORS.join('|')}) )?`;
    const re = new RegExp(`\\b(the ${colour}${escapeRegExp(name)})\\b(?! #)`, 'gi');
    text = text.replace(re, (_, phrase: string) => `${phrase} #${i + 1}`);
  }
  text = text.replace(/\uE000(\d+)\uE001/g, (_, n: string) => placeholders[Number(n)] ?? '');
  // Capitalise a leading word, never a leading id.
  return /^[a-z]+\b(?!_)/.test(text) ? text.charAt(0).toUpperCase() + text.slice(1) : text;
}

/** `So: <kind> the <name> #n[, on the <name> #k].` — the chosen entities restated, or '' without any. */
function restateChoice(action: Action, marks: MarkTable): string {
  const say = (id: string): string => {
    const mark = markOf(marks, id);
    if (mark === null) return id;
    return `the ${marks.names[marks.ids.indexOf(id)] ?? id} ${mark}`;
  };
  switch (action.kind) {
    case 'goto':
    case 'open':
    case 'close':
    case 'toggle':
      return `So: ${action.kind} ${say(action.target)}.`;
    case 'pick':
      return `So: pick ${say(action.object)}.`;
    case 'place':
      return `So: place ${say(action.object)} on ${say(action.receptacle)}.`;
    case 'say':
    case 'done':
    case 'move':
    case 'grasp':
    case 'release':
      return '';
    default:
      return assertNever(action, 'action');
  }
}

/** The answer text: `Thought: ...\nAction: ...`, entities written as marks where the table has one. */
export function renderResponse(thought: string, action: Action, marks: MarkTable): string {
  const choice = restateChoice(action, marks);
  const restated = restateThought(thought.replace(/\s+/g, ' ').trim(), marks);
  const full = choice ? `${restated} ${choice}` : restated;
  return `Thought: ${full}\nAction: ${formatWithMarks(action, marks)}`;
}
