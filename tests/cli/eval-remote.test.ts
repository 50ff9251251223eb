// `umwelt eval --planner remote` against a real `umwelt serve` on 127.0.0.1 (the shipped planner model behind it,
// an API key required): the key reaches the worker threads by its variable's name only, the server's token usage
// and each decision's latency reach the journal and the report, the recordings name the server but hold no key,
// and remote flags that do not fit are usage errors.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultCheckpointPath, loadBundleFile } from '../../agent/lm/bundle-file.ts';
import { engineFor } from '../../agent/planners/lm.ts';
import { CpuAsyncEngine } from '../../agent/lm/engine/async.ts';
import type { EvalSummary } from '../../cli/commands/eval.ts';
import { memoryOutput } from '../../cli/output.ts';
import { runCli } from '../../cli/program.ts';
import { startServer, type RunningServer } from '../../cli/serve/server.ts';
import { evaluate } from '../../eval/evaluate.ts';
import { EpisodeRecordSchema, type EpisodeRecord } from '../../eval/record.ts';
import { EvalReportSchema, type EvalReport } from '../../eval/report-schema.ts';
import { EvalInputError } from '../../eval/source.ts';
import { Recording } from '../../record/reader.ts';
import { umwelt } from './run-cli.ts';

const KEY_VAR = 'UMWELT_TEST_EVAL_REMOTE_KEY';
const KEY = 'sk-eval-remote-test-4f1c';
const dir = mkdtempSync(join(tmpdir(), 'umwelt-eval-remote-'));
const scenario = join(dir, 'tiny.json');
writeFileSync(scenario, JSON.stringify({ version: 1, name: 'tiny', families: ['goto'], split: 'test', seeds: { start: 0, count: 2 }, maxSteps: 6 }));

let server: RunningServer;
let baseUrl: string;

beforeAll(async () => {
  const bundle = await loadBundleFile(defaultCheckpointPath());
  server = await startServer({ bundle, engine: new CpuAsyncEngine(engineFor(bundle)), modelName: 'umwelt-planner', host: '127.0.0.1', port: 0, apiKey: KEY, maxBodyBytes: 1 << 20, maxTokens: 256, queueCapacity: 4, timeoutMs: 30_000 });
  baseUrl = `${server.url}/v1`;
  // The child process (and its worker threads) inherit this; only the variable's name goes on the command line.
  process.env[KEY_VAR] = KEY;
});

