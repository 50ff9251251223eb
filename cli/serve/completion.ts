// What `umwelt serve` computes for one chat-completion request: the in-project model's answer, as a sequence of
// pieces (text deltas, then at most one tool call) that the HTTP layer sends whole or streams.
//
// The model reads one prompt and answers it (agent/lm/sequence.ts): the prompt is the text of the LAST user
// message (the shared prompt of agent/prompt.ts carries the task, what the agent sees and its history, so earlier
// turns add nothing); system, developer, assistant and tool messages are not shown to it.
//   - With tools (and tool_choice not 'none'): the answer's thought is decoded freely, then the action line under
//     the action grammar (decodeAnswerAsync: on the CPU or the WebGPU engine), limited to the offered tools (or the one tool_choice names) and to the
//     entities the prompt mentions (its marks `#n` and its ids), and returned as a tool call; the thought is the
//     message's content. The answer is computed at once (tens of milliseconds), then sent.
//   - Without: plain text, token by token, until <eos>, max_tokens or a stop string; the loop yields to the event
//     loop between tokens so that a stream flows and a disconnected client cancels it.
import type { PlannerBundle } from '../../agent/lm/bundle.ts';
import { keepPrefix, type AsyncPrefixEngine } from '../../agent/lm/engine/async.ts';
import { Prng } from '../../agent/lm/prng.ts';
import { sampleToken, type SamplingOptions } from '../../agent/lm/sampling.ts';
import { promptIds } from '../../agent/lm/sequence.ts';
import { TOOL_KINDS, toolArguments, type ToolKind } from '../../agent/openai/tools.ts';
import { contentText, type ChatCompletionRequest, type FinishReason, type Usage } from '../../agent/openai/wire.ts';
import { DEFAULT_MAX_THOUGHT_TOKENS } from '../../agent/planners/lm-answer.ts';
import { decodeAnswerAsync } from '../../agent/planners/lm-answer-async.ts';
import { thoughtMarks, type ThoughtMarks } from '../../agent/planners/thought-marks.ts';
import { isEntityId } from '../../agent/grammar.ts';

