// Prints {family: final stateHash} of the oracle's episode for a seed: the other half of the cross-process test.
import { FAMILY_NAMES } from '../../scenes/family-names.ts';
import { trace } from './harness.ts';

const seed = Number(process.argv[2]);
const out: Record<string, string> = {};
for (const family of FAMILY_NAMES) out[family] = (await trace(family, seed)).result.stateHash;
process.stdout.write(`${JSON.stringify(out)}\n`);