afterAll(async () => {
  delete process.env[KEY_VAR];
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const journal = (out: string): EpisodeRecord[] =>
  readFileSync(join(out, 'episodes.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => EpisodeRecordSchema.parse(JSON.parse(l)));

describe('umwelt eval --planner remote', () => {
  it('evaluates a remote server next to the oracle, with its tokens and latencies in the report', async () => {
    const out = join(dir, 'run');
    const args = ['eval', scenario, '--planner', 'oracle,remote', '--base-url', baseUrl, '--model', 'umwelt-planner', '--api-key-env', KEY_VAR, '--stream'];
    const run = await umwelt(...args, '--workers', '2', '--record', '--json', '--out', out);
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as EvalSummary;
    expect(summary.complete).toBe(true);

    const report: EvalReport = EvalReportSchema.parse(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')));
    expect(report.planners).toEqual(['oracle', 'remote']);
    const row = report.overall.find((g) => g.planner === 'remote');
    expect(row?.episodes).toBe(2);
    const records = journal(out).filter((r) => r.planner === 'remote');
    expect(records).toHaveLength(2);
    // Answers that did not come back (a 401 without the key, a refused connection) would be errors, not steps.
    for (const r of records) {
      expect(r.result.error).toBeNull();
      expect(r.result.steps).toBeGreaterThan(0);
      expect(r.timing.decisionsMs).toHaveLength(r.result.steps);
      expect(r.timing.decisionsMs.every((ms) => ms > 0)).toBe(true);
      expect(r.result.tokens).toBeGreaterThan(0);
      expect(r.result.promptTokens).toBeGreaterThan(r.result.tokens);
    }
    const sum = (f: (r: EpisodeRecord) => number): number => records.reduce((a, r) => a + f(r), 0);
    expect(row?.tokens.total).toBeGreaterThan(0);
    expect(row?.tokens.total).toBe(sum((r) => r.result.tokens));
    expect(row?.promptTokens?.total).toBe(sum((r) => r.result.promptTokens ?? 0));
    expect(row?.latencyMs.p50).toBeGreaterThan(0);
    expect(server.stats.completed).toBeGreaterThanOrEqual(sum((r) => r.result.steps));
    expect(report.overall.find((g) => g.planner === 'oracle')?.tokens.total).toBe(0);

    // The recordings name the server and the key's variable, never the key.
    const files = readdirSync(join(out, 'recordings')).filter((f) => f.includes('_remote_'));
    expect(files).toHaveLength(2);
    const recording = await Recording.open(join(out, 'recordings', files[0] ?? ''));
    expect(recording.metadata.planner).toEqual({ name: 'remote', config: { baseUrl, model: 'umwelt-planner', apiKeyEnv: KEY_VAR, mode: 'tools', stream: true } });
    for (const file of readdirSync(out, { recursive: true, encoding: 'utf8' }).filter((f) => /\.(jsonl?|md|html|mcap)$/.test(f))) {
      expect(readFileSync(join(out, file)).includes(KEY), file).toBe(false);
    }

    // Another model is another run: the directory is refused before any episode runs.
    const other = evaluate({ source: scenario, planners: ['oracle', 'remote'], workers: 1, out, remote: { baseUrl, model: 'another-model', apiKeyEnv: KEY_VAR, mode: 'tools', stream: true } });
    await expect(other).rejects.toThrow(/different run .*remote planner's server or model/);
  }, 90_000);

  it('refuses remote flags that do not fit, before touching the output directory', async () => {
    const out = join(dir, 'refused');
    const cases: [string[], RegExp][] = [
      [['--planner', 'remote', '--model', 'm'], /needs --base-url/],
      [['--planner', 'oracle,remote', '--base-url', 'http://127.0.0.1:1/v1'], /needs --model/],
      [['--planner', 'remote', '--base-url', 'ftp://example.com', '--model', 'm'], /http\(s\)/],
      [['--planner', 'remote', '--base-url', 'http://127.0.0.1:1/v1', '--model', 'm', '--remote-mode', 'json'], /tools, text/],
      [['--planner', 'remote', '--base-url', 'http://127.0.0.1:1/v1', '--model', 'm', '--api-key-env', 'sk-123'], /environment variable name/],
      [['--planner', 'oracle', '--stream'], /--stream is for --planner remote, not oracle/],
      [['--base-url', 'http://127.0.0.1:1/v1', '--model', 'm'], /--base-url, --model are for --planner remote, not the scenario's planner/],
      [['--planner', 'remot'], /unknown planner "remot"; valid planners: oracle, random, lm, remote/],
    ];
    for (const [flags, pattern] of cases) {
      const output = memoryOutput();
      const args = ['eval', scenario, ...flags, '--out', out];
      expect(await runCli(args, output), args.join(' ')).toBe(2);
      expect(output.stderr(), args.join(' ')).toMatch(/^umwelt: error: .+\n$/);
      expect(output.stderr(), args.join(' ')).toMatch(pattern);
    }
    expect(existsSync(out)).toBe(false);
    // The library refuses the same combinations.
    await expect(evaluate({ source: scenario, planners: ['remote'], out })).rejects.toBeInstanceOf(EvalInputError);
    await expect(evaluate({ source: scenario, planners: ['oracle'], out, remote: { baseUrl: 'http://127.0.0.1:1/v1', model: 'm', apiKeyEnv: KEY_VAR, mode: 'text', stream: false } })).rejects.toThrow(
      /this run has none/,
    );
    expect(existsSync(out)).toBe(false);
  });
});
