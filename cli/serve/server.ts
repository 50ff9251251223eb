// `umwelt serve`'s HTTP server: the in-project model behind the OpenAI chat-completions protocol.
//   GET  /v1/models, GET /v1/models/{id}
//   POST /v1/chat/completions   (JSON, or server-sent events with "stream": true)
// Every request is untrusted input. In order: the route (404, 405), the bearer key when one is set (401; compared
// in constant time), the body's size (413 past maxBodyBytes, read no further), JSON (400), the request schema
// (400 naming the field), the model name (404), what the model can do with it (400), a place in the queue (429
// when full), then the completion, bounded by timeoutMs (504, or a stream ended with an error event) and
// cancelled when the client goes away. Errors have OpenAI's shape: {error: {message, type, param, code}}.
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PlannerBundle } from '../../agent/lm/bundle.ts';
import type { AsyncPrefixEngine } from '../../agent/lm/engine/async.ts';
import { ChatCompletionRequestSchema, type ChatCompletion, type ChatCompletionChunk, type ErrorBody, type ErrorType, type ModelList, type ToolCall } from '../../agent/openai/wire.ts';
import { CompletionInputError, prepareCompletion, runCompletion, type Piece } from './completion.ts';
import { QueueAbortedError, QueueFullError, SerialQueue } from './queue.ts';

export interface ServeOptions {
  bundle: PlannerBundle;
  /** The CPU engine (CpuAsyncEngine) or the WebGPU one; requests use it one at a time. */
  engine: AsyncPrefixEngine;
  /** The name clients pass as `model`. */
  modelName: string;
  host: string;
  /** 0: any free port. */
  port: number;
  /** When set, every request needs `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  maxBodyBytes: number;
  maxTokens: number;
  /** Requests waiting behind the running one before 429s. */
  queueCapacity: number;
  /** Per request, from its arrival to its last byte. */
  timeoutMs: number;
  /** Wall-clock seconds for `created` fields (the protocol's); injectable for tests. */
  now?: () => number;
}

