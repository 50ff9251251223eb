// The action grammar: text such as `place(mug_3, shelf_1)` <-> a typed Action.
//
//   action  = ws name ws [ "(" ws [ arg ws { "," ws arg ws } ] ")" ] ws [ ";" | "." ] ws
//   name    = letter { letter | digit | "_" }                  (case-insensitive)
//   arg     = ident | mark | string | number
//   mark    = "#" digit { digit }                              (at most 4 digits: a prompt's mark, see agent/prompt.ts)
//   ident   = ( letter | "_" ) { letter | digit | "_" }        (an entity id once lower-cased)
//   string  = '"' { char | "\" ( '"' | "\" | "/" | "b" | "f" | "n" | "r" | "t" | "u" hex hex hex hex ) } '"'
//           | "'" { any char but "'" } "'"                     (single quotes: quoted ids only)
//   number  = [ "+" | "-" ] ( digits [ "." [ digits ] ] | "." digits ) [ ( "e" | "E" ) [ "+" | "-" ] digits ]
//
// The bare form `name` (without parentheses) is accepted for zero-argument actions only.
// An entity argument may be a mark such as `#3`: it parses to the action with the text `#3` as the argument,
// and resolveMarks turns it into the entity id through the prompt's MarkTable (an unknown mark is an error).
// Checks run in this order: syntax, action name, arity, arguments. Parsing never throws,
// is linear in the input, and refuses inputs over MAX_ACTION_TEXT characters.

import { ACTION_KINDS, assertNever, type Action, type ActionKind } from '../sim/types.ts';

export const MAX_ACTION_TEXT = 2000;
export const MAX_SAY_LENGTH = 500;

export const ACTION_PARSE_ERROR_CODES = [
  'empty',
  'syntax',
  'unknown_action',
  'arity',
  'bad_argument',
  'too_long',
  'unknown_mark',
] as const;
export type ActionParseErrorCode = (typeof ACTION_PARSE_ERROR_CODES)[number];

/** A JSON-safe parse error. `position` is a 0-based index into `input`, the text that was parsed
 *  (for 'too_long', its first MAX_ACTION_TEXT characters). */
export interface ActionParseError {
  code: ActionParseErrorCode;
  message: string;
  position: number;
  input: string;
}

export type ParseResult = { ok: true; action: Action } | { ok: false; error: ActionParseError };

const ENTITY_ID = /^[a-z][a-z0-9_]{0,63}$/;
const MAX_MARK_DIGITS = 4;
const MARK = /^#\d{1,4}$/;

/** Whether `s` is a mark such as `#3` (as an argument of a parsed action). */
export function isMark(s: string): boolean {
  return MARK.test(s);
}

/** Whether `s` is a valid (lower-case) entity id. */
export function isEntityId(s: string): boolean {
  return ENTITY_ID.test(s);
}

/** Canonical text for an action; parseAction(formatAction(a)) gives back `a` for every valid action. */
export function formatAction(action: Action): string {
  switch (action.kind) {
    case 'goto':
    case 'open':
    case 'close':
    case 'toggle':
      return `${action.kind}(${action.target})`;
    case 'pick':
      return `pick(${action.object})`;
    case 'place':
      return `place(${action.object}, ${action.receptacle})`;
    case 'say':
      return `say(${JSON.stringify(action.text)})`;
    case 'move':
      return `move(${formatNumber(action.forward)}, ${formatNumber(action.turn)})`;
    case 'done':
    case 'grasp':
    case 'release':
      return `${action.kind}()`;
    default:
      return assertNever(action, 'action');
  }
}

function formatNumber(n: number): string {
  return String(n === 0 ? 0 : n); // -0 prints as "0" anyway; normalise explicitly
}

// ---------------------------------------------------------------------------------------------
// Parsing

type ParamType = 'id' | 'text' | 'number';
const PARAMS: Record<ActionKind, readonly (readonly [name: string, type: ParamType])[]> = {
  goto: [['target', 'id']],
  pick: [['object', 'id']],
  place: [['object', 'id'], ['receptacle', 'id']],
  open: [['target', 'id']],
  close: [['target', 'id']],
  toggle: [['target', 'id']],
  say: [['text', 'text']],
  done: [],
  move: [['forward', 'number'], ['turn', 'number']],
  grasp: [],
  release: [],
};

type Arg =
  | { type: 'ident'; value: string; pos: number }
  | { type: 'mark'; value: string; pos: number }
  | { type: 'string'; value: string; quote: '"' | "'"; pos: number }
  | { type: 'number'; value: string; pos: number };

/** A syntax failure: what was expected, and where. */
interface Expected {
  expected: string;
  at: number;
}

