// `umwelt serve` benchmark: the shipped planner model behind the HTTP server on 127.0.0.1, asked for its action
// as a tool call (greedy) on real prompts (the oracle's first steps of test-seed episodes of every family), by 1,
// 4 and 16 concurrent clients: requests/s, completion tokens/s and latency p50/p95 of each. And the overhead of
// the HTTP path: the same requests one at a time over HTTP against the same completions computed in-process
// (prepareCompletion + runCompletion, no server), interleaved prompt by prompt, as a ratio of the sums and a
// difference of medians. One model, so requests are served one
// after the other: more clients raise latency, not throughput.
// Prints ONE JSON object to stdout, progress to stderr.
// Usage: npx tsx bench/serve.bench.ts [--requests N] [--quick]
import { parseArgs } from 'node:util';
import { loadBundleFile } from '../agent/lm/bundle-file.ts';
import { skillTools } from '../agent/openai/tools.ts';
import { ChatCompletionRequestSchema, type ChatCompletion } from '../agent/openai/wire.ts';
import { runEpisode } from '../agent/loop.ts';
import type { Planner } from '../agent/planner.ts';
import { engineFor } from '../agent/planners/lm.ts';
import { CpuAsyncEngine } from '../agent/lm/engine/async.ts';
import { OraclePlanner } from '../agent/planners/oracle.ts';
import { renderPrompt } from '../agent/prompt.ts';
import { prepareCompletion, runCompletion } from '../cli/serve/completion.ts';
import { startServer } from '../cli/serve/server.ts';
import { familyEnv } from '../scenes/env.ts';
import { FAMILY_NAMES } from '../scenes/family-names.ts';
import { intOption } from './args.ts';
import { machine } from './machine.ts';
import { percentile, round } from './numbers.ts';

const log = (message: string): void => {
  process.stderr.write(`[bench:serve] ${message}\n`);
};

const { values } = parseArgs({ options: { requests: { type: 'string' }, quick: { type: 'boolean', default: false } }, strict: true });
const quick = values.quick === true;
const perLevel = intOption(values.requests, quick ? 16 : 96, 'requests', 1);
const MODEL = 'umwelt-planner';

/** The oracle's prompts over the first steps of one test-seed episode per family. */
async function prompts(steps: number): Promise<string[]> {
  const out: string[] = [];
  for (const family of FAMILY_NAMES) {
    const env = familyEnv(family, { maxSteps: steps });
    const oracle = new OraclePlanner(env);
    const recording: Planner = {
      name: 'oracle',
      decide: async (context) => {
        out.push(renderPrompt(context).text);
        return oracle.decide(context);
      },
    };
    await runEpisode({ env, planner: recording, seed: 1_000_020 });
  }
  return out;
}

const bundle = await loadBundleFile();
const engine = new CpuAsyncEngine(engineFor(bundle));
const texts = await prompts(quick ? 2 : 4);
log(`${texts.length} prompts; model d ${bundle.config.dModel}, ${bundle.config.layers} layers`);
const tools = skillTools();
const body = (i: number): string => JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: texts[i % texts.length] }], tools, tool_choice: 'required', temperature: 0, max_tokens: 128 });

/** The same completion without HTTP: parse, prepare and run, as the server does. */
const inProcess = async (i: number): Promise<number> => {
  const t0 = performance.now();
  const request = ChatCompletionRequestSchema.parse(JSON.parse(body(i)));
  const prepared = prepareCompletion(bundle, request, { maxTokens: 512 });
  await runCompletion(engine, bundle, prepared, () => undefined, new AbortController().signal, `bench${i}`);
  return performance.now() - t0;
};
// Rounds over the prompts for the overhead, in-process and HTTP interleaved per prompt so that any drift in the
// machine's load falls on both alike; one warm-up completion of each path first.
const overheadRounds = quick ? 1 : 3;

const server = await startServer({ bundle, engine, modelName: MODEL, host: '127.0.0.1', port: 0, maxBodyBytes: 1 << 20, maxTokens: 512, queueCapacity: 64, timeoutMs: 120_000 });
try {
  const post = async (i: number): Promise<{ ms: number; tokens: number; status: number }> => {
    const t0 = performance.now();
    const res = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body(i) });
    const json = (await res.json()) as ChatCompletion;
    return { ms: performance.now() - t0, tokens: res.status === 200 ? json.usage.completion_tokens : 0, status: res.status };
  };
  await inProcess(0);
  await post(0);
  const inProcessMs: number[] = [];
  const httpMs: number[] = [];
  // The server shares this engine, which keeps the last prompt's tokens for prefix reuse: each measured request
  // starts from an empty cache, else the second of a pair would reuse the whole prompt of the first.
  for (let round = 0; round < overheadRounds; round++) {
    for (let i = 0; i < texts.length; i++) {
      engine.reset();
      inProcessMs.push(await inProcess(i));
      engine.reset();
      httpMs.push((await post(i)).ms);
    }
  }

  const levels = [];
  for (const clients of [1, 4, 16]) {
    let next = 0;
    const results: { ms: number; tokens: number; status: number }[] = [];
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (next < perLevel) results.push(await post(next++));
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const ms = results.map((r) => r.ms);
    const failed = results.filter((r) => r.status !== 200).length;
    const level = {
      clients,
      requests: results.length,
      failed,
      requestsPerSec: round(results.length / seconds),
      completionTokensPerSec: round(results.reduce((a, r) => a + r.tokens, 0) / seconds),
      latencyMs: { p50: round(percentile(ms, 50)), p95: round(percentile(ms, 95)) },
    };
    log(`${clients} clients: ${level.requestsPerSec} req/s, ${level.completionTokensPerSec} tok/s, p50 ${level.latencyMs.p50} ms, p95 ${level.latencyMs.p95} ms${failed ? `, ${failed} failed` : ''}`);
    levels.push(level);
  }
  const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
  const report = {
    bench: 'serve',
    environment: machine(),
    model: bundle.config,
    prompts: texts.length,
    requestsPerLevel: perLevel,
    levels,
    inProcess: { meanMs: round(sum(inProcessMs) / inProcessMs.length), p50Ms: round(percentile(inProcessMs, 50)) },
    http: { meanMs: round(sum(httpMs) / httpMs.length), p50Ms: round(percentile(httpMs, 50)) },
    httpOverheadP50Ms: round(percentile(httpMs, 50) - percentile(inProcessMs, 50)),
    ratios: {
      httpOverInProcessLatency: round(sum(httpMs) / sum(inProcessMs)),
      sixteenOverOneClientsRequestsPerSec: round((levels[2]?.requestsPerSec ?? NaN) / (levels[0]?.requestsPerSec ?? NaN)),
    },
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} finally {
  await server.close();
}
