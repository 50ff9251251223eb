// Hashed n-gram embedders: word unigrams and bigrams plus character n-grams of words, feature-hashed into a fixed
// dimension with a ±1 sign from a second hash (so collisions cancel in expectation instead of piling up), then
// L2-normalised. Pure functions of the text and the options: no vocabulary, no training, no randomness.
import type { Embedder } from '../types.ts';
import { fmix32, fnv1a32 } from './hash.ts';

/** English function words that carry no retrieval signal in questions such as "where is the red mug". The spatial
 *  prepositions (in, on, inside) are kept: in this domain they are the relation a memory is about. */
export const DEFAULT_STOP_WORDS: readonly string[] = [
  'a', 'an', 'the', 'is', 'are', 'was', 'were', 'be', 'been', 'am', 'of', 'to', 'at', 'by', 'for', 'from', 'with',
  'and', 'or', 'but', 'so', 'it', 'its', 'this', 'that', 'these', 'those', 'there', 'here', 'i', 'me', 'my', 'you', 'your', 'we', 'our', 'what', 'which', 'where', 'who', 'why', 'how', 'when',
  'did', 'do', 'does', 'can', 'could', 'should', 'would', 'will', 'have', 'has', 'had', 'any', 'some', 'now',
  'please', 'tell', 'about', 's', 't',
];

/** Domain words folded onto one canonical word (keys are lower-cased words or their light stems): the
 *  simulator's verbs (grab/lift → pick, place → put), containment (inside/contents/stored), failure, seeing. */
export const DOMAIN_SYNONYMS: Readonly<Record<string, string>> = {
  inside: 'in', within: 'in', into: 'in', onto: 'on',
  contain: 'contain', content: 'contain', stor: 'contain', store: 'contain',
  grab: 'pick', lift: 'pick', pickup: 'pick',
  place: 'put', plac: 'put',
  wrong: 'fail', failure: 'fail', unsuccessful: 'fail',
  cupboard: 'cabinet',
  saw: 'see', seen: 'see', spott: 'see', spot: 'see', notic: 'see', notice: 'see',
};

export interface HashedNgramOptions {
  /** Output dimension. */
  dim: number;
  /** Weight of a word unigram (0 disables). */
  unigramWeight: number;
  /** Weight of a word bigram over the word sequence (0 disables). */
  bigramWeight: number;
  /** Weight of a skip bigram (two words with one between: "in cabinet" from "in the blue cabinet"; 0 disables). */
  skipWeight: number;
  /** Character n-gram length over each word, with `#` boundary marks (0 disables). */
  charN: number;
  /** L2 mass of one word's character n-grams (each gram gets weight / sqrt(number of grams)). */
  charWeight: number;
  /** Weight of an underscore id such as `mug_3` as one whole token (its parts `mug`, `3` are unigrams too). */
  idWeight: number;
  /** Weight of a word that is all digits (the `3` of `mug_3` is shared by every `*_3`), instead of unigramWeight. */
  numberWeight: number;
  /** Drop these words (after lower-casing) before building features; `true` = DEFAULT_STOP_WORDS. */
  stopWords: boolean | readonly string[];
  /** Light suffix stripping (picking → pick, containers → container, boxes → box). */
  stem: boolean;
  /** Fold words onto canonical ones after stemming; `true` = DOMAIN_SYNONYMS. */
  synonyms: boolean | Readonly<Record<string, string>>;
  /** Hash seed: different seeds give independent projections. */
  seed: number;
}

export const DEFAULT_HASHED_OPTIONS: Readonly<HashedNgramOptions> = {
  dim: 256,
  unigramWeight: 1,
  bigramWeight: 0.5,
  skipWeight: 0,
  charN: 3,
  charWeight: 0.5,
  idWeight: 1,
  numberWeight: 1,
  stopWords: true,
  stem: true,
  synonyms: true,
  seed: 0,
};

const TOKEN = /[\p{L}\p{N}_]+/gu;
const DIGITS = /^\p{N}+$/u;

/** Light English suffix stripping for alphabetic words longer than four letters. */
export function lightStem(word: string): string {
  if (word.length <= 4 || !/^\p{L}+$/u.test(word)) return word;
  const undouble = (w: string): string => (w.length > 3 && w[w.length - 1] === w[w.length - 2] && !/[lsz]$/.test(w) ? w.slice(0, -1) : w);
  if (word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.endsWith('ing') && word.length >= 6) return undouble(word.slice(0, -3));
  if (word.endsWith('ed') && word.length >= 5) return undouble(word.slice(0, -2));
  if (/(s|x|z|ch|sh)es$/.test(word)) return word.slice(0, -2);
  if (word.endsWith('s') && !word.endsWith('ss') && !word.endsWith('us')) return word.slice(0, -1);
  return word;
}

/** Tokens of a text: lower-cased words, with underscore ids kept whole (`ids`) and split into `words`. */
export function tokenize(text: string): { words: string[]; ids: string[] } {
  const words: string[] = [];
  const ids: string[] = [];
  for (const match of text.normalize('NFKC').toLowerCase().matchAll(TOKEN)) {
    const token = match[0];
    if (!token.includes('_')) {
      words.push(token);
      continue;
    }
    const parts = token.split('_').filter((p) => p.length > 0);
    if (parts.length > 1) ids.push(parts.join('_'));
    words.push(...parts);
  }
  return { words, ids };
}

