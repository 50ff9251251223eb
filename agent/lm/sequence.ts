// How text becomes the token sequences the planner's GPT reads, in training and at inference alike:
//
//   instruction example:  <bos> <prompt> PROMPT <response> RESPONSE <eos>
//   corpus passage:       <bos> PASSAGE <eos>
//
// PROMPT is renderPrompt's text (agent/prompt.ts) without its first line when that is the constant `Actions:`
// line (the grammar never changes, and those ~40 tokens would be a sixth of every sequence's training cost;
// a remote model still gets the whole prompt). RESPONSE is `Thought: ...\nAction: ...`. In SFT the loss
// counts only the targets that predict RESPONSE and the closing <eos>; at inference the planner feeds
// `promptIds` and decodes after it. Special tokens are never matched inside the texts themselves, so a prompt
// that happens to contain "<eos>" stays plain text.
import type { Tokenizer } from './tokenizer.ts';

export const BOS = '<bos>';
export const EOS = '<eos>';
export const PROMPT = '<prompt>';
export const RESPONSE = '<response>';

/** The prompt as the model reads it: without a leading `Actions:` line. */
export function modelPrompt(prompt: string): string {
  return prompt.startsWith('Actions:') ? prompt.slice(prompt.indexOf('\n') + 1) : prompt;
}

/** The ids a planner feeds before decoding its answer: <bos> <prompt> PROMPT <response>. */
export function promptIds(tokenizer: Tokenizer, prompt: string): number[] {
  return [tokenizer.id(BOS), tokenizer.id(PROMPT), ...tokenizer.encode(modelPrompt(prompt), { allowSpecial: false }), tokenizer.id(RESPONSE)];
}

export interface EncodedSequence {
  /** Token ids, the whole sequence. */
  ids: number[];
  /** Per position i: 1 when predicting ids[i + 1] counts in the loss; length ids.length - 1. */
  lossMask: number[];
}

/** An instruction example; the loss counts the response and its closing <eos>. */
export function encodeExample(tokenizer: Tokenizer, prompt: string, response: string): EncodedSequence {
  const head = promptIds(tokenizer, prompt);
  const tail = [...tokenizer.encode(response, { allowSpecial: false }), tokenizer.id(EOS)];
  const ids = [...head, ...tail];
  // Position i predicts ids[i + 1]: the first response token is predicted at head.length - 1.
  const lossMask = ids.slice(1).map((_, i) => (i + 1 >= head.length ? 1 : 0));
  return { ids, lossMask };
}

/** A corpus passage; every next token counts. */
export function encodePassage(tokenizer: Tokenizer, passage: string): EncodedSequence {
  const ids = [tokenizer.id(BOS), ...tokenizer.encode(passage, { allowSpecial: false }), tokenizer.id(EOS)];
  return { ids, lossMask: ids.slice(1).map(() => 1) };
}
