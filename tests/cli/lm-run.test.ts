// `umwelt run --planner lm` and `umwelt eval --planner lm` end to end, on a tiny random-weight checkpoint, and the
// one-line errors of a missing or invalid checkpoint.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultCheckpointPath } from '../../agent/lm/bundle-file.ts';
import { encodeCheckpoint } from '../../agent/lm/checkpoint.ts';
import { Recording } from '../../record/reader.ts';
import { tinyBundle, type TinyBundle } from '../fixtures/lm-bundle.ts';
import { umwelt } from './run-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'umwelt-lm-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let tiny: TinyBundle;
beforeAll(async () => {
  tiny = await tinyBundle({ context: 448 });
}, 240_000);

describe('umwelt run --planner lm', () => {
  it('runs an episode on a given checkpoint', async () => {
    const run = await umwelt('run', '--planner', 'lm', '--checkpoint', tiny.path, '--family', 'goto', '--max-steps', '3', '--json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { planner: string; steps: number; metrics: { tokens: number } };
    expect(report.planner).toBe('lm');
    expect(report.steps).toBeGreaterThanOrEqual(1);
    expect(report.steps).toBeLessThanOrEqual(3);
    expect(report.metrics.tokens).toBeGreaterThan(0);
  }, 240_000);

  it('reports a missing or invalid checkpoint in one line', async () => {
    const missing = await umwelt('run', '--planner', 'lm', '--checkpoint', join(dir, 'nope.safetensors'), '--max-steps', '1');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^umwelt: error: no planner checkpoint at .*nope\.safetensors\n$/);
    const bad = join(dir, 'bad.safetensors');
    writeFileSync(bad, encodeCheckpoint(tiny.weights, { tokenizer: JSON.stringify(tiny.tokenizer.toJSON()) }));
    const invalid = await umwelt('run', '--planner', 'lm', '--checkpoint', bad, '--max-steps', '1');
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/^umwelt: error: invalid planner checkpoint: .*bad\.safetensors: the checkpoint has no "config" metadata.*\n$/);
    const misuse = await umwelt('run', '--planner', 'oracle', '--checkpoint', tiny.path);
    expect(misuse.code).toBe(2);
    expect(misuse.stderr).toContain('--checkpoint and --int8 are for --planner lm');
  }, 240_000);

  it.skipIf(existsSync(defaultCheckpointPath()))('says how to make the default checkpoint when it is missing', async () => {
    const run = await umwelt('run', '--planner', 'lm', '--max-steps', '1');
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('umwelt: error: no planner checkpoint at models/planner/planner.safetensors; run npm run train:planner (or pass --checkpoint FILE)\n');
  }, 30_000);

  it('is listed by umwelt scenes', async () => {
    const run = await umwelt('scenes', '--json');
    expect((JSON.parse(run.stdout) as { planners: { name: string }[] }).planners.map((p) => p.name)).toContain('lm');
  }, 30_000);
});

describe('umwelt replay --from K --planner lm', () => {
  it('branches a recording into the lm planner on a given checkpoint; the flag belongs to branching', async () => {
    const recording = join(dir, 'oracle.mcap');
    const run = await umwelt('run', '--family', 'goto', '--record', recording, '--json');
    expect(run.code).toBe(0);
    const branched = await umwelt('replay', recording, '--from', '0', '--planner', 'lm', '--checkpoint', tiny.path, '--max-steps', '2', '--json');
    expect(branched.stderr).toBe('');
    expect(branched.code).toBe(0);
    const report = JSON.parse(branched.stdout) as { planner: string; steps: number; branchedFrom: { step: number } };
    expect(report.planner).toBe('lm');
    expect(report.branchedFrom.step).toBe(0);
    expect(report.steps).toBeLessThanOrEqual(2);
    const stray = await umwelt('replay', recording, '--checkpoint', tiny.path);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain('--checkpoint only go');
  }, 90_000);
});

