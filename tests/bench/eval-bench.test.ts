// Smoke test of the evaluation-harness benchmark: `--quick --workers 2` runs the smoke scenario in-process, on the
// harness with 1 worker and with 2, and prints one JSON report with finite positive throughputs, finite ratios and
// identical results across the three.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { numberAt } from './report-path.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

describe('bench/eval.bench.ts --quick --workers 2', () => {
  it('prints one JSON report: three throughputs, finite ratios, identical results', async () => {
    const { stdout } = await run('npx', ['tsx', 'bench/eval.bench.ts', '--quick', '--workers', '2'], {
      cwd: root,
      timeout: 115_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const report: unknown = JSON.parse(stdout);
    for (const path of ['inProcess.episodesPerSec', 'oneWorker.episodesPerSec', 'nWorkers.episodesPerSec', 'inProcess.wallSeconds', 'environment.cpus']) {
      const x = numberAt(report, path);
      expect(Number.isFinite(x) && x > 0, `${path} = ${x}`).toBe(true);
    }
    for (const path of ['oneWorkerVsInProcess', 'speedup', 'speedupPerWorker', 'nWorkersVsInProcess']) {
      const x = numberAt(report, path);
      expect(Number.isFinite(x) && x > 0, `${path} = ${x}`).toBe(true);
    }
    expect(Number.isFinite(numberAt(report, 'harnessOverhead'))).toBe(true);
    const r = report as {
      resultsIdentical: unknown;
      comparison: { mismatches: unknown[] };
      config: { episodes: number; workers: number };
      nWorkers: { workers: number; episodes: number };
      oneWorker: { episodes: number; erroredEpisodes: number };
      environment: { node: unknown };
    };
    expect(r.comparison.mismatches).toEqual([]);
    expect(r.resultsIdentical).toBe(true);
    expect(r.config.workers).toBe(2);
    expect(r.nWorkers.workers).toBe(2);
    expect(r.oneWorker.episodes).toBe(r.config.episodes);
    expect(r.nWorkers.episodes).toBe(r.config.episodes);
    expect(r.oneWorker.erroredEpisodes).toBe(0);
    expect(numberAt(report, 'config.episodesPerFamily')).toBe(1);
    expect(typeof r.environment.node).toBe('string');
  }, 120_000);
});
