// `umwelt eval` as a user runs it: a child process killed with SIGKILL mid-run and run again, Ctrl-C, bad input
// (exit code 2, a message naming the file and JSON path, no output directory), and --json.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluate } from '../../eval/evaluate.ts';
import { EpisodeRecordSchema, deterministicPart, type EpisodeRecord } from '../../eval/record.ts';
import { ROOT, umwelt } from './run-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'umwelt-eval-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function scenarioFile(name: string, body: Record<string, unknown>): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(body, null, 2));
  return path;
}

const small = scenarioFile('small', { version: 1, name: 'small', families: ['goto', 'open', 'pickup'], seeds: { start: 0, count: 4 }, maxSteps: 20 });

function lines(out: string): EpisodeRecord[] {
  const path = join(out, 'episodes.jsonl');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.endsWith('}'))
    .flatMap((l) => {
      const parsed = EpisodeRecordSchema.safeParse(JSON.parse(l));
      return parsed.success ? [parsed.data] : [];
    });
}

const canonical = (records: readonly EpisodeRecord[]): string =>
  records
    .map((r) => JSON.stringify(deterministicPart(r)))
    .sort()
    .join('\n');

/** Start `umwelt eval` and send `signal` once the journal holds `after` episodes; resolves to the exit code. */
function evalUntil(args: string[], out: string, after: number, signal: NodeJS.Signals): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'eval', ...args, '--out', out], { cwd: ROOT, stdio: 'ignore' });
    const poll = setInterval(() => {
      if (lines(out).length >= after) {
        clearInterval(poll);
        child.kill(signal);
      }
    }, 20);
    child.once('error', reject);
    child.once('exit', (code, sig) => {
      clearInterval(poll);
      resolve(code ?? (sig === 'SIGKILL' ? null : -1));
    });
  });
}

describe('umwelt eval', () => {
  it('a run killed with SIGKILL and run again ends with the results of an uninterrupted run', async () => {
    const reference = join(dir, 'reference');
    await evaluate({ source: small, planners: ['oracle', 'random'], workers: 2, out: reference });
    const out = join(dir, 'killed');
    const code = await evalUntil([small, '--planner', 'oracle,random', '--workers', '2'], out, 5, 'SIGKILL');
    expect(code).toBeNull();
    const survived = lines(out).length;
    expect(survived).toBeGreaterThanOrEqual(5);
    expect(survived).toBeLessThan(24);
    expect(existsSync(join(out, 'report.json'))).toBe(false);
    const rerun = await umwelt('eval', small, '--planner', 'oracle,random', '--workers', '2', '--out', out, '--json');
    expect(rerun.code).toBe(0);
    const summary = JSON.parse(rerun.stdout) as { complete: boolean; episodes: { total: number; resumed: number } };
    expect(summary.complete).toBe(true);
    expect(summary.episodes.total).toBe(24);
    expect(summary.episodes.resumed).toBeGreaterThanOrEqual(survived - 1); // a torn last line is dropped
    expect(canonical(lines(out))).toBe(canonical(lines(reference)));
    expect(existsSync(join(out, 'report.html'))).toBe(true);
  });

  it('Ctrl-C stops the run with exit code 130 and keeps what finished', async () => {
    const out = join(dir, 'interrupted');
    const code = await evalUntil([small, '--planner', 'oracle', '--workers', '1'], out, 2, 'SIGINT');
    expect(code).toBe(130);
    expect(lines(out).length).toBeGreaterThanOrEqual(2);
    expect(existsSync(join(out, 'report.json'))).toBe(false);
  });

  it('prints a human summary with intervals and the report paths', async () => {
    const out = join(dir, 'human');
    const r = await umwelt('eval', small, '--episodes', '1', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/small: 3 episodes/);
    expect(r.stdout).toMatch(/oracle +success 1\.00 \[0\.\d\d, 1\.00\]/);
    expect(r.stdout).toContain(join(out, 'report.html'));
  });

  describe('bad input: exit code 2, the file and what is wrong, no output directory', () => {
    const cases: [string, () => string[], RegExp][] = [
      [
        'an unknown family',
        () => [scenarioFile('bad-family', { version: 1, name: 'x', families: ['goto', 'fly'], seeds: [0] })],
        /bad-family\.json:\n\$\.families\[1\]: .*goto/,
      ],
      ['a seed that is not an integer', () => [scenarioFile('bad-seed', { version: 1, name: 'x', families: 'all', seeds: [1.5] })], /bad-seed\.json:\n\$\.seeds\[0\]/],
      ['an unknown key', () => [scenarioFile('bad-key', { version: 1, name: 'x', families: 'all', seeds: [0], planer: 'oracle' })], /\$\.planer/],
      ['a missing file', () => [join(dir, 'nope.json')], /nope\.json:\n\$: file not found/],
      ['a file that is not JSON', () => [(writeFileSync(join(dir, 'broken.json'), '{"version": 1,'), join(dir, 'broken.json'))], /broken\.json/],
      ['an unknown planner', () => [small, '--planner', 'gpt'], /unknown planner "gpt"; valid planners: oracle, random/],
      [
        'a suite listing a missing scenario',
        () => [scenarioFile('suite', { version: 1, kind: 'suite', name: 's', scenarios: ['small.json', 'missing.json'] })],
        /missing\.json.*file not found/s,
      ],
      ['a script that is not a scenario', () => [(writeFileSync(join(dir, 'plain.ts'), 'export default 42;\n'), join(dir, 'plain.ts'))], /defineScenario/],
      ['a bad worker count', () => [small, '--workers', '0'], /workers must be an integer/],
    ];
    for (const [what, args, message] of cases) {
      it.concurrent(what, async () => {
        const out = join(dir, `out-${what.replace(/\W+/g, '-')}`);
        const r = await umwelt('eval', ...args(), '--out', out);
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(/^umwelt: error: /);
        expect(r.stderr).toMatch(message);
        expect(r.stdout).toBe('');
        expect(existsSync(out)).toBe(false);
      });
    }
  });
});
