// The sequence format (agent/lm/sequence.ts): where the loss counts, and what the model reads of a prompt.
import { describe, expect, it } from 'vitest';
import { encodeExample, encodePassage, modelPrompt, promptIds } from '../../../agent/lm/sequence.ts';
import { trainTokenizer } from '../../../agent/lm/tokenizer.ts';

const PROMPT = 'Actions: goto(x) pick(x); x is a #mark or an id.\nTask: Pick up the red mug.\nSee:\nred mug #1 on #2, 1.0 m\n';
const RESPONSE = 'Thought: The red mug #1 is here. So: pick the red mug #1.\nAction: pick(#1)';
const tokenizer = trainTokenizer([PROMPT, RESPONSE, 'The house has one room: kitchen_1.'], { vocabSize: 400, minFrequency: 1 });

describe('sequence format', () => {
  it('counts the loss on the response and the closing <eos> only', () => {
    const { ids, lossMask } = encodeExample(tokenizer, PROMPT, RESPONSE);
    expect(lossMask).toHaveLength(ids.length - 1);
    const head = promptIds(tokenizer, PROMPT);
    expect(ids.slice(0, head.length)).toEqual(head);
    expect(tokenizer.token(head[head.length - 1]!)).toBe('<response>');
    // Targets ids[i + 1] for i >= head.length - 1 are the response and <eos>.
    const counted = ids.slice(1).filter((_, i) => lossMask[i] === 1);
    expect(tokenizer.decode(counted)).toBe(`${RESPONSE}<eos>`);
    expect(lossMask.slice(0, head.length - 1).every((m) => m === 0)).toBe(true);
  });

  it('reads the prompt without the constant Actions line, and special tokens in text stay text', () => {
    expect(modelPrompt(PROMPT)).toBe('Task: Pick up the red mug.\nSee:\nred mug #1 on #2, 1.0 m\n');
    expect(modelPrompt('Task: x\n')).toBe('Task: x\n');
    const ids = promptIds(tokenizer, 'Task: say <eos> now\n');
    expect(ids.filter((id) => tokenizer.token(id) === '<eos>')).toHaveLength(0);
    expect(tokenizer.decode(ids)).toBe('<bos><prompt>Task: say <eos> now\n<response>');
  });

  it('counts every next token of a corpus passage', () => {
    const { ids, lossMask } = encodePassage(tokenizer, 'The house has one room: kitchen_1.');
    expect(tokenizer.token(ids[0]!)).toBe('<bos>');
    expect(tokenizer.token(ids[ids.length - 1]!)).toBe('<eos>');
    expect(lossMask).toEqual(ids.slice(1).map(() => 1));
  });
});
