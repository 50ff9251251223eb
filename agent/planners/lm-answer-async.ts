// decodeAnswer (lm-answer.ts) on an AsyncPrefixEngine (the WebGPU engine, or the CPU engine through
// CpuAsyncEngine): the same answer for the same logits. Greedy decoding reads back only chosen ids (the thought's
// argmax, then the action's under the grammar's bitmask, constrained-async.ts); so does the thought's sampling
// (the engine's samplePrefill, given the draw u that sampleToken would make: UniformDraws holds a u until a choice
// uses it, since sampleToken draws none for a single-token distribution); and so does the action's sampling,
// under the grammar's bitmask (constrained-async.ts). Each choice is made in the call that feeds the token before it, so ids wait in
// `pending` until the next choice.
import { constrainedActionAsync, isGreedy } from '../constrained-async.ts';
import { keepPrefix, samplePrefillOn, type AsyncPrefixEngine } from '../lm/engine/async.ts';
import { Prng } from '../lm/prng.ts';
import { UniformDraws } from '../lm/sampling.ts';
import type { Tokenizer } from '../lm/tokenizer.ts';
import { thoughtMask } from './thought-marks.ts';
import { ACTION_MARKER, actionAllowed, DEFAULT_MAX_ACTION_TOKENS, DEFAULT_MAX_THOUGHT_TOKENS, markerOverlap, thoughtOf, type Answer, type AnswerOptions } from './lm-answer.ts';

/** The answer to the prompt `ids` (already <bos><prompt>PROMPT<response>), on `engine`, as decodeAnswer gives it. */
export async function decodeAnswerAsync(engine: AsyncPrefixEngine, tokenizer: Tokenizer, ids: readonly number[], options: AnswerOptions): Promise<Answer> {
  const C = engine.config.context;
  const sampling = options.sampling ?? {};
  const greedy = isGreedy(sampling);
  const draws = new UniformDraws(new Prng(options.seed));
  const markerIds = Array.from(tokenizer.encode(ACTION_MARKER, { allowSpecial: false }));
  let pending: number[];
  if (options.reusePrefix ?? true) pending = ids.slice(keepPrefix(engine, ids));
  else {
    engine.reset();
    pending = [...ids];
  }
  /** Reads the pending ids and chooses the thought's next token (under the thought's mark mask, as decodeAnswer). */
  const next = async (text: string): Promise<number> => {
    const feed = pending;
    pending = [];
    const mask = options.thoughtMarks ? thoughtMask(text, options.thoughtMarks, tokenizer) : null;
    if (greedy) return mask === null ? engine.greedyPrefill(feed) : engine.greedyPrefill(feed, mask);
    const { token, drew } = await samplePrefillOn(engine, feed, sampling, draws.peek(), mask ?? undefined);
    if (drew) draws.take();
    return token;
  };
  const room = C - ids.length - markerIds.length - (options.reserve ?? 24);
  const maxThought = Math.max(0, Math.min(options.maxThoughtTokens ?? DEFAULT_MAX_THOUGHT_TOKENS, room));
  const thought: number[] = [];
  let text = '';
  let atMarker = false;
  while (thought.length < maxThought) {
    const token = await next(text);
    if (tokenizer.isSpecial(token)) break;
    const decoded = tokenizer.decode([...thought, token]);
    const at = `\n${decoded}`.indexOf(ACTION_MARKER);
    if (at >= 0 && at + ACTION_MARKER.length !== decoded.length + 1) break; // the token runs past "Action:"
    thought.push(token);
    text = decoded;
    pending = [token];
    if (at >= 0) {
      atMarker = true;
      break;
    }
  }
  let forced = 0;
  if (!atMarker) {
    const rest = ACTION_MARKER.slice(markerOverlap(`\n${text}`));
    const restIds = Array.from(tokenizer.encode(rest, { allowSpecial: false }));
    forced = restIds.length;
    pending = [...pending, ...restIds];
    text += rest;
  }
  const markerAt = `\n${text}`.lastIndexOf(ACTION_MARKER);
  const line = await constrainedActionAsync(engine, tokenizer, {
    pending,
    allowed: actionAllowed(options, text),
    sampling,
    seed: `${options.seed}:action`,
    maxTokens: options.maxActionTokens ?? DEFAULT_MAX_ACTION_TOKENS,
  });
  return { text: `${text}${line.text}`, thought: thoughtOf(text.slice(0, Math.max(0, markerAt - 1))), line, tokens: thought.length + forced + line.tokens.length };
}
