// `umwelt serve`: the in-project planner model over HTTP, speaking the OpenAI chat-completions protocol (see
// cli/serve/server.ts), so that OpenAI clients and agent frameworks can call it. Binds 127.0.0.1 unless told
// otherwise; an API key, when wanted, comes from an environment variable (never a flag). Runs until Ctrl-C
// (exit 130) or the signal aborts.
import { InvalidArgumentError, type Command } from 'commander';
import { loadBundleFile } from '../../agent/lm/bundle-file.ts';
import type { PlannerBundle } from '../../agent/lm/bundle.ts';
import { CpuAsyncEngine, type AsyncPrefixEngine } from '../../agent/lm/engine/async.ts';
import { engineFor } from '../../agent/planners/lm.ts';
import { chooseGpuEngine, type EngineNoteKind, type GpuSource, type LMEngineName } from '../../agent/planners/lm-gpu.ts';
import { startServer, type RunningServer } from '../serve/server.ts';
import { EXIT, UsageError } from '../errors.ts';
import { CHECKPOINT_HELP, checkpointPath, engineHelp, engineLog, INT8_HELP, parseEngine, parseEnvName, parseInteger, preloadCheckpoint, type CheckpointOptions } from '../options.ts';
import { printJson, type Output } from '../output.ts';
import type { CliContext } from './context.ts';

export const DEFAULT_MODEL_NAME = 'umwelt-planner';

export interface ServeCommandOptions extends CheckpointOptions {
  host: string;
  port: number;
  modelName: string;
  /** The NAME of the environment variable holding the API key. */
  apiKeyEnv?: string;
  maxBody: number;
  maxTokens: number;
  queue: number;
  timeout: number;
  /** auto (default), cpu or webgpu; webgpu and auto serve on the CPU where there is no adapter (auto: where it is
   *  no GPU), with a warning (for auto's choice, only when --engine was given). */
  engine?: LMEngineName;
  json?: boolean;
}

/** The engine the server decodes on, and its name ('cpu' or 'webgpu'); `warn` hears why it is the CPU's. */
export async function serveEngine(
  bundle: PlannerBundle,
  name: LMEngineName,
  warn: (line: string, kind: EngineNoteKind) => void,
  gpuSource?: GpuSource,
): Promise<{ engine: AsyncPrefixEngine; name: 'cpu' | 'webgpu' }> {
  if (name !== 'cpu') {
    const gpu = await chooseGpuEngine(bundle, name, gpuSource);
    if (gpu.ok) return { engine: gpu.engine, name: 'webgpu' };
    warn(`umwelt: warning: no WebGPU engine (${gpu.message}); serving on the CPU engine`, gpu.kind);
  }
  return { engine: new CpuAsyncEngine(engineFor(bundle)), name: 'cpu' };
}

/**
 * Starts the server and resolves when it has stopped (the signal aborted), with the exit code. `onListening`
 * gets the running server (tests use it to learn the port).
 */