const isWs = (c: string | undefined): boolean => c !== undefined && /\s/.test(c);
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isLetter = (c: string | undefined): boolean => c !== undefined && /[A-Za-z]/.test(c);
const isWordChar = (c: string | undefined): boolean => c !== undefined && /\w/.test(c);

function isKind(name: string): name is ActionKind {
  return (ACTION_KINDS as readonly string[]).includes(name);
}

function describeAt(text: string, at: number): string {
  const cp = text.codePointAt(at);
  return cp === undefined ? 'end of input' : JSON.stringify(String.fromCodePoint(cp));
}

function failure(code: ActionParseErrorCode, message: string, position: number, input: string): ParseResult {
  return { ok: false, error: { code, message, position, input } };
}

/** Parses one action. Never throws. */
export function parseAction(text: string): ParseResult {
  if (text.length > MAX_ACTION_TEXT) {
    const message = `action text is ${text.length} characters long; the limit is ${MAX_ACTION_TEXT}`;
    return failure('too_long', message, MAX_ACTION_TEXT, text.slice(0, MAX_ACTION_TEXT));
  }
  if (text.trim() === '') return failure('empty', 'empty action text', 0, text);

  const parsed = parseSyntax(text);
  if ('expected' in parsed) {
    const message = `expected ${parsed.expected}, found ${describeAt(text, parsed.at)}`;
    return failure('syntax', message, parsed.at, text);
  }
  const { name, namePos, args, closePos } = parsed;
  if (!isKind(name)) {
    const message = `unknown action "${name}"; valid actions are ${ACTION_KINDS.join(', ')}`;
    return failure('unknown_action', message, namePos, text);
  }
  const params = PARAMS[name];
  if (args.length !== params.length) {
    const n = params.length;
    const takes = n === 0 ? 'no arguments' : `${n} argument${n === 1 ? '' : 's'} (${params.map((p) => p[0]).join(', ')})`;
    const message = `${name} takes ${takes}, but ${args.length} ${args.length === 1 ? 'was' : 'were'} given`;
    return failure('arity', message, args[n]?.pos ?? closePos, text);
  }
  const values: (string | number)[] = [];
  for (const [i, [param, type]] of params.entries()) {
    const arg = args[i];
    if (arg === undefined) break; // unreachable: arity checked above
    const value = convert(arg, type);
    if (typeof value === 'object') return failure('bad_argument', `${name} ${param}: ${value.problem}`, arg.pos, text);
    values.push(value);
  }
  return { ok: true, action: build(name, values) };
}

interface Parsed {
  name: string;
  namePos: number;
  args: Arg[];
  /** Where a missing argument would have gone: the ")" or the end of a bare name. */
  closePos: number;
}

function parseSyntax(text: string): Parsed | Expected {
  let i = 0;
  const skipWs = (): void => {
    while (isWs(text[i])) i++;
  };
  skipWs();
  const namePos = i;
  if (!isLetter(text[i])) return { expected: 'an action name', at: i };
  while (isWordChar(text[i])) i++;
  const name = text.slice(namePos, i).toLowerCase();
  let closePos = i;
  skipWs();
  const args: Arg[] = [];
  if (text[i] === '(') {
    i++;
    skipWs();
    if (text[i] !== ')') {
      for (;;) {
        const arg = lexArg(text, i);
        if ('expected' in arg) return arg;
        args.push(arg.arg);
        i = arg.end;
        skipWs();
        if (text[i] === ')') break;
        if (text[i] !== ',') return { expected: '"," or ")"', at: i };
        i++;
        skipWs();
      }
    }
    closePos = i;
    i++; // ")"
    skipWs();
  } else if (i < text.length && text[i] !== ';' && text[i] !== '.') {
    return { expected: '"("', at: i };
  }
  if (text[i] === ';' || text[i] === '.') {
    i++;
    skipWs();
  }
  if (i < text.length) return { expected: 'end of input', at: i };
  return { name, namePos, args, closePos };
}

function lexArg(text: string, start: number): { arg: Arg; end: number } | Expected {
  const c = text[start];
  if (c === '"' || c === "'") {
    const s = c === '"' ? lexJsonString(text, start) : lexSingleQuoted(text, start);
    if ('expected' in s) return s;
    return { arg: { type: 'string', value: s.value, quote: c, pos: start }, end: s.end };
  }
  if (c === '#') {
    let i = start + 1;
    while (isDigit(text[i])) i++;
    if (i === start + 1) return { expected: 'a mark number after "#"', at: i };
    return { arg: { type: 'mark', value: text.slice(start, i), pos: start }, end: i };
  }
  if (isLetter(c) || c === '_') {
    let i = start;
    while (isWordChar(text[i])) i++;
    return { arg: { type: 'ident', value: text.slice(start, i), pos: start }, end: i };
  }
  if (isDigit(c) || c === '.' || c === '+' || c === '-') return lexNumber(text, start);
  return { expected: 'an argument (an entity id, a #mark, a string or a number)', at: start };
}

