// `umwelt run --memory FILE`: the agent's long-term memory in a log file that later runs reopen (the real command in
// a child process, the real oracle): two runs write two episodes into one file, `umwelt memory search` finds the
// target where the agent found it, a run that records only is the same as without a memory, one that hands the
// memory to the planner succeeds in no more steps, and the flags are checked.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { umwelt } from './run-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'umwelt-run-memory-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('umwelt run --memory', () => {
  it('keeps memories across runs in the file; recorded only, they change nothing', async () => {
    const file = join(dir, 'agent.mem');
    const args = ['run', '--family', 'search', '--seed', '1000001', '--json'];
    const plain = await umwelt(...args);
    const first = await umwelt(...args, '--memory', file);
    const second = await umwelt(...args, '--memory', file, '--memory-mode', 'prompt');
    for (const run of [plain, first, second]) expect(run.code, run.stderr).toBe(0);
    const result = (r: { stdout: string }): { stateHash: string; success: boolean; steps: number } => JSON.parse(r.stdout) as { stateHash: string; success: boolean; steps: number };
    // Recorded only, the memory changes nothing; handed to the planner, it may spare steps and costs none here.
    expect(result(first).stateHash).toBe(result(plain).stateHash);
    expect(result(second).success).toBe(true);
    expect(result(second).steps).toBeLessThanOrEqual(result(plain).steps);

    const inspect = await umwelt('memory', 'inspect', file, '--json');
    expect(inspect.code, inspect.stderr).toBe(0);
    const report = JSON.parse(inspect.stdout) as { episodes: Record<string, number> | { episode: string }[] };
    expect(JSON.stringify(report.episodes)).toMatch(/e1-search-1000001[\s\S]*e2-search-1000001/);

    const search = await umwelt('memory', 'search', file, 'where is the white candle', '--k', '1', '--json');
    expect(search.code, search.stderr).toBe(0);
    const hits = (JSON.parse(search.stdout) as { results: { text: string }[] }).results;
    expect(hits[0]?.text).toMatch(/white candle \(candle_\d+\)/);
  }, 300_000);

  it('refuses --memory-mode without --memory, and an unknown mode', async () => {
    const alone = await umwelt('run', '--memory-mode', 'prompt');
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/--memory-mode needs --memory FILE/);
    const bogus = await umwelt('run', '--memory', join(dir, 'x.mem'), '--memory-mode', 'bogus');
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toMatch(/valid modes: off, record, prompt/);
  }, 120_000);
});