export interface RunningServer {
  server: Server;
  /** e.g. http://127.0.0.1:8080 */
  url: string;
  /** Stops accepting, ends open connections, resolves when closed. */
  close(): Promise<void>;
  stats: { requests: number; completed: number; cancelled: number; rejected: Record<number, number> };
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly type: ErrorType,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time comparison of a presented key with the expected one (digests: equal lengths whatever the input). */
function keyMatches(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

function readBody(req: IncomingMessage, limit: number, signal: AbortSignal): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new HttpError(413, 'invalid_request_error', `the request body is ${declared} bytes; the limit is ${limit}`, null, 'request_too_large'));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const fail = (e: Error): void => {
      req.off('data', onData);
      reject(e);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        fail(new HttpError(413, 'invalid_request_error', `the request body is over the limit of ${limit} bytes`, null, 'request_too_large'));
        req.resume(); // drain the rest without keeping it
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', (e) => fail(e));
    signal.addEventListener('abort', () => fail(new QueueAbortedError('the client went away')), { once: true });
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function errorBody(e: HttpError): ErrorBody {
  return { error: { message: e.message, type: e.type, param: e.param, code: e.code } };
}

/** "messages.0.content: Invalid input" for the first few issues of a schema failure. */
function schemaMessage(issues: readonly { path: readonly PropertyKey[]; message: string }[]): { message: string; param: string | null } {
  const shown = issues.slice(0, 3).map((i) => `${i.path.length > 0 ? i.path.map(String).join('.') : 'body'}: ${i.message}`);
  const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : '';
  const first = issues[0];
  return { message: `invalid request: ${shown.join('; ')}${more}`, param: first && first.path.length > 0 ? first.path.map(String).join('.') : null };
}

export function startServer(options: ServeOptions): Promise<RunningServer> {
  const queue = new SerialQueue(options.queueCapacity);
  const now = options.now ?? ((): number => Math.floor(Date.now() / 1000));
  const created = now();
  const stats: RunningServer['stats'] = { requests: 0, completed: 0, cancelled: 0, rejected: {} };
  const fingerprint = `umwelt-${digest(JSON.stringify(options.bundle.config)).toString('hex').slice(0, 12)}`;

  const models = (): ModelList => ({ object: 'list', data: [{ id: options.modelName, object: 'model', created, owned_by: 'umwelt' }] });

  async function chat(req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> {
    const body = await readBody(req, options.maxBodyBytes, signal);
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      throw new HttpError(400, 'invalid_request_error', 'the request body is not valid JSON', null, 'invalid_json');
    }
    const parsed = ChatCompletionRequestSchema.safeParse(json);
    if (!parsed.success) {
      const { message, param } = schemaMessage(parsed.error.issues);
      throw new HttpError(400, 'invalid_request_error', message, param);
    }
    const request = parsed.data;
    if (request.model !== options.modelName) throw new HttpError(404, 'not_found_error', `the model "${request.model.slice(0, 64)}" does not exist; this server has "${options.modelName}"`, 'model', 'model_not_found');
    let prepared;
    try {
      prepared = prepareCompletion(options.bundle, request, { maxTokens: options.maxTokens });
    } catch (e) {
      if (e instanceof CompletionInputError) throw new HttpError(400, 'invalid_request_error', e.message, e.param, e.code);
      throw e;
    }
    const id = randomUUID().replace(/-/g, '').slice(0, 24);
    const base = { id: `chatcmpl-${id}`, created: now(), model: options.modelName, system_fingerprint: fingerprint };
    const stream = request.stream === true;
    const includeUsage = request.stream_options?.include_usage === true;

    await queue.run(async () => {
      if (!stream) {
        const pieces: Piece[] = [];
        const end = await runCompletion(options.engine, options.bundle, prepared, (p) => pieces.push(p), signal, id);
        if (signal.aborted) return;
        const content = pieces.flatMap((p) => (p.kind === 'text' ? [p.text] : [])).join('');
        const calls: ToolCall[] = pieces.flatMap((p) => (p.kind === 'tool_call' ? [{ id: p.id, type: 'function' as const, function: { name: p.name, arguments: p.arguments } }] : []));
        const completion: ChatCompletion = {
          ...base,
          object: 'chat.completion',
          choices: [{ index: 0, message: { role: 'assistant', content: content.length > 0 || calls.length === 0 ? content : null, refusal: null, ...(calls.length > 0 ? { tool_calls: calls } : {}) }, finish_reason: end.finishReason, logprobs: null }],
          usage: end.usage,
        };
        send(res, 200, completion);
        stats.completed++;
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      const chunk = (delta: ChatCompletionChunk['choices'][number]['delta'], finish: ChatCompletionChunk['choices'][number]['finish_reason'] = null): void => {
        const c: ChatCompletionChunk = { ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }], ...(includeUsage ? { usage: null } : {}) };
        res.write(`data: ${JSON.stringify(c)}\n\n`);
      };
      chunk({ role: 'assistant', content: '' });
      let calls = 0;
      const end = await runCompletion(
        options.engine,
        options.bundle,
        prepared,
        (p) => {
          if (signal.aborted) return;
          if (p.kind === 'text') chunk({ content: p.text });
          else chunk({ tool_calls: [{ index: calls++, id: p.id, type: 'function', function: { name: p.name, arguments: p.arguments } }] });
        },
        signal,
        id,
      );
      if (signal.aborted) return;
      chunk({}, end.finishReason);
      if (includeUsage) res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [], usage: end.usage })}\n\n`);
      res.write('data: [DONE]\n\n');
      res.end();
      stats.completed++;
    }, signal);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    stats.requests++;
    const controller = new AbortController();
    // The client going away (its socket closing before the answer is complete) cancels the request.
    res.once('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    const timer = setTimeout(() => controller.abort(new HttpError(504, 'timeout_error', `the request took longer than ${options.timeoutMs} ms`, null, 'timeout')), options.timeoutMs);
    try {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      if (options.apiKey !== undefined) {
        const header = req.headers.authorization ?? '';
        const presented = /^Bearer (.+)$/i.exec(header)?.[1] ?? '';
        if (!keyMatches(presented, options.apiKey)) throw new HttpError(401, 'authentication_error', 'a valid API key is required (Authorization: Bearer KEY)', null, 'invalid_api_key');
      }
      if (path === '/v1/models' || path === '/v1/models/') {
        if (req.method !== 'GET') throw new HttpError(405, 'invalid_request_error', `${req.method ?? ''} is not allowed on ${path}; use GET`);
        send(res, 200, models());
        return;
      }
      if (path.startsWith('/v1/models/')) {
        if (req.method !== 'GET') throw new HttpError(405, 'invalid_request_error', `${req.method ?? ''} is not allowed on ${path}; use GET`);
        const id = decodeURIComponent(path.slice('/v1/models/'.length));
        const model = models().data.find((m) => m.id === id);
        if (!model) throw new HttpError(404, 'not_found_error', `the model "${id.slice(0, 64)}" does not exist`, 'model', 'model_not_found');
        send(res, 200, model);
        return;
      }
      if (path === '/v1/chat/completions') {
        if (req.method !== 'POST') throw new HttpError(405, 'invalid_request_error', `${req.method ?? ''} is not allowed on ${path}; use POST`);
        await chat(req, res, controller.signal);
        // A completion cut short by the timeout or by the client: report it (below), or say nothing to a client gone.
        if (controller.signal.aborted) throw controller.signal.reason instanceof HttpError ? controller.signal.reason : new QueueAbortedError('the client went away');
        return;
      }
      throw new HttpError(404, 'not_found_error', `no route ${req.method ?? ''} ${path.slice(0, 100)}; this server has GET /v1/models and POST /v1/chat/completions`);
    } catch (caught) {
      const reason: unknown = controller.signal.reason;
      // The timeout wins over whatever it interrupted.
      const e = reason instanceof HttpError ? reason : caught;
      if (e instanceof QueueAbortedError || (controller.signal.aborted && !(e instanceof HttpError))) {
        // The client went away: nobody to answer.
        stats.cancelled++;
        if (!res.writableEnded) res.destroy();
        return;
      }
      const error =
        e instanceof HttpError ? e : e instanceof QueueFullError ? new HttpError(429, 'rate_limit_error', e.message, null, 'queue_full') : new HttpError(500, 'server_error', 'the server failed to answer this request');
      stats.rejected[error.status] = (stats.rejected[error.status] ?? 0) + 1;
      if (error.status === 500) process.stderr.write(`umwelt serve: ${caught instanceof Error ? (caught.stack ?? caught.message) : String(caught)}\n`);
      if (res.headersSent) {
        // A stream already begun: end it with an error event.
        if (!res.writableEnded) res.end(`data: ${JSON.stringify(errorBody(error))}\n\n`);
        return;
      }
      if (error.status === 429) res.setHeader('retry-after', '1');
      send(res, error.status, errorBody(error));
    } finally {
      clearTimeout(timer);
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      process.stderr.write(`umwelt serve: ${e instanceof Error ? e.message : String(e)}\n`);
      if (!res.headersSent) send(res, 500, { error: { message: 'internal error', type: 'server_error', param: null, code: null } });
      else res.destroy();
    });
  });
  server.requestTimeout = options.timeoutMs + 5000;
  server.headersTimeout = Math.min(60_000, options.timeoutMs + 5000);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolve({
        server,
        url: `http://${host}:${address.port}`,
        stats,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
