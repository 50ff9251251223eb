// The remote-LLM planner: asks any server that speaks the OpenAI chat-completions protocol (OpenAI, Ollama,
// llama.cpp, vLLM, `umwelt serve`) for each decision, with the same prompt the in-project model reads. Whatever
// the server or the model does (a malformed or unknown tool call, an unknown mark or id, prose without an action,
// a refusal, an empty answer, HTTP errors after the client's retries, a timeout, a refused connection) becomes a
// typed outcome: a grammar error or a transport failure in the Decision, which the loop rejects and shows in the
// next prompt's History. No answer is ever executed unless it parses and names only entities the agent knows.
import type { OpenAI } from 'openai';
import type * as OpenAISdk from 'openai';
import { z } from 'zod';
import { actionEntities, extractAction, formatAction, resolveMarks, type ParseResult } from '../grammar.ts';
import { actionOfToolCall, skillTools, TOOL_KINDS } from '../openai/tools.ts';
import type { Decision, DecisionFailure, DecisionStats, EpisodeInfo, Planner, PlannerContext } from '../planner.ts';
import { renderPrompt, type RenderedPrompt } from '../prompt.ts';
import { LATEST_PROMPT_FORMAT, type PromptFormat } from '../prompt-format.ts';
import { allowedEntities } from './lm.ts';

export type RemoteMode = 'tools' | 'text';
export const REMOTE_MODES = ['tools', 'text'] as const satisfies readonly RemoteMode[];

export const REMOTE_DEFAULTS = {
  apiKeyEnv: 'OPENAI_API_KEY',
  mode: 'tools',
  temperature: 0,
  maxTokens: 256,
  timeoutMs: 60_000,
  maxRetries: 2,
} as const;

export interface RemoteBudget {
  /** Most tokens (prompt + completion, as the server reports them: answers without usage count nothing) per episode. */
  maxTokens?: number;
  /** Most US dollars per episode, priced with `prices`. */
  maxCostUsd?: number;
  /** US dollars per million prompt and completion tokens. */
  prices?: { prompt: number; completion: number };
}

export interface RemotePlannerOptions {
  /** The server's API root, such as http://127.0.0.1:8080/v1 (http or https). */
  baseUrl: string;
  model: string;
  /** The NAME of the environment variable holding the API key (default OPENAI_API_KEY); unset: no key. */
  apiKeyEnv?: string;
  /** Where environment variables are read (default: the process's). */
  env?: Readonly<Record<string, string | undefined>>;
  /** 'tools': the skills as tools, the first tool call used, else the Action line; 'text': the Action line only. */
  mode?: RemoteMode;
  temperature?: number;
  maxTokens?: number;
  /** Mixed with the episode and step into each request's seed (servers that honour seeds are reproducible). */
  seed?: number;
  stream?: boolean;
  /** Milliseconds per request attempt (and of silence within a streamed or slow answer). */
  timeoutMs?: number;
  /** Retries of 408/409/429/5xx answers, timeouts and connection errors, with backoff (the client's own). */
  maxRetries?: number;
  budget?: RemoteBudget;
  /** The planner's name in results (default 'remote'). */
  name?: string;
  /** The prompt format (agent/prompt-format.ts; default the latest). A model of ours behind `umwelt serve` reads
   *  the format it was trained on (its bundle's promptFormat). */
  promptFormat?: PromptFormat;
}

export type RemotePlannerErrorCode = 'bad_option';

