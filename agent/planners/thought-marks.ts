// Marks in the thought, kept consistent with the prompt. The prompt introduces every entity with a description and a
// numbered mark ("yellow counter #3"); the thought then names what it chose ("So: goto the yellow counter #3.") and
// the action copies the thought's mark. A small model often writes the right description and a wrong number
// ("the yellow counter #4", where #4 is the fridge): the copy step. So when the thought is about to write a mark
// token right after a description, only the marks the prompt gives that description may follow:
//   1. marks whose description (up to three words) ends the thought's text ("... the yellow counter");
//   2. else marks whose description ends with the same last word (the category: "... the yellow fridge" when the
//      fridge is blue);
//   3. else no constraint (the thought describes nothing the prompt marks).
// And where the thought is at one of the teacher's sentences, the prompt decides more than a description:
//   4. where the thing could be ("It could be in the green drawer", the teacher's words for the first place not
//      yet searched, and the closing "So: goto the ..." of such a thought): a place of the prompt's `Unsearched
//      containers:` (`surfaces:`) line; of the marks rules 1-3 allow, those on it, or when none is, every mark on
//      it. Traced on the memory suite: with the bedroom's drawer remembered as searched, the line began with the
//      kitchen's drawer; the model wrote "It could be in the white drawer #2", the bedroom's, and went back to it
//      until the step limit.
//   5. the container at hand: once the last step went to or opened a container (History's last line, `goto(#8):
//      ok`, when Places say #8 opens), "I open the ..." (and its closing "So: open the ...") names that one, and so
//      does any other description of a container, except where the thing could be or is remembered. Traced: at
//      the black cabinet it had just reached, the model wrote "I open the white drawer #7", a drawer across the
//      room; having opened a green cabinet, "The white cabinet #5 is open", another one.
//   6. what "I need the ..." names: a thing the Task names by colour and category and does not mark `, done`
//      (prompt format 4), word by word (neededWords), then what `Named in the task:` knows of it: its mark and
//      "I have seen it" when the line says it is in sight or was seen, "The ... is not in sight" when there is no
//      line. Traced on rearrange: "I need the purple mug" for a task naming the purple cup and the black mug; and
//      the model went to a target it had seen in 17% of the states where the oracle did
//      (scripts/planner-agreement.ts), writing it as not seen, without its mark, and searching on.
// Built from the prompt's text alone, so `umwelt serve` (which has no world) applies the same rules as the planner.
import { OBJECT_KINDS } from '../../scenes/catalog.ts';
import { COLORS } from '../../sim/types.ts';
import type { Tokenizer } from '../lm/tokenizer.ts';

/** Words that relate a mark instead of describing it ("on #2", "in #4"). */
const RELATIONS = new Set('on in at to of from near under inside the a an and or is goto open close pick place'.split(' '));
const MAX_WORDS = 3;

export interface ThoughtMarks {
  /** Mark token id -> the descriptions the prompt gives that mark (each a list of lower-case words). */
  readonly phrases: ReadonlyMap<number, readonly string[][]>;
  /** The mark tokens of the prompt's `Unsearched containers:` (in) and `Unsearched surfaces:` (on) lines. */
  readonly unsearched: { readonly in: ReadonlySet<number>; readonly on: ReadonlySet<number> };
  /** The mark token of the container the last step went to or opened (History's last line), or null. */
  readonly reached: number | null;
  /** The categories of the containers the prompt's Places list (those marked `(opens)`). */
  readonly containers: ReadonlySet<string>;
  /** The things the Task names by colour and category and does not mark done, each as its words, in its order. */
  readonly wanted: readonly (readonly string[])[];
  /** The things `Named in the task:` says are in sight or were seen (`purple cup`), with their marks (`#16`). */
  readonly seen: ReadonlyMap<string, string>;
}

/** A thought's sentence that says where the thing could be, up to the place's description. */
const COULD_BE = /(?:^|[.:]\s*)It could be (in|on) the(?: [a-z]+)*$/;
/** The thought's closing choice of where to go, up to the place's description... */
const SO_GOTO = /So: goto the(?: [a-z]+)*$/;
/** ...in a thought that said where the thing could be. */
const SAID_COULD_BE = /(?:^|[.:]\s*)It could be (in|on) the /g;

