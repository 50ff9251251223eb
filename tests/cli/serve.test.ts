// `umwelt serve`: a real HTTP server on 127.0.0.1 with a small random-weight planner model, driven by the
// official `openai` client (models, a completion, a streamed one, a tool call), by raw requests for every
// refusal (401, 404, 405, 413, 400 with the field named, 429, 504), by fuzzed bodies (fast-check: 400s, never
// a crash), by a client that disconnects mid-stream, and by a bounded load test (autocannon).
import autocannon from 'autocannon';
import fc from 'fast-check';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineFor } from '../../agent/planners/lm.ts';
import { CpuAsyncEngine } from '../../agent/lm/engine/async.ts';
import { actionOfToolCall, skillTools, TOOL_KINDS } from '../../agent/openai/tools.ts';
import { ChatCompletionRequestSchema } from '../../agent/openai/wire.ts';
import { fitHistory, mentionedEntities } from '../../cli/serve/completion.ts';
import { startServer, type RunningServer, type ServeOptions } from '../../cli/serve/server.ts';
import { oracleTexts, tinyBundle, type TinyBundle } from '../fixtures/lm-bundle.ts';

const KEY = 'sk-test-key';
const MODEL = 'umwelt-planner';
let bundle: TinyBundle;
let prompt = '';
let server: RunningServer;
const extra: RunningServer[] = [];

async function serve(overrides: Partial<ServeOptions> = {}): Promise<RunningServer> {
  const s = await startServer({ bundle, engine: new CpuAsyncEngine(engineFor(bundle)), modelName: MODEL, host: '127.0.0.1', port: 0, apiKey: KEY, maxBodyBytes: 64 * 1024, maxTokens: 256, queueCapacity: 4, timeoutMs: 10_000, ...overrides });
  if (Object.keys(overrides).length > 0) extra.push(s);
  return s;
}

