// MemoryError: the one error type memory/ throws for bad input, with a machine-readable code.

export type MemoryErrorCode =
  | 'invalid-record' // a field is missing, of the wrong type, NaN/Infinity or out of range
  | 'unknown-kind' // kind is not one of MEMORY_KINDS
  | 'dimension-mismatch' // an embedding or query has the wrong length
  | 'duplicate-id' // add() of an id already in the store
  | 'invalid-query' // search/retrieve arguments (k, now, query vector)
  | 'invalid-snapshot' // restore() of something that is not a MemorySnapshot
  | 'invalid-encoding' // base64 / payload that cannot be decoded
  | 'closed'; // the log or store was used after close()

export class MemoryError extends Error {
  override readonly name = 'MemoryError';
  constructor(
    readonly code: MemoryErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}
