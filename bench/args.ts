// Command-line option parsing shared by the benchmarks.

/** An integer option: the fallback when absent, an error naming the flag when not an integer >= min. */
export function intOption(text: string | undefined, fallback: number, name: string, min: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got ${text}`);
  return n;
}