const post = (s: RunningServer, body: string, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${s.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}`, ...headers }, body });

const request = (overrides: Record<string, unknown> = {}): string => JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: prompt }], max_tokens: 16, temperature: 0, ...overrides });

beforeAll(async () => {
  bundle = await tinyBundle({ layers: 1, dModel: 32 });
  // A real shared prompt (the oracle's first step of a search episode).
  prompt = (await oracleTexts([['search', 1_000_001]]))[0] ?? '';
  server = await serve();
});

afterAll(async () => {
  await Promise.all([server, ...extra].map((s) => s.close()));
});

describe('umwelt serve, through the openai client', () => {
  it('lists its model, completes, streams the same text, and answers with a tool call', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: KEY, maxRetries: 0 });
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual([MODEL]);

    // Sampled with a seed: the same request gives the same answer.
    const completion = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: prompt }], max_tokens: 12, temperature: 1, seed: 4 });
    const choice = completion.choices[0]!;
    expect(typeof choice.message.content).toBe('string');
    expect(['stop', 'length']).toContain(choice.finish_reason);
    expect(completion.usage?.prompt_tokens).toBeGreaterThan(50);
    expect(completion.usage?.completion_tokens).toBeGreaterThan(0);
    expect(completion.usage?.completion_tokens).toBeLessThanOrEqual(12);

    // Streamed, the same request gives the same text, and the usage at the end.
    const stream = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: prompt }], max_tokens: 12, temperature: 1, seed: 4, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(choice.message.content);
    expect(finish).toBe(choice.finish_reason);
    expect(usage).toEqual(completion.usage);

    // Tools: the model's action comes back as a tool call that the action grammar accepts, naming only what the
    // prompt mentions.
    const tools = skillTools().map((t) => ({ type: 'function' as const, function: { name: t.function.name, ...(t.function.description ? { description: t.function.description } : {}), ...(t.function.parameters ? { parameters: t.function.parameters } : {}) } }));
    for (const seed of [1, 2, 3]) {
      const called = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: prompt }], tools, tool_choice: 'required', temperature: 1, seed, max_tokens: 64 });
      const call = called.choices[0]!.message.tool_calls?.[0];
      expect(called.choices[0]!.finish_reason).toBe('tool_calls');
      if (call === undefined || call.type !== 'function') throw new Error('no function tool call');
      expect(TOOL_KINDS as readonly string[]).toContain(call.function.name);
      const parsed = actionOfToolCall(call.function.name, call.function.arguments);
      if (!parsed.ok) throw new Error(parsed.error.message);
      const named = Object.values(parsed.action).filter((v): v is string => typeof v === 'string' && v !== parsed.action.kind);
      const mentioned = mentionedEntities(prompt);
      for (const v of named) if (parsed.action.kind !== 'say') expect(mentioned).toContain(v);
    }
    // A stop string cuts the text before it.
    const stopped = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: prompt }], max_tokens: 40, temperature: 1, seed: 5, stop: ['e'] });
    expect(stopped.choices[0]!.message.content).not.toContain('e');
  });

  it('refuses a wrong or missing key (401) and an unknown model (404), as typed client errors', async () => {
    const wrong = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'sk-wrong', maxRetries: 0 });
    await expect(wrong.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const none = await fetch(`${server.url}/v1/models`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { type: string } }).error.type).toBe('authentication_error');
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: KEY, maxRetries: 0 });
    await expect(client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });
});

describe('fitting a prompt to the model', () => {
  it('drops the oldest History lines first, then says none, and leaves other prompts alone', () => {
    const words = (t: string): number[] => t.split(/\s+/).filter((w) => w).map(() => 0);
    const text = 'Task: go.\nSee:\nred mug #1\nHistory:\n1. goto(#1): ok\n2. pick(#1): failed out_of_reach\n3. goto(#1): ok\n';
    expect(fitHistory(text, words, 100).prompt).toBe(text);
    expect(fitHistory(text, words, words(text).length - 2).prompt).toBe('Task: go.\nSee:\nred mug #1\nHistory:\n2. pick(#1): failed out_of_reach\n3. goto(#1): ok\n');
    expect(fitHistory(text, words, 8).prompt).toBe('Task: go.\nSee:\nred mug #1\nHistory: none\n');
    expect(fitHistory('no history here at all', words, 2).prompt).toBe('no history here at all');
  });
});

describe('umwelt serve, raw requests', () => {
  it('answers bad requests with OpenAI-shaped errors naming what is wrong', async () => {
    const cases: { body: string; status: number; match: RegExp }[] = [
      { body: '{"model": ', status: 400, match: /not valid JSON/ },
      { body: JSON.stringify({ model: MODEL, messages: [] }), status: 400, match: /messages: must hold at least one message/ },
      { body: request({ temperature: 3 }), status: 400, match: /temperature/ },
      { body: request({ max_tokens: 100_000 }), status: 400, match: /max_tokens must be at most 256/ },
      { body: request({ frobnicate: true }), status: 400, match: /frobnicate/ },
      { body: request({ n: 2 }), status: 400, match: /only n = 1/ },
      { body: JSON.stringify({ model: MODEL, messages: [{ role: 'system', content: 'hi' }] }), status: 400, match: /user message/ },
      { body: request({ messages: [{ role: 'user', content: 'word '.repeat(3000) }] }), status: 400, match: /reads at most/ },
      { body: request({ tool_choice: 'required' }), status: 400, match: /tool_choice needs tools/ },
    ];
    for (const c of cases) {
      const res = await post(server, c.body);
      const body = (await res.json()) as { error: { message: string; type: string } };
      expect(res.status, c.body.slice(0, 80)).toBe(c.status);
      expect(body.error.type).toBe('invalid_request_error');
      expect(body.error.message).toMatch(c.match);
    }
    expect((await fetch(`${server.url}/v1/chat/completions`, { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(405);
    expect((await fetch(`${server.url}/nope`, { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(404);
  });

  it('refuses an oversize body with 413, declared or streamed', async () => {
    const big = request({ messages: [{ role: 'user', content: 'x'.repeat(100_000) }] });
    const res = await post(server, big);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('request_too_large');
    // Without a Content-Length (chunked), the limit holds as the bytes arrive.
    const chunked = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode('y'.repeat(10_000)));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit & { duplex: 'half' });
    expect(chunked.status).toBe(413);
  });

  it('gets 400s for fuzzed bodies, never a crash', async () => {
    const requestLike = fc.record(
      {
        model: fc.oneof(fc.constant(MODEL), fc.string()),
        messages: fc.oneof(fc.array(fc.record({ role: fc.constantFrom('user', 'system', 'assistant', 'tool', 'robot'), content: fc.oneof(fc.string(), fc.integer(), fc.constant(null)) }), { maxLength: 3 }), fc.anything()),
        max_tokens: fc.oneof(fc.integer({ min: -5, max: 100_000 }), fc.string()),
        temperature: fc.oneof(fc.double(), fc.constant('hot')),
        tools: fc.anything(),
        stream: fc.anything(),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue(), requestLike, fc.string()), async (value) => {
        const body = typeof value === 'string' ? value : JSON.stringify(value);
        const res = await post(server, body ?? 'null');
        const text = await res.text();
        expect([200, 400, 404]).toContain(res.status);
        let json: unknown = null;
        try {
          json = JSON.parse(body ?? '');
        } catch {
          json = undefined;
        }
        if (json === undefined || !ChatCompletionRequestSchema.safeParse(json).success) expect(res.status, text.slice(0, 200)).toBe(400);
      }),
      { numRuns: 60, seed: 7 },
    );
    expect((await fetch(`${server.url}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(200);
  });

  it('answers 429 when its queue is full, 504 past its time limit, and cancels a completion whose client leaves', async () => {
    const busy = await serve({ queueCapacity: 0 });
    const long = request({ max_tokens: 200, temperature: 1 });
    const statuses = await Promise.all(Array.from({ length: 6 }, () => post(busy, long).then(async (r) => (await r.text(), r.status))));
    expect(statuses).toContain(200);
    expect(statuses).toContain(429);
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);

    const slow = await serve({ timeoutMs: 1 });
    const timedOut = await post(slow, long);
    expect(timedOut.status).toBe(504);
    expect(((await timedOut.json()) as { error: { type: string } }).error.type).toBe('timeout_error');

    const leaving = await serve({});
    const controller = new AbortController();
    const res = await fetch(`${leaving.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: request({ max_tokens: 250, temperature: 1, stream: true }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    await reader.read(); // the first chunk
    controller.abort();
    await reader.cancel().catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(leaving.stats.cancelled + leaving.stats.completed).toBe(1);
    // The queue is free again.
    expect((await post(leaving, request())).status).toBe(200);
  });

  it('holds under load: concurrent clients get 200s or intended 429s, with latency percentiles', async () => {
    const loaded = await serve({ queueCapacity: 8 });
    const times: number[] = [];
    const result = await new Promise<autocannon.Result>((resolve, reject) => {
      const instance = autocannon(
        {
          url: `${loaded.url}/v1/chat/completions`,
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
          body: request({ max_tokens: 8 }),
          connections: 8,
          amount: 48,
          timeout: 20,
        },
        (err: unknown, r: autocannon.Result) => (err ? reject(err instanceof Error ? err : new Error(JSON.stringify(err))) : resolve(r)),
      );
      instance.on('response', (_client, status, _bytes, ms) => {
        if (status === 200) times.push(ms);
      });
    });
    const percentile = (q: number): number => {
      const sorted = [...times].sort((a, b) => a - b);
      return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
    };
    const ok = result['2xx'];
    const limited = result.statusCodeStats?.['429']?.count ?? 0;
    expect(result.errors).toBe(0);
    expect(result.timeouts).toBe(0);
    expect(ok + limited).toBe(48);
    expect(ok).toBeGreaterThan(0);
    expect(times).toHaveLength(ok);
    expect(percentile(0.5)).toBeGreaterThan(0);
    expect(percentile(0.95)).toBeGreaterThanOrEqual(percentile(0.5));
    process.stdout.write(`serve load: 8 connections, 48 requests: ${ok} ok, ${limited} 429; latency of the 200s p50 ${percentile(0.5).toFixed(1)} ms, p95 ${percentile(0.95).toFixed(1)} ms\n`);
  });
});

describe('the umwelt serve command', () => {
  it('prints its address, serves, stops on the signal with 130, and takes its key from the named variable only', async () => {
    const { serveCommand } = await import('../../cli/commands/serve.ts');
    const { memoryOutput } = await import('../../cli/output.ts');
    const { UsageError } = await import('../../cli/errors.ts');
    const base = { host: '127.0.0.1', port: 0, modelName: MODEL, checkpoint: bundle.path, maxBody: 65536, maxTokens: 64, queue: 2, timeout: 5000 };
    await expect(serveCommand({ ...base, apiKeyEnv: 'UMWELT_TEST_UNSET_KEY' }, memoryOutput(), undefined, {})).rejects.toBeInstanceOf(UsageError);
    await expect(serveCommand({ ...base, apiKeyEnv: 'not a name' }, memoryOutput(), undefined, {})).rejects.toThrow(/NAME of an environment variable/);
    const out = memoryOutput();
    const stop = new AbortController();
    let url = '';
    const done = serveCommand({ ...base, apiKeyEnv: 'SERVE_KEY' }, out, stop.signal, { SERVE_KEY: 'from-env' }, (s) => {
      url = s.url;
    });
    while (url === '') await new Promise((resolve) => setTimeout(resolve, 10));
    expect(out.stdout()).toContain(`on ${url}/v1`);
    expect((await fetch(`${url}/v1/models`, { headers: { authorization: 'Bearer from-env' } })).status).toBe(200);
    expect((await fetch(`${url}/v1/models`, { headers: { authorization: 'Bearer other' } })).status).toBe(401);
    stop.abort();
    expect(await done).toBe(130);
    expect(out.stdout()).toMatch(/Stopped after 2 requests/);
  });
});