/** A request the model cannot answer as asked: a 400 with this message (and param). */
export class CompletionInputError extends Error {
  override readonly name = 'CompletionInputError';
  constructor(
    message: string,
    readonly param: string | null,
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

export type Piece = { kind: 'text'; text: string } | { kind: 'tool_call'; id: string; name: string; arguments: string };

export interface CompletionEnd {
  finishReason: FinishReason;
  usage: Usage;
}

export interface CompletionLimits {
  /** Most tokens one request may ask for (max_tokens above it is a 400). */
  maxTokens: number;
}

/** Tokens the answer needs at least, after the prompt. */
const ANSWER_ROOM = 24;

/** The prompt's ids and what a tool-call answer may name, checked before the request waits in the queue. */
export interface PreparedCompletion {
  ids: number[];
  maxTokens: number;
  sampling: SamplingOptions;
  seed: string;
  stop: string[];
  /** Null: plain text. Else the action kinds the tool call may use. */
  toolKinds: ToolKind[] | null;
  /** Marks and ids the prompt mentions (what a tool call may name). */
  entities: string[];
  /** The prompt's marks and their descriptions, which the thought's marks are kept to (as LMPlanner does). */
  thoughtMarks: ThoughtMarks;
}

export function prepareCompletion(bundle: PlannerBundle, request: ChatCompletionRequest, limits: CompletionLimits): PreparedCompletion {
  const users = request.messages.filter((m) => m.role === 'user');
  const last = users[users.length - 1];
  if (last === undefined) throw new CompletionInputError('messages must include a user message (the prompt the model answers)', 'messages');
  const context = bundle.config.context;
  const { prompt, ids } = fitHistory(contentText(last.content), (text) => promptIds(bundle.tokenizer, text), context - ANSWER_ROOM);
  if (ids.length + ANSWER_ROOM > context) {
    throw new CompletionInputError(`the prompt takes ${ids.length} tokens; this model reads at most ${context - ANSWER_ROOM} before its answer`, 'messages', 'context_length_exceeded');
  }
  const asked = request.max_completion_tokens ?? request.max_tokens ?? null;
  if (asked !== null && asked > limits.maxTokens) throw new CompletionInputError(`max_tokens must be at most ${limits.maxTokens} on this server, got ${asked}`, 'max_tokens');
  const maxTokens = Math.min(asked ?? limits.maxTokens, context - ids.length);
  const toolChoice = request.tool_choice ?? 'auto';
  let toolKinds: ToolKind[] | null = null;
  if (request.tools !== undefined && request.tools.length > 0 && toolChoice !== 'none') {
    const offered = typeof toolChoice === 'object' ? [toolChoice.function.name] : request.tools.map((t) => t.function.name);
    toolKinds = TOOL_KINDS.filter((k) => offered.includes(k));
    if (toolKinds.length === 0) throw new CompletionInputError(`none of the tools is an action this model can take (${TOOL_KINDS.join(', ')})`, 'tools');
  }
  const stop = request.stop === undefined || request.stop === null ? [] : typeof request.stop === 'string' ? [request.stop] : request.stop;
  const temperature = request.temperature ?? 1;
  return {
    ids,
    maxTokens,
    sampling: { temperature, topP: request.top_p ?? 1 },
    seed: `serve:${request.seed ?? 0}`,
    stop,
    toolKinds,
    entities: mentionedEntities(prompt),
    thoughtMarks: thoughtMarks(prompt, bundle.tokenizer),
  };
}

/**
 * A prompt in the shared format that is too long for the model loses the oldest lines of its History section
 * first, as the LM planner's own prompts do (fitPrompt): they carry no marks, and the Unsearched lines keep what
 * a search needs from them. Other prompts are left as they are.
 */
export function fitHistory(prompt: string, encode: (text: string) => number[], maxTokens: number): { prompt: string; ids: number[] } {
  let text = prompt;
  let ids = encode(text);
  while (ids.length > maxTokens) {
    const at = text.indexOf('\nHistory:\n');
    if (at < 0) break;
    const start = at + '\nHistory:\n'.length;
    const line = /^\d+\. [^\n]*\n/.exec(text.slice(start));
    if (line === null) break;
    const rest = text.slice(start + line[0].length);
    text = /^\d+\. /.test(rest) ? `${text.slice(0, start)}${rest}` : `${text.slice(0, at)}\nHistory: none\n${rest}`;
    ids = encode(text);
  }
  return { prompt: text, ids };
}

/** The marks (`#n`) and entity ids (`mug_3`) a prompt mentions, in order of first mention. */
export function mentionedEntities(prompt: string): string[] {
  const found = prompt.match(/#\d{1,4}(?!\d)|\b[a-z][a-z0-9]*(?:_[a-z0-9]+)*_\d+\b/g) ?? [];
  return [...new Set(found.filter((e) => e.startsWith('#') || isEntityId(e)))];
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Runs a prepared completion on the engine, calling `emit` for each piece; resolves with the finish reason and
 * usage. Stops early (finish 'length', the tokens so far counted) when `signal` aborts.
 */
export async function runCompletion(engine: AsyncPrefixEngine, bundle: PlannerBundle, prepared: PreparedCompletion, emit: (piece: Piece) => void, signal: AbortSignal, id: string): Promise<CompletionEnd> {
  const { tokenizer } = bundle;
  const usage = (completion: number): Usage => ({ prompt_tokens: prepared.ids.length, completion_tokens: completion, total_tokens: prepared.ids.length + completion });
  if (prepared.toolKinds !== null) {
    const answer = await decodeAnswerAsync(engine, tokenizer, prepared.ids, {
      allowed: { kinds: prepared.toolKinds, entities: prepared.entities },
      sampling: prepared.sampling,
      seed: prepared.seed,
      thoughtMarks: prepared.thoughtMarks,
      // The planner's own thought cap (within max_tokens), so that a tool call is what LMPlanner would decide.
      maxThoughtTokens: Math.max(0, Math.min(DEFAULT_MAX_THOUGHT_TOKENS, prepared.maxTokens - 16)),
    });
    if (answer.thought.length > 0) emit({ kind: 'text', text: `Thought: ${answer.thought}` });
    const call = toolArguments(answer.line.action);
    emit({ kind: 'tool_call', id: `call_${id}_0`, name: call.name, arguments: call.arguments });
    return { finishReason: 'tool_calls', usage: usage(answer.tokens) };
  }
  const rng = new Prng(prepared.seed);
  let logits = await engine.prefill(prepared.ids.slice(keepPrefix(engine, prepared.ids)));
  const out: number[] = [];
  let sent = '';
  let finish: FinishReason = 'length';
  while (out.length < prepared.maxTokens) {
    if (signal.aborted) break;
    const token = sampleToken(logits, prepared.sampling, rng);
    if (tokenizer.isSpecial(token)) {
      finish = 'stop';
      break;
    }
    out.push(token);
    const text = tokenizer.decode(out);
    const stopAt = firstStop(text, prepared.stop);
    if (stopAt >= 0) {
      if (stopAt > sent.length) emit({ kind: 'text', text: text.slice(sent.length, stopAt) });
      sent = text.slice(0, stopAt);
      finish = 'stop';
      break;
    }
    // Hold back what could still become a stop string, and a trailing partial UTF-8 character.
    const safe = text.length - heldBack(text, prepared.stop);
    if (safe > sent.length && !text.endsWith('\ufffd')) {
      emit({ kind: 'text', text: text.slice(sent.length, safe) });
      sent = text.slice(0, safe);
    }
    if (out.length >= prepared.maxTokens) break;
    logits = await engine.step(token);
    await yieldToEventLoop();
  }
  // What was held back, up to a stop string if one completed.
  const text = tokenizer.decode(out);
  const stopAt = firstStop(text, prepared.stop);
  const end = stopAt >= 0 ? stopAt : text.length;
  if (end > sent.length) emit({ kind: 'text', text: text.slice(sent.length, end) });
  return { finishReason: finish, usage: usage(out.length) };
}

/** Index of the first stop string in text, or -1. */
function firstStop(text: string, stops: readonly string[]): number {
  let at = -1;
  for (const s of stops) {
    const i = text.indexOf(s);
    if (i >= 0 && (at < 0 || i < at)) at = i;
  }
  return at;
}

/** How many trailing characters of text are a proper prefix of some stop string (they may complete it later). */
function heldBack(text: string, stops: readonly string[]): number {
  let n = 0;
  for (const s of stops) for (let k = Math.min(s.length - 1, text.length); k > n; k--) if (text.endsWith(s.slice(0, k))) n = k;
  return n;
}