function lexNumber(text: string, start: number): { arg: Arg; end: number } | Expected {
  let i = start;
  if (text[i] === '+' || text[i] === '-') i++;
  const intStart = i;
  while (isDigit(text[i])) i++;
  let digits = i - intStart;
  if (text[i] === '.') {
    const fracStart = ++i;
    while (isDigit(text[i])) i++;
    digits += i - fracStart;
  }
  if (digits === 0) return { expected: 'a digit', at: i };
  if (text[i] === 'e' || text[i] === 'E') {
    i++;
    if (text[i] === '+' || text[i] === '-') i++;
    if (!isDigit(text[i])) return { expected: 'exponent digits', at: i };
    while (isDigit(text[i])) i++;
  }
  return { arg: { type: 'number', value: text.slice(start, i), pos: start }, end: i };
}

const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

function lexJsonString(text: string, start: number): { value: string; end: number } | Expected {
  const parts: string[] = [];
  let i = start + 1;
  let run = i; // start of the current run of plain characters
  for (;;) {
    const c = text[i];
    if (c === undefined) return { expected: 'a closing \'"\'', at: i };
    if (c === '"') break;
    if (c !== '\\') {
      i++;
      continue;
    }
    parts.push(text.slice(run, i));
    const e = text[i + 1];
    const simple = e === undefined ? undefined : ESCAPES[e];
    if (simple !== undefined) {
      parts.push(simple);
      i += 2;
    } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
      parts.push(String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16)));
      i += 6;
    } else {
      return { expected: 'an escape (\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX)', at: i };
    }
    run = i;
  }
  parts.push(text.slice(run, i));
  return { value: parts.join(''), end: i + 1 };
}

function lexSingleQuoted(text: string, start: number): { value: string; end: number } | Expected {
  const close = text.indexOf("'", start + 1);
  if (close < 0) return { expected: "a closing \"'\"", at: text.length };
  return { value: text.slice(start + 1, close), end: close + 1 };
}

function convert(arg: Arg, type: ParamType): string | number | { problem: string } {
  switch (type) {
    case 'id': {
      if (arg.type === 'number') return { problem: `expected an entity id, found the number ${arg.value}` };
      if (arg.type === 'mark') {
        if (arg.value.length > MAX_MARK_DIGITS + 1) return { problem: `${arg.value} is not a mark (# and at most ${MAX_MARK_DIGITS} digits)` };
        return arg.value;
      }
      const id = arg.value.toLowerCase();
      if (isEntityId(id)) return id;
      return {
        problem: `${JSON.stringify(arg.value)} is not an entity id (a letter, then letters, digits or underscores; at most 64 characters)`,
      };
    }
    case 'text':
      if (arg.type !== 'string' || arg.quote !== '"') return { problem: 'expected a double-quoted string' };
      if (arg.value.length > MAX_SAY_LENGTH)
        return { problem: `text is ${arg.value.length} characters long; the limit is ${MAX_SAY_LENGTH}` };
      return arg.value;
    case 'number': {
      if (arg.type !== 'number') return { problem: `expected a number in [-1, 1], found ${JSON.stringify(arg.value)}` };
      const n = Number(arg.value);
      if (!Number.isFinite(n)) return { problem: `${arg.value} is not a finite number` };
      if (n < -1 || n > 1) return { problem: `${arg.value} is outside [-1, 1]` };
      return n === 0 ? 0 : n;
    }
    default:
      return assertNever(type, 'parameter type');
  }
}

/** Builds the action from arguments already checked against PARAMS. */
function build(kind: ActionKind, values: readonly (string | number)[]): Action {
  const str = (i: number): string => String(values[i]);
  const num = (i: number): number => Number(values[i]);
  switch (kind) {
    case 'goto':
    case 'open':
    case 'close':
    case 'toggle':
      return { kind, target: str(0) };
    case 'pick':
      return { kind, object: str(0) };
    case 'place':
      return { kind, object: str(0), receptacle: str(1) };
    case 'say':
      return { kind, text: str(0) };
    case 'move':
      return { kind, forward: num(0), turn: num(1) };
    case 'done':
    case 'grasp':
    case 'release':
      return { kind };
    default:
      return assertNever(kind, 'action kind');
  }
}

// ---------------------------------------------------------------------------------------------
// Marks

/**
 * The marks of one prompt (agent/prompt.ts): mark `#n` names `ids[n - 1]`. JSON-safe. `names[n - 1]` is how the
 * prompt describes it ("red mug").
 */
export interface MarkTable {
  ids: string[];
  names: string[];
}

