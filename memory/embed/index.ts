// Embedders for the long-term memory, and the default one (chosen by bench/embedder.bench.ts).
import type { Embedder } from '../types.ts';
import { HashedNgramEmbedder, type HashedNgramOptions } from './hashed.ts';

export { BagOfWordsEmbedder, DEFAULT_HASHED_OPTIONS, DEFAULT_STOP_WORDS, DOMAIN_SYNONYMS, HashedNgramEmbedder, lightStem, tokenize, type HashedNgramOptions } from './hashed.ts';
export { fmix32, fnv1a32 } from './hash.ts';

/** The default's options: 512 dimensions (256 loses about two points of recall@5 to collisions), otherwise the
 *  DEFAULT_HASHED_OPTIONS: word unigrams + bigrams (0.5) + character trigrams (0.5), stop words dropped, light
 *  stemming, domain synonyms. */
export const DEFAULT_EMBEDDER_OPTIONS: Readonly<Partial<HashedNgramOptions>> = { dim: 512 };

/** The default embedder for the agent's memory (chosen by bench/embedder.bench.ts). */
export function defaultEmbedder(): Embedder {
  return new HashedNgramEmbedder(DEFAULT_EMBEDDER_OPTIONS);
}
