// Word-level tokenizer with a byte fallback, for the planner's small GPT.
//
// Pure (no node: imports): runs in the browser and in Node.
//
// Vocabulary layout (ids):
//   [0, S)          special tokens, in the configured order (<pad>, <bos>, <eos>, <unk> always among them)
//   [S, S + 256)    byte tokens <0x00> ... <0xFF> (UTF-8 bytes; lone surrogates use the WTF-8 form)
//   [S + 256, V)    word pieces, most frequent first, ties broken lexicographically (code-unit order)
//
// Pre-tokenization splits text into pieces (GPT-2 style: a single leading space sticks to the word):
//   - entity ids (`mug_3`, `table_12`, `living_room`): letters, digits and `_` are one piece
//   - set-of-mark references (`#3`): `#` followed by ASCII digits is one piece
//   - runs of other punctuation, runs of whitespace (newline runs separate)
// A piece in the vocabulary is one token; any other piece is spelt out in byte tokens, so <unk> is
// never produced and decode(encode(s)) === s for every JavaScript string.

export class TokenizerError extends Error {
  override readonly name = 'TokenizerError';
  constructor(
    readonly code: TokenizerErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export type TokenizerErrorCode =
  | 'bad-options'
  | 'bad-json'
  | 'bad-id'
  | 'unknown-token';

export const CORE_SPECIAL_TOKENS = ['<pad>', '<bos>', '<eos>', '<unk>'] as const;
export const DEFAULT_SPECIAL_TOKENS: readonly string[] = [...CORE_SPECIAL_TOKENS, '<prompt>', '<response>'];

export interface TrainTokenizerOptions {
  /** Total vocabulary size cap (specials + 256 bytes + words). Default 8192. */
  vocabSize?: number;
  /** Pieces seen fewer times than this fall back to bytes. Default 2. */
  minFrequency?: number;
  /** Full list of special tokens, in id order; must contain <pad>, <bos>, <eos>, <unk>. */
  specialTokens?: readonly string[];
}

export interface EncodeOptions {
  /** Match special-token literals in the text (default true). When false they are plain text. */
  allowSpecial?: boolean;
}

export interface DecodeOptions {
  /** Leave special tokens out of the text (default false: they decode to their literal). */
  skipSpecial?: boolean;
}

export interface TokenizerJSON {
  type: typeof JSON_TYPE;
  version: typeof JSON_VERSION;
  specialTokens: string[];
  words: string[];
}

const JSON_TYPE = 'umwelt-word-tokenizer';
const JSON_VERSION = 1;
const BYTE_COUNT = 256;

/** The pre-tokenizer; every character of any string belongs to exactly one match. */
const PIECE_RE = / ?#[0-9]+| ?[\p{L}\p{N}\p{M}_]+| ?[^\s\p{L}\p{N}\p{M}_#]+| ?#|\s*[\r\n]+|\s+(?!\S)|\s+/gu;

/** Splits text into pre-tokenization pieces (exported for tests and tools). */
export function pretokenize(text: string): string[] {
  return text.match(PIECE_RE) ?? [];
}

const byteName = (b: number): string => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
const BYTE_NAMES: readonly string[] = Array.from({ length: BYTE_COUNT }, (_, b) => byteName(b));

/** UTF-8 (WTF-8 for lone surrogates) bytes of s, appended to out. */
function pushUtf8(s: string, out: number[]): void {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      out.push(c);
    } else if (c < 0x800) {
      out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    } else {
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
          i++;
          continue;
        }
      }
      out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    }
  }
}

const isCont = (b: number | undefined): b is number => b !== undefined && (b & 0xc0) === 0x80;