describe('umwelt eval --planner lm', () => {
  it('runs a scenario with the checkpoint in the workers', async () => {
    const out = join(dir, 'eval');
    // The smoke scenario's shape, smaller: two families, one seed, a few steps.
    const scenario = join(dir, 'tiny.json');
    writeFileSync(scenario, JSON.stringify({ version: 1, name: 'tiny', families: ['goto', 'pickup'], split: 'test', seeds: { start: 0, count: 3 }, maxSteps: 6, planner: 'oracle' }));
    const run = await umwelt('eval', scenario, '--planner', 'lm', '--checkpoint', tiny.path, '-e', '1', '-w', '1', '--out', out, '--json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as { complete: boolean; overall: { planner: string }[] };
    expect(summary.complete).toBe(true);
    expect(summary.overall.map((g) => g.planner)).toEqual(['lm']);
    const records = readFileSync(join(out, 'episodes.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { result: { error: string | null; steps: number; tokens: number } });
    expect(records.length).toBe(2);
    for (const r of records) {
      expect(r.result.error).toBeNull();
      expect(r.result.steps).toBeGreaterThan(0);
      expect(r.result.tokens).toBeGreaterThan(0);
    }
    const missing = await umwelt('eval', scenario, '--planner', 'lm', '--checkpoint', join(dir, 'nope.safetensors'), '-e', '1', '-w', '1', '--out', join(dir, 'eval2'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^umwelt: error: no planner checkpoint at .*nope\.safetensors\n$/);
    expect(existsSync(join(dir, 'eval2'))).toBe(false);
    // Without the loop guard it is another run: the journal of the guarded one is not resumed into it.
    const unguarded = await umwelt('eval', scenario, '--planner', 'lm', '--checkpoint', tiny.path, '-e', '1', '-w', '1', '--out', out, '--no-loop-guard');
    expect(unguarded.code).not.toBe(0);
    expect(unguarded.stderr).toContain('differ');
    // So is it without the thought rules; with them (the default) it is the same run still, and resumes.
    const unruled = await umwelt('eval', scenario, '--planner', 'lm', '--checkpoint', tiny.path, '-e', '1', '-w', '1', '--out', out, '--no-thought-rules');
    expect(unruled.code).not.toBe(0);
    expect(unruled.stderr).toContain('differ');
    const again = await umwelt('eval', scenario, '--planner', 'lm', '--checkpoint', tiny.path, '-e', '1', '-w', '1', '--out', out, '--json');
    expect(again.code).toBe(0);
    expect((JSON.parse(again.stdout) as { episodes: { resumed: number } }).episodes.resumed).toBe(2);
  }, 240_000);
});

describe('umwelt run and eval --no-loop-guard', () => {
  it('runs the lm planner without its loop guard, and belongs to the lm planner alone', async () => {
    const run = await umwelt('run', '--planner', 'lm', '--checkpoint', tiny.path, '--family', 'goto', '--max-steps', '2', '--no-loop-guard', '--json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const misuse = await umwelt('run', '--planner', 'oracle', '--no-loop-guard');
    expect(misuse.code).toBe(2);
    expect(misuse.stderr).toContain('--no-loop-guard is for --planner lm, not oracle');
    const scenario = join(dir, 'guard.json');
    writeFileSync(scenario, JSON.stringify({ version: 1, name: 'guard', families: ['goto'], split: 'test', seeds: { start: 0, count: 1 }, maxSteps: 2, planner: 'oracle' }));
    const evalMisuse = await umwelt('eval', scenario, '--no-loop-guard', '-w', '1', '--out', join(dir, 'guard-eval'));
    expect(evalMisuse.code).toBe(2);
    expect(evalMisuse.stderr).toContain('turning the loop guard off is for the lm planner, and this run has none (planners: oracle)');
  }, 240_000);
});

/** The planner of a recording's metadata. */
async function recordedPlanner(path: string): Promise<unknown> {
  const recording = await Recording.open(path);
  try {
    return recording.metadata.planner;
  } finally {
    await recording.close();
  }
}

describe('umwelt run and eval --no-thought-rules', () => {
  it('runs the lm planner without its thought rules, records so, and belongs to the lm planner alone', async () => {
    const recording = join(dir, 'unruled.mcap');
    const run = await umwelt('run', '--planner', 'lm', '--checkpoint', tiny.path, '--family', 'goto', '--max-steps', '2', '--no-thought-rules', '--record', recording, '--json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(await recordedPlanner(recording)).toEqual({ name: 'lm', config: { checkpoint: tiny.path, thoughtRules: false } });
    const misuse = await umwelt('run', '--planner', 'oracle', '--no-thought-rules');
    expect(misuse.code).toBe(2);
    expect(misuse.stderr).toContain('--no-thought-rules is for --planner lm, not oracle');
    const scenario = join(dir, 'rules.json');
    writeFileSync(scenario, JSON.stringify({ version: 1, name: 'rules', families: ['goto'], split: 'test', seeds: { start: 0, count: 1 }, maxSteps: 2, planner: 'oracle' }));
    const evalMisuse = await umwelt('eval', scenario, '--no-thought-rules', '-w', '1', '--out', join(dir, 'rules-misuse'));
    expect(evalMisuse.code).toBe(2);
    expect(evalMisuse.stderr).toContain('turning the thought rules off is for the lm planner, and this run has none (planners: oracle)');
    // In eval the flag reaches the workers: the recordings say so.
    const out = join(dir, 'rules-eval');
    const evaluated = await umwelt('eval', scenario, '--planner', 'lm', '--checkpoint', tiny.path, '-w', '1', '--out', out, '--no-thought-rules', '--record', '--json');
    expect(evaluated.stderr).toBe('');
    expect(evaluated.code).toBe(0);
    const files = readdirSync(join(out, 'recordings'));
    expect(files).toHaveLength(1);
    expect(await recordedPlanner(join(out, 'recordings', files[0] ?? ''))).toEqual({ name: 'lm', config: { checkpoint: tiny.path, thoughtRules: false } });
  }, 240_000);
});
