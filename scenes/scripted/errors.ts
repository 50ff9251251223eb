// The error a running scenario throws, and how scenario errors name a bad value or the field it was found at.

/** A problem while running a scenario: a bad argument to an action, a hook that threw or returned nonsense. */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
}

/** A value as an error message names it: strings quoted, objects and functions by their kind. */
export function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'function') return 'a function';
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'symbol') return v.toString();
  return 'undefined';
}

/** A field path as written in TypeScript: `.events[0].name`, `["odd key"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const s of path) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (typeof s === 'string' && /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(s)) out += `.${s}`;
    else out += `[${JSON.stringify(String(s))}]`;
  }
  return out;
}