/** A planner that cannot be built as asked (bad URL, empty model, negative budget...). */
export class RemotePlannerError extends Error {
  override readonly name = 'RemotePlannerError';
  constructor(
    readonly code: RemotePlannerErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Why a base URL is unusable, or null when it is an http(s) URL. */
export function baseUrlProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `"${url}" is not a URL`;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `"${url}" is not an http(s) URL`;
  return null;
}

export const SYSTEM_TEXT = {
  text:
    'You control a household robot in a simulated home. Each turn you get the task, the places the robot knows, ' +
    'what it sees, what it holds, and its last steps with their outcomes. Choose the next single action. ' +
    'Answer with exactly two lines:\nThought: <one or two short sentences>\nAction: <one action written as on the ' +
    'Actions line, such as goto(#2) or pick(#8)>\nName things by their #mark from the prompt (or their id).',
  tools:
    'You control a household robot in a simulated home. Each turn you get the task, the places the robot knows, ' +
    'what it sees, what it holds, and its last steps with their outcomes. Choose the next single action: write ' +
    'one short Thought, then call exactly one tool, naming things by their #mark from the prompt (or their id). ' +
    'If you cannot call tools, answer with two lines instead:\nThought: <one or two short sentences>\n' +
    'Action: <one action written as on the Actions line, such as goto(#2)>',
} as const satisfies Record<RemoteMode, string>;

// ---------------------------------------------------------------------------------------------
// What the server answered, read leniently (a server is untrusted: any field may be missing or odd)

const usageShape = z.looseObject({ prompt_tokens: z.number().catch(0), completion_tokens: z.number().catch(0) });
const toolCallShape = z.looseObject({
  function: z.looseObject({ name: z.string().nullish().catch(null), arguments: z.string().nullish().catch(null) }).nullish().catch(null),
});
const completionShape = z.looseObject({
  choices: z
    .array(
      z.looseObject({
        message: z
          .looseObject({
            content: z.string().nullish().catch(null),
            refusal: z.string().nullish().catch(null),
            tool_calls: z.array(toolCallShape).nullish().catch(null),
          })
          .nullish()
          .catch(null),
      }),
    )
    .nullish()
    .catch(null),
  usage: usageShape.nullish().catch(null),
});
const chunkShape = z.looseObject({
  choices: z
    .array(
      z.looseObject({
        delta: z
          .looseObject({
            content: z.string().nullish().catch(null),
            refusal: z.string().nullish().catch(null),
            tool_calls: z
              .array(
                z.looseObject({
                  index: z.number().int().min(0).max(63).catch(0),
                  function: z.looseObject({ name: z.string().nullish().catch(null), arguments: z.string().nullish().catch(null) }).nullish().catch(null),
                }),
              )
              .nullish()
              .catch(null),
          })
          .nullish()
          .catch(null),
      }),
    )
    .nullish()
    .catch(null),
  usage: usageShape.nullish().catch(null),
});

/** One answer, streamed or not. */
export interface RemoteAnswer {
  content: string;
  refusal: string;
  toolCalls: { name: string; arguments: string }[];
  usage: { prompt: number; completion: number } | null;
}

const usageOf = (u: z.infer<typeof usageShape> | null | undefined): RemoteAnswer['usage'] =>
  u === null || u === undefined ? null : { prompt: Math.max(0, u.prompt_tokens), completion: Math.max(0, u.completion_tokens) };

/** The answer in a chat.completion body (the first choice). */
export function answerOfCompletion(body: unknown): RemoteAnswer {
  const parsed = completionShape.safeParse(body);
  if (!parsed.success) return { content: '', refusal: '', toolCalls: [], usage: null };
  const message = parsed.data.choices?.[0]?.message;
  return {
    content: message?.content ?? '',
    refusal: message?.refusal ?? '',
    toolCalls: (message?.tool_calls ?? []).map((t) => ({ name: t.function?.name ?? '', arguments: t.function?.arguments ?? '' })),
    usage: usageOf(parsed.data.usage),
  };
}

/** Accumulates streamed chunks into the answer a non-streamed request gives. */
export class ChunkAccumulator {
  private content = '';
  private refusal = '';
  private readonly calls = new Map<number, { name: string; arguments: string }>();
  private usage: RemoteAnswer['usage'] = null;

  add(chunk: unknown): void {
    const parsed = chunkShape.safeParse(chunk);
    if (!parsed.success) return;
    if (parsed.data.usage !== null && parsed.data.usage !== undefined) this.usage = usageOf(parsed.data.usage);
    const delta = parsed.data.choices?.[0]?.delta;
    if (delta === null || delta === undefined) return;
    this.content += delta.content ?? '';
    this.refusal += delta.refusal ?? '';
    for (const call of delta.tool_calls ?? []) {
      const known = this.calls.get(call.index) ?? { name: '', arguments: '' };
      // The name comes whole (some servers repeat it in every delta); the arguments come in pieces.
      const name = call.function?.name ?? '';
      this.calls.set(call.index, { name: name === '' ? known.name : name, arguments: known.arguments + (call.function?.arguments ?? '') });
    }
  }