export async function serveCommand(options: ServeCommandOptions, out: Output, signal?: AbortSignal, env: NodeJS.ProcessEnv = process.env, onListening?: (server: RunningServer) => void): Promise<number> {
  let apiKey: string | undefined;
  if (options.apiKeyEnv !== undefined) {
    try {
      parseEnvName(options.apiKeyEnv);
    } catch (e) {
      if (e instanceof InvalidArgumentError) throw new UsageError(`--api-key-env takes the NAME of an environment variable: ${e.message}`);
      throw e;
    }
    apiKey = env[options.apiKeyEnv];
    if (apiKey === undefined || apiKey.length === 0) throw new UsageError(`--api-key-env ${options.apiKeyEnv}: that environment variable is not set`);
  }
  const path = checkpointPath(options);
  const failed = await preloadCheckpoint(path, out);
  if (failed !== null) return failed;
  const bundle = await loadBundleFile(path);
  const { engine, name: engineName } = await serveEngine(bundle, options.engine ?? 'auto', engineLog(options.engine !== undefined, (line) => out.error(line)));
  let server: RunningServer;
  try {
    server = await startServer({
      bundle,
      engine,
      modelName: options.modelName,
      host: options.host,
      port: options.port,
      ...(apiKey === undefined ? {} : { apiKey }),
      maxBodyBytes: options.maxBody,
      maxTokens: options.maxTokens,
      queueCapacity: options.queue,
      timeoutMs: options.timeout,
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') throw new UsageError(`cannot listen on ${options.host}:${options.port} (${code})`);
    throw e;
  }
  const info = { url: `${server.url}/v1`, model: options.modelName, engine: engineName, auth: apiKey !== undefined, maxTokens: options.maxTokens, queue: options.queue, timeoutMs: options.timeout };
  if (options.json) printJson(out, info);
  else {
    out.line(`Serving ${options.modelName} on ${server.url}/v1 (OpenAI chat completions; ${engineName} engine; ${apiKey === undefined ? 'no API key' : `API key from $${options.apiKeyEnv ?? ''}`}). Ctrl-C stops.`);
    if (options.host !== '127.0.0.1' && options.host !== 'localhost' && options.host !== '::1') out.error(`umwelt: warning: listening on ${options.host}: reachable from other machines${apiKey === undefined ? ', with no API key' : ''}`);
  }
  onListening?.(server);
  await new Promise<void>((resolve) => {
    if (signal === undefined) return; // runs until the process ends
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await server.close();
  if (!options.json) out.line(`Stopped after ${server.stats.requests} requests (${server.stats.completed} completed, ${server.stats.cancelled} cancelled).`);
  return EXIT.interrupted;
}

export function registerServe(program: Command, cli: CliContext): void {
  program
    .command('serve')
    .summary('serve the planner model over HTTP (OpenAI chat-completions protocol)')
    .description(
      'Serve the in-project planner model on http://HOST:PORT/v1: GET /v1/models and POST /v1/chat/completions ' +
        '(streaming or not; tools: the model\'s action as a tool call; temperature, top_p, max_tokens, seed, stop; ' +
        'usage counts). The model answers the last user message, which should be the shared prompt (agent/prompt.ts).\n\n' +
        'Binds 127.0.0.1 unless --host says otherwise. With --api-key-env NAME every request needs ' +
        '"Authorization: Bearer $NAME". Requests are validated (400), bodies limited (413), max_tokens capped, ' +
        'waiting requests bounded (429 when the queue is full), each request timed out (504) and cancelled when its ' +
        'client disconnects. Ctrl-C stops the server (exit 130).',
    )
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option('-p, --port <n>', 'port (0: any free one)', parseInteger('port', 0, 65535), 8080)
    .option('--model-name <name>', 'the model name clients use', DEFAULT_MODEL_NAME)
    .option('--checkpoint <file>', CHECKPOINT_HELP)
    .option('--int8', INT8_HELP)
    .option('--api-key-env <NAME>', 'require the API key held by this environment variable', parseEnvName)
    .option('--max-body <bytes>', 'largest request body', parseInteger('max-body', 1024, 64 * 1024 * 1024), 1024 * 1024)
    .option('--max-tokens <n>', 'most tokens one request may ask for', parseInteger('max-tokens', 1, 4096), 512)
    .option('--queue <n>', 'requests that may wait behind the running one', parseInteger('queue', 0, 10_000), 16)
    .option('--timeout <ms>', 'per-request time limit', parseInteger('timeout', 100, 3_600_000), 60_000)
    .option('--engine <name>', engineHelp("the model's"), parseEngine)
    .option('--json', 'print the address as one JSON object')
    .addHelpText(
      'after',
      `
Examples:
  $ umwelt serve
  $ UMWELT_KEY=secret umwelt serve --port 9000 --api-key-env UMWELT_KEY
  $ curl -s http://127.0.0.1:8080/v1/chat/completions -H 'content-type: application/json' \\
      -d '{"model": "umwelt-planner", "messages": [{"role": "user", "content": "Task: Move close to the red mug."}]}'`,
    )
    .action(async (opts: ServeCommandOptions) => cli.exit(await serveCommand(opts, cli.out, cli.signal)));
}
