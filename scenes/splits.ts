// Seed ranges per split, and the held-out composition split: (family, colour, category) combinations whose
// targets never occur in training or test seeds, only in held-out ones.
import { hashString } from '../sim/rng.ts';
import type { FamilyName, Split } from './family-names.ts';

export const SPLIT_BASE: Record<Split, number> = { train: 0, test: 1_000_000, heldout: 2_000_000 };
export const SPLIT_SIZE = 1_000_000;

export function splitOfSeed(seed: number): Split {
  if (seed >= SPLIT_BASE.heldout) return 'heldout';
  if (seed >= SPLIT_BASE.test) return 'test';
  return 'train';
}

/** The absolute seed of the index-th episode of a split. */
export function seedOf(split: Split, index: number): number {
  return SPLIT_BASE[split] + index;
}

/** About one combination in seven is held out. */
export function isHeldOutCombo(family: FamilyName, color: string, category: string): boolean {
  return hashString(`${family}|${color}|${category}`) % 7 === 0;
}
