// Reads a number out of a benchmark's JSON report by dotted path, failing clearly when it is missing or not a number.
export function numberAt(report: unknown, path: string): number {
  let node: unknown = report;
  for (const key of path.split('.')) {
    if (typeof node !== 'object' || node === null || !(key in node)) throw new Error(`missing ${path}`);
    node = (node as Record<string, unknown>)[key];
  }
  if (typeof node !== 'number') throw new Error(`${path} is not a number: ${String(node)}`);
  return node;
}
