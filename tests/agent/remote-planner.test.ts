// The remote-LLM planner against a scripted OpenAI-compatible server: every odd thing a server or a model does
// (malformed or unknown tool calls, unknown marks and ids, prose without an action, refusals, empty answers, HTTP
// errors, hangs, refused connections) is a typed outcome, never an executed invalid action; retries, streaming,
// the API key's variable, the budget and cancellation work as the options say.
import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { actionEntities, formatAction, parseAction } from '../../agent/grammar.ts';
import { runEpisode, type LoopEvent } from '../../agent/loop.ts';
import type { Decision, PlannerContext } from '../../agent/planner.ts';
import { makePlanner } from '../../agent/planners/index.ts';
import { allowedEntities } from '../../agent/planners/lm.ts';
import {
  actionOfAnswer,
  ChunkAccumulator,
  RemotePlanner,
  RemotePlannerError,
  SYSTEM_TEXT,
  type RemoteAnswer,
  type RemotePlannerOptions,
} from '../../agent/planners/remote.ts';
import { renderPrompt, type RenderedPrompt } from '../../agent/prompt.ts';
import { familyEnv } from '../../scenes/env.ts';
import { remoteOptions, type RunOptions, type RunReport } from '../../cli/commands/run.ts';
import { UsageError } from '../../cli/errors.ts';
import { memoryOutput } from '../../cli/output.ts';
import { runCli } from '../../cli/program.ts';
import {
  answer,
  chunks,
  httpError,
  messagesOf,
  refusedBaseUrl,
  scriptedServer,
  streamed,
  type Reply,
  type Script,
  type ScriptedServer,
} from '../fixtures/scripted-openai-server.ts';

let context: PlannerContext;
let prompt: RenderedPrompt;
/** An entity id the prompt names with mark #1, and one the world has but the agent was never shown. */
let firstId: string;
let hiddenId: string;

beforeAll(() => {
  const env = familyEnv('goto', { maxSteps: 6 });
  const { obs } = env.reset({ seed: 1_000_000 });
  context = { instruction: obs.instruction, observation: obs, history: [], memories: [] };
  prompt = renderPrompt(context);
  firstId = prompt.marks.ids[0] ?? '';
  const known = new Set(allowedEntities(context, prompt));
  hiddenId = env.world.entityList.map((e) => e.id).find((id) => !known.has(id)) ?? 'mug_99';
});

const servers: ScriptedServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(script: Script): Promise<ScriptedServer> {
  const server = await scriptedServer(script);
  servers.push(server);
  return server;
}

const planner = (baseUrl: string, options: Partial<RemotePlannerOptions> = {}): RemotePlanner =>
  new RemotePlanner({ baseUrl, model: 'scripted', env: {}, maxRetries: 0, timeoutMs: 2000, ...options });

/** One decision against a server answering with `replies`. */
async function decideWith(replies: Reply[], options: Partial<RemotePlannerOptions> = {}): Promise<{ decision: Decision; server: ScriptedServer }> {
  const server = await serve(replies);
  const decision = await planner(server.baseUrl, options).decide(context, {});
  return { decision, server };
}

const tool = (name: string, args: string): Reply => answer({ content: 'Thought: on my way.', toolCalls: [{ name, arguments: args }] });