  answer(): RemoteAnswer {
    const toolCalls = [...this.calls.entries()].sort((a, b) => a[0] - b[0]).map(([, c]) => c);
    return { content: this.content, refusal: this.refusal, toolCalls, usage: this.usage };
  }
}

// ---------------------------------------------------------------------------------------------
// From an answer to a decision

const OFFERED: readonly string[] = TOOL_KINDS;

/** The thought in a model's text: what follows `Thought:` (else the whole text) up to the Action line, clipped. */
export function thoughtOf(content: string): string {
  const lines = content.split(/\r\n|\r|\n/);
  const actionAt = lines.findLastIndex((l) => /^[\s*_`>#-]*action[\s*_]*:/i.test(l));
  let text = (actionAt < 0 ? lines : lines.slice(0, actionAt)).join('\n');
  const at = text.search(/thought[\s*_]*:/i);
  if (at >= 0) text = text.slice(at).replace(/^thought[\s*_]*:/i, '');
  text = text.replace(/\s+/g, ' ').trim();
  return text.length <= 500 ? text : `${text.slice(0, 499)}…`;
}

/**
 * A parsed action -> the executable one: only the kinds the prompt offers, marks resolved through the prompt's
 * table, and only entities the agent knows (marks and ids of the prompt and the observation).
 */
export function checkAction(parsed: ParseResult, prompt: RenderedPrompt, known: readonly string[]): ParseResult {
  if (!parsed.ok) return parsed;
  const text = formatAction(parsed.action);
  if (!OFFERED.includes(parsed.action.kind)) {
    return { ok: false, error: { code: 'unknown_action', message: `${parsed.action.kind} is not offered; the actions are ${OFFERED.join(', ')}`, position: 0, input: text } };
  }
  const resolved = resolveMarks(parsed.action, prompt.marks);
  if (!resolved.ok) return resolved;
  const allowed = new Set([...known, ...prompt.marks.ids]);
  const unknown = actionEntities(resolved.action).find((id) => !allowed.has(id));
  if (unknown !== undefined) {
    const message = `unknown entity ${unknown}; name a #mark from the prompt`;
    return { ok: false, error: { code: 'bad_argument', message, position: Math.max(0, text.indexOf(unknown)), input: text } };
  }
  return resolved;
}

/** The action an answer asks for: the first tool call (tools mode), else the last Action line of the text. */
export function actionOfAnswer(answer: RemoteAnswer, mode: RemoteMode, prompt: RenderedPrompt, known: readonly string[]): ParseResult {
  const call = mode === 'tools' ? answer.toolCalls[0] : undefined;
  const parsed = call !== undefined ? actionOfToolCall(call.name, call.arguments) : extractAction(answer.content);
  return checkAction(parsed, prompt, known);
}

/** The answer as text: the content, then the tool calls. */
export function rawOf(answer: RemoteAnswer): string {
  const calls = answer.toolCalls.map((c) => `[tool call] ${c.name}(${c.arguments})`);
  return [answer.content, ...calls].filter((s) => s !== '').join('\n');
}

// ---------------------------------------------------------------------------------------------
// Transport failures

type Sdk = typeof OpenAISdk;
let sdk: Promise<Sdk> | null = null;
/** The client library, loaded on the first request (other planners never pay for it). */
const loadSdk = (): Promise<Sdk> => (sdk ??= import('openai'));

const clip = (s: string, n: number): string => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

/** What went wrong with a request, as a typed failure. */
function failureOf(e: unknown, lib: Sdk, info: { timedOut: boolean; aborted: boolean; timeoutMs: number; retries: number; baseUrl: string }): DecisionFailure {
  const after = info.retries > 0 ? ` after ${info.retries} ${info.retries === 1 ? 'retry' : 'retries'}` : '';
  if (info.aborted) return { code: 'aborted', message: 'the request was cancelled' };
  if (info.timedOut || e instanceof lib.APIConnectionTimeoutError) return { code: 'timeout', message: `no answer within ${info.timeoutMs} ms${after}` };
  if (e instanceof lib.APIUserAbortError) return { code: 'aborted', message: 'the request was cancelled' };
  if (e instanceof lib.APIConnectionError) {
    // The innermost cause says what happened (fetch's own error only says "fetch failed").
    let cause: unknown = e;
    while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
    const reason = cause instanceof Error ? cause.message : e.message;
    return { code: 'network', message: clip(`cannot connect (${reason})${after}: ${info.baseUrl}`, 200) };
  }
  if (e instanceof lib.APIError && e.status !== undefined) {
    const detail = clip(e.message.replace(/^\d{3}\s*/, ''), 160);
    // The client retries only these (as its shouldRetry does).
    const retried = e.status === 408 || e.status === 409 || e.status === 429 || e.status >= 500 ? after : '';
    if (e.status === 429) return { code: 'rate_limited', message: `rate limited (HTTP 429)${retried}: ${detail}` };
    return { code: 'http_error', message: `HTTP ${e.status}${retried}: ${detail}` };
  }
  const message = e instanceof Error ? e.message : String(e);
  return { code: 'http_error', message: clip(`bad answer from the server: ${message}`, 200) };
}

// ---------------------------------------------------------------------------------------------
// The planner

/** A 31-bit seed from the base seed, the episode and the step (FNV-1a). */
export function requestSeed(base: number, episode: string, step: number): number {
  let h = 0x811c9dc5;
  for (const c of `${base}:${episode}:${step}`) {
    h ^= c.charCodeAt(0);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) & 0x7fffffff;
}

const nonNegative = (name: string, v: number | undefined): void => {
  if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new RemotePlannerError('bad_option', `${name} must be a non-negative number, got ${v}`);
};

export class RemotePlanner implements Planner {
  readonly name: string;
  private readonly options: RemotePlannerOptions;
  private readonly mode: RemoteMode;
  private client: OpenAI | null = null;
  private episode = 'none';
  private spent = { tokens: 0, costUsd: 0 };

  constructor(options: RemotePlannerOptions) {
    const problem = baseUrlProblem(options.baseUrl);
    if (problem !== null) throw new RemotePlannerError('bad_option', `the base URL ${problem}`);
    if (options.model.trim() === '') throw new RemotePlannerError('bad_option', 'the model name is empty');
    for (const [name, v] of Object.entries({ temperature: options.temperature, maxTokens: options.maxTokens, timeoutMs: options.timeoutMs, maxRetries: options.maxRetries })) nonNegative(name, v);
    nonNegative('budget.maxTokens', options.budget?.maxTokens);
    nonNegative('budget.maxCostUsd', options.budget?.maxCostUsd);
    nonNegative('budget.prices.prompt', options.budget?.prices?.prompt);
    nonNegative('budget.prices.completion', options.budget?.prices?.completion);
    if (options.budget?.maxCostUsd !== undefined && options.budget.prices === undefined) {
      throw new RemotePlannerError('bad_option', 'a cost budget needs prices per million prompt and completion tokens');
    }
    this.options = options;
    this.mode = options.mode ?? REMOTE_DEFAULTS.mode;
    this.name = options.name ?? 'remote';
  }

  reset(info: EpisodeInfo): void {
    this.episode = `${info.family}:${info.seed}`;
    this.spent = { tokens: 0, costUsd: 0 };
  }

  /** Tokens and dollars spent in this episode. */
  get spending(): { tokens: number; costUsd: number } {
    return { ...this.spent };
  }

  private clientFor(lib: Sdk): OpenAI {
    if (this.client !== null) return this.client;
    const env = this.options.env ?? (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
    const key = env[this.options.apiKeyEnv ?? REMOTE_DEFAULTS.apiKeyEnv];
    const hasKey = key !== undefined && key.trim() !== '';
    this.client = new lib.OpenAI({
      baseURL: this.options.baseUrl,
      // The client insists on a key; without one, no Authorization header is sent at all.
      apiKey: hasKey ? key.trim() : 'none',
      defaultHeaders: hasKey ? undefined : { Authorization: null },
      // Nothing else is read from the environment.
      adminAPIKey: null,
      organization: null,
      project: null,
      webhookSecret: null,
      timeout: this.options.timeoutMs ?? REMOTE_DEFAULTS.timeoutMs,
      maxRetries: this.options.maxRetries ?? REMOTE_DEFAULTS.maxRetries,
      logLevel: 'off',
      dangerouslyAllowBrowser: true,
    });
    return this.client;
  }

  private budgetFailure(): DecisionFailure | null {
    const budget = this.options.budget;
    if (budget?.maxTokens !== undefined && this.spent.tokens >= budget.maxTokens) {
      return { code: 'budget_exhausted', message: `token budget spent (${this.spent.tokens} of ${budget.maxTokens})` };
    }
    if (budget?.maxCostUsd !== undefined && this.spent.costUsd >= budget.maxCostUsd) {
      return { code: 'budget_exhausted', message: `cost budget spent ($${this.spent.costUsd.toFixed(4)} of $${budget.maxCostUsd})` };
    }
    return null;
  }

  private spend(usage: RemoteAnswer['usage']): void {
    if (usage === null) return;
    const prices = this.options.budget?.prices;
    this.spent.tokens += usage.prompt + usage.completion;
    if (prices !== undefined) this.spent.costUsd += (usage.prompt * prices.prompt + usage.completion * prices.completion) / 1e6;
  }

  async decide(context: PlannerContext, options: { signal?: AbortSignal } = {}): Promise<Decision> {
    const prompt = renderPrompt(context, { format: this.options.promptFormat ?? LATEST_PROMPT_FORMAT });
    const failed = (failure: DecisionFailure, raw = '', stats: DecisionStats = {}): Decision => ({ thought: '', action: null, raw, failure, stats });
    if (options.signal?.aborted) return failed({ code: 'aborted', message: 'the request was cancelled' });
    const exhausted = this.budgetFailure();
    if (exhausted !== null) return failed(exhausted);

    const lib = await loadSdk();
    const answer = await this.ask(lib, prompt.text, requestSeed(this.options.seed ?? 0, this.episode, context.observation.step + 1), options.signal);
    if ('code' in answer) return failed(answer);
    this.spend(answer.usage);
    const stats: DecisionStats = answer.usage === null ? {} : { tokens: answer.usage.completion, promptTokens: answer.usage.prompt };
    const raw = rawOf(answer);
    if (answer.refusal.trim() !== '') return failed({ code: 'refusal', message: clip(`the model refused: ${answer.refusal.trim()}`, 200) }, raw, stats);
    if (answer.content.trim() === '' && answer.toolCalls.length === 0) return failed({ code: 'empty', message: 'empty answer: no text and no tool call' }, raw, stats);

    const thought = thoughtOf(answer.content);
    const result = actionOfAnswer(answer, this.mode, prompt, allowedEntities(context, prompt));
    if (!result.ok) return { thought, action: null, raw, error: result.error, stats };
    return { thought, action: result.action, raw, stats };
  }

  /** One request (retried by the client), streamed or not, or why it failed. */
  private async ask(lib: Sdk, promptText: string, seed: number, signal: AbortSignal | undefined): Promise<RemoteAnswer | DecisionFailure> {
    const client = this.clientFor(lib);
    const timeoutMs = this.options.timeoutMs ?? REMOTE_DEFAULTS.timeoutMs;
    // The client's timeout covers each attempt up to the response headers; silence in the body after them is
    // timed here, through a controller that also follows the caller's signal.
    const controller = new AbortController();
    const state = { timedOut: false, aborted: false };
    const onAbort = (): void => {
      state.aborted = true;
      controller.abort();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        state.timedOut = true;
        controller.abort();
      }, timeoutMs);
    };
    const body = {
      model: this.options.model,
      messages: [
        { role: 'system' as const, content: SYSTEM_TEXT[this.mode] },
        { role: 'user' as const, content: promptText },
      ],
      temperature: this.options.temperature ?? REMOTE_DEFAULTS.temperature,
      max_tokens: this.options.maxTokens ?? REMOTE_DEFAULTS.maxTokens,
      seed,
      ...(this.mode === 'tools' ? { tools: skillTools(), tool_choice: 'auto' as const } : {}),
    };
    try {
      if (this.options.stream === true) {
        const stream = await client.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } }, { signal: controller.signal });
        const acc = new ChunkAccumulator();
        arm();
        for await (const chunk of stream) {
          arm();
          acc.add(chunk);
        }
        // The client's stream ends quietly when aborted: a partial answer is no answer.
        if (state.timedOut || state.aborted) throw new Error('the stream was interrupted');
        return acc.answer();
      }
      const response = await client.chat.completions.create({ ...body, stream: false }, { signal: controller.signal }).asResponse();
      arm();
      const text = await response.text();
      if (state.timedOut || state.aborted) throw new Error('the answer was interrupted');
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return { code: 'http_error', message: clip(`the server's answer is not JSON: ${text.slice(0, 80)}`, 200) };
      }
      return answerOfCompletion(json);
    } catch (e) {
      return failureOf(e, lib, { ...state, timeoutMs, retries: this.options.maxRetries ?? REMOTE_DEFAULTS.maxRetries, baseUrl: this.options.baseUrl });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }
}
