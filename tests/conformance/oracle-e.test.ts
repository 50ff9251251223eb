// Oracle success on the memory family without a memory (it searches), part of the conformance suite.
import { describe } from 'vitest';
import { oracleSuccessTest } from './oracle-rate.ts';

describe('oracle success', () => {
  oracleSuccessTest('revisit');
});
