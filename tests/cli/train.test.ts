// `umwelt train` end to end on a 3-episode data directory: both stages for a few steps produce their files,
// a second run without --resume is refused, a bad config is exit code 2 with one line.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlannerModel } from '../../agent/lm/train/files.ts';
import { memoryOutput } from '../../cli/output.ts';
import { runCli } from '../../cli/program.ts';

const dir = mkdtempSync(join(tmpdir(), 'umwelt-train-cli-'));
const data = join(dir, 'data');
const out = join(dir, 'run');
const configFile = join(dir, 'train.json');

beforeAll(async () => {
  expect(await runCli(['data', '--episodes', '1', '--families', 'goto,pickup,open', '--out', data], memoryOutput())).toBe(0);
  const stage = { steps: 20, batchSize: 2, seqLen: 32, lr: 0.005, evalEvery: 2, checkpointEvery: 2, validationFraction: 0.34 };
  writeFileSync(
    configFile,
    JSON.stringify({
      dataDir: data,
      out,
      tokenizer: { vocabSize: 400 },
      model: { context: 384, dModel: 16, heads: 2, layers: 1, positions: 'rope' },
      pretrain: stage,
      sft: { ...stage, seqLen: 384 },
    }),
  );
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('umwelt train', () => {
  it('trains both stages for a few steps and writes the files', async () => {
    const o1 = memoryOutput();
    expect(await runCli(['train', '--stage', 'pretrain', '--config', configFile, '--steps', '3'], o1), o1.stderr()).toBe(0);
    expect(o1.stdout()).toMatch(/^pretrain: from scratch, 3 steps; .*tokenizer trained\n/);
    expect(o1.stdout()).toMatch(/\npretrain: 3 steps, loss [\d.]+, validation [\d.]+/);
    const o2 = memoryOutput();
    expect(await runCli(['train', '--stage', 'sft', '--config', configFile, '--steps', '2', '--json'], o2), o2.stderr()).toBe(0);
    expect(JSON.parse(o2.stdout())).toMatchObject({ status: 'done', stage: 'sft', step: 2, steps: 2 });
    for (const f of ['tokenizer.json', 'pretrain.safetensors', 'pretrain-loss.csv', 'pretrain-loss.svg', 'sft.safetensors', 'sft-loss.csv', 'sft-loss.svg']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    expect((await loadPlannerModel(join(out, 'sft.safetensors'))).config).toMatchObject({ dModel: 16, layers: 1, context: 384 });
    expect(readFileSync(join(out, 'pretrain-loss.csv'), 'utf8').trim().split('\n')).toHaveLength(4);

    // A saved state is never overwritten by mistake; --resume continues it (here: already complete).
    const o3 = memoryOutput();
    expect(await runCli(['train', '--stage', 'pretrain', '--config', configFile, '--steps', '3'], o3)).toBe(2);
    expect(o3.stderr()).toMatch(/^umwelt: error: .*pretrain\.state\.safetensors exists: pass --resume/);
    const o4 = memoryOutput();
    expect(await runCli(['train', '--stage', 'pretrain', '--config', configFile, '--steps', '4', '--resume'], o4), o4.stderr()).toBe(0);
    expect(o4.stdout()).toMatch(/resuming at step 3, 4 steps/);
  }, 60_000);

  it('saves a resumable state and exits 130 when interrupted', async () => {
    const controller = new AbortController();
    controller.abort();
    const o = memoryOutput();
    expect(await runCli(['train', '--stage', 'sft', '--config', configFile, '--resume', '--steps', '10'], o, controller.signal)).toBe(130);
    expect(o.stderr()).toMatch(/interrupted at step 2\/10; state saved, continue with --resume/);
  }, 60_000);

  it('reports a bad config in one line with exit code 2', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ dataDir: data, out, tokenizer: { vocabSize: 400 }, model: { context: 8, dModel: 16, heads: 2, layers: 1 }, pretrain: {}, sft: {} }));
    const o = memoryOutput();
    expect(await runCli(['train', '--stage', 'pretrain', '--config', bad], o)).toBe(2);
    expect(o.stderr()).toMatch(/^umwelt: error: bad training config .*bad\.json: pretrain\.steps: .*\n$/);
    const o2 = memoryOutput();
    expect(await runCli(['train', '--stage', 'finetune', '--config', bad], o2)).toBe(2);
    expect(o2.stderr()).toMatch(/unknown stage "finetune"/);
  });
});