describe('the remote planner, one answer at a time', () => {
  it('sends the shared prompt with the skills as tools and executes a proper tool call', async () => {
    const { decision, server } = await decideWith([tool('goto', '{"target":"#1"}')]);
    expect(decision.action).toEqual({ kind: 'goto', target: firstId });
    expect(decision.thought).toBe('on my way.');
    expect(decision.stats).toEqual({ tokens: 5, promptTokens: 20 });
    const [request] = server.requests;
    expect(messagesOf(request)).toEqual([
      { role: 'system', content: SYSTEM_TEXT.tools },
      { role: 'user', content: prompt.text },
    ]);
    const body = request?.body as Record<string, unknown>;
    expect(body).toMatchObject({ model: 'scripted', temperature: 0, max_tokens: 256, tool_choice: 'auto' });
    expect((body.tools as unknown[]).length).toBe(8);
    expect(Number.isInteger(body.seed)).toBe(true);
    expect(request?.headers.authorization).toBeUndefined();
  });

  it('reads the Action line of prose, in text mode without tools and in tools mode without a tool call', async () => {
    const prose = 'Sure! Let me think.\nThought: the first place is close.\n**Action:** `goto(#1)`\nHope that helps.';
    const text = await decideWith([answer({ content: prose })], { mode: 'text' });
    expect(text.decision.action).toEqual({ kind: 'goto', target: firstId });
    expect(text.decision.thought).toBe('the first place is close.');
    expect(text.server.requests[0]?.body).not.toHaveProperty('tools');
    expect(messagesOf(text.server.requests[0])[0]?.content).toBe(SYSTEM_TEXT.text);
    const tools = await decideWith([answer({ content: prose })]);
    expect(tools.decision.action).toEqual({ kind: 'goto', target: firstId });
  });

  it('turns prose without an action into the grammar error "empty"', async () => {
    const { decision } = await decideWith([answer({ content: 'I would love to help, but where am I?' })]);
    expect(decision.action).toBeNull();
    expect(decision.error?.code).toBe('empty');
    expect(decision.raw).toContain('where am I');
  });

  it('refuses malformed tool calls: bad JSON, missing or extra arguments, an unknown tool', async () => {
    const cases: [Reply, string][] = [
      [tool('goto', '{"target": "#1"'), 'syntax'],
      [tool('goto', '{}'), 'arity'],
      [tool('goto', '{"target":"#1","speed":"fast"}'), 'arity'],
      [tool('teleport', '{"target":"#1"}'), 'unknown_action'],
      [tool('goto', '{"target":"#1); done("}'), 'bad_argument'],
    ];
    for (const [reply, code] of cases) {
      const { decision } = await decideWith([reply]);
      expect(decision.action, code).toBeNull();
      expect(decision.error?.code).toBe(code);
    }
  });

  it('refuses an unknown mark, an id the agent does not know, and actions the prompt does not offer', async () => {
    const mark = await decideWith([tool('goto', '{"target":"#999"}')]);
    expect(mark.decision.error?.code).toBe('unknown_mark');
    const id = await decideWith([tool('goto', JSON.stringify({ target: hiddenId }))]);
    expect(id.decision.error).toMatchObject({ code: 'bad_argument', message: expect.stringContaining(`unknown entity ${hiddenId}`) as unknown });
    const move = await decideWith([answer({ content: 'Action: move(1, 0)' })]);
    expect(move.decision.error?.code).toBe('unknown_action');
    const byId = await decideWith([tool('goto', JSON.stringify({ target: firstId }))]);
    expect(byId.decision.action).toEqual({ kind: 'goto', target: firstId });
  });

  it('reports a refusal and an empty answer as typed failures', async () => {
    const refusal = await decideWith([answer({ refusal: "I can't help with that." })]);
    expect(refusal.decision).toMatchObject({ action: null, failure: { code: 'refusal', message: expect.stringContaining("can't help") as unknown } });
    const empty = await decideWith([answer({ content: '' })]);
    expect(empty.decision).toMatchObject({ action: null, failure: { code: 'empty' } });
    const noChoices = await decideWith([{ kind: 'json', body: { id: 'x', choices: [] } }]);
    expect(noChoices.decision.failure?.code).toBe('empty');
    const notJson = await decideWith([{ kind: 'json', body: 'oops' }]);
    expect(notJson.decision.failure?.code).toBe('empty');
  });

  it('retries 429 and 500 (the client does) and then answers', async () => {
    const rate = await decideWith([httpError(429, 'slow down', 'rate_limit_error'), tool('goto', '{"target":"#1"}')], { maxRetries: 2 });
    expect(rate.decision.action).toEqual({ kind: 'goto', target: firstId });
    expect(rate.server.requests).toHaveLength(2);
    const server = await decideWith([httpError(500, 'boom', 'server_error'), tool('goto', '{"target":"#1"}')], { maxRetries: 2 });
    expect(server.decision.action).toEqual({ kind: 'goto', target: firstId });
    expect(server.server.requests).toHaveLength(2);
  });

  it('reports HTTP errors that outlast the retries', async () => {
    const rate = await decideWith([httpError(429, 'slow down', 'rate_limit_error'), httpError(429, 'slow down', 'rate_limit_error')], { maxRetries: 1 });
    expect(rate.decision.failure).toMatchObject({ code: 'rate_limited', message: expect.stringContaining('after 1 retry') as unknown });
    expect(rate.server.requests).toHaveLength(2);
    const bad = await decideWith([httpError(400, 'model not found', 'invalid_request_error')], { maxRetries: 2 });
    expect(bad.decision.failure).toMatchObject({ code: 'http_error', message: expect.stringContaining('HTTP 400') as unknown });
    expect(bad.server.requests).toHaveLength(1);
  });

  it('times out on a server that never answers, within a bounded time', async () => {
    const started = performance.now();
    const { decision, server } = await decideWith([{ kind: 'hang' }, { kind: 'hang' }], { timeoutMs: 300, maxRetries: 0 });
    expect(decision.failure).toMatchObject({ code: 'timeout', message: expect.stringContaining('300 ms') as unknown });
    expect(performance.now() - started).toBeLessThan(3000);
    expect(server.requests).toHaveLength(1);
  });

  it('times out on an answer that goes silent after its headers, streamed or not', async () => {
    const events = chunks({ content: 'Thought: hm' }).slice(0, 3);
    const server = await serve([
      { kind: 'stall', sse: true, text: events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('') },
      { kind: 'stall', sse: false, text: '{"id": "chatcmpl-1", "choices": [' },
    ]);
    for (const stream of [true, false]) {
      const started = performance.now();
      const decision = await planner(server.baseUrl, { timeoutMs: 300, stream }).decide(context, {});
      expect(decision.failure?.code, `stream ${stream}`).toBe('timeout');
      expect(performance.now() - started).toBeLessThan(3000);
    }
  });

  it('reports a refused connection as a network failure', async () => {
    const decision = await planner(await refusedBaseUrl()).decide(context, {});
    expect(decision).toMatchObject({ action: null, failure: { code: 'network', message: expect.stringContaining('ECONNREFUSED') as unknown } });
  });

  it('cancels the request when the signal aborts', async () => {
    const server = await serve(() => ({ kind: 'hang' }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = performance.now();
    const decision = await planner(server.baseUrl, { timeoutMs: 10_000 }).decide(context, { signal: controller.signal });
    expect(decision.failure?.code).toBe('aborted');
    expect(performance.now() - started).toBeLessThan(3000);
    const again = await planner(server.baseUrl).decide(context, { signal: controller.signal });
    expect(again.failure?.code).toBe('aborted');
    expect(server.requests).toHaveLength(1);
  });
});

describe('streaming', () => {
  it('accumulates content and tool-call deltas into the non-streamed answer', async () => {
    const spec = { content: 'Thought: to the first place.', toolCalls: [{ name: 'goto', arguments: '{"target":"#1"}' }] };
    const server = await serve([streamed(spec), answer(spec)]);
    const p = planner(server.baseUrl, { stream: true });
    const viaStream = await p.decide(context, {});
    const plain = await planner(server.baseUrl).decide(context, {});
    expect(viaStream).toEqual(plain);
    expect(viaStream.action).toEqual({ kind: 'goto', target: firstId });
    expect(server.requests[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('streams text answers and refusals too', async () => {
    const server = await serve([streamed({ content: 'Thought: close by.\nAction: goto(#1)' }), streamed({ refusal: 'No.' })]);
    const p = planner(server.baseUrl, { stream: true, mode: 'text' });
    expect((await p.decide(context, {})).action).toEqual({ kind: 'goto', target: firstId });
    expect((await p.decide(context, {})).failure?.code).toBe('refusal');
  });

  it('keeps a tool name sent in every delta whole', () => {
    const acc = new ChunkAccumulator();
    for (const c of chunks({ toolCalls: [{ name: 'goto', arguments: '{"target":"#1"}' }] })) acc.add(c);
    acc.add({ choices: [{ delta: { tool_calls: [{ index: 0, function: { name: 'goto' } }] } }] });
    acc.add('garbage');
    expect(acc.answer().toolCalls).toEqual([{ name: 'goto', arguments: '{"target":"#1"}' }]);
    expect(acc.answer().usage).toEqual({ prompt: 20, completion: 5 });
  });
});

describe('the API key and the budget', () => {
  it('reads the key from the environment variable the option names, and sends none without it', async () => {
    const server = await serve((request) => (request.headers.authorization === 'Bearer sk-scripted' ? tool('goto', '{"target":"#1"}') : httpError(401, 'bad key', 'authentication_error')));
    const withKey = await planner(server.baseUrl, { apiKeyEnv: 'UMWELT_TEST_KEY', env: { UMWELT_TEST_KEY: 'sk-scripted', OPENAI_API_KEY: 'sk-other' } }).decide(context, {});
    expect(withKey.action).toEqual({ kind: 'goto', target: firstId });
    const without = await planner(server.baseUrl, { apiKeyEnv: 'UMWELT_TEST_KEY', env: { OPENAI_API_KEY: 'sk-scripted' } }).decide(context, {});
    expect(without.failure).toMatchObject({ code: 'http_error', message: expect.stringContaining('HTTP 401') as unknown });
    expect(server.requests[1]?.headers.authorization).toBeUndefined();
  });

  it('stops calling the server once the token budget of the episode is spent, until the next episode', async () => {
    const server = await serve(() => tool('goto', '{"target":"#1"}'));
    const p = planner(server.baseUrl, { budget: { maxTokens: 50 } });
    p.reset({ seed: 1, family: 'goto', instruction: '' });
    expect((await p.decide(context, {})).action).not.toBeNull();
    expect((await p.decide(context, {})).action).not.toBeNull();
    const third = await p.decide(context, {});
    expect(third.failure).toMatchObject({ code: 'budget_exhausted', message: expect.stringContaining('50') as unknown });
    expect(server.requests).toHaveLength(2);
    p.reset({ seed: 2, family: 'goto', instruction: '' });
    expect((await p.decide(context, {})).action).not.toBeNull();
    expect(server.requests).toHaveLength(3);
  });

  it('stops on the cost budget, priced per million tokens', async () => {
    const server = await serve(() => tool('goto', '{"target":"#1"}'));
    // 20 prompt tokens at $10/M and 5 completion tokens at $40/M: $0.0004 a call.
    const p = planner(server.baseUrl, { budget: { maxCostUsd: 0.001, prices: { prompt: 10, completion: 40 } } });
    const decisions = [];
    for (let i = 0; i < 4; i++) decisions.push(await p.decide(context, {}));
    expect(decisions.map((d) => d.failure?.code ?? 'ok')).toEqual(['ok', 'ok', 'ok', 'budget_exhausted']);
    expect(server.requests).toHaveLength(3);
    expect(p.spending.costUsd).toBeCloseTo(0.0012, 10);
  });

  it('refuses unusable options', () => {
    expect(() => new RemotePlanner({ baseUrl: 'ftp://x', model: 'm' })).toThrow(RemotePlannerError);
    expect(() => new RemotePlanner({ baseUrl: 'http://x/v1', model: ' ' })).toThrow(/model/);
    expect(() => new RemotePlanner({ baseUrl: 'http://x/v1', model: 'm', budget: { maxCostUsd: 1 } })).toThrow(/prices/);
    expect(() => makePlanner('remote', familyEnv('goto'))).toThrow(/--base-url/);
  });
});

describe('an episode against a scripted server', () => {
  it('never executes an invalid action, and shows each bad answer in the next prompt', async () => {
    const bad: [Reply, string][] = [
      [tool('teleport', '{"target":"#1"}'), 'unknown tool'],
      [answer({ refusal: 'I will not.' }), 'the model refused'],
      [tool('goto', '{"target":'), 'not JSON'],
      [tool('goto', '{"target":"#77"}'), 'unknown mark #77'],
      [answer({ content: 'Hmm, no idea.' }), 'no `Action:` line'],
      [tool('pick', JSON.stringify({ object: hiddenId })), `unknown entity ${hiddenId}`],
      [httpError(500, 'overloaded', 'server_error'), 'HTTP 500'],
      [answer({ content: '' }), 'empty answer'],
    ];
    // Odd requests answer badly, even ones go to the first place (by tool call or by Action line, in turn).
    const script = (_: unknown, i: number): Reply =>
      i % 2 === 0 ? (bad[(i / 2) % bad.length]?.[0] ?? answer({})) : i % 4 === 1 ? tool('goto', '{"target":"#1"}') : answer({ content: 'Thought: there.\nAction: goto(#1)' });
    const server = await serve(script);
    const env = familyEnv('goto', { maxSteps: 16 });
    const events: LoopEvent[] = [];
    // Per step: the entities the agent knows, and the id that mark #1 names in that step's prompt.
    const known: Set<string>[] = [];
    const first: string[] = [];
    const p = planner(server.baseUrl);
    const tracking = {
      name: p.name,
      reset: p.reset.bind(p),
      decide: (c: PlannerContext, o: { signal?: AbortSignal }): Promise<Decision> => {
        const shown = renderPrompt(c);
        known.push(new Set(allowedEntities(c, shown)));
        first.push(shown.marks.ids[0] ?? '');
        return p.decide(c, o);
      },
    };
    const result = await runEpisode({ env, planner: tracking, seed: 1_000_000, onEvent: (e) => events.push(e) });
    expect(result.steps).toBeGreaterThanOrEqual(2 * bad.length);
    const ends = events.filter((e): e is Extract<LoopEvent, { type: 'action-end' }> => e.type === 'action-end');
    expect(ends).toHaveLength(result.steps);
    for (const end of ends) {
      if (end.step % 2 === 1) {
        expect(end.action).toBeNull();
        expect(end.outcome).toMatchObject({ ok: false, reason: 'invalid_action' });
      } else {
        expect(end.action).toEqual({ kind: 'goto', target: first[end.step - 1] });
      }
    }
    for (const start of events.filter((e): e is Extract<LoopEvent, { type: 'action-start' }> => e.type === 'action-start')) {
      for (const id of actionEntities(start.action)) {
        expect(env.world.entity(id)).toBeDefined();
        expect(known[start.step - 1]?.has(id)).toBe(true);
      }
    }
    // Each bad answer's reason is in the History of the prompt that follows it.
    for (let i = 0; i < bad.length; i++) {
      const next = messagesOf(server.requests[2 * i + 1])[1]?.content ?? '';
      const [, words] = bad[i] ?? [];
      expect(next, words).toContain(`${2 * i + 1}. (unparsable): failed invalid_action (`);
      expect(next, words).toContain(words);
    }
  });
});

describe('any answer text', () => {
  const known = (): string[] => allowedEntities(context, prompt);
  const fragments = fc.constantFrom('Action:', 'Thought:', 'goto', 'pick', 'place', 'move', 'done()', 'say("hi")', '(', ')', ',', '#1', '#2', '#999', '"', '\n', ' ', '`', '**', 'mug_3', 'kitchen_1');
  const text = fc.oneof(fc.string({ maxLength: 80 }), fc.array(fragments, { maxLength: 16 }).map((parts) => parts.join('')));

  it('never yields an action that does not parse, is not offered, or names an entity the agent does not know', () => {
    fc.assert(
      fc.property(text, fc.option(fc.record({ name: fc.oneof(fc.constantFrom('goto', 'pick', 'place', 'say', 'done', 'move'), fc.string({ maxLength: 8 })), arguments: text })), fc.constantFrom('tools' as const, 'text' as const), (content, call, mode) => {
        const reply: RemoteAnswer = { content, refusal: '', toolCalls: call === null ? [] : [call], usage: null };
        const result = actionOfAnswer(reply, mode, prompt, known());
        if (!result.ok) return;
        const allowed = new Set([...known(), ...prompt.marks.ids]);
        expect(parseAction(formatAction(result.action))).toEqual({ ok: true, action: result.action });
        expect(['goto', 'pick', 'place', 'open', 'close', 'toggle', 'say', 'done']).toContain(result.action.kind);
        for (const id of actionEntities(result.action)) expect(allowed.has(id)).toBe(true);
      }),
      { numRuns: 400, seed: 7 },
    );
  });
});

describe('umwelt run --planner remote flags', () => {
  const base: RunOptions = { family: 'goto', seed: 1_000_000, planner: 'remote', maxSteps: 3 };
  it('needs --base-url and --model, an http(s) URL, and no remote flags for other planners', () => {
    expect(() => remoteOptions({ ...base, model: 'm' })).toThrow(UsageError);
    expect(() => remoteOptions({ ...base, baseUrl: 'http://127.0.0.1:1/v1' })).toThrow(/--model/);
    expect(() => remoteOptions({ ...base, baseUrl: 'file:///etc', model: 'm' })).toThrow(/http/);
    expect(() => remoteOptions({ ...base, planner: 'oracle', model: 'm' })).toThrow(/--planner remote/);
    expect(remoteOptions({ ...base, baseUrl: 'http://127.0.0.1:1/v1', model: 'm', stream: true })).toEqual({
      baseUrl: 'http://127.0.0.1:1/v1',
      model: 'm',
      apiKeyEnv: 'OPENAI_API_KEY',
      mode: 'tools',
      stream: true,
    });
    expect(remoteOptions({ ...base, planner: 'oracle' })).toBeUndefined();
  });

  it('exits 2 with one error line on missing or bad remote flags', async () => {
    const cases: [string[], RegExp][] = [
      [['run', '--planner', 'remote', '--model', 'm'], /--base-url/],
      [['run', '--planner', 'remote', '--base-url', 'http://127.0.0.1:1/v1'], /--model/],
      [['run', '--planner', 'remote', '--base-url', 'ftp://example.com', '--model', 'm'], /http\(s\)/],
      [['run', '--planner', 'remote', '--base-url', 'not a url', '--model', 'm'], /not a URL/],
      [['run', '--planner', 'remote', '--base-url', 'http://127.0.0.1:1/v1', '--model', 'm', '--remote-mode', 'json'], /tools, text/],
      [['run', '--planner', 'remote', '--base-url', 'http://127.0.0.1:1/v1', '--model', 'm', '--api-key-env', 'sk-123'], /environment variable name/],
      [['run', '--stream'], /for --planner remote/],
    ];
    for (const [args, pattern] of cases) {
      const out = memoryOutput();
      expect(await runCli(args, out), args.join(' ')).toBe(2);
      expect(out.stderr(), args.join(' ')).toMatch(/^umwelt: error: .+\n$/);
      expect(out.stderr(), args.join(' ')).toMatch(pattern);
    }
  });

  it('runs an episode with --planner remote against a server', async () => {
    const server = await serve((_, i) => (i === 0 ? streamed({ content: 'Action: fly()' }) : streamed({ toolCalls: [{ name: 'done', arguments: '{}' }] })));
    const out = memoryOutput();
    const args = ['run', '--family', 'goto', '--max-steps', '3', '--json', '--planner', 'remote', '--base-url', server.baseUrl, '--model', 'scripted', '--stream'];
    expect(await runCli(args, out), out.stderr()).toBe(0);
    const report = JSON.parse(out.stdout()) as RunReport;
    expect(report).toMatchObject({ planner: 'remote', family: 'goto' });
    expect(report.metrics.failures).toMatchObject({ invalid_action: 1 });
    expect(server.requests.length).toBeGreaterThanOrEqual(2);
    expect(server.requests[0]?.body).toMatchObject({ model: 'scripted', stream: true });
  });
});
