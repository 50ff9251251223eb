// The hashed n-gram embedder: deterministic, unit length, similar texts closer than unrelated ones, robust to empty,
// very long and unicode input; and the default embedder reaches recall@5 >= 0.9 on a retrieval set built from three
// simulated houses (bench/memory-retrieval-set.ts).
import { beforeAll, describe, expect, it } from 'vitest';
import { buildRetrievalSet, QUERY_KINDS, scoreRetrieval, type RetrievalHouse } from '../../bench/memory-retrieval-set.ts';
import { BagOfWordsEmbedder, defaultEmbedder, fnv1a32, HashedNgramEmbedder, lightStem, tokenize } from '../../memory/embed/index.ts';

const norm = (v: Float32Array): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const cos = (a: Float32Array, b: Float32Array): number => a.reduce((s, x, i) => s + x * (b[i] ?? 0), 0);

describe('hashing and tokens', () => {
  it('fnv1a32 matches the reference values', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
    expect(fnv1a32('a', 1)).not.toBe(fnv1a32('a'));
  });

  it('keeps ids whole and split, lower-cased', () => {
    expect(tokenize('Saw the Red MUG (mug_3) on table_12.')).toEqual({ words: ['saw', 'the', 'red', 'mug', 'mug', '3', 'on', 'table', '12'], ids: ['mug_3', 'table_12'] });
    expect(tokenize('')).toEqual({ words: [], ids: [] });
    expect(tokenize('__ _x_ toy__car_1')).toEqual({ words: ['x', 'toy', 'car', '1'], ids: ['toy_car_1'] });
  });

  it('stems lightly', () => {
    expect(['picking', 'failed', 'containers', 'boxes', 'grabbed', 'shelves', 'glass', 'mug'].map(lightStem)).toEqual(['pick', 'fail', 'container', 'box', 'grab', 'shelve', 'glass', 'mug']);
  });
});

describe('HashedNgramEmbedder', () => {
  const e = new HashedNgramEmbedder();

  it('is deterministic across calls and instances', () => {
    const text = 'The blue cabinet (cabinet_2), an openable container in the bathroom, is open; inside it: the red mug (mug_3).';
    expect(Array.from(e.embed(text))).toEqual(Array.from(e.embed(text)));
    expect(Array.from(new HashedNgramEmbedder().embed(text))).toEqual(Array.from(e.embed(text)));
    expect(Array.from(new HashedNgramEmbedder({ seed: 7 }).embed(text))).not.toEqual(Array.from(e.embed(text)));
  });

  it('returns unit vectors of its dimension', () => {
    for (const dim of [16, 128, 256, 512]) {
      const d = new HashedNgramEmbedder({ dim });
      expect(d.dim).toBe(dim);
      for (const text of ['where is the red mug', 'x', 'Failed to pick up the green toy car (toy_car_1): out of reach.']) {
        const v = d.embed(text);
        expect(v).toBeInstanceOf(Float32Array);
        expect(v.length).toBe(dim);
        expect(norm(v)).toBeCloseTo(1, 5);
      }
    }
  });

  it('puts similar texts closer than unrelated ones', () => {
    const q = e.embed('where is the red mug');
    const hit = e.embed('Saw the red mug (mug_3) on the yellow table (table_1) in the kitchen.');
    const sameCategory = e.embed('Saw the blue mug (mug_4) on the white shelf (shelf_1) in the bedroom.');
    const unrelated = e.embed('Failed to open the black drawer (drawer_2): out of reach.');
    expect(cos(q, hit)).toBeGreaterThan(cos(q, sameCategory));
    expect(cos(q, sameCategory)).toBeGreaterThan(cos(q, unrelated));
    const why = e.embed('why did picking up the green toy car fail');
    expect(cos(why, e.embed('Failed to pick up the green toy car (toy_car_1): out of reach.'))).toBeGreaterThan(cos(why, e.embed('Picked up the green book (book_1).')));
  });

  it('handles empty, featureless, very long and unicode input', () => {
    const empty = e.embed('');
    expect(norm(empty)).toBeCloseTo(1, 5);
    expect(Array.from(e.embed('  ?! ...'))).toEqual(Array.from(empty));
    expect(Array.from(e.embed('the is a'))).toEqual(Array.from(empty));
    const long = e.embed('the red mug is on the table in the kitchen '.repeat(20_000));
    expect(norm(long)).toBeCloseTo(1, 5);
    for (const text of ['Tässä on punainen muki', '赤いマグカップはどこ', '🍵🍵 mug_3 🍵', 'e\u0301 \u0000 \ud800 \udfff', 'ＭＵＧ＿３']) {
      const v = e.embed(text);
      expect(v.every(Number.isFinite)).toBe(true);
      expect(norm(v)).toBeCloseTo(1, 5);
    }
    // NFKC: full-width forms fold to ASCII.
    expect(Array.from(e.embed('ＭＵＧ＿３'))).toEqual(Array.from(e.embed('mug_3')));
  });

  it('rejects invalid options and names its configuration', () => {
    expect(() => new HashedNgramEmbedder({ dim: 0 })).toThrow(RangeError);
    expect(() => new HashedNgramEmbedder({ charN: 1.5 })).toThrow(RangeError);
    expect(() => new HashedNgramEmbedder({ bigramWeight: -1 })).toThrow(RangeError);
    expect(new HashedNgramEmbedder().name).toBe('hashed-ngram(d256,u1,b0.5,c3x0.5,id1,stop,stem,syn)');
    expect(new BagOfWordsEmbedder(64).name).toBe('hashed-ngram(d64,u1)');
    expect(defaultEmbedder().dim).toBe(512);
  });
});

