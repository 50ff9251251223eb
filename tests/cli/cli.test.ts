// The `umwelt` command: the real CLI in child processes (exit codes, stdout/stderr, determinism across
// processes) and the command functions in memory (the same behaviour without spawning).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { umwelt, type Run } from './run-cli.ts';
import { runCommand, type RunReport } from '../../cli/commands/run.ts';
import { sceneCommand, type SceneReport } from '../../cli/commands/scene.ts';
import { scenesCommand, type ScenesReport } from '../../cli/commands/scenes.ts';
import { validateCommand, type ValidateReport } from '../../cli/commands/validate.ts';
import { memoryOutput } from '../../cli/output.ts';
import { runCli } from '../../cli/program.ts';
import { makeEpisode } from '../../scenes/families.ts';
import { TASK_FAMILY_NAMES } from '../../scenes/family-names.ts';


/** Parse standard output as the one JSON document it must be. */
function json<T>(run: Run): T {
  expect(run.stdout.trim().startsWith('{'), `stdout is not one JSON object:\n${run.stdout}\nstderr:\n${run.stderr}`).toBe(true);
  return JSON.parse(run.stdout) as T;
}

let dir = '';
let validFile = '';
let brokenFile = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'umwelt-cli-'));
  const scene = makeEpisode('goto', 1_000_000).description;
  validFile = join(dir, 'house.json');
  writeFileSync(validFile, JSON.stringify(scene, null, 2));
  const broken = structuredClone(scene);
  const first = broken.furniture[0];
  if (!first) throw new Error('the generated scene has no furniture');
  first.size[0] = -1;
  brokenFile = join(dir, 'broken.json');
  writeFileSync(brokenFile, JSON.stringify(broken, null, 2));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('umwelt (child process)', () => {
  it.concurrent('run --json is successful for the oracle on goto, and deterministic across processes', async () => {
    const [a, b] = await Promise.all([1, 2].map(() => umwelt('run', '--family', 'goto', '--seed', '1000000', '--json')));
    if (!a || !b) throw new Error('two runs expected');
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const first = json<RunReport>(a);
    const second = json<RunReport>(b);
    expect(first.success).toBe(true);
    expect(first.steps).toBeGreaterThanOrEqual(1);
    expect(first.stateHash).toMatch(/^[0-9a-f]{32}$/);
    expect(second.stateHash).toBe(first.stateHash);
    expect(first).toMatchObject({ family: 'goto', seed: 1_000_000, planner: 'oracle', failureReason: null, spl: 1 });
    expect(first.instruction.length).toBeGreaterThan(0);
    expect(first.metrics.pathLength).toBe(first.pathLength);
  });

  it.concurrent('run --planner random respects --max-steps and reports an SPL in [0, 1]', async () => {
    const r = await umwelt('run', '--planner', 'random', '--family', 'pickup', '--seed', '1000001', '--max-steps', '5', '--json');
    expect(r.code, r.stderr).toBe(0);
    const report = json<RunReport>(r);
    expect(typeof report.success).toBe('boolean');
    expect(report.steps).toBeGreaterThanOrEqual(1);
    expect(report.steps).toBeLessThanOrEqual(5);
    expect(report.spl).toBeGreaterThanOrEqual(0);
    expect(report.spl).toBeLessThanOrEqual(1);
    expect(report.planner).toBe('random');
    // The oracle's path on the same episode is the SPL reference.
    expect(report.metrics.referencePathLength).not.toBeNull();
  });

  it.concurrent('plain run on a pipe prints one line per step and a final success line', async () => {
    const r = await umwelt('run', '--family', 'goto', '--seed', '1000000');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.some((l) => l.startsWith('Instruction: '))).toBe(true);
    expect(lines.some((l) => /^step 1 {2}\S+ {2}ok/.test(l))).toBe(true);
    const last = lines[lines.length - 1] ?? '';
    expect(last).toContain('success');
    expect(last).toMatch(/stateHash [0-9a-f]{32}/);
    // No progress-bar escape sequences when stdout is not a terminal.
    expect(r.stdout).not.toContain('\u001b[');
  });

  it.concurrent('run --family nope exits 2 with one line naming the valid families', async () => {
    const r = await umwelt('run', '--family', 'nope');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^umwelt: error: /);
    for (const family of TASK_FAMILY_NAMES) expect(lines[0]).toContain(family);
  });

  it.concurrent('bad seeds, options and commands exit 2 with one error line', async () => {
    const cases: [string[], RegExp][] = [
      [['run', '--seed', '-1'], /seed/],
      [['run', '--bogus'], /unknown option '--bogus'/],
      [['frobnicate'], /unknown command 'frobnicate'/],
    ];
    const runs = await Promise.all(cases.map(([args]) => umwelt(...args)));
    runs.forEach((r, i) => {
      const [args, pattern] = cases[i] ?? [[], /./];
      expect(r.code, `umwelt ${args.join(' ')}`).toBe(2);
      expect(r.stderr, `umwelt ${args.join(' ')}`).toMatch(/^umwelt: error: .+\n$/);
      expect(r.stderr).toMatch(pattern);
    });
  });

  it.concurrent('scenes --json lists the 10 families (9 standard, 1 memory), the splits and the planners', async () => {
    const r = await umwelt('scenes', '--json');
    expect(r.code, r.stderr).toBe(0);
    const report = json<ScenesReport>(r);
    expect(report.families).toHaveLength(10);
    expect(report.families.map((f) => f.name)).toEqual([...TASK_FAMILY_NAMES]);
    expect(report.splits.map((s) => [s.name, s.first, s.last])).toEqual([
      ['train', 0, 999_999],
      ['test', 1_000_000, 1_999_999],
      ['heldout', 2_000_000, 2_999_999],
    ]);
    expect(report.planners.map((p) => p.name)).toEqual(['oracle', 'random', 'lm']);
  });

  it.concurrent('scene prints the instruction and the house', async () => {
    const r = await umwelt('scene', '--family', 'fetch', '--seed', '1000000');
    expect(r.code, r.stderr).toBe(0);
    const { task } = makeEpisode('fetch', 1_000_000);
    expect(r.stdout).toContain(task.instruction);
    for (const heading of ['Rooms (', 'Doorways (', 'Furniture (', 'Mats (', 'Objects (', 'Agent starts at']) expect(r.stdout).toContain(heading);
  });

  it.concurrent('validate: a valid scene exits 0, a broken one exits 1 with the JSON path', async () => {
    const [ok, bad, missing, badJson] = await Promise.all([
      umwelt('validate', validFile),
      umwelt('validate', brokenFile),
      umwelt('validate', join(dir, 'missing.json')),
      umwelt('validate', brokenFile, '--json'),
    ]);
    expect(ok?.code, ok?.stderr).toBe(0);
    expect(ok?.stdout).toMatch(/: valid scene \(.*\d+ furniture, \d+ objects/);

    expect(bad?.code).toBe(1);
    expect(bad?.stderr).toContain(`${brokenFile}: $.furniture[0].size[0]: `);

    expect(missing?.code).toBe(1);
    expect(missing?.stderr).toContain('missing.json: $: file not found');

    expect(badJson?.code).toBe(1);
    const report = json<ValidateReport>(badJson ?? { code: -1, stdout: '', stderr: '' });
    expect(report.valid).toBe(false);
    expect(report.kind).toBe('scene');
    expect(report.issues.map((i) => i.path)).toContain('$.furniture[0].size[0]');
  });

  it.concurrent('schema --out writes every schema and prints their paths', async () => {
    const out = join(dir, 'schema');
    const r = await umwelt('schema', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    for (const name of ['scene.schema.json', 'scenario.schema.json', 'suite.schema.json']) {
      expect(r.stdout).toContain(name);
      expect(existsSync(join(out, name))).toBe(true);
      expect(JSON.parse(readFileSync(join(out, name), 'utf8'))).toHaveProperty('$schema');
    }
  });

  it.concurrent('--help works for the program and every command, naming its flags', async () => {
    const expected: [string[], string[]][] = [
      [['--help'], ['run', 'scenes', 'scene', 'validate', 'schema']],
      [['run', '--help'], ['--family', '--seed', '--planner', '--max-steps', '--json', '--quiet', 'Examples:']],
      [['scenes', '--help'], ['--json', 'Examples:']],
      [['scene', '--help'], ['--family', '--seed', '--json', 'Examples:']],
      [['validate', '--help'], ['<file>', '--json', 'Examples:']],
      [['schema', '--help'], ['--out', 'Examples:']],
    ];
    const runs = await Promise.all(expected.map(([args]) => umwelt(...args)));
    runs.forEach((r, i) => {
      const [args, words] = expected[i] ?? [[], []];
      expect(r.code, `umwelt ${args.join(' ')}: ${r.stderr}`).toBe(0);
      for (const word of words) expect(r.stdout, `umwelt ${args.join(' ')}`).toContain(word);
    });
  });
});

