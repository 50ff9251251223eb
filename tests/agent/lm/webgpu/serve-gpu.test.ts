// `umwelt serve` on the WebGPU engine: the same answers, over HTTP, as on the CPU engine (tool calls decoded under
// the grammar on the GPU, and plain text), and the command's engine choice falling back to the CPU, with one
// warning, where there is no adapter.
import { afterAll, describe, expect, it } from 'vitest';
import { defaultCheckpointPath, loadBundleFile } from '../../../../agent/lm/bundle-file.ts';
import { CpuAsyncEngine } from '../../../../agent/lm/engine/async.ts';
import { acquireDevice } from '../../../../agent/lm/webgpu/device.ts';
import { WebGpuEngine } from '../../../../agent/lm/webgpu/engine.ts';
import { skillTools } from '../../../../agent/openai/tools.ts';
import { engineFor } from '../../../../agent/planners/lm.ts';
import { renderPrompt } from '../../../../agent/prompt.ts';
import { serveEngine } from '../../../../cli/commands/serve.ts';
import { startServer, type RunningServer } from '../../../../cli/serve/server.ts';
import { oracleContexts } from '../../episode-prompts.ts';
import { testRunner } from './gpu.ts';

const runner = await testRunner();
const bundle = await loadBundleFile(defaultCheckpointPath());
const servers: RunningServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

const serve = async (engine: ConstructorParameters<typeof CpuAsyncEngine>[0] | WebGpuEngine): Promise<RunningServer> => {
  const server = await startServer({
    bundle,
    engine: engine instanceof WebGpuEngine ? engine : new CpuAsyncEngine(engine),
    modelName: 'm',
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: 1 << 20,
    maxTokens: 256,
    queueCapacity: 4,
    timeoutMs: 60_000,
    now: () => 0,
  });
  servers.push(server);
  return server;
};

/** The completion's answer without its request id. */
async function ask(server: RunningServer, body: Record<string, unknown>): Promise<unknown> {
  const res = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', ...body }) });
  expect(res.status).toBe(200);
  const json = (await res.json()) as { id: string; choices: { message: { tool_calls?: { id: string }[] } }[] };
  return { ...json, id: undefined, choices: json.choices.map((c) => ({ ...c, message: { ...c.message, tool_calls: c.message.tool_calls?.map((t) => ({ ...t, id: undefined })) } })) };
}

describe.skipIf(runner === null)('umwelt serve on the WebGPU engine', () => {
  it('answers as the CPU engine does: tool calls under the grammar, and text', async () => {
    const gpu = await WebGpuEngine.create(runner!, bundle.config, bundle.weights);
    const onGpu = await serve(gpu);
    const onCpu = await serve(engineFor(bundle));
    const prompts = (await oracleContexts(2)).slice(0, 3).map((c) => renderPrompt(c.context).text);
    for (const content of prompts) {
      // max_tokens 32 caps the thought at 16 tokens: SwiftShader decodes ~40 tokens/s.
      const body = { messages: [{ role: 'user', content }], tools: skillTools(), tool_choice: 'required', max_tokens: 32 };
      expect(await ask(onGpu, body)).toEqual(await ask(onCpu, body));
    }
    const text = { messages: [{ role: 'user', content: prompts[0] }], max_tokens: 6 };
    expect(await ask(onGpu, text)).toEqual(await ask(onCpu, text));
  });
});

describe('umwelt serve --engine', () => {
  it('serves on the CPU engine, with one warning, where there is no adapter', async () => {
    const lines: string[] = [];
    const gpu = { requestAdapter: () => Promise.resolve(null) } as unknown as GPU;
    const noAdapter = () => acquireDevice(gpu, { timeoutMs: 1000 });
    const kinds: string[] = [];
    const warn = (line: string, kind: string): void => {
      lines.push(line);
      kinds.push(kind);
    };
    const chosen = await serveEngine(bundle, 'webgpu', warn, noAdapter);
    expect(chosen.name).toBe('cpu');
    expect(chosen.engine).toBeInstanceOf(CpuAsyncEngine);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^umwelt: warning: no WebGPU engine \(no_adapter: .*\); serving on the CPU engine$/);
    expect((await serveEngine(bundle, 'cpu', warn)).name).toBe('cpu');
    expect(lines).toHaveLength(1);
    // auto finding no adapter declines (the command says so only when --engine auto was given); webgpu fell back.
    expect((await serveEngine(bundle, 'auto', warn, noAdapter)).name).toBe('cpu');
    expect(kinds).toEqual(['fallback', 'declined']);
  });
});
