// `npm run bench` (bench/all.ts): the helpers that find the bench:* scripts, build their commands and gather their
// ratios, then one cheap end-to-end run (`--only eval --quick`) and an unknown `--only` name.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { benchScripts, commandOf, isRatioKey, parseCli, ratiosOf, selectBenches } from '../../bench/all.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

describe('bench/all.ts helpers', () => {
  it('finds every bench:* script of package.json, including sim, memory, embedder and eval', () => {
    const pkg: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    const names = benchScripts(pkg).map((b) => b.name);
    for (const name of ['sim', 'memory', 'embedder', 'eval']) expect(names).toContain(name);
    expect(names).not.toContain('');
  });

  it('runs tsx scripts through npx tsx and anything else through npm run', () => {
    expect(commandOf({ name: 'sim', script: 'tsx bench/sim.bench.ts' }, ['--quick'])).toEqual({ command: 'npx', args: ['tsx', 'bench/sim.bench.ts', '--quick'] });
    expect(commandOf({ name: 'x', script: 'npx tsx bench/x.ts --n 5' }, [])).toEqual({ command: 'npx', args: ['tsx', 'bench/x.ts', '--n', '5'] });
    expect(commandOf({ name: 'y', script: 'node y.js && echo hi' }, ['--quick'])).toEqual({ command: 'npm', args: ['run', '-s', 'bench:y', '--', '--quick'] });
  });

  it('parses --only and passes everything else through', () => {
    expect(parseCli(['--quick', '--only', 'sim,eval', '--workers', '2'])).toEqual({ only: ['sim', 'eval'], passthrough: ['--quick', '--workers', '2'] });
    expect(parseCli(['--only=memory'])).toEqual({ only: ['memory'], passthrough: [] });
    expect(parseCli([])).toEqual({ only: null, passthrough: [] });
    expect(() => parseCli(['--only'])).toThrow(/--only/);
    const all = [
      { name: 'sim', script: '' },
      { name: 'eval', script: '' },
    ];
    expect(selectBenches(all, ['eval', 'sim']).map((b) => b.name)).toEqual(['sim', 'eval']);
    expect(() => selectBenches(all, ['nope'])).toThrow(/unknown bench "nope".*sim, eval/);
  });

  it('gathers ratio fields as dotted paths, without lists, targets or unrelated numbers', () => {
    const sim = {
      loop: { wallSeconds: 2, generationSecondsPerPassExcluded: 0.1, breakdownSeconds: { envStep: 1 } },
      physicsOverhead: 0.1,
      overheadTargetMet: true,
      overheadDecomposition: { physicsStateDifference: 0.05, nonPhysics: 0.05 },
      perEpisode: [{ overhead: 0.2 }],
      targets: { physicsOverheadAtMost15Percent: true },
    };
    expect(ratiosOf(sim, 'sim')).toEqual({
      'sim.physicsOverhead': 0.1,
      'sim.overheadDecomposition.physicsStateDifference': 0.05,
      'sim.overheadDecomposition.nonPhysics': 0.05,
    });
    const memory = { ratios: { queriesPerSec: { ef64: 0.8 }, insertsPerSec: null, simdOverJsKernel: { ef64: 2 } }, targetValues: { qpsRatioAt64: 0.5 } };
    expect(ratiosOf(memory, 'memory')).toEqual({ 'memory.ratios.queriesPerSec.ef64': 0.8, 'memory.ratios.simdOverJsKernel.ef64': 2 });
    const evalReport = { inProcess: { episodesPerSec: 3 }, oneWorkerVsInProcess: 0.9, harnessOverhead: 0.1, speedup: 1.8, config: { workers: 2 } };
    expect(isRatioKey('oneWorkerVsInProcess') && isRatioKey('qps_ratio') && isRatioKey('speedupPerWorker')).toBe(true);
    expect(isRatioKey('generation') || isRatioKey('envStep') || isRatioKey('overheadless')).toBe(false);
    expect(ratiosOf(evalReport, 'eval')).toEqual({ 'eval.oneWorkerVsInProcess': 0.9, 'eval.harnessOverhead': 0.1, 'eval.speedup': 1.8 });
  });
});

describe('bench/all.ts', () => {
  it('--only eval --quick prints one object with the eval report and its ratios', async () => {
    const { stdout } = await run('npx', ['tsx', 'bench/all.ts', '--only', 'eval', '--quick'], { cwd: root, timeout: 115_000, maxBuffer: 16 * 1024 * 1024 });
    const result = JSON.parse(stdout) as {
      environment: { node: unknown; cpus: unknown };
      benches: Record<string, { bench?: unknown; resultsIdentical?: unknown }>;
      ratios: Record<string, unknown>;
      failed: unknown[];
    };
    expect(result.failed).toEqual([]);
    expect(Object.keys(result.benches)).toEqual(['eval']);
    expect(result.benches.eval?.bench).toBe('eval');
    expect(result.benches.eval?.resultsIdentical).toBe(true);
    const speedup = result.ratios['eval.speedup'];
    expect(typeof speedup === 'number' && Number.isFinite(speedup) && speedup > 0).toBe(true);
    for (const [key, value] of Object.entries(result.ratios)) {
      expect(key.startsWith('eval.'), key).toBe(true);
      expect(typeof value === 'number' && Number.isFinite(value), key).toBe(true);
    }
    expect(typeof result.environment.node).toBe('string');
  }, 120_000);

  it('records a bench that fails under `failed`, with its stderr tail, and exits 1 after printing the object', async () => {
    const failure = await run('npx', ['tsx', 'bench/all.ts', '--only', 'sim', '--no-such-option'], { cwd: root, timeout: 30_000 }).then(
      () => null,
      (e: unknown) => e as { code?: unknown; stdout?: unknown },
    );
    expect(failure?.code).toBe(1);
    const result = JSON.parse(String(failure?.stdout)) as { benches: object; failed: { bench: string; exitCode: unknown; stderrTail: string }[] };
    expect(result.benches).toEqual({});
    expect(result.failed.map((f) => f.bench)).toEqual(['sim']);
    expect(result.failed[0]?.exitCode).not.toBe(0);
    expect(result.failed[0]?.stderrTail).toContain('--no-such-option');
  }, 40_000);

  it('refuses an unknown --only name with a clear message, running nothing', async () => {
    const failure = await run('npx', ['tsx', 'bench/all.ts', '--only', 'sim,nope'], { cwd: root, timeout: 30_000 }).then(
      () => null,
      (e: unknown) => e as { code?: unknown; stdout?: unknown; stderr?: unknown },
    );
    expect(failure).not.toBeNull();
    expect(failure?.code).toBe(2);
    expect(failure?.stdout).toBe('');
    expect(String(failure?.stderr)).toMatch(/unknown bench "nope" in --only; the bench:\* scripts in package\.json are: .*sim.*eval/);
  }, 40_000);
});
