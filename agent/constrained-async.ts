// constrainedAction (constrained.ts) on an AsyncPrefixEngine, producing exactly what it produces on the same
// logits. The engine has not yet read the ids before the first choice (`pending`), so that each choice is made in
// the same call that feeds the previous token: greedy decoding asks the engine for the best allowed id under the
// grammar's bitmask (on the GPU, only that id and the unconstrained best come back); sampling reads the logits
// back and samples among the allowed ids as constrainedAction does.
import { ActionAutomaton, actionTokenText, allowedTokens, finishAction, type AllowedActions, type ConstrainedAction } from './constrained.ts';
import type { AsyncPrefixEngine } from './lm/engine/async.ts';
import { Prng } from './lm/prng.ts';
import { sampleToken, type SamplingOptions } from './lm/sampling.ts';
import type { Tokenizer } from './lm/tokenizer.ts';

export interface AsyncActionOptions {
  allowed: AllowedActions;
  /** Ids the engine reads before the first choice (at least one): the constrainedAction `logits` are theirs. */
  pending: readonly number[];
  sampling?: SamplingOptions;
  seed?: number | string;
  maxTokens: number;
}

/** Whether sampling is the greedy argmax (sampling.ts: temperature 0 or absent). */
export const isGreedy = (sampling: SamplingOptions): boolean => (sampling.temperature ?? 0) === 0;

/** The bitmask of `ids` over a vocabulary of V (bit v % 32 of word v / 32). */
export function idMask(ids: readonly number[], vocab: number): Uint32Array {
  const mask = new Uint32Array(Math.ceil(vocab / 32));
  for (const id of ids) mask[id >>> 5] = (mask[id >>> 5]! | (1 << (id & 31))) >>> 0;
  return mask;
}

/** Decodes an Action line under the allowed actions, as constrainedAction with the logits of `pending`. */
export async function constrainedActionAsync(engine: AsyncPrefixEngine, tokenizer: Tokenizer, options: AsyncActionOptions): Promise<ConstrainedAction> {
  if (options.pending.length === 0) throw new RangeError('constrainedActionAsync: nothing pending to read');
  const automaton = new ActionAutomaton(options.allowed);
  const rng = new Prng(options.seed ?? 0);
  const sampling = options.sampling ?? {};
  const greedy = isGreedy(sampling);
  const { context, vocabSize } = engine.config;
  let pending: readonly number[] = options.pending;
  let state = automaton.start;
  let text = '';
  const tokens: number[] = [];
  let masked = 0;
  while (!automaton.isComplete(state)) {
    const position = engine.position + pending.length;
    const budget = Math.min(options.maxTokens - tokens.length, context - position + 1);
    if (budget <= 0) break;
    const allowed = allowedTokens(automaton, tokenizer, state, budget);
    let pick: number;
    let best: number;
    if (greedy) {
      const id = await engine.greedyPrefill(pending, idMask(allowed.ids, vocabSize));
      best = engine.lastBest;
      pick = allowed.ids.indexOf(id);
      if (pick < 0) throw new Error(`constrained: the engine chose ${id}, which the mask does not allow`);
    } else {
      const logits = await engine.prefill(pending);
      const sub = Float32Array.from(allowed.order, (k) => logits[allowed.ids[k]!]!);
      best = 0;
      for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
      pick = allowed.order[sampleToken(sub, sampling, rng)]!;
    }
    pending = [];
    const id = allowed.ids[pick]!;
    if (!allowed.ids.includes(best)) masked++;
    tokens.push(id);
    text += actionTokenText(tokenizer, id)!;
    state = allowed.states[pick]!;
    if (automaton.isComplete(state)) break;
    if (tokens.length >= options.maxTokens || engine.position >= context) break;
    pending = [id];
  }
  // No token was chosen (no budget): the engine still reads what constrainedAction's caller had read before it.
  if (pending.length > 0) await engine.prefill(pending);
  const done = finishAction(automaton, state, text);
  return { text: done.text, action: done.action, tokens, masked, appended: done.appended };
}
