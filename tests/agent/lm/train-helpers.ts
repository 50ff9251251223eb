// A small synthetic `umwelt data` directory and a tiny training config for the training tests.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainConfig } from '../../../agent/lm/train/config.ts';
import { parseTrainConfig } from '../../../agent/lm/train/config.ts';

const FAMILIES = ['goto', 'pickup', 'open'];
const COLOURS = ['red', 'green', 'blue', 'white'];
const THINGS = ['mug', 'book', 'apple', 'lamp'];

/** 3 families x 2 seeds; per episode a scene passage, a trajectory and two examples. */
export function writeTinyData(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const corpus: string[] = [];
  const sft: string[] = [];
  const episodes: unknown[] = [];
  let k = 0;
  for (const family of FAMILIES) {
    for (const seed of [0, 1]) {
      const c = COLOURS[k % COLOURS.length]!;
      const t = THINGS[(k * 3) % THINGS.length]!;
      corpus.push(`The house has 1 room: kitchen_1. The ${c} ${t} #${k + 1} (${t}_${seed}) is on the table #9. The ${c} ${t} is #${k + 1}.`);
      corpus.push(`Task: ${family} the ${c} ${t}. goto(#${k + 1}): ok. ${family === 'goto' ? 'done' : `${family}(#${k + 1}): ok`}.`);
      for (let step = 1; step <= 2; step++) {
        const prompt = `Actions: goto(x) pick(x) open(x) done()\nTask: ${family} the ${c} ${t}.\nSee:\n#${k + 1} ${c} ${t}, 1.${step} m\nYou: in kitchen_1.\nHistory:${step === 2 ? `\n1. goto(#${k + 1}): ok` : ''}\n`;
        const response = `Thought: The ${c} ${t} #${k + 1} is here.\nAction: ${step === 1 ? `goto(#${k + 1})` : family === 'goto' ? 'done()' : `${family === 'pickup' ? 'pick' : 'open'}(#${k + 1})`}`;
        sft.push(JSON.stringify({ prompt, response, family, seed, step }));
      }
      episodes.push({ family, seed, status: 'success', steps: 2, examples: 2 });
      k++;
    }
  }
  writeFileSync(join(dir, 'corpus.txt'), corpus.map((l) => `${l}\n`).join(''));
  writeFileSync(join(dir, 'sft.jsonl'), sft.map((l) => `${l}\n`).join(''));
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ version: 1, episodes }));
}

/** d16, 1 layer, a few steps of each stage. */
export function tinyTrainConfig(dataDir: string, out: string, overrides: Record<string, unknown> = {}): TrainConfig {
  const stage = { steps: 6, batchSize: 2, seqLen: 24, lr: 0.01, warmupSteps: 2, evalEvery: 3, checkpointEvery: 2, validationFraction: 0.2 };
  return parseTrainConfig(
    {
      dataDir,
      out,
      seed: 3,
      tokenizer: { vocabSize: 300, minFrequency: 1 },
      model: { context: 96, dModel: 16, heads: 2, layers: 1, positions: 'rope' },
      pretrain: stage,
      sft: { ...stage, seqLen: 96 },
      ...overrides,
    },
    'tiny.json',
  );
}
