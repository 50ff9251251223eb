// Constrained decoding of the Action line: after the model has read `... Action:`, every next token is chosen only
// among those whose text keeps the line a prefix of a valid action over the allowed kinds and entities, so the
// model can never emit a malformed action (the Thought before it stays free text).
//
// The valid lines form a character-level automaton (a trie DAG, plus a loop for say's text):
//
//   line   = [ " " ] body
//   body   = kind "(" E ")"            for goto pick open close toggle (E: one of the allowed entities)
//          | "place(" E ", " E ")"
//          | kind "()"                 for done grasp release
//          | 'say("' text '")'         text: up to sayCap characters, no '"', no '\', no control characters
//
// (`move` is not offered: its numeric arguments are not constrained.) A token is allowed iff its decoded text,
// fed character by character from the current state, stays inside the automaton. Byte tokens of non-ASCII bytes
// and special tokens are never allowed inside an action. Decoding stops as soon as the closing ")" is read: the
// only legal continuation is then the end of the line, so no end token is sampled.
//
// Termination: every state knows its distance (in characters) to a complete action, and every ASCII character has
// a byte token, so from any state some token makes progress. When the token budget (maxTokens, the engine's
// context) left is no more than that distance, only tokens that shorten it are allowed, so the action completes in
// budget whenever the budget covers the shortest action in characters; otherwise the shortest completion is appended as text.
import type { Action, ActionKind } from '../sim/types.ts';
import { isEntityId, isMark, parseAction } from './grammar.ts';
import type { DecodeEngine } from './lm/engine/types.ts';
import { Prng } from './lm/prng.ts';
import { sampleToken, type SamplingOptions } from './lm/sampling.ts';
import type { Tokenizer } from './lm/tokenizer.ts';

export const DEFAULT_SAY_CAP = 120;

const UNARY_KINDS: readonly ActionKind[] = ['goto', 'pick', 'open', 'close', 'toggle'];
const NULLARY_KINDS: readonly ActionKind[] = ['done', 'grasp', 'release'];

export interface AllowedActions {
  /** Action kinds the line may use (`move` is refused). */
  kinds: readonly ActionKind[];
  /** Entity arguments: marks such as `#3` and/or entity ids. */
  entities: readonly string[];
  /** Longest say text in characters (default DEFAULT_SAY_CAP). */
  sayCap?: number;
}

/** A node of the automaton. A `say` node is say's text loop; FINAL is the complete action. */
class Node {
  readonly next = new Map<string, Node>();
  dist = Infinity;
  constructor(readonly say = false) {}
}

/** A position in the automaton; `sayLength` counts say's text characters (meaningful in the say node only). */
export interface ActionState {
  readonly node: Node;
  readonly sayLength: number;
}

const isSayChar = (c: number): boolean => c >= 0x20 && c !== 0x22 && c !== 0x5c && c !== 0x7f;

/** The prefix automaton of the valid action lines for a set of allowed kinds and entities. */
export class ActionAutomaton {
  readonly start: ActionState;
  readonly sayCap: number;
  private readonly final = new Node();
  /** Where say's closing quote leads: `)` then FINAL. */
  private readonly sayClose: Node;

  constructor(allowed: AllowedActions) {
    const sayCap = allowed.sayCap ?? DEFAULT_SAY_CAP;
    if (!Number.isInteger(sayCap) || sayCap < 0) throw new RangeError(`sayCap must be an integer >= 0, got ${sayCap}`);
    this.sayCap = sayCap;
    const entities = [...new Set(allowed.entities)];
    for (const e of entities) {
      if (!isMark(e) && !isEntityId(e)) throw new RangeError(`${JSON.stringify(e)} is neither a mark (#3) nor an entity id`);
    }
    this.final.dist = 0;
    const close = chain(')', this.final);
    // Reached only from say's text loop (entity ends copy its edges), which computeDist does not enter: set here,
    // or a budget-forced say could never take its closing quote.
    close.dist = 1;
    this.sayClose = close;
    const head = new Node();
    const kinds = new Set(allowed.kinds);
    if (kinds.has('move')) throw new RangeError('move is not supported by constrained decoding');
    if (entities.length > 0) {
      const entThenClose = entityTrie(entities, close);
      for (const k of UNARY_KINDS) if (kinds.has(k)) insert(head, `${k}(`, entThenClose);
      if (kinds.has('place')) insert(head, 'place(', entityTrie(entities, chain(', ', entThenClose)));
    }
    for (const k of NULLARY_KINDS) if (kinds.has(k)) insert(head, `${k}()`, this.final);
    if (kinds.has('say')) {
      const body = new Node(true);
      body.dist = 2;
      insert(head, 'say("', body);
    }
    if (head.next.size === 0) throw new RangeError('no action is possible with these kinds and entities');
    const root = new Node();
    for (const [c, n] of head.next) root.next.set(c, n);
    root.next.set(' ', head);
    computeDist(root);
    this.start = { node: root, sayLength: 0 };
  }

