// `umwelt data`: a tiny run (one episode of every family), byte-identical output for the same arguments, the
// manifest's counts and hashes, and refusal to overwrite a non-empty directory without --force.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SftExample } from '../../agent/data/episode.ts';
import { extractAction } from '../../agent/grammar.ts';
import { DATA_VERSION } from '../../agent/data/generate.ts';
import { dataCommand, type DataManifest } from '../../cli/commands/data.ts';
import { memoryOutput } from '../../cli/output.ts';
import { runCli } from '../../cli/program.ts';
import { FAMILY_NAMES } from '../../scenes/family-names.ts';

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
  });

  it('writes the corpus, the examples and the manifest for one episode of every family', async () => {
    const a = join(dir, 'a');
    expect(await runCli(['data', '--episodes', '1', '--start', '3', '--out', a], memoryOutput())).toBe(0);
    const manifest = JSON.parse(read(a, 'manifest.json')) as DataManifest;
    expect(manifest).toMatchObject({ version: DATA_VERSION, split: 'train', start: 3, episodesPerFamily: 1, families: [...FAMILY_NAMES] });
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
      expect(e.prompt).toMatch(/^Actions: .*\nTask: .*\nPlaces:\n[\s\S]*\nSee:\n[\s\S]*\nYou: .*\nUnsearched surfaces: .*\nUnsearched containers: .*\nMemories: none\nHistory:[\s\S]*\n$/);
      expect(e.response).toMatch(/^Thought: .+\nAction: .+$/);
      expect(extractAction(e.response).ok).toBe(true);
    }
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
});