/** A thought's sentence that opens a container to look inside, up to the container's description... */
const OPEN_THE = /(?:^|[.:;]\s*)I open the(?: [a-z]+)*$/;
/** ...and its closing choice, in a thought that said so. */
const SO_OPEN = /So: open the(?: [a-z]+)*$/;
const SAID_OPEN = /(?:^|[.:;]\s*)I open the /;
/** A sentence that says where the thing is remembered, or must be, up to the place's description. */
const REMEMBERED = /(?:^|[.:;]\s*)(?:I remember it|[^.:;]* must be) (?:in|on|inside) the(?: [a-z]+)*$/;

/** "I need the" opening a sentence, and the words written after it. */
const NEED_THE = /(?:^|[.:;]\s*)I need the((?: [a-z]+)*)$/;
/** The object categories as words ("toy car"), longest first so that a longer one is found before a part of it. */
const CATEGORY_WORDS = OBJECT_KINDS.map((k) => k.category.replace(/_/g, ' ')).sort((a, b) => b.length - a.length);
const TASK_THING = new RegExp(`\\b(${COLORS.join('|')}) (${CATEGORY_WORDS.join('|')})\\b(, done)?`, 'g');

/** A sentence "I need the purple cup." (its mark or not), just ended: the thing's words. */
const NEEDED = /(?:^|[.:;]\s*)I need the ([a-z]+(?: [a-z]+)*)(?: #\d+)?\.$/;

/** The things the prompt's `Named in the task:` lines say are in sight, in reach or were seen, with their marks. */
function seenThings(lines: readonly string[]): Map<string, string> {
  const seen = new Map<string, string>();
  const heading = lines.indexOf('Named in the task:');
  if (heading < 0) return seen;
  for (const text of lines.slice(heading + 1)) {
    if (!/^[a-z ]+ #\d+: /.test(text)) break;
    const line = /^([a-z]+(?: [a-z]+)*) (#\d+): (?:in sight|in reach|not in sight, last seen)/.exec(text);
    if (line !== null) seen.set(line[1]!, line[2]!);
  }
  return seen;
}

/** The things the prompt's Task line names by colour and category, without those it marks `, done`. */
function wantedThings(lines: readonly string[]): string[][] {
  const task = lines.findLast((l) => l.startsWith('Task: ')) ?? '';
  const wanted: string[][] = [];
  for (const match of task.toLowerCase().matchAll(TASK_THING)) {
    const words = `${match[1]} ${match[2]}`.split(' ');
    if (match[3] === undefined && !wanted.some((w) => w.join(' ') === words.join(' '))) wanted.push(words);
  }
  return wanted;
}

/** The words before position `end` of `text` on its line, back to punctuation or a mark, at most MAX_WORDS. */
function wordsBefore(text: string, end: number): string[] {
  const head = text.slice(Math.max(0, end - 80), end);
  const cut = Math.max(head.lastIndexOf('\n'), head.lastIndexOf(','), head.lastIndexOf(':'), head.lastIndexOf('.'), head.lastIndexOf('('), head.lastIndexOf('#'));
  const words = head
    .slice(cut + 1)
    .toLowerCase()
    .split(/\s+/)
    .filter((w) => /^[a-z][a-z_-]*$/.test(w));
  // Relation words end a description: "white plate #6 on #2" gives #2 no description.
  let start = words.length;
  while (start > 0 && !RELATIONS.has(words[start - 1]!) && words.length - start < MAX_WORDS) start--;
  return words.slice(start);
}

/** The descriptions of each mark token in a prompt's text (marks the tokenizer has no single token for are left out). */
export function thoughtMarks(promptText: string, tokenizer: Tokenizer): ThoughtMarks {
  const phrases = new Map<number, string[][]>();
  for (const match of promptText.matchAll(/ #(\d+)/g)) {
    const words = wordsBefore(promptText, match.index);
    if (words.length === 0) continue;
    const ids = tokenizer.encode(match[0], { allowSpecial: false });
    if (ids.length !== 1) continue;
    const id = ids[0]!;
    const list = phrases.get(id) ?? [];
    if (!list.some((p) => p.join(' ') === words.join(' '))) list.push(words);
    phrases.set(id, list);
  }
  const lines = promptText.split('\n');
  const markToken = (mark: string): number | null => {
    const ids = tokenizer.encode(` ${mark}`, { allowSpecial: false });
    return ids.length === 1 ? ids[0]! : null;
  };
  const lineMarks = (label: string): Set<number> => {
    const line = lines.find((l) => l.startsWith(label)) ?? '';
    return new Set([...line.matchAll(/#\d+/g)].map((m) => markToken(m[0])).filter((t) => t !== null));
  };
  const places = placesText(lines);
  const reached = reachedMark(lines);
  return {
    phrases,
    unsearched: { in: lineMarks('Unsearched containers:'), on: lineMarks('Unsearched surfaces:') },
    reached: reached !== null && places.includes(` ${reached} (opens)`) ? markToken(reached) : null,
    containers: new Set([...places.matchAll(/([a-z]+) #\d+ \(opens\)/g)].map((m) => m[1]!)),
    wanted: wantedThings(lines),
    seen: seenThings(lines),
  };
}

/** The text of the prompt's Places section. */
function placesText(lines: readonly string[]): string {
  const start = lines.indexOf('Places:');
  const end = lines.indexOf('See:');
  return start < 0 ? '' : lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}

/** The mark (`#8`) that History's last line went to or opened (`3. goto(#8): ok`), or null. */
function reachedMark(lines: readonly string[]): string | null {
  let last = lines.findIndex((l) => l.startsWith('History:'));
  if (last < 0) return null;
  while (/^\d+\. /.test(lines[last + 1] ?? '')) last++;
  return /^\d+\. (?:goto|open)\((#\d+)\): ok$/.exec(lines[last] ?? '')?.[1] ?? null;
}

function endsWith(words: readonly string[], suffix: readonly string[]): boolean {
  if (suffix.length > words.length) return false;
  for (let i = 1; i <= suffix.length; i++) if (words[words.length - i] !== suffix[suffix.length - i]) return false;
  return true;
}

/**
 * The mark tokens that may follow the thought's `text` when the next token would be a mark, or null for no
 * constraint (see the rules at the top of this file).
 */
export function allowedMarks(text: string, marks: ThoughtMarks): Set<number> | null {
  const reached = marks.reached;
  if (reached !== null && (OPEN_THE.test(text) || (SO_OPEN.test(text) && SAID_OPEN.test(text)))) return new Set([reached]);
  const described = describedMarks(text, marks);
  const where = COULD_BE.exec(text)?.[1] ?? (SO_GOTO.test(text) ? [...text.matchAll(SAID_COULD_BE)].at(-1)?.[1] : undefined);
  const places = where === undefined ? undefined : marks.unsearched[where === 'in' ? 'in' : 'on'];
  if (places === undefined || places.size === 0) {
    const category = wordsBefore(text, text.length).at(-1);
    const here = where === undefined && reached !== null && !REMEMBERED.test(text) && category !== undefined && marks.containers.has(category);
    return here ? new Set([reached]) : described;
  }
  const both = new Set([...(described ?? [])].filter((id) => places.has(id)));
  return both.size > 0 ? both : new Set(places);
}

/**
 * The tokens' texts that may follow the thought's `text` after "I need the": the next word (" purple") of each
 * wanted thing that agrees with what was written so far; once a thing is written, its mark (" #16") when seen,
 * else "."; after "I need the purple cup #16." " I" (seen: "I have seen it"), after "I need the purple cup." " The"
 * ("The purple cup is not in sight"). Null elsewhere, or when no wanted thing agrees.
 */
export function neededWords(text: string, marks: ThoughtMarks): Set<string> | null {
  const needed = NEEDED.exec(text)?.[1];
  if (needed !== undefined && marks.wanted.some((w) => w.join(' ') === needed)) return new Set([marks.seen.has(needed) ? ' I' : ' The']);
  const typed = NEED_THE.exec(text)?.[1]?.trim();
  if (typed === undefined) return null;
  const words = typed === '' ? [] : typed.split(' ');
  const next = new Set<string>();
  for (const thing of marks.wanted) {
    if (thing.length < words.length || !words.every((w, i) => thing[i] === w)) continue;
    // The next word, or once the thing is written, its mark when seen, else the full stop.
    const mark = marks.seen.get(typed);
    next.add(thing.length > words.length ? ` ${thing[words.length]!}` : mark !== undefined ? ` ${mark}` : '.');
  }
  return next.size > 0 ? next : null;
}

/** Rules 1-3: the marks the prompt gives the description that ends `text`, or null. */
function describedMarks(text: string, marks: ThoughtMarks): Set<number> | null {
  const words = wordsBefore(text, text.length);
  if (words.length === 0) return null;
  const exact = new Set<number>();
  const sameCategory = new Set<number>();
  for (const [id, list] of marks.phrases) {
    for (const phrase of list) {
      if (endsWith(words, phrase)) exact.add(id);
      if (phrase[phrase.length - 1] === words[words.length - 1]) sameCategory.add(id);
    }
  }
  if (exact.size > 0) return exact;
  if (sameCategory.size > 0) return sameCategory;
  return null;
}

const markTokenCache = new WeakMap<Tokenizer, readonly number[]>();

/** Every token id that is a mark (" #3", "#12"), once per tokenizer. */
export function markTokens(tokenizer: Tokenizer): readonly number[] {
  let ids = markTokenCache.get(tokenizer);
  if (ids === undefined) {
    const found: number[] = [];
    for (let id = 0; id < tokenizer.vocabSize; id++) if (!tokenizer.isSpecial(id) && /^ ?#\d+$/.test(tokenizer.decode([id]))) found.push(id);
    ids = found;
    markTokenCache.set(tokenizer, ids);
  }
  return ids;
}

/**
 * The vocabulary mask (bit v % 32 of word v / 32 set: v allowed) for the thought's next token after `text`: after
 * "I need the", only the tokens neededWords allows (rule 6); else every token but the marks the rules rule out; null
 * when nothing is ruled out. The same mask on both engines (the CPU engine's argmax, the GPU's masked argmax), so
 * they choose alike.
 */
export function thoughtMask(text: string, marks: ThoughtMarks, tokenizer: Tokenizer): Uint32Array | null {
  const words = neededWords(text, marks);
  if (words !== null) {
    // Only those tokens (" purple"): a text the tokenizer has no single token for lifts the rule.
    const ids = [...words].map((w) => tokenizer.encode(w, { allowSpecial: false }));
    if (ids.every((t) => t.length === 1)) {
      const mask = new Uint32Array(Math.ceil(tokenizer.vocabSize / 32));
      for (const [id] of ids) mask[id! >>> 5]! |= 1 << (id! & 31);
      return mask;
    }
  }
  const allowed = allowedMarks(text, marks);
  if (allowed === null) return null;
  const mask = new Uint32Array(Math.ceil(tokenizer.vocabSize / 32)).fill(0xffffffff);
  let ruledOut = 0;
  for (const id of markTokens(tokenizer)) {
    if (allowed.has(id)) continue;
    mask[id >>> 5]! &= ~(1 << (id & 31));
    ruledOut++;
  }
  return ruledOut === 0 ? null : mask;
}

/** A copy of `logits` with the ids the mask rules out at -Infinity (for sampling under a mask). */
export function maskLogits(logits: Float32Array, mask: Uint32Array): Float32Array {
  const out = Float32Array.from(logits);
  for (let i = 0; i < out.length; i++) if (((mask[i >>> 5] ?? 0) & (1 << (i & 31))) === 0) out[i] = Number.NEGATIVE_INFINITY;
  return out;
}

/**
 * The action follows the thought's decision: the thought ends with what it will do ("So: goto the yellow counter
 * #3."), and the action's entities are limited to the marks and ids that last clause names, when it names any the
 * action may use. Otherwise (no "So:", or nothing usable in it) the allowed entities stay as they were.
 */
export function statedEntities(thought: string, entities: readonly string[]): readonly string[] {
  const at = thought.lastIndexOf('So:');
  if (at < 0) return entities;
  const clause = thought.slice(at);
  const named = clause.match(/#\d+(?!\d)|\b[a-z][a-z0-9]*(?:_[a-z0-9]+)*_\d+\b/g) ?? [];
  const allowed = new Set(entities);
  const usable = [...new Set(named.filter((e) => allowed.has(e)))];
  return usable.length > 0 ? usable : entities;
}