describe('command functions (in memory)', () => {
  it('runCommand --json reports a successful, hashed episode', async () => {
    const out = memoryOutput();
    const code = await runCommand({ family: 'goto', seed: 1_000_000, planner: 'oracle', maxSteps: 40, json: true }, out);
    expect(code).toBe(0);
    const report = JSON.parse(out.stdout()) as RunReport;
    expect(report.success).toBe(true);
    expect(report.stateHash).toMatch(/^[0-9a-f]{32}$/);
    expect(out.stderr()).toBe('');
  });

  it('runCommand without --json prints the header, the steps and the summary', async () => {
    const out = memoryOutput();
    await runCommand({ family: 'pickup', seed: 1_000_001, planner: 'random', maxSteps: 3 }, out);
    const lines = out.stdout().trimEnd().split('\n');
    expect(lines[0]).toMatch(/^pickup #1000001 \(test split\) · planner random · at most 3 steps/);
    expect(lines.filter((l) => l.startsWith('step '))).toHaveLength(3);
    expect(lines[lines.length - 1]).toMatch(/^(✔ success|✘ failed after 3 steps)/);
  });

  it('scenesCommand and sceneCommand print JSON documents', () => {
    const scenes = memoryOutput();
    expect(scenesCommand({ json: true }, scenes)).toBe(0);
    expect((JSON.parse(scenes.stdout()) as ScenesReport).families).toHaveLength(10);

    const scene = memoryOutput();
    expect(sceneCommand({ family: 'open', seed: 12, json: true }, scene)).toBe(0);
    const report = JSON.parse(scene.stdout()) as SceneReport;
    const { description, task } = makeEpisode('open', 12);
    expect(report.task).toEqual({ family: 'open', instruction: task.instruction, goals: task.goals });
    expect(report.scene).toEqual(description);
  });

  it('validateCommand reports to the sink', () => {
    const ok = memoryOutput();
    expect(validateCommand(validFile, {}, ok)).toBe(0);
    expect(ok.stdout()).toContain('valid scene');
    const bad = memoryOutput();
    expect(validateCommand(brokenFile, {}, bad)).toBe(1);
    expect(bad.stderr()).toContain('$.furniture[0].size[0]');
    expect(bad.stdout()).toBe('');
  });

  it('runCommand --quiet prints only the summary line', async () => {
    const out = memoryOutput();
    await runCommand({ family: 'goto', seed: 1_000_000, planner: 'oracle', maxSteps: 40, quiet: true }, out);
    expect(out.stdout()).toMatch(/^✔ success in \d+ steps? \(SPL 1\.00, path [\d.]+ m, [\d.]+ s simulated\) — stateHash [0-9a-f]{32}\n$/);
  });

  it('runCli maps bad input to exit code 2 and one error line', async () => {
    const cases: [string[], RegExp][] = [
      [['run', '--seed', '1.5'], /seed/],
      [['run', '--seed', '9007199254740992'], /seed/],
      [['run', '--max-steps', '0'], /max steps/],
      [['run', '--max-steps', '1001'], /max steps/],
      [['run', '--planner', 'gpt'], /oracle, random/],
      [['run', 'extra'], /too many arguments/],
      [['scene', '--family', 'fetch'], /--seed/],
      [['scene', '--family', 'fetch', '--seed', 'x'], /seed/],
      [['validate'], /missing required argument 'file'/],
    ];
    for (const [args, pattern] of cases) {
      const out = memoryOutput();
      expect(await runCli(args, out), `umwelt ${args.join(' ')}`).toBe(2);
      expect(out.stderr(), `umwelt ${args.join(' ')}`).toMatch(/^umwelt: error: .+\n$/);
      expect(out.stderr()).toMatch(pattern);
      expect(out.stdout()).toBe('');
    }
    const help = memoryOutput();
    expect(await runCli(['validate', '--help'], help)).toBe(0);
    expect(help.stdout()).toContain('Usage: umwelt validate');
  });
});
