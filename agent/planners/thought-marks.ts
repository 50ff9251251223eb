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
//   6. what "I need the ..." (and "I need to be next to the ...") names: the first thing the Task names by colour and category and does not mark
//      `, done` (prompt format 4; the teacher works through a task in its order and finishes what it holds
//      first), word by word (neededWords), then what `Named in the task:` knows of it: its mark and
//      "I have seen it" when the line says it is in sight or was seen, "The ... is not in sight" when there is no
//      line. Traced on rearrange: "I need the purple mug" for a task naming the purple cup and the black mug; and
//      the model went to a target it had seen in 17% of the states where the oracle did
//      (scripts/planner-agreement.ts), writing it as not seen, without its mark, and searching on.
//   7. where the thing could be, word by word (placeWords): after "It could be on (in) the", the first place of
//      the Unsearched surfaces (containers) line, its words then its mark, and the same place after the closing
//      "So: goto the" of such a thought; the teacher always names the first (oracle.ts search). Rule 4 alone holds
//      only the mark: traced on rearrange, "It could be on the black shelf fridge #5", where #5 was the green
//      shelf heading the line and the black shelf a destination of the task.
//   8. the closed container at hand, opened: once History's last line went to a container (`goto(#4): ok`) that
//      See shows closed, "... is not in sight." goes on "I open the yellow cabinet #4" (openWords), as the teacher
//      does before it looks anywhere else. Traced: at the cabinet it had just reached, heading the Unsearched
//      containers line, the model wrote "It could be in the yellow cabinet #4" and went to it again, four times.
//   9. the held thing (heldWords): "I have the ..." and "I put the ..." name what `You:` says is held, by the
//      words `Named in the task:` gives it (colour and category) and its mark, and the closing "So: place the ..."
//      by the words of `You:` (the bare category, as the teacher's restated choice writes a held thing). Traced:
//      holding the green mug at the shelf it goes on, "I put the purple teddy bear #18 on it", a thing not held.
//  10. where the held thing goes (destinationWords): "It goes on (in) the ...", the closing "So: goto the ..." of
//      such a thought and the place of "So: place the mug #17 on the ..." after "I put the" name the landmark
//      `Named in the task:` lists right after the held thing (those lines follow the Task's order, and the Task
//      names each thing's place after it: "put the green mug on the black shelf"); of several ("the counter in
//      the bathroom" names every counter), the one in that room. Traced: "I have the black teddy bear #17. It goes
//      in the black fridge #8", the fridge being white and #8 a counter.
//  11. what is picked up (pickWords): the closing "So: pick the ..." names the thing rule 6 needs when
//      `Named in the task:` says it is in reach, by its words and mark; the teacher picks up nothing else.
//      Traced: "The yellow box #10 is right here within reach. I pick it up", the purple box put on the table
//      four steps before, where the yellow mug was wanted.
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
  /** Those of them it says are in reach. */
  readonly inReach: ReadonlyMap<string, string>;
  /** What the thought says after "is not in sight." when the last step went to a container See shows closed
   *  (" I open the yellow cabinet #4"), else null. */
  readonly openReached: string | null;
  /** The held thing as "I have the" goes on (" green mug #17", from `Named in the task:`) and as "So: place the"
   *  goes on (" mug #17", from `You:`), each null when the prompt does not say. */
  readonly held: { readonly named: string | null; readonly bare: string | null };
  /** Where the held thing goes (" black shelf #3"): the first landmark `Named in the task:` lists after it. */
  readonly destination: string | null;
  /** The first place of the `Unsearched containers:` (in) and `Unsearched surfaces:` (on) lines, or null. */
  readonly firstUnsearched: { readonly in: UnsearchedPlace | null; readonly on: UnsearchedPlace | null };
}