export class HashedNgramEmbedder implements Embedder {
  readonly name: string;
  readonly dim: number;
  readonly options: Readonly<HashedNgramOptions>;
  private readonly stop: ReadonlySet<string>;
  private readonly synonyms: ReadonlyMap<string, string>;

  constructor(options: Partial<HashedNgramOptions> = {}) {
    const o: HashedNgramOptions = { ...DEFAULT_HASHED_OPTIONS, ...options };
    if (!Number.isInteger(o.dim) || o.dim < 1) throw new RangeError(`dim must be a positive integer, got ${o.dim}`);
    if (!Number.isInteger(o.charN) || o.charN < 0) throw new RangeError(`charN must be a non-negative integer, got ${o.charN}`);
    for (const key of ['unigramWeight', 'bigramWeight', 'skipWeight', 'charWeight', 'idWeight', 'numberWeight'] as const) {
      if (!Number.isFinite(o[key]) || o[key] < 0) throw new RangeError(`${key} must be a finite non-negative number, got ${o[key]}`);
    }
    this.options = Object.freeze({ ...o });
    this.dim = o.dim;
    this.stop = new Set(o.stopWords === true ? DEFAULT_STOP_WORDS : o.stopWords === false ? [] : o.stopWords);
    this.synonyms = new Map(Object.entries(o.synonyms === true ? DOMAIN_SYNONYMS : o.synonyms === false ? {} : o.synonyms));
    this.name = describe(o);
  }

  private normaliseWord(word: string): string {
    const stemmed = this.options.stem ? lightStem(word) : word;
    return this.synonyms.get(word) ?? this.synonyms.get(stemmed) ?? stemmed;
  }

  embed(text: string): Float32Array {
    const o = this.options;
    const acc = new Float64Array(this.dim);
    const add = (feature: string, weight: number): void => {
      if (weight === 0) return;
      const h = fnv1a32(feature, o.seed);
      const slot = fmix32(h) % this.dim;
      const sign = (fmix32(h ^ 0x5bd1e995) & 1) === 0 ? 1 : -1;
      acc[slot] = (acc[slot] ?? 0) + sign * weight;
    };
    const { words: raw, ids } = tokenize(text);
    const words = raw.filter((w) => !this.stop.has(w)).map((w) => this.normaliseWord(w));
    for (const w of words) {
      const digits = DIGITS.test(w);
      add(`u:${w}`, digits ? o.numberWeight : o.unigramWeight);
      if (o.charN > 0 && o.charWeight > 0 && !digits) {
        const padded = `#${w}#`;
        const n = Math.min(o.charN, padded.length);
        const count = padded.length - n + 1;
        const weight = o.charWeight / Math.sqrt(count);
        for (let i = 0; i < count; i++) add(`c:${padded.slice(i, i + n)}`, weight);
      }
    }
    for (let i = 0; i + 1 < words.length; i++) add(`b:${words[i] ?? ''} ${words[i + 1] ?? ''}`, o.bigramWeight);
    for (let i = 0; i + 2 < words.length; i++) add(`s:${words[i] ?? ''} ${words[i + 2] ?? ''}`, o.skipWeight);
    for (const id of ids) add(`i:${id}`, o.idWeight);
    return normalise(acc, () => add('e:', 1));
  }
}

/** A plain bag of words (hashed unigrams, no stop words, no stemming): the baseline. */
export class BagOfWordsEmbedder extends HashedNgramEmbedder {
  constructor(dim = 256) {
    super({ dim, unigramWeight: 1, bigramWeight: 0, skipWeight: 0, charN: 0, charWeight: 0, idWeight: 0, numberWeight: 1, stopWords: false, stem: false, synonyms: false, seed: 0 });
  }
}

/** A readable configuration name, e.g. `hashed-ngram(d256,u1,b0.5,c3x0.5,id1,stop,stem)`. */
function describe(o: HashedNgramOptions): string {
  const parts = [`d${o.dim}`, `u${o.unigramWeight}`];
  if (o.bigramWeight > 0) parts.push(`b${o.bigramWeight}`);
  if (o.skipWeight > 0) parts.push(`s${o.skipWeight}`);
  if (o.charN > 0 && o.charWeight > 0) parts.push(`c${o.charN}x${o.charWeight}`);
  if (o.idWeight > 0) parts.push(`id${o.idWeight}`);
  if (o.numberWeight !== o.unigramWeight) parts.push(`n${o.numberWeight}`);
  if (o.stopWords !== false) parts.push(o.stopWords === true ? 'stop' : `stop${o.stopWords.length}`);
  if (o.stem) parts.push('stem');
  if (o.synonyms !== false) parts.push(o.synonyms === true ? 'syn' : `syn${Object.keys(o.synonyms).length}`);
  if (o.seed !== 0) parts.push(`seed${o.seed}`);
  return `hashed-ngram(${parts.join(',')})`;
}

/** L2-normalise into a Float32Array; a text with no features gets the one fixed vector of the empty feature. */
function normalise(acc: Float64Array, addEmpty: () => void): Float32Array {
  let norm = 0;
  for (const x of acc) norm += x * x;
  if (norm === 0) {
    addEmpty();
    for (const x of acc) norm += x * x;
  }
  const out = new Float32Array(acc.length);
  const inv = 1 / Math.sqrt(norm);
  for (let i = 0; i < acc.length; i++) out[i] = (acc[i] ?? 0) * inv;
  return out;
}