  /** The state after reading `text` from `state`, or null when `text` leaves the automaton. */
  advance(state: ActionState, text: string): ActionState | null {
    let node = state.node;
    let sayLength = state.sayLength;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i] as string;
      if (node.say) {
        if (ch === '"') {
          node = this.sayClose;
          continue;
        }
        if (!isSayChar(text.charCodeAt(i)) || sayLength >= this.sayCap) return null;
        sayLength++;
        continue;
      }
      const child = node.next.get(ch);
      if (child === undefined) return null;
      node = child;
      if (node.say) sayLength = 0;
    }
    return { node, sayLength };
  }

  /** Whether `text` (read from the start) is a prefix of a valid action line. */
  accepts(text: string): boolean {
    return this.advance(this.start, text) !== null;
  }

  isComplete(state: ActionState): boolean {
    return state.node === this.final;
  }

  /** Characters left to the nearest complete action. */
  distance(state: ActionState): number {
    return state.node.dist;
  }

  /** The shortest text that completes `state` (deterministic). */
  shortestCompletion(state: ActionState): string {
    let out = '';
    let node = state.node;
    while (node !== this.final) {
      if (node.say) {
        out += '")';
        break;
      }
      let best: [string, Node] | null = null;
      for (const e of node.next) if (best === null || e[1].dist < best[1].dist) best = e;
      if (best === null) throw new Error('constrained: dead state in the action automaton');
      out += best[0];
      node = best[1];
    }
    return out;
  }

  /** First characters that may follow `state` (null: almost any, inside say's text). */
  firstChars(state: ActionState): Iterable<string> | null {
    return state.node.say ? null : state.node.next.keys();
  }
}

/** A node from which reading `s` reaches `then`. */
function chain(s: string, then: Node): Node {
  let node = then;
  for (let i = s.length - 1; i >= 0; i--) {
    const n = new Node();
    n.next.set(s[i] as string, node);
    node = n;
  }
  return node;
}

/** Adds the path `s` from `root`, its last character leading to `then` (no two strings share a last edge). */
function insert(root: Node, s: string, then: Node): void {
  let node = root;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s[i] as string;
    let child = node.next.get(c);
    if (child === undefined) {
      child = new Node();
      node.next.set(c, child);
    }
    node = child;
  }
  node.next.set(s[s.length - 1] as string, then);
}

/** A trie of the entities whose every entity end continues as `then` does (entities never contain `then`'s
 *  first characters, ")" or ","). */
function entityTrie(entities: readonly string[], then: Node): Node {
  const root = new Node();
  for (const e of entities) {
    let node = root;
    for (const c of e) {
      let child = node.next.get(c);
      if (child === undefined) {
        child = new Node();
        node.next.set(c, child);
      }
      node = child;
    }
    for (const [c, n] of then.next) node.next.set(c, n);
  }
  return root;
}

function computeDist(node: Node): number {
  if (node.dist !== Infinity || node.say) return node.dist;
  let best = Infinity;
  for (const child of node.next.values()) best = Math.min(best, 1 + computeDist(child));
  node.dist = best;
  return best;
}

// ---------------------------------------------------------------------------------------------
// Token tables

interface TokenTable {
  /** The text of each token inside an action, or null (special tokens, non-ASCII byte tokens). */
  strings: (string | null)[];
  /** Token ids by first character, ascending. */
  byFirst: Map<string, number[]>;
  /** Every token with a string, ascending. */
  all: number[];
}

const tables = new WeakMap<Tokenizer, TokenTable>();

/** The per-token strings of a tokenizer, computed once per tokenizer. */
function tokenTable(tokenizer: Tokenizer): TokenTable {
  const cached = tables.get(tokenizer);
  if (cached !== undefined) return cached;
  const strings: (string | null)[] = [];
  const byFirst = new Map<string, number[]>();
  const all: number[] = [];
  for (let id = 0; id < tokenizer.vocabSize; id++) {
    let s: string | null;
    if (tokenizer.isSpecial(id)) s = null;
    else if (id < tokenizer.byteOffset + 256) s = id - tokenizer.byteOffset < 0x80 ? String.fromCharCode(id - tokenizer.byteOffset) : null;
    else s = tokenizer.token(id);
    if (s === '') s = null;
    strings.push(s);
    if (s === null) continue;
    all.push(id);
    const first = s[0] as string;
    const list = byFirst.get(first);
    if (list === undefined) byFirst.set(first, [id]);
    else list.push(id);
  }
  const table = { strings, byFirst, all };
  tables.set(tokenizer, table);
  return table;
}

// ---------------------------------------------------------------------------------------------
// Decoding