/** A place as an Unsearched line writes it: `green shelf #5` is words ['green', 'shelf'] and mark '#5'. */
export interface UnsearchedPlace {
  readonly words: readonly string[];
  readonly mark: string;
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
const NEED_THE = /(?:^|[.:;]\s*)I need (?:to be next to )?the((?: [a-z]+)*)$/;
/** The object categories as words ("toy car"), longest first so that a longer one is found before a part of it. */
const CATEGORY_WORDS = OBJECT_KINDS.map((k) => k.category.replace(/_/g, ' ')).sort((a, b) => b.length - a.length);
const TASK_THING = new RegExp(`\\b(${COLORS.join('|')}) (${CATEGORY_WORDS.join('|')})\\b(, done)?`, 'g');

/** "It could be in (on) the" and the words written after it... */
const COULD_BE_WORDS = /(?:^|[.:]\s*)It could be (in|on) the((?: [a-z]+)*)$/;
/** ...and the closing "So: goto the" with the words written after it. */
const SO_GOTO_WORDS = /So: goto the((?: [a-z]+)*)$/;

/** "I have the" or "I put the" opening a sentence, and the words written after it... */
const HAVE_THE = /(?:^|[.:;]\s*)I (?:have|put) the((?: [a-z]+)*)$/;
/** ...and the closing "So: place the" with the words written after it. */
const SO_PLACE = /So: place the((?: [a-z]+)*)$/;

/** "It goes on (in) the" opening a sentence, and the words written after it... */
const GOES_THE = /(?:^|[.:;]\s*)It goes (?:on|in) the((?: [a-z]+)*)$/;
/** ...in a thought that said so. */
const SAID_GOES = /(?:^|[.:;]\s*)It goes (?:on|in) the /;
/** "I put the" (not "I put down the"), in a thought placing the held thing where it goes... */
const SAID_PUT = /(?:^|[.:;]\s*)I put the /;
/** ...and the place of its closing "So: place the mug #17 on the", with the words written after it. */
const SO_PLACE_ON = /So: place the [a-z ]+ #\d+ on the((?: [a-z]+)*)$/;

/** The closing "So: pick the" and the words written after it. */
const SO_PICK = /So: pick the((?: [a-z]+)*)$/;

/** "... is not in sight." and what was written after it. */
const NOT_IN_SIGHT = /is not in sight\.((?: [A-Za-z]+)*)$/;

/** A sentence "I need the purple cup." (its mark or not), just ended: the thing's words. */
const NEEDED = /(?:^|[.:;]\s*)I need (?:to be next to )?the ([a-z]+(?: [a-z]+)*)(?: #\d+)?\.$/;

/** The things the prompt's `Named in the task:` lines say are in sight, in reach or were seen (or, with
 *  `reach`, in reach only), with their marks. */
function seenThings(lines: readonly string[], reach = false): Map<string, string> {
  const seen = new Map<string, string>();
  const heading = lines.indexOf('Named in the task:');
  if (heading < 0) return seen;
  const says = reach ? /^([a-z]+(?: [a-z]+)*) (#\d+): in reach/ : /^([a-z]+(?: [a-z]+)*) (#\d+): (?:in sight|in reach|not in sight, last seen)/;
  for (const text of lines.slice(heading + 1)) {
    if (!/^[a-z ]+ #\d+: /.test(text)) break;
    const line = says.exec(text);
    if (line !== null) seen.set(line[1]!, line[2]!);
  }
  return seen;
}

/** The first place of the prompt's line that starts with `label`, or null (`none`, or no such line). */
function firstPlace(lines: readonly string[], label: string): UnsearchedPlace | null {
  const line = lines.find((l) => l.startsWith(label));
  const first = line === undefined ? null : /^([a-z]+(?: [a-z]+)*) (#\d+)/.exec(line.slice(label.length).trimStart());
  return first === null ? null : { words: first[1]!.split(' '), mark: first[2]! };
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
  const opens = reached === null ? -1 : places.indexOf(` ${reached} (opens)`);
  const wentTo = reached !== null && lastHistoryLine(lines).startsWith(`goto(${reached}):`);
  const closed = reached !== null && lines.some((l) => l.includes(` ${reached}, closed,`));
  const words = opens < 0 ? [] : wordsBefore(places, opens);
  const holding = /^You: in \S+, holding ([a-z]+(?: [a-z]+)*) (#\d+)\.$/.exec(lines.find((l) => l.startsWith('You: ')) ?? '');
  const heldNamed = holding === null ? undefined : lines.find((l) => l.endsWith(` ${holding[2]}: held`));
  return {
    phrases,
    unsearched: { in: lineMarks('Unsearched containers:'), on: lineMarks('Unsearched surfaces:') },
    reached: reached !== null && places.includes(` ${reached} (opens)`) ? markToken(reached) : null,
    containers: new Set([...places.matchAll(/([a-z]+) #\d+ \(opens\)/g)].map((m) => m[1]!)),
    wanted: wantedThings(lines),
    seen: seenThings(lines),
    inReach: seenThings(lines, true),
    held: {
      named: heldNamed === undefined || !/^[a-z ]+ #\d+: held$/.test(heldNamed) ? null : ` ${heldNamed.slice(0, -': held'.length)}`,
      bare: holding === null ? null : ` ${holding[1]} ${holding[2]}`,
    },
    destination: destinationOf(lines, places, heldNamed),
    openReached: wentTo && closed && words.length > 0 ? ` I open the ${words.join(' ')} ${reached}` : null,
    firstUnsearched: { in: firstPlace(lines, 'Unsearched containers:'), on: firstPlace(lines, 'Unsearched surfaces:') },
  };
}

/**
 * Where the held thing goes, as " black shelf #3": of the landmarks (marks of Places) `Named in the task:` lists
 * right after the held thing's line (those lines follow the Task's order), those the Task's clause after the
 * thing describes ("on the black shelf": a shelf, black; "on the counter in the bathroom": a counter, in the
 * bathroom). Null unless that leaves exactly one.
 */
function destinationOf(lines: readonly string[], places: string, heldLine: string | undefined): string | null {
  if (heldLine === undefined) return null;
  const task = (lines.findLast((l) => l.startsWith('Task: ')) ?? '').toLowerCase();
  const heldWords = heldLine.slice(0, heldLine.indexOf(' #'));
  const at = task.indexOf(heldWords);
  if (at < 0) return null;
  // The Task's clause after the thing: " on the counter in the bathroom".
  const clause = task.slice(at + heldWords.length).split(/,| and |\./)[0]!;
  const found: string[] = [];
  for (const line of lines.slice(lines.indexOf(heldLine) + 1)) {
    const named = /^([a-z]+) ([a-z]+(?: [a-z]+)*) (#\d+): /.exec(line);
    const room = named === null ? undefined : places.split('\n').find((l) => new RegExp(`[:,] ${named[1]!} ${named[2]!} ${named[3]!}\\b`).test(l));
    if (named === null || room === undefined) break;
    const [, colour, category] = named;
    const described = new RegExp(`\\bthe (?:([a-z]+) )?${category!}\\b(?: in the ([a-z ]+))?`).exec(clause);
    if (described === null) continue;
    const roomWords = room.slice(0, room.indexOf(':')).replace(/_\d+$/, '').replace(/_/g, ' ');
    if (described[1] !== undefined && described[1] !== colour) continue;
    if (described[2] !== undefined && described[2] !== roomWords) continue;
    found.push(` ${colour!} ${category!} ${named[3]!}`);
  }
  return found.length === 1 ? found[0]! : null;
}

/** The text of the prompt's Places section. */
function placesText(lines: readonly string[]): string {
  const start = lines.indexOf('Places:');
  const end = lines.indexOf('See:');
  return start < 0 ? '' : lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}

/** History's last line without its number (`goto(#8): ok`), or '' when History has none. */
function lastHistoryLine(lines: readonly string[]): string {
  let last = lines.findIndex((l) => l.startsWith('History:'));
  if (last < 0) return '';
  while (/^\d+\. /.test(lines[last + 1] ?? '')) last++;
  return /^\d+\. (.*)$/.exec(lines[last] ?? '')?.[1] ?? '';
}

/** The mark (`#8`) that History's last line went to or opened (`3. goto(#8): ok`), or null. */
function reachedMark(lines: readonly string[]): string | null {
  return /^(?:goto|open)\((#\d+)\): ok$/.exec(lastHistoryLine(lines))?.[1] ?? null;
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
 * The tokens' texts that may follow the thought's `text` after "I need the": the next word (" purple") of the
 * first wanted thing when it agrees with what was written so far; once a thing is written, its mark (" #16") when seen,
 * else "."; after "I need the purple cup #16." " I" (seen: "I have seen it"), after "I need the purple cup." " The"
 * ("The purple cup is not in sight"). Null elsewhere, or when no wanted thing agrees.
 */
export function neededWords(text: string, marks: ThoughtMarks): Set<string> | null {
  const needed = NEEDED.exec(text)?.[1];
  const thing = marks.wanted[0];
  if (thing === undefined) return null;
  if (needed !== undefined && thing.join(' ') === needed) return new Set([marks.seen.has(needed) ? ' I' : ' The']);
  const typed = NEED_THE.exec(text)?.[1]?.trim();
  if (typed === undefined) return null;
  const words = typed === '' ? [] : typed.split(' ');
  if (thing.length < words.length || !words.every((w, i) => thing[i] === w)) return null;
  // The next word, or once the thing is written, its mark when seen, else the full stop.
  const mark = marks.seen.get(typed);
  return new Set([thing.length > words.length ? ` ${thing[words.length]!}` : mark !== undefined ? ` ${mark}` : '.']);
}

/**
 * The tokens' texts that may follow the thought's `text` where it says where the thing could be (rule 7): after
 * "It could be on the" (or "in the"), the next word of the Unsearched line's first place, then its mark; after
 * the closing "So: goto the" of a thought that said so, the same. Null elsewhere, when the line names no place,
 * or when what was written already departs from the place's words (rule 4 then holds the mark).
 */
export function placeWords(text: string, marks: ThoughtMarks): Set<string> | null {
  let where: string | undefined;
  let typed: string | undefined;
  const couldBe = COULD_BE_WORDS.exec(text);
  if (couldBe !== null) [, where, typed] = couldBe;
  else {
    const closing = SO_GOTO_WORDS.exec(text);
    if (closing === null) return null;
    typed = closing[1];
    where = [...text.matchAll(SAID_COULD_BE)].at(-1)?.[1];
  }
  const place = where === 'in' ? marks.firstUnsearched.in : where === 'on' ? marks.firstUnsearched.on : null;
  if (place === null || typed === undefined) return null;
  return nextPiece(typed, ` ${place.words.join(' ')} ${place.mark}`);
}

/** Rule 8: after "... is not in sight." at a closed container the last step went to, the next word of "I open
 *  the <container> #k"; null elsewhere, or once the thought departs from those words. */
export function openWords(text: string, marks: ThoughtMarks): Set<string> | null {
  if (marks.openReached === null) return null;
  const typed = NOT_IN_SIGHT.exec(text)?.[1];
  return typed === undefined ? null : nextPiece(typed, marks.openReached);
}

/** Rule 9: after "I have the" or "I put the", the next word of the held thing's name and mark as `Named in the
 *  task:` gives them; after "So: place the", as `You:` gives them; null elsewhere, when the prompt holds nothing
 *  (or does not say), or once the thought departs from those words. */
export function heldWords(text: string, marks: ThoughtMarks): Set<string> | null {
  const have = HAVE_THE.exec(text)?.[1];
  if (have !== undefined) return marks.held.named === null ? null : nextPiece(have, marks.held.named);
  const place = SO_PLACE.exec(text)?.[1];
  return place === undefined || marks.held.bare === null ? null : nextPiece(place, marks.held.bare);
}

/** Rule 10: after "It goes on (in) the", the closing "So: goto the" of such a thought, and "So: place the <held>
 *  on the", the next word of where the held thing goes, then its mark; null elsewhere, when the prompt does not
 *  say, or once the thought departs from those words. */
export function destinationWords(text: string, marks: ThoughtMarks): Set<string> | null {
  if (marks.destination === null) return null;
  // A thing put down to free the gripper goes to the nearest surface instead: that thought says "put down".
  const placing = SAID_PUT.test(text) ? SO_PLACE_ON.exec(text)?.[1] : undefined;
  const typed = GOES_THE.exec(text)?.[1] ?? placing ?? (SAID_GOES.test(text) ? SO_GOTO_WORDS.exec(text)?.[1] : undefined);
  return typed === undefined ? null : nextPiece(typed, marks.destination);
}

/** Rule 11: after "So: pick the", the next word (or mark) of the first wanted thing when the prompt says it is in
 *  reach; null elsewhere, when it is not, or once the thought departs from it. */
export function pickWords(text: string, marks: ThoughtMarks): Set<string> | null {
  const typed = SO_PICK.exec(text)?.[1];
  const words = marks.wanted[0]?.join(' ');
  const mark = words === undefined ? undefined : marks.inReach.get(words);
  return typed === undefined || mark === undefined ? null : nextPiece(typed, ` ${words!} ${mark}`);
}

/** The next space-led piece of `phrase` (" cabinet", " #4") after `typed`, its start; null when `typed` is not
 *  a start of `phrase` ending at one of its spaces, or is the whole of it. */
function nextPiece(typed: string, phrase: string): Set<string> | null {
  if (typed.length >= phrase.length || !phrase.startsWith(typed) || phrase[typed.length] !== ' ') return null;
  const end = phrase.indexOf(' ', typed.length + 1);
  return new Set([phrase.slice(typed.length, end < 0 ? undefined : end)]);
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
 * "I need the", only the tokens neededWords allows (rule 6); at a closed container just reached, those openWords
 * allows (rule 8); where the thing could be, those placeWords allows (rule 7); after "I have the", "I put the" and "So: place the",
 * those heldWords allows (rule 9); where the held thing goes, those destinationWords allows (rule 10); after "So: pick the", those pickWords allows
 * (rule 11); else every token but the marks the rules rule out; null
 * when nothing is ruled out. The same mask on both engines (the CPU engine's argmax, the GPU's masked argmax), so
 * they choose alike.
 */
export function thoughtMask(text: string, marks: ThoughtMarks, tokenizer: Tokenizer): Uint32Array | null {
  const words = neededWords(text, marks) ?? openWords(text, marks) ?? placeWords(text, marks) ?? heldWords(text, marks) ?? destinationWords(text, marks) ?? pickWords(text, marks);
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
