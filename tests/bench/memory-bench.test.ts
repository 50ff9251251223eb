// Smoke test of the vector-index benchmark: `--quick` runs end to end and prints one JSON report whose measurements
// are finite and positive (hnswlib-node's only when it loaded).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

function at(report: unknown, path: string): unknown {
  let node: unknown = report;
  for (const key of path.split('.')) {
    if (typeof node !== 'object' || node === null || !(key in node)) throw new Error(`missing ${path}`);
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function positive(report: unknown, path: string): void {
  const x = at(report, path);
  expect(typeof x === 'number' && Number.isFinite(x) && x > 0, `${path} = ${String(x)}`).toBe(true);
}

interface EfRow {
  efSearch: number;
  queriesPerSec: number;
  recallAt10: number;
}

describe('bench/memory.bench.ts --quick', () => {
  it('prints one JSON report with finite measurements', async () => {
    const { stdout } = await run('npx', ['tsx', 'bench/memory.bench.ts', '--quick'], { cwd: root, timeout: 55_000, maxBuffer: 16 * 1024 * 1024 });
    const report: unknown = JSON.parse(stdout);
    for (const path of ['data.n', 'data.queries', 'exact.buildSeconds', 'exact.insertsPerSec', 'exact.queriesPerSec', 'ours.buildSeconds', 'ours.insertsPerSec', 'environment.cpus']) {
      positive(report, path);
    }
    expect(at(report, 'data.n')).toBe(5000);
    const checkRows = (rows: unknown): void => {
      expect((rows as EfRow[]).map((r) => r.efSearch)).toEqual([32, 64, 128]);
      for (const r of rows as EfRow[]) {
        expect(Number.isFinite(r.queriesPerSec) && r.queriesPerSec > 0).toBe(true);
        expect(r.recallAt10).toBeGreaterThanOrEqual(0);
        expect(r.recallAt10).toBeLessThanOrEqual(1);
      }
    };
    checkRows(at(report, 'ours.search'));
    if (at(report, 'hnswlib.loaded') === true) {
      positive(report, 'hnswlib.insertsPerSec');
      checkRows(at(report, 'hnswlib.search'));
      for (const ef of ['ef32', 'ef64', 'ef128']) positive(report, `ratios.queriesPerSec.${ef}`);
    } else {
      expect(typeof at(report, 'hnswlib.error')).toBe('string');
    }
    for (const value of Object.values(at(report, 'targets') as Record<string, unknown>)) expect(typeof value).toBe('boolean');
    for (const row of at(report, 'crossover') as Record<string, unknown>[]) {
      for (const key of ['n', 'exactQueriesPerSec', 'hnswQueriesPerSec', 'hnswInsertsPerSec']) positive(row, key);
    }
    expect(typeof at(report, 'environment.simd')).toBe('boolean');
  }, 60_000);
});