/** The mark of an entity id in a table, or null. */
export function markOf(marks: MarkTable, id: string): string | null {
  const i = marks.ids.indexOf(id);
  return i < 0 ? null : `#${i + 1}`;
}

/** The entity id a mark names, or null when the table has no such mark. */
export function idOfMark(marks: MarkTable, mark: string): string | null {
  if (!isMark(mark)) return null;
  return marks.ids[Number(mark.slice(1)) - 1] ?? null;
}

/** The action with `f` applied to every entity argument. */
export function mapEntities(action: Action, f: (id: string) => string): Action {
  switch (action.kind) {
    case 'goto':
    case 'open':
    case 'close':
    case 'toggle':
      return { kind: action.kind, target: f(action.target) };
    case 'pick':
      return { kind: 'pick', object: f(action.object) };
    case 'place':
      return { kind: 'place', object: f(action.object), receptacle: f(action.receptacle) };
    case 'say':
    case 'done':
    case 'move':
    case 'grasp':
    case 'release':
      return action;
    default:
      return assertNever(action, 'action');
  }
}

/**
 * Turns the marks of a parsed action (`pick(#3)`) into the entity ids they name; ids pass through unchanged.
 * An unknown mark is an 'unknown_mark' error whose input is the action's text and position that of the mark.
 */
export function resolveMarks(action: Action, marks: MarkTable): ParseResult {
  const missing: string[] = [];
  const resolved = mapEntities(action, (arg) => {
    if (!isMark(arg)) return arg;
    const id = idOfMark(marks, arg);
    if (id === null) missing.push(arg);
    return id ?? arg;
  });
  const unknown = missing[0];
  if (unknown !== undefined) {
    const input = formatAction(action);
    const n = marks.ids.length;
    const known = n === 0 ? 'the prompt has no marks' : `the prompt's marks are #1 to #${n}`;
    return failure('unknown_mark', `unknown mark ${unknown}; ${known}`, Math.max(0, input.indexOf(unknown)), input);
  }
  return { ok: true, action: resolved };
}

// ---------------------------------------------------------------------------------------------
// Language-model output

/**
 * Finds the action in a language model's output: the last line that starts (after whitespace and
 * markdown decoration such as bullets, `**`, backticks) with `Action:`, case-insensitive. What follows
 * it, stripped of backticks, is parsed; when it is empty, the next non-blank line that is not a code
 * fence is parsed instead. Errors then refer to that extracted text. Without an `Action:` line the
 * whole text is parsed; if that fails with a syntax error, the result is 'empty' ("no `Action:` line found").
 */
export function extractAction(raw: string): ParseResult {
  const lines = raw.split(/\r\n|\r|\n/);
  for (let l = lines.length - 1; l >= 0; l--) {
    const rest = afterActionLabel(lines[l] ?? '');
    if (rest === null) continue;
    let candidate = stripDecoration(rest);
    if (candidate === '') {
      const next = lines.slice(l + 1).find((line) => line.trim() !== '' && !/^\s*`{3,}[\w-]*\s*$/.test(line));
      candidate = stripDecoration(next ?? '');
    }
    return parseAction(candidate);
  }
  const whole = parseAction(stripDecoration(raw));
  if (whole.ok || whole.error.code !== 'syntax') return whole;
  return failure('empty', 'no `Action:` line found', 0, raw);
}

const LEADING_DECORATION = /[\s\-*+>#`_.\d)]/;

/** The text after an `Action:` label at the start of the line, or null when the line has none. */
function afterActionLabel(line: string): string | null {
  let i = 0;
  while (i < line.length && LEADING_DECORATION.test(line.charAt(i))) i++;
  if (line.slice(i, i + 6).toLowerCase() !== 'action') return null;
  i += 6;
  while (i < line.length && /[\s*_]/.test(line.charAt(i))) i++;
  if (line[i] !== ':') return null;
  i++;
  while (i < line.length && /[\s*_]/.test(line.charAt(i))) i++;
  return line.slice(i);
}

/** Trims whitespace and backticks around `s`, and markdown emphasis after it (loops, not regexes: linear). */
function stripDecoration(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && /[\s`]/.test(s.charAt(start))) start++;
  while (end > start && /[\s`*_]/.test(s.charAt(end - 1))) end--;
  return s.slice(start, end);
}

/** Entity ids an action names. */
export function actionEntities(action: Action): string[] {
  switch (action.kind) {
    case 'goto':
    case 'open':
    case 'close':
    case 'toggle':
      return [action.target];
    case 'pick':
      return [action.object];
    case 'place':
      return [action.object, action.receptacle];
    case 'say':
    case 'done':
    case 'move':
    case 'grasp':
    case 'release':
      return [];
    default:
      return assertNever(action, 'action');
  }
}
