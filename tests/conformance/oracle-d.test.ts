// Oracle success, part of the conformance suite (split in files so the test runner spreads them over cores).
import { describe } from 'vitest';
import { oracleSuccessTest } from './oracle-rate.ts';

describe('oracle success', () => {
  oracleSuccessTest('rearrange');
});
