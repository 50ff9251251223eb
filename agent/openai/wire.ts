// The OpenAI chat-completions protocol, as far as Umwelt speaks it (both ways: `umwelt serve` answers it, the
// remote planner asks it): zod schemas for the request (a server must treat it as untrusted input), and the
// shapes of a completion, a streamed chunk, a model list and an error. Field names are the protocol's.
// Requests are strict: an unknown field is a 400 naming it (as OpenAI does), except for a few well-known
// parameters accepted and ignored (listed in IGNORED_PARAMETERS) so that ordinary clients work unchanged.
import { z } from 'zod';

const text = z.string().max(1_000_000);
const textPart = z.strictObject({ type: z.literal('text'), text });
/** A message's content: a string, or text parts (no images or audio here). */
const content = z.union([text, z.array(textPart).max(256)]);

const toolCall = z.strictObject({
  id: z.string().min(1).max(256),
  type: z.literal('function'),
  function: z.strictObject({ name: z.string().min(1).max(64), arguments: z.string().max(100_000) }),
});

const message = z.discriminatedUnion('role', [
  z.strictObject({ role: z.literal('system'), content, name: z.string().max(256).optional() }),
  z.strictObject({ role: z.literal('developer'), content, name: z.string().max(256).optional() }),
  z.strictObject({ role: z.literal('user'), content, name: z.string().max(256).optional() }),
  z.strictObject({
    role: z.literal('assistant'),
    content: content.nullable().optional(),
    name: z.string().max(256).optional(),
    refusal: z.string().nullable().optional(),
    tool_calls: z.array(toolCall).max(64).optional(),
  }),
  z.strictObject({ role: z.literal('tool'), content, tool_call_id: z.string().min(1).max(256) }),
]);

const FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const tool = z.strictObject({
  type: z.literal('function'),
  function: z.strictObject({
    name: z.string().regex(FUNCTION_NAME, 'must be 1 to 64 letters, digits, _ or -'),
    description: z.string().max(10_000).optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullable().optional(),
  }),
});

const toolChoice = z.union([
  z.enum(['none', 'auto', 'required']),
  z.strictObject({ type: z.literal('function'), function: z.strictObject({ name: z.string().regex(FUNCTION_NAME) }) }),
]);

/** Parameters that ordinary clients send and that change nothing here; accepted (type-checked) and ignored. */
export const IGNORED_PARAMETERS = ['user', 'presence_penalty', 'frequency_penalty', 'logit_bias', 'parallel_tool_calls', 'store', 'metadata', 'service_tier'] as const;

export const ChatCompletionRequestSchema = z
  .strictObject({
    model: z.string().min(1).max(256),
    messages: z.array(message).min(1, 'must hold at least one message').max(1024),
    stream: z.boolean().nullable().optional(),
    stream_options: z.strictObject({ include_usage: z.boolean().optional(), include_obfuscation: z.boolean().optional() }).nullable().optional(),
    temperature: z.number().min(0).max(2).nullable().optional(),
    top_p: z.number().gt(0).max(1).nullable().optional(),
    max_tokens: z.number().int().min(1).nullable().optional(),
    max_completion_tokens: z.number().int().min(1).nullable().optional(),
    seed: z.number().int().nullable().optional(),
    stop: z.union([z.string().min(1).max(256), z.array(z.string().min(1).max(256)).max(4)]).nullable().optional(),
    n: z.literal(1, { message: 'only n = 1 is supported' }).nullable().optional(),
    tools: z.array(tool).max(128).optional(),
    tool_choice: toolChoice.optional(),
    response_format: z.strictObject({ type: z.literal('text') }).optional(),
    logprobs: z.literal(false, { message: 'logprobs are not supported' }).nullable().optional(),
    user: z.string().max(256).optional(),
    presence_penalty: z.number().min(-2).max(2).nullable().optional(),
    frequency_penalty: z.number().min(-2).max(2).nullable().optional(),
    logit_bias: z.record(z.string(), z.number()).nullable().optional(),
    parallel_tool_calls: z.boolean().optional(),
    store: z.boolean().nullable().optional(),
    metadata: z.record(z.string(), z.string()).nullable().optional(),
    service_tier: z.string().nullable().optional(),
  })
  .refine((r) => r.tool_choice === undefined || r.tool_choice === 'none' || (r.tools !== undefined && r.tools.length > 0), {
    message: 'tool_choice needs tools',
    path: ['tool_choice'],
  })
  .refine((r) => typeof r.tool_choice !== 'object' || (r.tools ?? []).some((t) => typeof r.tool_choice === 'object' && t.function.name === r.tool_choice.function.name), {
    message: 'tool_choice names a function that is not among the tools',
    path: ['tool_choice'],
  });

export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequestSchema>;
export type ChatMessage = ChatCompletionRequest['messages'][number];
export type ToolDefinition = z.infer<typeof tool>;
export type ToolChoice = z.infer<typeof toolChoice>;

/** The text of a message's content (text parts joined by newlines). */
export function contentText(c: string | { type: 'text'; text: string }[] | null | undefined): string {
  if (c === null || c === undefined) return '';
  return typeof c === 'string' ? c : c.map((p) => p.text).join('\n');
}

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export type FinishReason = 'stop' | 'length' | 'tool_calls';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  system_fingerprint: string;
  choices: {
    index: 0;
    message: { role: 'assistant'; content: string | null; refusal: null; tool_calls?: ToolCall[] };
    finish_reason: FinishReason;
    logprobs: null;
  }[];
  usage: Usage;
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  system_fingerprint: string;
  choices: {
    index: 0;
    delta: { role?: 'assistant'; content?: string; tool_calls?: { index: number; id?: string; type?: 'function'; function: { name?: string; arguments?: string } }[] };
    finish_reason: FinishReason | null;
    logprobs: null;
  }[];
  usage?: Usage | null;
}

export interface ModelList {
  object: 'list';
  data: { id: string; object: 'model'; created: number; owned_by: string }[];
}

export type ErrorType = 'invalid_request_error' | 'authentication_error' | 'not_found_error' | 'rate_limit_error' | 'server_error' | 'timeout_error';

export interface ErrorBody {
  error: { message: string; type: ErrorType; param: string | null; code: string | null };
}
