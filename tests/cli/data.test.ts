// `umwelt data`: a tiny run (one episode of every family), byte-identical output for the same arguments, the
// manifest's counts and hashes, refusal to overwrite a non-empty directory without --force, and DAgger data with
// a student planner; the same bytes on worker threads.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SftExample } from '../../agent/data/episode.ts';
import { extractAction } from '../../agent/grammar.ts';
import { DATA_VERSION } from '../../agent/data/generate.ts';
import { LATEST_PROMPT_FORMAT } from '../../agent/prompt-format.ts';
import { dataCommand, type DataManifest } from '../../cli/commands/data.ts';
import { memoryOutput } from '../../cli/output.ts';
import { runCli } from '../../cli/program.ts';
import { FAMILY_NAMES } from '../../scenes/family-names.ts';
import { tinyBundle } from '../fixtures/lm-bundle.ts';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'umwelt-data-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const read = (d: string, f: string): string => readFileSync(join(d, f), 'utf8');

describe('umwelt data', () => {
  it('is byte-identical for the same arguments', async () => {
    const [a, b] = [join(dir, 'same-a'), join(dir, 'same-b')];
    const outA = memoryOutput();
    expect(await runCli(['data', '--episodes', '1', '--families', 'goto,open', '--start', '7', '--out', a], outA)).toBe(0);
    expect(outA.stdout()).toMatch(/^2 episodes \(2 successful\): 4 corpus passages \(\d+ bytes\), \d+ examples \(\d+ bytes\)\n/);
    const outB = memoryOutput();
    expect(await dataCommand({ split: 'train', episodes: 1, families: ['goto', 'open'], start: 7, out: b, json: true }, outB)).toBe(0);
    for (const f of ['corpus.txt', 'sft.jsonl', 'manifest.json']) expect(read(b, f), f).toBe(read(a, f));
    expect(JSON.parse(outB.stdout())).toEqual(JSON.parse(read(a, 'manifest.json')));
    // On two worker threads: the same bytes.
    const c = join(dir, 'same-c');
    expect(await runCli(['data', '--episodes', '1', '--families', 'goto,open', '--start', '7', '--workers', '2', '--out', c], memoryOutput())).toBe(0);
    for (const f of ['corpus.txt', 'sft.jsonl', 'manifest.json']) expect(read(c, f), f).toBe(read(a, f));
  });

  it('writes the corpus, the examples and the manifest for one episode of every family', async () => {
    const a = join(dir, 'a');
    expect(await runCli(['data', '--episodes', '1', '--start', '3', '--out', a], memoryOutput())).toBe(0);
    const manifest = JSON.parse(read(a, 'manifest.json')) as DataManifest;
    expect(manifest).toMatchObject({ version: DATA_VERSION, promptFormat: LATEST_PROMPT_FORMAT, split: 'train', start: 3, episodesPerFamily: 1, families: [...FAMILY_NAMES] });
    expect(manifest.episodes.map((e) => [e.family, e.seed])).toEqual(FAMILY_NAMES.map((f) => [f, 3]));
    for (const f of ['corpus.txt', 'sft.jsonl'] as const) {
      const text = read(a, f);
      expect(manifest.files[f]).toEqual({ bytes: Buffer.byteLength(text), sha256: createHash('sha256').update(text).digest('hex') });
    }
    const corpus = read(a, 'corpus.txt').split('\n').slice(0, -1);
    expect(corpus).toHaveLength(manifest.counts.corpusLines);
    expect(corpus.every((line) => line.length > 0)).toBe(true);
    expect(corpus[0]).toMatch(/^The house has .* #\d+ is the /);
    const examples = read(a, 'sft.jsonl').split('\n').slice(0, -1).map((line) => JSON.parse(line) as SftExample);
    expect(examples).toHaveLength(manifest.counts.examples);
    expect(examples.length).toBe(manifest.episodes.reduce((n, e) => n + e.steps, 0));
    expect(new Set(examples.map((e) => e.family))).toEqual(new Set(FAMILY_NAMES));
    for (const e of examples) {
      expect(Object.keys(e).sort()).toEqual(['family', 'prompt', 'response', 'seed', 'step']);
      expect(e.prompt).toMatch(/^Actions: .*\nPlaces:\n[\s\S]*\nSee:\n[\s\S]*\nYou: .*\nUnsearched surfaces: .*\nUnsearched containers: .*\nMemories: none\nHistory:[\s\S]*\nTask: [^\n]*\n$/);
      expect(e.response).toMatch(/^Thought: .+\nAction: .+$/);
      expect(extractAction(e.response).ok).toBe(true);
    }
  });

  it('writes the prompt format asked for, and records it in the manifest', async () => {
    // Chain, train seed 2: open the cabinet, put the apple in it, close it. Format 4 marks the parts behind.
    const [two, four] = [join(dir, 'format-2'), join(dir, 'format-4')];
    expect(await runCli(['data', '--episodes', '1', '--families', 'chain', '--start', '2', '--prompt-format', '2', '--out', two], memoryOutput())).toBe(0);
    expect(await runCli(['data', '--episodes', '1', '--families', 'chain', '--start', '2', '--prompt-format', '4', '--workers', '2', '--out', four], memoryOutput())).toBe(0);
    expect((JSON.parse(read(two, 'manifest.json')) as DataManifest).promptFormat).toBe(2);
    expect((JSON.parse(read(four, 'manifest.json')) as DataManifest).promptFormat).toBe(4);
    const prompts = (d: string): string[] => read(d, 'sft.jsonl').split('\n').slice(0, -1).map((line) => (JSON.parse(line) as SftExample).prompt);
    const [p2, p4] = [prompts(two), prompts(four)];
    expect(p4).toHaveLength(p2.length);
    expect(p4.filter((p) => p.includes(', done'))).not.toHaveLength(0);
    expect(p2.filter((p) => p.includes(', done'))).toHaveLength(0);
    // Only the Task lines differ.
    expect(p4.map((p) => p.replace(/^Task: .*$/m, ''))).toEqual(p2.map((p) => p.replace(/^Task: .*$/m, '')));
    const bad = memoryOutput();
    expect(await runCli(['data', '--episodes', '1', '--prompt-format', '9', '--out', join(dir, 'never')], bad)).toBe(2);
    expect(bad.stderr()).toMatch(/prompt format "9" is not one of 1, 2, 3, 4/);
  });

  it('refuses to overwrite a non-empty directory unless --force, and checks its flags', async () => {
    const full = join(dir, 'full');
    mkdirSync(full);
    writeFileSync(join(full, 'keep.txt'), 'x');
    const out = memoryOutput();
    expect(await runCli(['data', '--episodes', '1', '--families', 'goto', '--out', full], out)).toBe(2);
    expect(out.stderr()).toMatch(/exists and is not empty; use --force/);
    expect(readFileSync(join(full, 'keep.txt'), 'utf8')).toBe('x');

    const forced = memoryOutput();
    expect(await runCli(['data', '--episodes', '1', '--families', 'goto', '--out', full, '--force', '--json'], forced)).toBe(0);
    expect((JSON.parse(forced.stdout()) as DataManifest).counts).toMatchObject({ episodes: 1, successes: 1 });

    for (const args of [['--families', 'nope'], ['--split', 'dev'], ['--episodes', '0'], []]) {
      const bad = memoryOutput();
      const argv = args.length === 0 ? ['data', '--episodes', '1'] : ['data', ...args, '--out', join(dir, 'never')];
      expect(await runCli(argv, bad), args.join(' ')).toBe(2);
      expect(bad.stderr()).toMatch(/^umwelt: error: /);
    }
  });

  it('DAgger: a student acts at its rate, the oracle labels every step, and the same arguments give the same data', async () => {
    const student = await tinyBundle({ layers: 1, dModel: 16 });
    const args = (out: string, rate: string): string[] => ['data', '--episodes', '1', '--families', 'search,pickup', '--start', '11', '--max-steps', '8', '--student', student.path, '--student-rate', rate, '--out', out, '--json'];
    const none = join(dir, 'student-0');
    const outNone = memoryOutput();
    expect(await runCli(args(none, '0'), outNone)).toBe(0);
    const plain = join(dir, 'plain');
    expect(await runCli(['data', '--episodes', '1', '--families', 'search,pickup', '--start', '11', '--max-steps', '8', '--out', plain], memoryOutput())).toBe(0);
    // At rate 0 the student never acts: the oracle's own examples (kept from its failed episodes too).
    const finished = new Set((JSON.parse(outNone.stdout()) as DataManifest).episodes.filter((e) => e.status === 'success').map((e) => `${e.family}:${e.seed}`));
    const lines = (d: string): string[] => read(d, 'sft.jsonl').split('\n').slice(0, -1);
    const ofFinished = lines(none).filter((line) => {
      const e = JSON.parse(line) as SftExample;
      return finished.has(`${e.family}:${e.seed}`);
    });
    expect(lines(plain).length).toBeGreaterThan(0);
    expect(ofFinished).toEqual(lines(plain));

    const [a, b] = [join(dir, 'student-a'), join(dir, 'student-b')];
    const outA = memoryOutput();
    expect(await runCli(args(a, '1'), outA)).toBe(0);
    // The student also acts on worker threads, with the same result.
    expect(await runCli([...args(b, '1'), '--workers', '2'], memoryOutput())).toBe(0);
    expect(read(b, 'sft.jsonl')).toBe(read(a, 'sft.jsonl'));
    const manifest = JSON.parse(outA.stdout()) as DataManifest;
    expect(manifest.student).toEqual({ checkpoint: student.path, rate: 1 });
    // A random-weight student fails, yet every step it took is labelled: examples from failed episodes too.
    expect(manifest.counts.failures).toBeGreaterThan(0);
    const examples = read(a, 'sft.jsonl').split('\n').slice(0, -1).map((line) => JSON.parse(line) as SftExample);
    expect(examples.length).toBe(manifest.episodes.reduce((n, e) => n + e.steps, 0));
    expect(manifest.counts.examples).toBe(examples.length);
    // The states differ from the oracle's own episode: the student's actions were carried out.
    expect(read(a, 'sft.jsonl')).not.toBe(read(plain, 'sft.jsonl'));
    for (const e of examples) expect(extractAction(e.response).ok, e.response).toBe(true);

    for (const bad of [['--student-rate', '0.5'], ['--student', student.path, '--student-rate', '2'], ['--student', join(dir, 'missing.safetensors')]]) {
      const out = memoryOutput();
      expect(await runCli(['data', '--episodes', '1', '--families', 'goto', ...bad, '--out', join(dir, 'never')], out), bad.join(' ')).toBe(2);
      expect(out.stderr()).toMatch(/^umwelt: error: /);
    }
  });
});
