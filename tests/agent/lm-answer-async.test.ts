// decodeAnswerAsync (the decode path of the WebGPU engine) against decodeAnswer (sync, CPU): on the CPU engine
// through CpuAsyncEngine, the same answers token for token, for greedy decoding (choices by maskedArgmax under the
// grammar's bitmask) and for seeded sampling (chosen on the engine, the action's under the bitmask), with prefix reuse across consecutive prompts,
// without a thought, and with an action budget too small for the action (its completion appended).
import { describe, expect, it } from 'vitest';
import { defaultCheckpointPath, loadBundleFile } from '../../agent/lm/bundle-file.ts';
import { CpuAsyncEngine } from '../../agent/lm/engine/async.ts';
import { CpuEngine } from '../../agent/lm/engine/cpu.ts';
import { decodeAnswer, type AnswerOptions } from '../../agent/planners/lm-answer.ts';
import { decodeAnswerAsync } from '../../agent/planners/lm-answer-async.ts';
import { thoughtMarks } from '../../agent/planners/thought-marks.ts';
import { episodePrompts } from './episode-prompts.ts';

const bundle = await loadBundleFile(defaultCheckpointPath());
const prompts = await episodePrompts(bundle, 20);

const variants: { name: string; options: Omit<AnswerOptions, 'allowed' | 'seed'>; marks?: boolean }[] = [
  { name: 'greedy, thought marks kept to the prompt', options: {}, marks: true },
  { name: 'sampling, thought marks kept to the prompt', options: { sampling: { temperature: 1.1 } }, marks: true },
  { name: 'greedy', options: {} },
  { name: 'sampling', options: { sampling: { temperature: 0.9, topK: 40, topP: 0.95 } } },
  { name: 'greedy, no thought, 3 action tokens', options: { maxThoughtTokens: 0, maxActionTokens: 3 } },
  { name: 'sampling, 5 thought tokens, no prefix reuse', options: { sampling: { temperature: 1.2 }, maxThoughtTokens: 5, reusePrefix: false } },
];

describe('decodeAnswerAsync', () => {
  it.each(variants)('$name: the answers of decodeAnswer on 20 real prompts', async ({ options, marks }) => {
    const sync = new CpuEngine(bundle.config, bundle.weights);
    const async = new CpuAsyncEngine(new CpuEngine(bundle.config, bundle.weights));
    for (const [i, prompt] of prompts.entries()) {
      const answerOptions: AnswerOptions = { ...options, allowed: prompt.allowed, seed: `s${i}` };
      if (marks) answerOptions.thoughtMarks = thoughtMarks(prompt.text, bundle.tokenizer);
      const want = decodeAnswer(sync, bundle.tokenizer, prompt.ids, answerOptions);
      const got = await decodeAnswerAsync(async, bundle.tokenizer, prompt.ids, answerOptions);
      expect(got, prompt.name).toEqual(want);
      expect(async.tokens, prompt.name).toEqual(sync.tokens);
    }
  });
});
