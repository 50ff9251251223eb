import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ACTION_PARSE_ERROR_CODES,
  extractAction,
  formatAction,
  isEntityId,
  isMark,
  mapEntities,
  parseAction,
  resolveMarks,
  type MarkTable,
  type ActionParseErrorCode,
  type ParseResult,
} from '../../agent/grammar.ts';
import { ACTION_KINDS, type Action } from '../../sim/types.ts';

function expectAction(result: ParseResult): Action {
  if (!result.ok) throw new Error(`expected an action, got ${JSON.stringify(result.error)}`);
  return result.action;
}

/** Checks the shape every error must have, and returns it. */
function expectWellFormedError(text: string, result: ParseResult) {
  expect(result.ok).toBe(false);
  if (result.ok) throw new Error('unreachable');
  const { error } = result;
  expect(ACTION_PARSE_ERROR_CODES).toContain(error.code);
  expect(Number.isInteger(error.position)).toBe(true);
  expect(error.position).toBeGreaterThanOrEqual(0);
  expect(error.position).toBeLessThanOrEqual(text.length);
  expect(error.position).toBeLessThanOrEqual(error.input.length);
  expect(error.message.length).toBeGreaterThan(0);
  expect(error.input).toBe(error.code === 'too_long' ? text.slice(0, 2000) : text);
  expect(JSON.parse(JSON.stringify(error))).toEqual(error);
  return error;
}

describe('formatAction', () => {
  const cases: [Action, string][] = [
    [{ kind: 'goto', target: 'table_1' }, 'goto(table_1)'],
    [{ kind: 'pick', object: 'mug_3' }, 'pick(mug_3)'],
    [{ kind: 'place', object: 'mug_3', receptacle: 'shelf_1' }, 'place(mug_3, shelf_1)'],
    [{ kind: 'open', target: 'fridge_1' }, 'open(fridge_1)'],
    [{ kind: 'close', target: 'fridge_1' }, 'close(fridge_1)'],
    [{ kind: 'toggle', target: 'lamp_1' }, 'toggle(lamp_1)'],
    [{ kind: 'say', text: 'text with "escapes"' }, 'say("text with \\"escapes\\"")'],
    [{ kind: 'done' }, 'done()'],
    [{ kind: 'move', forward: 0.5, turn: -0.25 }, 'move(0.5, -0.25)'],
    [{ kind: 'move', forward: -0, turn: 1e-7 }, 'move(0, 1e-7)'],
    [{ kind: 'grasp' }, 'grasp()'],
    [{ kind: 'release' }, 'release()'],
  ];
  it.each(cases)('%j -> %s', (action, text) => {
    expect(formatAction(action)).toBe(text);
  });

  it('covers every action kind', () => {
    expect(new Set(cases.map(([a]) => a.kind))).toEqual(new Set(ACTION_KINDS));
  });
});

