import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  DEFAULT_SPECIAL_TOKENS,
  Tokenizer,
  TokenizerError,
  pretokenize,
  trainTokenizer,
  type TokenizerJSON,
} from '../../../agent/lm/tokenizer.ts';

const CORPUS = [
  '<prompt> You are in the living_room. You see mug_3 on table_12 (#3) and book_7 on shelf_2 (#4).',
  'Goal: put mug_3 in the kitchen_sink.\n<response> pick(mug_3)',
  '<prompt> You are in the kitchen. You see apple_1 on counter_5 (#1).',
  'Goal: bring apple_1 to the living_room.\n<response> navigate(counter_5)',
  '<prompt> You see mug_3 (#3) on table_12. <response> pick(#3)',
  'open(fridge_1)  then   wait\n\n\tdone',
];
const lines = (n: number): string[] => Array.from({ length: n }, (_, i) => CORPUS[i % CORPUS.length] as string);

const tok = trainTokenizer(lines(60), { vocabSize: 400, minFrequency: 2 });

const corpusLike = fc
  .array(
    fc.oneof(
      fc.constantFrom(...'mug_3 table_12 living_room #3 #12 pick( ) . , : \n \t   <prompt> <response> <eos> You see the é 日本 🙂'.split(' ')),
      fc.string({ maxLength: 6 }),
      fc.constantFrom(' ', '  ', '\n', '\r\n', '    '),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(''));

describe('tokenizer', () => {
  it('round-trips arbitrary strings (UTF-16 units including lone surrogates, full unicode, corpus-like)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 60 }), fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 60 }), corpusLike), (s) => {
        expect(tok.decode(tok.encode(s))).toBe(s);
        expect(tok.decode(tok.encode(s, { allowSpecial: false }))).toBe(s);
      }),
      { numRuns: 1500 },
    );
  });

  it('round-trips edge cases', () => {
    for (const s of ['', ' ', '      ', '\n\n\n', ' \n \r\n\t ', 'a'.repeat(5000), ' '.repeat(1000) + 'x', '\uD800', '\uDC00a\uD800', '🙂\uD83D', '<prompt><prompt>', '<0x41>', '#', '##3', '#3#4']) {
      expect(tok.decode(tok.encode(s))).toBe(s);
    }
    expect(tok.encode('')).toHaveLength(0);
  });

  it('keeps entity ids and set-of-mark references whole', () => {
    expect(pretokenize('pick mug_3 from table_12 in living_room (#3)')).toEqual([
      'pick', ' mug_3', ' from', ' table_12', ' in', ' living_room', ' (', '#3', ')',
    ]);
    for (const piece of [' mug_3', ' table_12', ' living_room', '#3', ' book_7']) {
      const ids = tok.encode(piece);
      expect(ids).toHaveLength(1);
      expect(tok.token(ids[0] as number)).toBe(piece);
    }
    const ids = Array.from(tok.encode('<prompt> You see mug_3 (#3)'));
    expect(ids.map((id) => tok.token(id))).toEqual(['<prompt>', ' You', ' see', ' mug_3', ' (', '#3', ')']);
  });

  it('handles special tokens and the byte fallback', () => {
    expect(tok.id('<pad>')).toBe(0);
    expect([tok.padId, tok.bosId, tok.eosId, tok.unkId]).toEqual([0, 1, 2, 3]);
    expect(tok.specialTokens).toEqual(DEFAULT_SPECIAL_TOKENS);
    expect(Array.from(tok.encode('<response>'))).toEqual([tok.id('<response>')]);
    expect(tok.encode('<response>', { allowSpecial: false }).length).toBeGreaterThan(1);
    // Unseen word: bytes, never <unk>.
    const ids = Array.from(tok.encode('zebra_99'));
    expect(ids).not.toContain(tok.unkId);
    expect(ids.map((id) => tok.token(id))).toEqual([...'zebra_99'].map((c) => `<0x${c.charCodeAt(0).toString(16).toUpperCase()}>`));
    expect(tok.id('<0x41>')).toBe(tok.byteOffset + 0x41);
    expect(tok.decode([tok.bosId, ...tok.encode('hi'), tok.eosId], { skipSpecial: true })).toBe('hi');
    expect(() => tok.id('nope')).toThrow(TokenizerError);
    expect(() => tok.decode([tok.vocabSize])).toThrow(/not in \[0, /);
    expect(() => tok.decode([1.5])).toThrow(TokenizerError);
    // Arbitrary byte ids decode without throwing (invalid UTF-8 becomes U+FFFD).
    expect(tok.decode([tok.byteOffset + 0xff, tok.byteOffset + 0x41])).toBe('\uFFFDA');
  });

  it('respects the vocabulary cap and frequency threshold, ties broken lexicographically', () => {
    const corpus = ['x c', 'x b', 'x a', 'y a b c'];
    const t = trainTokenizer(corpus, { vocabSize: 1000, minFrequency: 2 });
    expect(t.words).toEqual(['x', ' a', ' b', ' c']);
    const capped = trainTokenizer(corpus, { vocabSize: DEFAULT_SPECIAL_TOKENS.length + 256 + 2, minFrequency: 1 });
    expect(capped.words).toEqual(['x', ' a']);
    expect(capped.vocabSize).toBe(DEFAULT_SPECIAL_TOKENS.length + 256 + 2);
    expect(() => trainTokenizer([], { vocabSize: 10 })).toThrow(TokenizerError);
    expect(() => trainTokenizer([], { minFrequency: 0 })).toThrow(/minFrequency/);
    expect(() => trainTokenizer([], { specialTokens: ['<pad>', '<bos>', '<eos>'] })).toThrow(/<unk>/);
    const custom = trainTokenizer(['x'], { specialTokens: ['<pad>', '<bos>', '<eos>', '<unk>', '<obs>', '<act>'], minFrequency: 1 });
    expect(custom.id('<act>')).toBe(5);
    expect(Array.from(custom.encode('<obs>x<act>'))).toEqual([4, custom.id('x'), 5]);
  });

  it('is deterministic and fromJSON(toJSON) is the identity', () => {
    fc.assert(
      fc.property(fc.array(corpusLike, { maxLength: 30 }), fc.integer({ min: 1, max: 3 }), (corpus, minFrequency) => {
        const a = trainTokenizer(corpus, { vocabSize: 300, minFrequency });
        const b = trainTokenizer([...corpus], { vocabSize: 300, minFrequency });
        expect(b.toJSON()).toEqual(a.toJSON());
        const c = Tokenizer.fromJSON(JSON.parse(JSON.stringify(a)) as unknown);
        expect(c.toJSON()).toEqual(a.toJSON());
        const d = Tokenizer.fromJSON(JSON.stringify(a.toJSON()));
        for (const s of corpus) expect(Array.from(d.encode(s))).toEqual(Array.from(a.encode(s)));
      }),
      { numRuns: 200 },
    );
  });

  it('rejects bad JSON with clear errors', () => {
    const good = tok.toJSON();
    const bad: [unknown, RegExp][] = [
      ['{not json', /does not parse/],
      [null, /must be an object/],
      [[1], /must be an object/],
      [{ ...good, type: 'bpe' }, /type must be/],
      [{ ...good, version: 2 }, /unsupported version 2/],
      [{ ...good, extra: 1 }, /unknown key "extra"/],
      [{ ...good, specialTokens: 'x' }, /specialTokens must be an array/],
      [{ ...good, specialTokens: ['<pad>', '<bos>', '<eos>'] }, /must include <unk>/],
      [{ ...good, specialTokens: ['<pad>', '<pad>', '<bos>', '<eos>', '<unk>'] }, /specialTokens\[1\] "<pad>" is repeated/],
      [{ ...good, specialTokens: [...good.specialTokens, ''] }, /must be a non-empty string/],
      [{ ...good, words: [' a', 7] }, /words\[1\] is not a string/],
      [{ ...good, words: [' a', ' a'] }, /words\[1\] " a" is repeated/],
      [{ ...good, words: ['a b'] }, /words\[0\] "a b" is not a single pre-tokenization piece/],
      [{ ...good, words: ['<prompt>'] }, /also a special token/],
    ];
    for (const [value, message] of bad) {
      let error: unknown;
      try {
        Tokenizer.fromJSON(value);
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(value)?.slice(0, 80)).toBeInstanceOf(TokenizerError);
      expect((error as TokenizerError).message).toMatch(message);
      expect((error as TokenizerError).code).toBe('bad-json');
    }
    const ok: TokenizerJSON = { ...good };
    expect(Tokenizer.fromJSON(ok).vocabSize).toBe(tok.vocabSize);
  });

  it('encodes 1 MB of text quickly', () => {
    const big = trainTokenizer(lines(600), { vocabSize: 4096 });
    let text = '';
    let i = 0;
    while (text.length < 1_000_000) text += `${CORPUS[i % CORPUS.length] as string} unseen_word_${i++} ünïcödé 🙂\n`;
    const t0 = performance.now();
    const ids = big.encode(text);
    const ms = performance.now() - t0;
    const t1 = performance.now();
    const back = big.decode(ids);
    const decodeMs = performance.now() - t1;
    expect(back).toBe(text);
    console.log(`tokenizer: encoded ${text.length} chars -> ${ids.length} ids in ${ms.toFixed(0)} ms, decoded in ${decodeMs.toFixed(0)} ms`);
    expect(ms).toBeLessThan(3000);
  });
});
