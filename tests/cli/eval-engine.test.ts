// `umwelt eval --engine webgpu`: the engine is settled once in the main process (here SwiftShader through Dawn, as
// the WebGPU tests find it), said in one line, and reaches every worker: the episodes end in the same states as on
// the CPU engine (tiny random-weight model, greedy), the recordings name the engine, and the journal keeps the two
// runs apart. The flag belongs to the lm planner. Without it, run and eval choose 'auto': WebGPU on a GPU's
// adapter, else the CPU engine, said only when --engine auto was given.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeDevice } from '../../agent/lm/webgpu/device-node.ts';
import { isCpuAdapter } from '../../agent/lm/webgpu/engine.ts';
import { Recording } from '../../record/reader.ts';
import { tinyBundle, type TinyBundle } from '../fixtures/lm-bundle.ts';
import { umwelt } from './run-cli.ts';

const skip = process.env['UMWELT_SKIP_WEBGPU'] === '1';
const dir = mkdtempSync(join(tmpdir(), 'umwelt-eval-engine-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let tiny: TinyBundle;
beforeAll(async () => {
  tiny = await tinyBundle();
}, 240_000);

/** success, steps and final state hash of each episode of a run's journal, by id. */
function outcomes(out: string): Record<string, readonly [boolean, number, string]> {
  const lines = readFileSync(join(out, 'episodes.jsonl'), 'utf8').trim().split('\n');
  const entries = lines.map((line) => {
    const record = JSON.parse(line) as { id: string; result: { success: boolean; steps: number; stateHash: string } };
    return [record.id, [record.result.success, record.result.steps, record.result.stateHash]] as const;
  });
  return Object.fromEntries(entries);
}

describe.skipIf(skip)('umwelt eval --engine', () => {
  it('decodes on the WebGPU engine in every worker, ends as the CPU engine does, and records and journals the engine', async () => {
    const scenario = join(dir, 'engine.json');
    writeFileSync(scenario, JSON.stringify({ version: 1, name: 'engine', families: ['goto'], split: 'test', seeds: { start: 0, count: 2 }, maxSteps: 2, planner: 'oracle' }));
    const args = (out: string, ...more: string[]): string[] => ['eval', scenario, '--planner', 'lm', '--checkpoint', tiny.path, '-w', '2', '--out', out, '--json', ...more];

    const gpuOut = join(dir, 'gpu');
    const gpu = await umwelt(...args(gpuOut, '--engine', 'webgpu', '--record'));
    expect(gpu.code).toBe(0);
    expect(gpu.stderr).toMatch(/^lm planner: decoding on the WebGPU engine \(.+\)$/m);
    expect(gpu.stderr).not.toContain('unavailable');
    expect((JSON.parse(gpu.stdout) as { lmEngine: string }).lmEngine).toBe('webgpu');
    const cpuOut = join(dir, 'cpu');
    const cpu = await umwelt(...args(cpuOut));
    expect(cpu.code).toBe(0);
    expect((JSON.parse(cpu.stdout) as { lmEngine: string }).lmEngine).toBe('cpu');
    expect(Object.keys(outcomes(gpuOut))).toHaveLength(2);
    expect(outcomes(gpuOut)).toEqual(outcomes(cpuOut));

    const files = readdirSync(join(gpuOut, 'recordings'));
    expect(files).toHaveLength(2);
    const recording = await Recording.open(join(gpuOut, 'recordings', files[0] ?? ''));
    try {
      expect(recording.metadata.planner).toEqual({ name: 'lm', config: { checkpoint: tiny.path, engine: 'webgpu' } });
    } finally {
      await recording.close();
    }
    // A WebGPU run is not resumed as a CPU run.
    const mixed = await umwelt(...args(gpuOut));
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain('holds the results of a different run');
  }, 600_000);

  it('is auto by default, and says why the CPU engine decodes only when asked for auto', async () => {
    const found = await nodeDevice();
    if (!found.ok) throw new Error(found.reason.message);
    const onCpu = isCpuAdapter(found.gpu.adapterName);
    found.gpu.device.destroy();
    const run = (...more: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
      umwelt('run', '--planner', 'lm', '--checkpoint', tiny.path, '--family', 'goto', '--max-steps', '1', '--json', ...more);
    const quiet = await run();
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
    const asked = await run('--engine', 'auto');
    expect(asked.code).toBe(0);
    if (onCpu) expect(asked.stderr).toMatch(/^lm planner: WebGPU engine unavailable \(the adapter .* runs on the CPU, where the CPU engine is faster\); decoding on the CPU engine\n$/);
    else expect(asked.stderr).toBe('');

    const scenario = join(dir, 'auto.json');
    writeFileSync(scenario, JSON.stringify({ version: 1, name: 'auto', families: ['goto'], split: 'test', seeds: { start: 0, count: 1 }, maxSteps: 1, planner: 'oracle' }));
    const evaluated = await umwelt('eval', scenario, '--planner', 'lm', '--checkpoint', tiny.path, '-w', '1', '--out', join(dir, 'auto'), '--json');
    expect(evaluated.code).toBe(0);
    expect((JSON.parse(evaluated.stdout) as { lmEngine: string }).lmEngine).toBe(onCpu ? 'cpu' : 'webgpu');
    if (onCpu) expect(evaluated.stderr).toBe('');
  }, 240_000);

  it('belongs to the lm planner', async () => {
    const scenario = join(dir, 'oracle.json');
    writeFileSync(scenario, JSON.stringify({ version: 1, name: 'oracle', families: ['goto'], split: 'test', seeds: { start: 0, count: 1 }, maxSteps: 2, planner: 'oracle' }));
    const misuse = await umwelt('eval', scenario, '--engine', 'webgpu', '-w', '1', '--out', join(dir, 'misuse'));
    expect(misuse.code).toBe(2);
    expect(misuse.stderr).toContain('an engine is for the lm planner, and this run has none (planners: oracle)');
    const unknown = await umwelt('eval', scenario, '--planner', 'lm', '--engine', 'tpu', '--out', join(dir, 'unknown'));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown engine "tpu"; valid engines: cpu, webgpu, auto');
  }, 120_000);
});
