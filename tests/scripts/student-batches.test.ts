import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DATA_VERSION } from '../../agent/data/generate.ts';
import { parseTrainConfig } from '../../agent/lm/train/config.ts';
import { batchLines } from '../../scripts/student-batches.ts';

const root = mkdtempSync(join(tmpdir(), 'umwelt-batches-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const stage = { steps: 10, batchSize: 2, seqLen: 32, lr: 1e-3 };
const a = { dir: join(root, 'a'), episodes: 10, start: 160, rate: 0.5 };
const b = { dir: join(root, 'b'), episodes: 4, start: 0, rate: 0.5, families: ['revisit'], memoryMode: 'prompt' as const };
const c = { dir: join(root, 'c'), episodes: 2, start: 8, rate: 0.5, families: ['revisit'], memoryMode: 'prompt' as const };
const config = parseTrainConfig(
  { dataDir: 'd', out: 'o', tokenizer: { vocabSize: 512 }, model: { context: 64, dModel: 32, heads: 4, layers: 2 }, pretrain: stage, sft: stage, dagger: { ...stage, student: a }, dagger2: { ...stage, student: [b] } },
  'cfg.json',
);
const manifest = (dir: string, m: Record<string, unknown>): void => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
};

describe('the student batches train-planner.sh makes', () => {
  it('lists every batch of every round with the model before it, and makes again what was made otherwise', () => {
    expect(batchLines(config)).toEqual([`dagger ${a.dir} 10 160 0.5 - off o/sft.safetensors stale`, `dagger2 ${b.dir} 4 0 0.5 revisit prompt o/dagger.safetensors stale`]);
    const families = ['goto', 'pickup', 'place-on', 'place-in', 'open', 'fetch', 'search', 'rearrange', 'chain'];
    const made = { version: DATA_VERSION, student: { checkpoint: 'o/sft.safetensors', rate: 0.5 }, start: 160, episodesPerFamily: 10, families };
    manifest(a.dir, made);
    manifest(b.dir, { version: DATA_VERSION, student: { checkpoint: 'o/dagger.safetensors', rate: 0.5 }, memoryMode: 'prompt', start: 0, episodesPerFamily: 4, families: ['revisit'] });
    expect(batchLines(config).map((l) => l.split(' ').at(-1))).toEqual(['fresh', 'fresh']);
    for (const changed of [{ version: DATA_VERSION - 1 }, { start: 0 }, { episodesPerFamily: 11 }, { families: ['goto'] }, { student: { checkpoint: 'x.safetensors', rate: 0.5 } }, { student: { checkpoint: 'o/sft.safetensors', rate: 0.8 } }, { memoryMode: 'prompt' }]) {
      manifest(a.dir, { ...made, ...changed });
      expect(batchLines(config)[0], JSON.stringify(changed)).toMatch(/ stale$/);
    }
    writeFileSync(join(a.dir, 'manifest.json'), '{ not json');
    expect(batchLines(config)[0]).toMatch(/ stale$/);
    // A third round's student is the dagger2 model.
    const three = parseTrainConfig({ ...config, dagger3: { ...stage, student: c, aggregate: 'this-round' } }, 'cfg.json');
    expect(batchLines(three).at(-1)).toBe(`dagger3 ${c.dir} 2 8 0.5 revisit prompt o/dagger2.safetensors stale`);
  });
});