export interface ConstrainedActionOptions {
  allowed: AllowedActions;
  /** Either the prompt (the engine is reset and reads it) or the logits of the caller's last prefill/step. */
  prompt?: readonly number[];
  logits?: Float32Array;
  sampling?: SamplingOptions;
  seed?: number | string;
  /** Most tokens to produce (an action is always completed, its rest appended as text if need be). */
  maxTokens: number;
}

export interface ConstrainedAction {
  /** The action line as produced (may start with a space), appended completion included. */
  text: string;
  action: Action;
  tokens: number[];
  /** Steps at which the model's most likely token was not allowed. */
  masked: number;
  /** Text added without the model when the budget ran out (normally ''). */
  appended: string;
}

/** A token's text inside an action line (null: never allowed there). */
export const actionTokenText = (tokenizer: Tokenizer, id: number): string | null => tokenTable(tokenizer).strings[id] ?? null;

/** The tokens that may come next from `state` with `budget` tokens left (see the top of the file). */
export interface AllowedTokens {
  /** Allowed ids, in the order considered. */
  ids: number[];
  /** The state after each of them. */
  states: ActionState[];
  /** Indices into ids in ascending id order (so that ties break as argmax does). */
  order: number[];
}

/** The allowed next tokens from `state` (never none: throws if the automaton has no way on). */
export function allowedTokens(automaton: ActionAutomaton, tokenizer: Tokenizer, state: ActionState, budget: number): AllowedTokens {
  const table = tokenTable(tokenizer);
  const dist = automaton.distance(state);
  const forcing = budget <= dist;
  const ids: number[] = [];
  const states: ActionState[] = [];
  const consider = (id: number): void => {
    const next = automaton.advance(state, table.strings[id] as string);
    if (next === null || (forcing && automaton.distance(next) >= dist)) return;
    ids.push(id);
    states.push(next);
  };
  const firsts = automaton.firstChars(state);
  if (firsts === null) {
    for (const id of table.all) consider(id);
  } else {
    for (const c of firsts) for (const id of table.byFirst.get(c) ?? []) consider(id);
  }
  if (ids.length === 0) throw new Error('constrained: no token can continue the action');
  const order = ids.map((_, i) => i);
  if (firsts !== null) order.sort((a, b) => ids[a]! - ids[b]!);
  return { ids, states, order };
}

/** The action line after its tokens: the shortest completion appended when the budget ran out, then parsed. */
export function finishAction(automaton: ActionAutomaton, state: ActionState, text: string): { text: string; action: Action; appended: string } {
  const appended = automaton.isComplete(state) ? '' : automaton.shortestCompletion(state);
  const full = text + appended;
  const parsed = parseAction(full);
  if (!parsed.ok) throw new Error(`constrained: produced an unparsable action ${JSON.stringify(full)}: ${parsed.error.message}`);
  return { text: full, action: parsed.action, appended };
}

/** Decodes an Action line under the allowed actions; the result always parses (see the top of the file). */
export function constrainedAction(engine: DecodeEngine, tokenizer: Tokenizer, options: ConstrainedActionOptions): ConstrainedAction {
  const automaton = new ActionAutomaton(options.allowed);
  const table = tokenTable(tokenizer);
  if ((options.prompt === undefined) === (options.logits === undefined)) {
    throw new RangeError('constrainedAction: give exactly one of prompt and logits');
  }
  let logits: Float32Array;
  if (options.prompt !== undefined) {
    engine.reset();
    logits = engine.prefill(options.prompt);
  } else {
    logits = options.logits as Float32Array;
  }
  const rng = new Prng(options.seed ?? 0);
  const sampling = options.sampling ?? {};
  let state = automaton.start;
  let text = '';
  const tokens: number[] = [];
  let masked = 0;
  while (!automaton.isComplete(state)) {
    // Tokens this step may still emit: each after it needs one engine step.
    const budget = Math.min(options.maxTokens - tokens.length, engine.config.context - engine.position + 1);
    if (budget <= 0) break;
    const { ids: allowedIds, states: allowedStates, order } = allowedTokens(automaton, tokenizer, state, budget);
    const sub = new Float32Array(order.length);
    order.forEach((k, j) => (sub[j] = logits[allowedIds[k]!]!));
    let best = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
    const pick = order[sampleToken(sub, sampling, rng)]!;
    const id = allowedIds[pick]!;
    if (!allowedIds.includes(best)) masked++;
    tokens.push(id);
    text += table.strings[id] as string;
    state = allowedStates[pick]!;
    if (automaton.isComplete(state)) break;
    if (tokens.length >= options.maxTokens || engine.position >= engine.config.context) break;
    logits = engine.step(id);
  }
  const done = finishAction(automaton, state, text);
  return { text: done.text, action: done.action, tokens, masked, appended: done.appended };
}
