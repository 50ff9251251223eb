// One answer of the language model to a prompt already encoded: the thought, decoded freely until the text
// spells "\nAction:", then the action line under the action grammar (constrainedAction). Shared by the LM
// planner (agent/planners/lm.ts) and `umwelt serve` (which has only the prompt's text, not the world).
//
// The thought: tokens decoded (greedy by default) until the text spells "\nAction:" (or "Action:" at the very
// start). A special token (such as <eos>), the thought cap or the context's room ends the thought early, and the
// rest of "\nAction:" is then fed as text; a token that would run past "Action:" is not taken.
import { constrainedAction, type AllowedActions, type ConstrainedAction } from '../constrained.ts';
import type { CpuEngine } from '../lm/engine/cpu.ts';
import { prefillReusing } from '../lm/engine/types.ts';
import { Prng } from '../lm/prng.ts';
import { sampleToken, type SamplingOptions } from '../lm/sampling.ts';
import type { Tokenizer } from '../lm/tokenizer.ts';
import { maskLogits, statedEntities, thoughtMask, type ThoughtMarks } from './thought-marks.ts';

/** Where the thought ends and the action begins. */
export const ACTION_MARKER = '\nAction:';
export const DEFAULT_MAX_THOUGHT_TOKENS = 96;
export const DEFAULT_MAX_ACTION_TOKENS = 48;

export interface AnswerOptions {
  allowed: AllowedActions;
  sampling?: SamplingOptions;
  /** Seeds the thought's sampling (and, with ':action' appended, the action's). */
  seed: string;
  /** Prefill only what follows the longest prefix the engine still holds (default true). */
  reusePrefix?: boolean;
  maxThoughtTokens?: number;
  maxActionTokens?: number;
  /** Tokens the thought must leave free in the context for the marker and the action (default 24). */
  reserve?: number;
  /** The prompt's marks and their descriptions: a mark the thought writes after a description must be one the
   *  prompt gives it, and the action names what the thought's last "So:" clause names (thought-marks.ts). Absent:
   *  the thought is unconstrained and the action free among `allowed`. */
  thoughtMarks?: ThoughtMarks;
}

export interface Answer {
  /** The whole answer: thought text, the marker, the action line. */
  text: string;
  /** The thought without its `Thought:` label and control characters, trimmed. */
  thought: string;
  line: ConstrainedAction;
  /** Tokens decoded or fed after the prompt. */
  tokens: number;
}

/** The answer to the prompt `ids` (already <bos><prompt>PROMPT<response>), on `engine`. Never throws on model output. */
export function decodeAnswer(engine: CpuEngine, tokenizer: Tokenizer, ids: readonly number[], options: AnswerOptions): Answer {
  const C = engine.config.context;
  const sampling = options.sampling ?? {};
  const rng = new Prng(options.seed);
  const markerIds = Array.from(tokenizer.encode(ACTION_MARKER, { allowSpecial: false }));
  let logits: Float32Array;
  if (options.reusePrefix ?? true) logits = prefillReusing(engine, [...ids]).logits;
  else {
    engine.reset();
    logits = engine.prefill([...ids]);
  }
  const room = C - ids.length - markerIds.length - (options.reserve ?? 24);
  const maxThought = Math.max(0, Math.min(options.maxThoughtTokens ?? DEFAULT_MAX_THOUGHT_TOKENS, room));
  const thought: number[] = [];
  let text = '';
  let atMarker = false;
  while (thought.length < maxThought) {
    const mask = options.thoughtMarks ? thoughtMask(text, options.thoughtMarks, tokenizer) : null;
    const token = sampleToken(mask === null ? logits : maskLogits(logits, mask), sampling, rng);
    if (tokenizer.isSpecial(token)) break;
    const next = tokenizer.decode([...thought, token]);
    const at = `\n${next}`.indexOf(ACTION_MARKER);
    if (at >= 0 && at + ACTION_MARKER.length !== next.length + 1) break; // the token runs past "Action:"
    thought.push(token);
    text = next;
    logits = engine.step(token);
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
    logits = engine.prefill(restIds);
    text += rest;
  }
  const markerAt = `\n${text}`.lastIndexOf(ACTION_MARKER);
  const line = constrainedAction(engine, tokenizer, {
    logits,
    allowed: actionAllowed(options, text),
    sampling,
    seed: `${options.seed}:action`,
    maxTokens: options.maxActionTokens ?? DEFAULT_MAX_ACTION_TOKENS,
  });
  return { text: `${text}${line.text}`, thought: thoughtOf(text.slice(0, Math.max(0, markerAt - 1))), line, tokens: thought.length + forced + line.tokens.length };
}

/** The actions the line may take after `thought`: with thoughtMarks, the entities its last "So:" clause names
 *  (statedEntities), so that the action does what the thought decided. */
export function actionAllowed(options: AnswerOptions, thought: string): AllowedActions {
  if (options.thoughtMarks === undefined) return options.allowed;
  return { ...options.allowed, entities: statedEntities(thought, options.allowed.entities) };
}

/** The longest k < marker length such that `text` ends with the first k characters of the marker. */
export function markerOverlap(text: string): number {
  for (let k = ACTION_MARKER.length - 1; k > 0; k--) if (text.endsWith(ACTION_MARKER.slice(0, k))) return k;
  return 0;
}

/** The thought's text from what came before the marker: without its `Thought:` label and control characters
 *  (it is shown on terminals), trimmed. */
export function thoughtOf(head: string): string {
  // eslint-disable-next-line no-control-regex
  return head.replace(/^\s*thought\s*:/i, '').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '\ufffd').trim();
}