describe('parseAction: valid inputs', () => {
  const cases: [string, Action][] = [
    ['goto(table_1)', { kind: 'goto', target: 'table_1' }],
    ['  goto( table_1 )  ', { kind: 'goto', target: 'table_1' }],
    ['GoTo(Table_1);', { kind: 'goto', target: 'table_1' }],
    ['goto (table_1).', { kind: 'goto', target: 'table_1' }],
    ['pick(mug_3)', { kind: 'pick', object: 'mug_3' }],
    ['pick("mug_3")', { kind: 'pick', object: 'mug_3' }],
    ["pick('MUG_3') ;", { kind: 'pick', object: 'mug_3' }],
    ['place(mug_3, shelf_1)', { kind: 'place', object: 'mug_3', receptacle: 'shelf_1' }],
    ['place(mug_3,shelf_1)', { kind: 'place', object: 'mug_3', receptacle: 'shelf_1' }],
    ['\tPLACE ( "mug_3" ,\n\'shelf_1\' ) ;\n', { kind: 'place', object: 'mug_3', receptacle: 'shelf_1' }],
    ['open(fridge_1)', { kind: 'open', target: 'fridge_1' }],
    ['close(fridge_1);', { kind: 'close', target: 'fridge_1' }],
    ['toggle(lamp_1)', { kind: 'toggle', target: 'lamp_1' }],
    ['say("hello")', { kind: 'say', text: 'hello' }],
    ['say("text with \\"escapes\\"")', { kind: 'say', text: 'text with "escapes"' }],
    ['say("a\\\\b\\nc\\td\\u00e9\\/")', { kind: 'say', text: 'a\\b\nc\td\u00e9/' }],
    ['say("")', { kind: 'say', text: '' }],
    ['say("' + 'x'.repeat(500) + '")', { kind: 'say', text: 'x'.repeat(500) }],
    ['done', { kind: 'done' }],
    ['done()', { kind: 'done' }],
    ['DONE.', { kind: 'done' }],
    ['  done ( ) ; ', { kind: 'done' }],
    ['move(0.5, -0.25)', { kind: 'move', forward: 0.5, turn: -0.25 }],
    ['move(1, -1)', { kind: 'move', forward: 1, turn: -1 }],
    ['move(+.5, -5e-1)', { kind: 'move', forward: 0.5, turn: -0.5 }],
    ['move(1., 0.1E1)', { kind: 'move', forward: 1, turn: 1 }],
    ['move(-0, -0.0)', { kind: 'move', forward: 0, turn: 0 }],
    ['grasp', { kind: 'grasp' }],
    ['grasp();', { kind: 'grasp' }],
    ['release()', { kind: 'release' }],
    ['Release', { kind: 'release' }],
  ];
  it.each(cases)('%j', (text, action) => {
    const parsed = expectAction(parseAction(text));
    expect(parsed).toEqual(action);
    expect(Object.is((parsed as { forward?: number }).forward, -0)).toBe(false);
  });

  it('accepts ids up to 64 characters', () => {
    const id = 'a' + '_9'.repeat(31) + 'z';
    expect(id).toHaveLength(64);
    expect(expectAction(parseAction(`pick(${id})`))).toEqual({ kind: 'pick', object: id });
  });
});

describe('parseAction: errors', () => {
  const cases: [string, ActionParseErrorCode, number, RegExp][] = [
    ['', 'empty', 0, /empty/],
    [' \n\t ', 'empty', 0, /empty/],
    ['pick(mug_3', 'syntax', 10, /expected "," or "\)".*end of input/],
    ['pick mug_3', 'syntax', 5, /expected "\(".*"m"/],
    ['pick(mug-3)', 'syntax', 8, /"-"/],
    ['pick(mug_3))', 'syntax', 11, /end of input.*"\)"/],
    ['pick(mug_3); pick(cup_1)', 'syntax', 13, /expected end of input/],
    ['(mug_3)', 'syntax', 0, /action name/],
    ['place(mug_3,)', 'syntax', 12, /argument/],
    ['say("unterminated)', 'syntax', 18, /closing/],
    ['say("bad \\x escape")', 'syntax', 9, /escape/],
    ['say("\\u12")', 'syntax', 5, /escape/],
    ['move(1e, 0)', 'syntax', 7, /exponent/],
    ['move(-, 0)', 'syntax', 6, /digit/],
    ["pick('mug_3)", 'syntax', 12, /closing/],
    ['fly(x)', 'unknown_action', 0, /fly.*goto, pick, place, open, close, toggle, say, done, move, grasp, release/],
    ['  hello', 'unknown_action', 2, /hello/],
    ['place(mug_3)', 'arity', 11, /2 arguments.*1 was given/],
    ['pick()', 'arity', 5, /1 argument.*0 were given/],
    ['pick', 'arity', 4, /1 argument/],
    ['goto(a, b)', 'arity', 8, /1 argument.*2 were given/],
    ['done(now)', 'arity', 5, /no arguments.*1 was given/],
    ['move(0.5)', 'arity', 8, /2 arguments/],
    ['move(2, 0)', 'bad_argument', 5, /forward.*\[-1, 1\]/],
    ['move(0, -1.0001)', 'bad_argument', 8, /turn.*\[-1, 1\]/],
    ['move(1e999, 0)', 'bad_argument', 5, /finite/],
    ['move(NaN, 0)', 'bad_argument', 5, /number/],
    ['move("0.5", 0)', 'bad_argument', 5, /number/],
    ['pick(3)', 'bad_argument', 5, /entity id/],
    ['pick(_mug)', 'bad_argument', 5, /entity id/],
    ['pick("mug 3")', 'bad_argument', 5, /entity id/],
    ['pick("")', 'bad_argument', 5, /entity id/],
    [`pick(${'a'.repeat(65)})`, 'bad_argument', 5, /at most 64/],
    ['say(hello)', 'bad_argument', 4, /double-quoted string/],
    ["say('hello')", 'bad_argument', 4, /double-quoted string/],
    ['say(3)', 'bad_argument', 4, /double-quoted string/],
    [`say("${'x'.repeat(501)}")`, 'bad_argument', 4, /500/],
    ['x'.repeat(2001), 'too_long', 2000, /2000/],
  ];
  it.each(cases)('%j -> %s at %d', (text, code, position, message) => {
    const error = expectWellFormedError(text, parseAction(text));
    expect(error.code).toBe(code);
    expect(error.position).toBe(position);
    expect(error.message).toMatch(message);
  });

  it('stays fast on long pathological inputs', () => {
    const inputs = [
      'say("' + '\\'.repeat(1990),
      'pick(' + ' '.repeat(1990),
      'move(' + '9'.repeat(1990),
      'a'.repeat(2000),
      ' '.repeat(1999) + 'x',
      'x'.repeat(1_000_000),
    ];
    const start = performance.now();
    for (let k = 0; k < 50; k++) for (const input of inputs) parseAction(input);
    expect(performance.now() - start).toBeLessThan(2000);
  });
});