/** Lenient WTF-8 decode: every invalid byte becomes U+FFFD; never throws. */
function decodeUtf8(bytes: readonly number[]): string {
  const units: number[] = [];
  let out = '';
  const flush = (): void => {
    out += String.fromCharCode(...units);
    units.length = 0;
  };
  let i = 0;
  while (i < bytes.length) {
    const b0 = bytes[i] as number;
    const b1 = bytes[i + 1];
    const b2 = bytes[i + 2];
    const b3 = bytes[i + 3];
    if (b0 < 0x80) {
      units.push(b0);
      i += 1;
    } else if (b0 >= 0xc2 && b0 <= 0xdf && isCont(b1)) {
      units.push(((b0 & 0x1f) << 6) | (b1 & 63));
      i += 2;
    } else if (b0 >= 0xe0 && b0 <= 0xef && isCont(b1) && isCont(b2) && (b0 !== 0xe0 || b1 >= 0xa0)) {
      units.push(((b0 & 0x0f) << 12) | ((b1 & 63) << 6) | (b2 & 63));
      i += 3;
    } else if (
      b0 >= 0xf0 &&
      b0 <= 0xf4 &&
      isCont(b1) &&
      isCont(b2) &&
      isCont(b3) &&
      (b0 !== 0xf0 || b1 >= 0x90) &&
      (b0 !== 0xf4 || b1 < 0x90)
    ) {
      const cp = (((b0 & 7) << 18) | ((b1 & 63) << 12) | ((b2 & 63) << 6) | (b3 & 63)) - 0x10000;
      units.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
      i += 4;
    } else {
      units.push(0xfffd);
      i += 1;
    }
    if (units.length >= 4096) flush();
  }
  flush();
  return out;
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function checkSpecialTokens(specials: unknown, where: string, code: TokenizerErrorCode): string[] {
  if (!Array.isArray(specials)) throw new TokenizerError(code, `${where}: specialTokens must be an array of strings`);
  const seen = new Set<string>();
  specials.forEach((s: unknown, i) => {
    if (typeof s !== 'string' || s.length === 0) {
      throw new TokenizerError(code, `${where}: specialTokens[${i}] must be a non-empty string`);
    }
    if (seen.has(s)) throw new TokenizerError(code, `${where}: specialTokens[${i}] ${JSON.stringify(s)} is repeated`);
    if (BYTE_NAMES.includes(s)) {
      throw new TokenizerError(code, `${where}: specialTokens[${i}] ${JSON.stringify(s)} clashes with a byte token name`);
    }
    seen.add(s);
  });
  for (const core of CORE_SPECIAL_TOKENS) {
    if (!seen.has(core)) throw new TokenizerError(code, `${where}: specialTokens must include ${core}`);
  }
  return specials as string[];
}

export class Tokenizer {
  readonly specialTokens: readonly string[];
  /** Word pieces, in id order (id = specialTokens.length + 256 + index). */
  readonly words: readonly string[];
  readonly vocabSize: number;
  readonly padId: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly unkId: number;
  /** First byte-token id: byte b is byteOffset + b. */
  readonly byteOffset: number;

  readonly #pieceIds = new Map<string, number>();
  readonly #specialIds = new Map<string, number>();
  readonly #specialRe: RegExp | null;
  /** id -> string for specials and words; byte tokens are handled separately. */
  readonly #strings: string[];

  private constructor(specialTokens: readonly string[], words: readonly string[]) {
    this.specialTokens = Object.freeze([...specialTokens]);
    this.words = Object.freeze([...words]);
    this.byteOffset = specialTokens.length;
    this.vocabSize = specialTokens.length + BYTE_COUNT + words.length;
    specialTokens.forEach((s, i) => this.#specialIds.set(s, i));
    const wordBase = this.byteOffset + BYTE_COUNT;
    words.forEach((w, i) => this.#pieceIds.set(w, wordBase + i));
    this.#strings = [...specialTokens, ...BYTE_NAMES, ...words];
    const sorted = [...specialTokens].sort((a, b) => b.length - a.length || (a < b ? -1 : a > b ? 1 : 0));
    this.#specialRe = sorted.length > 0 ? new RegExp(sorted.map(escapeRegExp).join('|'), 'g') : null;
    this.padId = this.id('<pad>');
    this.bosId = this.id('<bos>');
    this.eosId = this.id('<eos>');
    this.unkId = this.id('<unk>');
  }

  /** Id of a special token, a byte token name (`<0x41>`) or a word piece; throws when unknown. */
  id(token: string): number {
    const id = this.tryId(token);
    if (id === undefined) throw new TokenizerError('unknown-token', `no token ${JSON.stringify(token)} in the vocabulary`);
    return id;
  }

  tryId(token: string): number | undefined {
    const special = this.#specialIds.get(token);
    if (special !== undefined) return special;
    const word = this.#pieceIds.get(token);
    if (word !== undefined) return word;
    const m = /^<0x([0-9A-F]{2})>$/.exec(token);
    return m ? this.byteOffset + parseInt(m[1] as string, 16) : undefined;
  }

  /** The token's string (byte tokens as `<0xNN>`). */
  token(id: number): string {
    this.#checkId(id);
    return this.#strings[id] as string;
  }

  isSpecial(id: number): boolean {
    return Number.isInteger(id) && id >= 0 && id < this.byteOffset;
  }

  encode(text: string, options: EncodeOptions = {}): Int32Array {
    const out: number[] = [];
    const allowSpecial = options.allowSpecial ?? true;
    const re = allowSpecial ? this.#specialRe : null;
    if (re === null) {
      this.#encodeOrdinary(text, out);
    } else {
      re.lastIndex = 0;
      let start = 0;
      for (let m = re.exec(text); m !== null; m = re.exec(text)) {
        if (m.index > start) this.#encodeOrdinary(text.slice(start, m.index), out);
        out.push(this.#specialIds.get(m[0]) as number);
        start = m.index + m[0].length;
      }
      if (start < text.length) this.#encodeOrdinary(start === 0 ? text : text.slice(start), out);
    }
    return Int32Array.from(out);
  }

  #encodeOrdinary(text: string, out: number[]): void {
    const bytes: number[] = [];
    for (const piece of pretokenize(text)) {
      const id = this.#pieceIds.get(piece);
      if (id !== undefined) {
        out.push(id);
      } else {
        bytes.length = 0;
        pushUtf8(piece, bytes);
        for (const b of bytes) out.push(this.byteOffset + b);
      }
    }
  }

  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    const skipSpecial = options.skipSpecial ?? false;
    const parts: string[] = [];
    const bytes: number[] = [];
    const flushBytes = (): void => {
      if (bytes.length > 0) {
        parts.push(decodeUtf8(bytes));
        bytes.length = 0;
      }
    };
    const byteEnd = this.byteOffset + BYTE_COUNT;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as number;
      this.#checkId(id, i);
      if (id >= this.byteOffset && id < byteEnd) {
        bytes.push(id - this.byteOffset);
        continue;
      }
      flushBytes();
      if (id < this.byteOffset && skipSpecial) continue;
      parts.push(this.#strings[id] as string);
    }
    flushBytes();
    return parts.join('');
  }

  #checkId(id: number, position?: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
      const at = position === undefined ? '' : ` at position ${position}`;
      throw new TokenizerError('bad-id', `token id ${id}${at} is not in [0, ${this.vocabSize})`);
    }
  }

  toJSON(): TokenizerJSON {
    return { type: JSON_TYPE, version: JSON_VERSION, specialTokens: [...this.specialTokens], words: [...this.words] };
  }

  /** Rebuilds a tokenizer from toJSON() output (an object or its JSON string), validating it. */
  static fromJSON(value: unknown): Tokenizer {
    let v = value;
    if (typeof v === 'string') {
      try {
        v = JSON.parse(v) as unknown;
      } catch (e) {
        throw new TokenizerError('bad-json', `tokenizer JSON does not parse: ${(e as Error).message}`);
      }
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      throw new TokenizerError('bad-json', 'tokenizer JSON must be an object');
    }
    const o = v as Record<string, unknown>;
    for (const key of Object.keys(o)) {
      if (!['type', 'version', 'specialTokens', 'words'].includes(key)) {
        throw new TokenizerError('bad-json', `tokenizer JSON: unknown key ${JSON.stringify(key)}`);
      }
    }
    if (o.type !== JSON_TYPE) {
      throw new TokenizerError('bad-json', `tokenizer JSON: type must be ${JSON.stringify(JSON_TYPE)}, got ${JSON.stringify(o.type)}`);
    }
    if (o.version !== JSON_VERSION) {
      throw new TokenizerError('bad-json', `tokenizer JSON: unsupported version ${JSON.stringify(o.version)} (expected ${JSON_VERSION})`);
    }
    const specials = checkSpecialTokens(o.specialTokens, 'tokenizer JSON', 'bad-json');
    if (!Array.isArray(o.words)) throw new TokenizerError('bad-json', 'tokenizer JSON: words must be an array of strings');
    const specialSet = new Set(specials);
    const seen = new Set<string>();
    o.words.forEach((w: unknown, i) => {
      if (typeof w !== 'string') throw new TokenizerError('bad-json', `tokenizer JSON: words[${i}] is not a string`);
      if (seen.has(w)) throw new TokenizerError('bad-json', `tokenizer JSON: words[${i}] ${JSON.stringify(w)} is repeated`);
      if (specialSet.has(w)) {
        throw new TokenizerError('bad-json', `tokenizer JSON: words[${i}] ${JSON.stringify(w)} is also a special token`);
      }
      const pieces = pretokenize(w);
      if (pieces.length !== 1 || pieces[0] !== w) {
        throw new TokenizerError('bad-json', `tokenizer JSON: words[${i}] ${JSON.stringify(w)} is not a single pre-tokenization piece`);
      }
      seen.add(w);
    });
    return new Tokenizer(specials, o.words as string[]);
  }

  /** @internal used by trainTokenizer */
  static create(specialTokens: readonly string[], words: readonly string[]): Tokenizer {
    return new Tokenizer(specialTokens, words);
  }
}

