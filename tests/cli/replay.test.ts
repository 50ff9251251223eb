// `umwelt replay` as a user runs it: verification (exit 0, or 1 with the divergence step), --info, --step, a
// branch, playback lines, and an unreadable file (exit 2, one error line, no stack trace).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS } from '../../record/format.ts';
import { recordEpisode, rewriteRecording } from '../fixtures/recordings.ts';
import { umwelt } from './run-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'umwelt-replay-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const good = join(dir, 'pickup.mcap');
const perturbed = join(dir, 'pickup-perturbed.mcap');
const garbage = join(dir, 'garbage.mcap');
let steps = 0;
const K = 2;

beforeAll(async () => {
  steps = (await recordEpisode(good, 'pickup', { compression: 'none' })).steps;
  // Step K's action becomes a step forward: the robot ends somewhere else.
  await rewriteRecording(good, perturbed, (topic, message) =>
    topic === TOPICS.action && message.step === K ? { ...message, action: { kind: 'move', forward: 0.5, turn: 0 } } : message,
  );
  writeFileSync(garbage, 'this is not an MCAP file, just some text pretending to be one\n'.repeat(20));
});

describe('umwelt replay', () => {
  it.concurrent('--verify --json exits 0 with verified true on a good recording', async () => {
    const run = await umwelt('replay', good, '--verify', '--json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { steps: number; verified: boolean; firstDivergence: unknown; complete: boolean };
    expect(report).toMatchObject({ steps, verified: true, firstDivergence: null, complete: true });
  });

  it.concurrent('--verify exits 1 on a perturbed recording and names the step', async () => {
    const json = await umwelt('replay', perturbed, '--verify', '--json');
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as { verified: boolean; firstDivergence: { step: number; expected: string; actual: string } };
    expect(report.verified).toBe(false);
    expect(report.firstDivergence.step).toBe(K);
    const text = await umwelt('replay', perturbed, '--verify');
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`diverges at step ${K}`);
  });

  it.concurrent('--info --json summarises the file', async () => {
    const run = await umwelt('replay', good, '--info', '--json');
    expect(run.code).toBe(0);
    const info = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(info).toMatchObject({ complete: true, problem: null, family: 'pickup', seed: 1_000_000, planner: 'oracle', steps, compression: 'none' });
    expect(info.bytes).toBeGreaterThan(0);
    expect(info.simSeconds).toBeGreaterThan(0);
    const topics = (info.channels as { topic: string; messages: number }[]).map((c) => c.topic);
    expect(topics).toEqual(expect.arrayContaining([TOPICS.action, TOPICS.state, TOPICS.snapshot]));
    expect(info.result).toMatchObject({ success: true, steps });
  });

  it.concurrent('plays back one line per step, and shows the state at a step without simulating', async () => {
    const play = await umwelt('replay', good);
    expect(play.code).toBe(0);
    for (let k = 1; k <= steps; k++) expect(play.stdout).toMatch(new RegExp(`^step ${k}  \\w+\\(`, 'm'));
    const state = await umwelt('replay', good, '--step', '1', '--json');
    expect(state.code).toBe(0);
    const parsed = JSON.parse(state.stdout) as { step: number; stateHash: string; states: { poses: unknown[] }[] };
    expect(parsed.step).toBe(1);
    expect(parsed.states.length).toBeGreaterThan(0);
    const beyond = await umwelt('replay', good, '--step', String(steps + 5));
    expect(beyond.code).toBe(2);
    expect(beyond.stderr).toMatch(/^umwelt: error: .*beyond the recording/);
  });

  it.concurrent('--from K --planner random --record OUT branches and writes a verifiable recording', async () => {
    const out = join(dir, 'branch.mcap');
    const run = await umwelt('replay', good, '--from', '1', '--planner', 'random', '--max-steps', '4', '--record', out, '--json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { planner: string; steps: number; branchedFrom: { step: number }; record: string };
    expect(report).toMatchObject({ planner: 'random', branchedFrom: { step: 1 }, record: out });
    expect(report.steps).toBeGreaterThan(1);
    const check = await umwelt('replay', out, '--verify', '--json');
    expect(check.code).toBe(0);
  });

  it.concurrent('--help names every mode and flag', async () => {
    const run = await umwelt('replay', '--help');
    expect(run.code).toBe(0);
    for (const flag of ['<file>', '--info', '--verify', '--step', '--from', '--planner', '--record', '--max-steps', '--json', 'Examples:']) expect(run.stdout).toContain(flag);
    const top = await umwelt('--help');
    expect(top.stdout).toMatch(/^\s+replay\b/m);
  });

  it.concurrent('an unreadable or missing file exits 2 with one error line and no stack trace', async () => {
    for (const file of [garbage, join(dir, 'missing.mcap')]) {
      const run = await umwelt('replay', file, '--verify');
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^umwelt: error: /);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(run.stdout).toBe('');
    }
    const conflicting = await umwelt('replay', good, '--verify', '--info');
    expect(conflicting.code).toBe(2);
    expect(conflicting.stderr).toMatch(/cannot be combined/);
  });
});
