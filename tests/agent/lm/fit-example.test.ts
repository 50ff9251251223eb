import { describe, expect, it } from 'vitest';
import { dropLastMemoryLine, dropOldestHistoryLine, fitExamplePrompt } from '../../../agent/lm/train/fit-example.ts';
import { PROMPT_LIMITS, renderPrompt } from '../../../agent/prompt.ts';
import { oracleContexts } from '../episode-prompts.ts';

describe('shortening a long instruction example', () => {
  it('drops the oldest History line exactly as renderPrompt writes one line fewer, on real prompts', async () => {
    const contexts = await oracleContexts(8);
    let checked = 0;
    for (const { name, context } of contexts) {
      const shown = Math.min(PROMPT_LIMITS.history, context.history.length);
      let text = renderPrompt(context).text;
      for (let k = shown; k > 0; k--) {
        const shorter = dropOldestHistoryLine(text);
        expect(shorter, name).toBe(renderPrompt(context, { history: k - 1 }).text);
        text = shorter ?? '';
        checked++;
      }
      expect(dropOldestHistoryLine(text), name).toBeNull();
      expect(text).toContain('\nHistory: none\n');
    }
    expect(checked).toBeGreaterThan(40);
  });

  it('then drops the last Memories line exactly as renderPrompt writes one memory fewer', async () => {
    const context = (await oracleContexts(1))[0]?.context;
    expect(context).toBeDefined();
    const memories = ['Picked up red sponge (sponge_1) from white cabinet (cabinet_1) in kitchen_1.', 'Opened white cabinet (cabinet_1): inside red sponge.', 'Succeeded in 7 steps.'];
    let text = renderPrompt({ ...context!, memories }, { history: 0 }).text;
    for (let k = memories.length; k > 0; k--) {
      const shorter = dropLastMemoryLine(text);
      expect(shorter).toBe(renderPrompt({ ...context!, memories: memories.slice(0, k - 1) }, { history: 0 }).text);
      text = shorter ?? '';
    }
    expect(text).toContain('\nMemories: none\n');
    expect(dropLastMemoryLine(text)).toBeNull();
    // History goes first, then memories.
    const withHistory = 'Memories:\n- a\n- b\nHistory:\n1. goto(#1): ok\nTask: Go.\n';
    expect(fitExamplePrompt(withHistory, (p) => p.length < 40)).toEqual({ prompt: 'Memories:\n- a\nHistory: none\nTask: Go.\n', shortened: 2 });
  });

  it('shortens until the example fits, and gives up when even no history is too long', () => {
    const prompt = 'Places:\nkitchen_1: red table #1\nHistory:\n3. goto(#1): ok\n4. pick(#2): failed out_of_reach (far)\n5. goto(#1): ok\nTask: Go.\n';
    expect(fitExamplePrompt(prompt, () => true)).toEqual({ prompt, shortened: 0 });
    const fitted = fitExamplePrompt(prompt, (p) => !p.includes('4. pick'));
    expect(fitted).toEqual({ prompt: 'Places:\nkitchen_1: red table #1\nHistory:\n5. goto(#1): ok\nTask: Go.\n', shortened: 2 });
    expect(fitExamplePrompt(prompt, (p) => p.includes('History: none'))?.shortened).toBe(3);
    expect(fitExamplePrompt(prompt, () => false)).toBeNull();
    expect(dropOldestHistoryLine('Task: Go.\n')).toBeNull();
  });
});