/**
 * Trains a tokenizer from corpus lines: counts pre-tokenization pieces (special-token literals
 * excluded), keeps those seen at least minFrequency times, most frequent first (ties: code-unit
 * order), up to the vocabulary cap. Same lines and options -> same vocabulary.
 */
export function trainTokenizer(lines: Iterable<string>, options: TrainTokenizerOptions = {}): Tokenizer {
  const specials = checkSpecialTokens([...(options.specialTokens ?? DEFAULT_SPECIAL_TOKENS)], 'trainTokenizer', 'bad-options');
  const vocabSize = options.vocabSize ?? 8192;
  const minFrequency = options.minFrequency ?? 2;
  const floor = specials.length + BYTE_COUNT;
  if (!Number.isSafeInteger(vocabSize) || vocabSize < floor) {
    throw new TokenizerError('bad-options', `trainTokenizer: vocabSize must be an integer >= ${floor} (specials + 256 bytes), got ${vocabSize}`);
  }
  if (!Number.isSafeInteger(minFrequency) || minFrequency < 1) {
    throw new TokenizerError('bad-options', `trainTokenizer: minFrequency must be an integer >= 1, got ${minFrequency}`);
  }
  const sorted = [...specials].sort((a, b) => b.length - a.length || (a < b ? -1 : a > b ? 1 : 0));
  const specialRe = new RegExp(sorted.map(escapeRegExp).join('|'), 'g');
  const specialSet = new Set(specials);
  const counts = new Map<string, number>();
  for (const line of lines) {
    for (const segment of line.split(specialRe)) {
      for (const piece of pretokenize(segment)) counts.set(piece, (counts.get(piece) ?? 0) + 1);
    }
  }
  const candidates: [string, number][] = [];
  for (const [piece, count] of counts) {
    if (count >= minFrequency && !specialSet.has(piece)) candidates.push([piece, count]);
  }
  candidates.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const words = candidates.slice(0, vocabSize - floor).map(([piece]) => piece);
  return Tokenizer.create(specials, words);
}