describe('isEntityId', () => {
  it.each(['a', 'mug_3', 'table_1', 'a'.repeat(64), 'x_'])('accepts %j', (s) => expect(isEntityId(s)).toBe(true));
  it.each(['', '3mug', '_mug', 'Mug_3', 'mug-3', 'mug 3', 'a'.repeat(65), 'mug_3\n'])('rejects %j', (s) =>
    expect(isEntityId(s)).toBe(false),
  );
});

// ---------------------------------------------------------------------------------------------
// Properties

const idArb = fc.stringMatching(/^[a-z][a-z0-9_]{0,63}$/);
/** UTF-16 code units, lone surrogates included. */
const codeUnitString = fc
  .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 100 })
  .map((units) => String.fromCharCode(...units));
const textArb = fc.oneof(
  fc.string({ maxLength: 100 }),
  fc.string({ unit: 'binary', maxLength: 100 }),
  codeUnitString,
);
const fractionArb = fc.double({ min: -1, max: 1, noNaN: true });

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  idArb.map((target): Action => ({ kind: 'goto', target })),
  idArb.map((object): Action => ({ kind: 'pick', object })),
  fc.tuple(idArb, idArb).map(([object, receptacle]): Action => ({ kind: 'place', object, receptacle })),
  idArb.map((target): Action => ({ kind: 'open', target })),
  idArb.map((target): Action => ({ kind: 'close', target })),
  idArb.map((target): Action => ({ kind: 'toggle', target })),
  textArb.map((text): Action => ({ kind: 'say', text })),
  fc.constant<Action>({ kind: 'done' }),
  fc.tuple(fractionArb, fractionArb).map(([forward, turn]): Action => ({ kind: 'move', forward, turn })),
  fc.constant<Action>({ kind: 'grasp' }),
  fc.constant<Action>({ kind: 'release' }),
);

const normalise = (a: Action): Action =>
  a.kind === 'move' ? { ...a, forward: a.forward === 0 ? 0 : a.forward, turn: a.turn === 0 ? 0 : a.turn } : a;

/** parseAction never throws, and what it returns is either a re-parsable action or a well-formed error. */
function checkTotal(text: string): void {
  const result = parseAction(text);
  if (result.ok) {
    expect(parseAction(formatAction(result.action))).toEqual({ ok: true, action: result.action });
  } else {
    expectWellFormedError(text, result);
  }
}

