// The one error type of the vector indexes: every rejected input (wrong dimension, NaN, duplicate label, bad
// option, corrupt snapshot) throws a VectorIndexError whose `code` says which, so callers can branch on it.

export type VectorIndexErrorCode =
  | 'dimension-mismatch'
  | 'not-finite'
  | 'bad-label'
  | 'duplicate-label'
  | 'bad-option'
  | 'bad-snapshot'
  | 'capacity';

export class VectorIndexError extends Error {
  readonly code: VectorIndexErrorCode;

  constructor(code: VectorIndexErrorCode, message: string) {
    super(message);
    this.name = 'VectorIndexError';
    this.code = code;
  }
}
