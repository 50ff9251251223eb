// Oracle success on the memory family with a memory kept per house (it goes straight to what an earlier visit
// saw), part of the conformance suite (a file of its own, so the test runner spreads it over cores).
import { describe } from 'vitest';
import { oracleMemorySuccessTest } from './oracle-rate.ts';

describe('oracle success with a memory', () => {
  oracleMemorySuccessTest('revisit');
});