/** Decorates canonical text the ways the grammar allows: case, spacing, terminators. */
const variantArb = fc
  .tuple(actionArb, fc.boolean(), fc.constantFrom('', ' ', '\t', '  '), fc.constantFrom('', ';', '.', ' ;'))
  .map(([action, upper, space, end]) => {
    let text = formatAction(action);
    if (upper) text = text.replace(/^[a-z]+/, (name) => name.toUpperCase());
    return space + text.replace(/([(,])/g, `$1${space}`) + end + space;
  });

const mutationArb = fc.record({
  op: fc.constantFrom('insert', 'delete', 'replace'),
  at: fc.nat(),
  ch: fc.oneof(
    fc.constantFrom('(', ')', ',', '"', "'", '\\', ';', '.', ' ', '-', 'e', '1', 'a', '_', 'A', '\n', '\u{1F600}', '\uD800'),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  ),
});

function mutate(text: string, mutations: readonly { op: string; at: number; ch: string }[]): string {
  let s = text;
  for (const { op, at, ch } of mutations) {
    const i = s.length === 0 ? 0 : at % (s.length + 1);
    if (op === 'insert') s = s.slice(0, i) + ch + s.slice(i);
    else if (op === 'delete') s = s.slice(0, i) + s.slice(i + 1);
    else s = s.slice(0, i) + ch + s.slice(i + 1);
  }
  return s;
}

describe('properties', () => {
  it('parseAction(formatAction(a)) round-trips every valid action', () => {
    fc.assert(
      fc.property(actionArb, (action) => {
        expect(parseAction(formatAction(action))).toEqual({ ok: true, action: normalise(action) });
      }),
      { numRuns: 3000 },
    );
  });

  it('decorated canonical text parses to the same action', () => {
    fc.assert(
      fc.property(variantArb, (text) => {
        const parsed = expectAction(parseAction(text));
        expect(parseAction(formatAction(parsed))).toEqual({ ok: true, action: parsed });
      }),
      { numRuns: 1000 },
    );
  });

  it('parseAction is total on arbitrary strings', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), codeUnitString),
        checkTotal,
      ),
      { numRuns: 3000 },
    );
  });

  it('parseAction is total on mutations of valid action texts', () => {
    fc.assert(
      fc.property(variantArb, fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (text, mutations) =>
        checkTotal(mutate(text, mutations)),
      ),
      { numRuns: 5000 },
    );
  });

  it('extractAction never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (raw) => {
        const result = extractAction(raw);
        if (!result.ok) expect(ACTION_PARSE_ERROR_CODES).toContain(result.error.code);
      }),
      { numRuns: 1000 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Language-model output

describe('extractAction', () => {
  const cases: [string, Action][] = [
    ['Thought: the mug is on the table.\nAction: pick(mug_3)', { kind: 'pick', object: 'mug_3' }],
    ['- **Action:** `goto(table_1)`', { kind: 'goto', target: 'table_1' }],
    ['**Action**: goto(table_1)', { kind: 'goto', target: 'table_1' }],
    ['Thought: open it first.\n\n**Action:** open(fridge_1)\n', { kind: 'open', target: 'fridge_1' }],
    ['ACTION: Place(Mug_3, Shelf_1);', { kind: 'place', object: 'mug_3', receptacle: 'shelf_1' }],
    ['  action :   `say("I found the mug")`  ', { kind: 'say', text: 'I found the mug' }],
    ['1. Action: toggle(lamp_1)', { kind: 'toggle', target: 'lamp_1' }],
    ['> Action: done', { kind: 'done' }],
    ['Thought: go.\r\nAction:\r\n```\r\ngoto(sofa_2)\r\n```', { kind: 'goto', target: 'sofa_2' }],
    [
      'Thought: first I will goto(table_1).\nAction: goto(table_1)\nObservation: arrived.\nThought: now pick.\nAction: pick(mug_3)',
      { kind: 'pick', object: 'mug_3' },
    ],
    ['Action: pick(mug_3)\nAction: place(mug_3, shelf_1)', { kind: 'place', object: 'mug_3', receptacle: 'shelf_1' }],
    ['pick(mug_3)', { kind: 'pick', object: 'mug_3' }],
    ['  `release()`\n', { kind: 'release' }],
  ];
  it.each(cases)('%j', (raw, action) => {
    expect(expectAction(extractAction(raw))).toEqual(action);
  });

  it('reports the error of the last Action line, even when an earlier one was valid', () => {
    const result = extractAction('Action: pick(mug_3)\nThought: hmm.\nAction: place(mug_3)');
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('arity');
      expect(result.error.input).toBe('place(mug_3)');
    }
  });

  it('does not take "Action plan:" or prose mentioning actions for an Action line', () => {
    const result = extractAction('Action plan: pick the mug, then place it.\nI think the action: is hard.');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatchObject({ code: 'empty', message: 'no `Action:` line found' });
  });

  it('reports "no `Action:` line found" for prose without an action', () => {
    const raw = 'Thought: the mug is not visible. I should look around first.';
    const result = extractAction(raw);
    expect(result).toEqual({
      ok: false,
      error: { code: 'empty', message: 'no `Action:` line found', position: 0, input: raw },
    });
  });

  it('keeps non-syntax errors of a whole-text action', () => {
    const result = extractAction('move(3, 0)');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe('bad_argument');
  });

  it('reports an empty Action line as empty', () => {
    const result = extractAction('Thought: done thinking.\nAction:');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe('empty');
  });

  it('is fast on large outputs', () => {
    const raw = ('Thought: ' + '*'.repeat(200) + ' `x` '.repeat(100) + '\n').repeat(2000) + 'Action: done()';
    const start = performance.now();
    expect(expectAction(extractAction(raw))).toEqual({ kind: 'done' });
    expect(performance.now() - start).toBeLessThan(1000);
  });
});