describe('retrieval on houses built from the simulator', () => {
  let houses: RetrievalHouse[] = [];

  beforeAll(async () => {
    houses = await buildRetrievalSet({ episodes: [{ family: 'search', seed: 1_000_000 }, { family: 'fetch', seed: 1_000_000 }, { family: 'rearrange', seed: 1_000_000 }] });
  }, 60_000);

  it('builds memories and queries of every kind, with relevant ids that exist', () => {
    expect(houses.map((h) => h.key)).toEqual(['search-1000000', 'fetch-1000000', 'rearrange-1000000']);
    for (const h of houses) {
      const ids = new Set(h.memories.map((m) => m.id));
      expect(ids.size).toBe(h.memories.length);
      for (const q of h.queries) {
        expect(q.groups.length).toBeGreaterThan(0);
        for (const id of q.relevant) expect(ids.has(id), `${h.key}: ${q.text} -> ${id}`).toBe(true);
      }
    }
    const kinds = new Set(houses.flatMap((h) => h.queries.map((q) => q.kind)));
    for (const kind of QUERY_KINDS) expect(kinds.has(kind), kind).toBe(true);
    // Moved objects leave older sightings behind: distractors for "where is it".
    const sightingsOf = (h: RetrievalHouse, id: string): number => h.memories.filter((m) => m.kind === 'sighting' && m.text.includes(`(${id})`)).length;
    const objectOf = (h: RetrievalHouse, q: RetrievalHouse['queries'][number]): string => /\(([a-z_]+_\d+)\)/.exec(h.memories.find((m) => m.id === q.relevant[0])?.text ?? '')?.[1] ?? '?';
    expect(houses.some((h) => h.queries.some((q) => q.kind === 'object' && sightingsOf(h, objectOf(h, q)) > 1))).toBe(true);
  });

  it('the default embedder reaches recall@5 >= 0.9 and beats the bag-of-words baseline', () => {
    const score = scoreRetrieval(defaultEmbedder(), houses, 5);
    const baseline = scoreRetrieval(new BagOfWordsEmbedder(256), houses, 5);
    expect(score.overall.queries).toBeGreaterThan(40);
    expect(score.overall.recallAtK, JSON.stringify(score.misses.slice(0, 3))).toBeGreaterThanOrEqual(0.9);
    expect(score.overall.recallAtK).toBeGreaterThan(baseline.overall.recallAtK);
  });
});
