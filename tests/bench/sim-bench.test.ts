// Smoke test of the simulator benchmark: `--quick` runs end to end and prints one JSON report with finite,
// positive throughput and observation-cost numbers.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { numberAt } from './report-path.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

describe('bench/sim.bench.ts --quick', () => {
  it('prints one JSON report with finite positive measurements', async () => {
    const { stdout } = await run('npx', ['tsx', 'bench/sim.bench.ts', '--quick'], { cwd: root, timeout: 55_000, maxBuffer: 16 * 1024 * 1024 });
    const report: unknown = JSON.parse(stdout);
    for (const path of [
      'loop.physicsSteps',
      'loop.controlSteps',
      'loop.wallSeconds',
      'loop.loopPhysicsStepsPerSec',
      'loop.loopControlStepsPerSec',
      'bare.wallSeconds',
      'bare.barePhysicsStepsPerSec',
      'environment.cpus',
    ]) {
      const x = numberAt(report, path);
      expect(Number.isFinite(x) && x > 0, `${path} = ${x}`).toBe(true);
    }
    expect(Number.isFinite(numberAt(report, 'physicsOverhead'))).toBe(true);
    const r = report as { overheadTargetMet: unknown; targets: Record<string, unknown>; observation: unknown[]; environment: { node: unknown } };
    expect(typeof r.overheadTargetMet).toBe('boolean');
    expect(typeof r.environment.node).toBe('string');
    for (const value of Object.values(r.targets)) expect(typeof value).toBe('boolean');
    expect(r.observation.map((o) => numberAt(o, 'entities'))).toEqual([10, 50, 200]);
    for (const o of r.observation) {
      for (const key of ['senseMsMean', 'senseMsP95', 'observeMsMean', 'observeMsP95', 'visibleMean']) {
        const x = numberAt(o, key);
        expect(Number.isFinite(x) && x > 0, `${key} = ${x}`).toBe(true);
      }
    }
  }, 60_000);
});