describe('marks', () => {
  const marks: MarkTable = { ids: ['table_1', 'mug_3', 'shelf_1'], names: ['white table', 'red mug', 'blue shelf'] };

  it.each<[string, Action]>([
    ['pick(#2)', { kind: 'pick', object: '#2' }],
    ['goto( #1 )', { kind: 'goto', target: '#1' }],
    ['place(#2, #3)', { kind: 'place', object: '#2', receptacle: '#3' }],
    ['place(#2, shelf_1)', { kind: 'place', object: '#2', receptacle: 'shelf_1' }],
    ['open(#0012)', { kind: 'open', target: '#0012' }],
  ])('%j parses with the raw mark kept', (text, action) => {
    expect(expectAction(parseAction(text))).toEqual(action);
  });

  it('resolves marks to ids, and leaves ids alone', () => {
    expect(expectAction(resolveMarks(expectAction(parseAction('place(#2, #3)')), marks))).toEqual({ kind: 'place', object: 'mug_3', receptacle: 'shelf_1' });
    expect(expectAction(resolveMarks(expectAction(parseAction('place(#2, table_1)')), marks))).toEqual({ kind: 'place', object: 'mug_3', receptacle: 'table_1' });
    expect(expectAction(resolveMarks({ kind: 'move', forward: 1, turn: 0 }, marks))).toEqual({ kind: 'move', forward: 1, turn: 0 });
    expect(expectAction(resolveMarks(expectAction(parseAction('open(#001)')), marks))).toEqual({ kind: 'open', target: 'table_1' });
  });

  it.each(['pick(#4)', 'pick(#0)', 'place(#1, #9)'])('%s: an unknown mark is a typed error', (text) => {
    const result = resolveMarks(expectAction(parseAction(text)), marks);
    const error = expectWellFormedError(formatAction(expectAction(parseAction(text))), result);
    expect(error.code).toBe('unknown_mark');
    expect(error.message).toMatch(/unknown mark #\d+; the prompt's marks are #1 to #3/);
    expect(error.input.slice(error.position)).toMatch(/^#\d/);
  });

  it.each<[string, ActionParseErrorCode, RegExp]>([
    ['pick(#)', 'syntax', /mark number/],
    ['pick(#a)', 'syntax', /mark number/],
    ['pick(#12345)', 'bad_argument', /not a mark/],
    ['say(#1)', 'bad_argument', /double-quoted/],
    ['move(#1, 0)', 'bad_argument', /number/],
  ])('%j is refused (%s)', (text, code, message) => {
    const error = expectWellFormedError(text, parseAction(text));
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });

  it('isMark and mapEntities', () => {
    expect(['#1', '#0042'].every(isMark)).toBe(true);
    expect(['#', '1', '#a', 'mug_1', '#12345'].some(isMark)).toBe(false);
    expect(mapEntities({ kind: 'place', object: 'a', receptacle: 'b' }, (id) => id.toUpperCase())).toEqual({ kind: 'place', object: 'A', receptacle: 'B' });
  });

  it('extractAction finds a marked action after a thought', () => {
    expect(expectAction(extractAction('Thought: The red mug #2 is here. So: pick the red mug #2.\nAction: pick(#2)'))).toEqual({ kind: 'pick', object: '#2' });
    expect(expectAction(extractAction('Thought: go.\n**Action:** `place(#2, #3)`'))).toEqual({ kind: 'place', object: '#2', receptacle: '#3' });
  });
});
