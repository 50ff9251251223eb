// constrainedAction (constrained.ts) on an AsyncPrefixEngine, producing exactly what it produces on the same
// logits. The engine has not yet read the ids before the first choice (`pending`), so that each choice is made in
// the same call that feeds the previous token, under the grammar's bitmask of the allowed ids: greedy decoding asks
// the engine for the best allowed id, sampling for the id chooseByUniform gives over the logits with the ids the
// mask forbids at -infinity, given the draw u that constrainedAction's sampleToken would make (UniformDraws: none
// for a single-token distribution, engine.lastDrew). That is constrainedAction's choice: it samples the allowed
// ids' logits listed in ascending id order (`allowed.order`), and sampling.ts's samplingDistribution leaves the
// -infinity logits out, so both rank the same ids the same way (logit descending, the lower id first on ties) and
// apply top-k, top-p and u to the same numbers (CpuAsyncEngine: exactly; the GPU's f32 kernel, webgpu/kernels/
// sample.ts: unless u lies within f32 rounding of a cumulative probability). On the GPU only the chosen id, whether
// u was used and the unconstrained best (engine.lastBest, for `masked`) come back.
import { ActionAutomaton, actionTokenText, allowedTokens, finishAction, type AllowedActions, type ConstrainedAction } from './constrained.ts';
import type { AsyncPrefixEngine } from './lm/engine/async.ts';
import { Prng } from './lm/prng.ts';
import { UniformDraws, type SamplingOptions } from './lm/sampling.ts';
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
  const draws = new UniformDraws(new Prng(options.seed ?? 0));
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
    const mask = idMask(allowed.ids, vocabSize);
    let id: number;
    if (greedy) id = await engine.greedyPrefill(pending, mask);
    else {
      id = await engine.samplePrefill(pending, sampling, draws.peek(), mask);
      if (engine.lastDrew) draws.take();
    }
    const pick = allowed.ids.indexOf(id);
    if (pick < 0) throw new Error(`constrained: the engine chose ${id}, which the mask does not allow`);
    pending = [];
    if (!allowed.ids.includes(engine.lastBest)) masked++;
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
