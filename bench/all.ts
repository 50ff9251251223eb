// `npm run bench`: runs every `bench:*` script of package.json, one after the other, each as its own child process
// (so they never compete for the cores), passes the remaining command-line arguments (e.g. --quick) to each, streams
// each child's stderr through, parses each child's stdout as its JSON report, and prints ONE JSON object:
//   { environment, benches: { <name>: report }, ratios: { "<name>.<path>": number }, failed: [...], ... }
// `ratios` gathers every numeric field of each report whose key names a ratio (see ratiosOf). A bench that exits non-zero
// or prints no JSON object is listed under `failed` with the tail of its stderr, and this process exits 1 after
// printing the object.
// Usage: npx tsx bench/all.ts [--only NAME[,NAME...]] [arguments for every bench, e.g. --quick]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine } from './machine.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const STDERR_TAIL_CHARS = 4000;

const log = (message: string): void => {
  process.stderr.write(`[bench] ${message}\n`);
};

/** A usage error: reported on stderr, before any bench runs. */
export class BenchUsageError extends Error {
  override readonly name = 'BenchUsageError';
}

export interface BenchScript {
  /** `sim` for the script `bench:sim`. */
  name: string;
  /** The script's command line as package.json has it. */
  script: string;
}

/** The `bench:*` scripts of a parsed package.json, in the file's order. */
export function benchScripts(pkg: unknown): BenchScript[] {
  const scripts = typeof pkg === 'object' && pkg !== null && 'scripts' in pkg ? pkg.scripts : undefined;
  if (typeof scripts !== 'object' || scripts === null) return [];
  const found: BenchScript[] = [];
  for (const [key, value] of Object.entries(scripts)) {
    const match = /^bench:(.+)$/.exec(key);
    if (match?.[1] !== undefined && typeof value === 'string') found.push({ name: match[1], script: value });
  }
  return found;
}

/**
 * The child process for a script: `tsx FILE [ARGS]` (optionally behind `npx`) runs as `npx tsx FILE ARGS...`;
 * anything else goes through `npm run -s bench:NAME --`. `extra` is appended either way.
 */
export function commandOf(bench: BenchScript, extra: readonly string[]): { command: string; args: string[] } {
  const words = bench.script.trim().split(/\s+/);
  const tsxAt = words[0] === 'npx' ? 1 : 0;
  const file = words[tsxAt + 1];
  const simple = words[tsxAt] === 'tsx' && file !== undefined && /\.[cm]?[jt]s$/.test(file) && words.every((w) => /^[\w./:=,@+-]+$/.test(w));
  if (simple) return { command: 'npx', args: ['tsx', ...words.slice(tsxAt + 1), ...extra] };
  return { command: 'npm', args: ['run', '-s', `bench:${bench.name}`, '--', ...extra] };
}

export interface CliOptions {
  /** Benches to run, by name; null: all of them. */
  only: string[] | null;
  /** Everything else, passed to every bench. */
  passthrough: string[];
}

export function parseCli(argv: readonly string[]): CliOptions {
  let only: string[] | null = null;
  const passthrough: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    let value: string | undefined;
    if (arg === '--only') {
      value = argv[++i];
      if (value === undefined) throw new BenchUsageError('--only needs a comma-separated list of bench names');
    } else if (arg.startsWith('--only=')) {
      value = arg.slice('--only='.length);
    } else {
      passthrough.push(arg);
      continue;
    }
    const names = value.split(',').map((n) => n.trim()).filter((n) => n !== '');
    if (names.length === 0) throw new BenchUsageError('--only needs at least one bench name');
    only = [...(only ?? []), ...names];
  }
  return { only, passthrough };
}

/** The scripts to run: all, or those `only` names (in package.json's order); an unknown name is an error. */
export function selectBenches(all: readonly BenchScript[], only: readonly string[] | null): BenchScript[] {
  if (only === null) return [...all];
  const known = all.map((b) => b.name);
  const unknown = only.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    const list = unknown.map((n) => `"${n}"`).join(', ');
    throw new BenchUsageError(`unknown bench ${list} in --only; the bench:* scripts in package.json are: ${known.join(', ')}`);
  }
  return all.filter((b) => only.includes(b.name));
}

/** The words of a key that name a ratio (`physicsOverhead`, `speedupPerWorker`, `oneWorkerVsInProcess`, `ratios`). */
const RATIO_WORDS = new Set(['ratio', 'ratios', 'speedup', 'overhead', 'vs']);
/** Settings and pass/fail targets, not measurements (e.g. memory's targetValues.qpsRatioAt64). */
const NOT_MEASURED = /^(targets?|targetValues|config|environment)$/;

/** camelCase, snake_case and kebab-case words, lower-cased: `oneWorkerVsInProcess` -> one, worker, vs, in, process. */
const wordsOf = (key: string): string[] =>
  key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[\s_.-]+/)
    .map((w) => w.toLowerCase())
    .filter((w) => w !== '');

export const isRatioKey = (key: string): boolean => wordsOf(key).some((w) => RATIO_WORDS.has(w));

/**
 * Every finite number of a report whose key, or an enclosing object's key, names a ratio, flattened to a dotted
 * path. Arrays (per-episode and per-row lists) and settings/target objects are skipped.
 */
export function ratiosOf(report: unknown, prefix: string): Record<string, number> {
  const out: Record<string, number> = {};
  const walk = (node: unknown, path: string, inRatio: boolean): void => {
    if (typeof node === 'number') {
      if (inRatio && Number.isFinite(node)) out[path] = node;
      return;
    }
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return;
    for (const [key, value] of Object.entries(node)) {
      if (NOT_MEASURED.test(key)) continue;
      walk(value, `${path}.${key}`, inRatio || isRatioKey(key));
    }
  };
  walk(report, prefix, false);
  return out;
}

export interface BenchFailure {
  bench: string;
  command: string;
  exitCode: number | null;
  signal: string | null;
  error: string;
  stderrTail: string;
}

interface ChildOutcome {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderrTail: string;
  spawnError: string | null;
}

function runChild(command: string, args: readonly string[]): Promise<ChildOutcome> {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    let tail = '';
    let spawnError: string | null = null;
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      tail = (tail + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
    });
    child.on('error', (e) => {
      spawnError = e.message;
    });
    child.on('close', (code, signal) => {
      done({ exitCode: code, signal, stdout: Buffer.concat(stdout).toString('utf8'), stderrTail: tail, spawnError });
    });
  });
}

/** The report a child printed, or why it is not one. */
function reportOf(stdout: string): { report: Record<string, unknown> } | { error: string } {
  try {
    const value: unknown = JSON.parse(stdout);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return { error: 'stdout is JSON but not an object' };
    return { report: value as Record<string, unknown> };
  } catch (e) {
    const head = stdout.trim().slice(0, 200);
    return { error: `stdout is not one JSON object (${e instanceof Error ? e.message : String(e)})${head ? `: ${head}` : ': it is empty'}` };
  }
}

async function main(): Promise<number> {
  const started = performance.now();
  let selected: BenchScript[];
  let cli: CliOptions;
  try {
    cli = parseCli(process.argv.slice(2));
    const pkg: unknown = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8'));
    const all = benchScripts(pkg);
    if (all.length === 0) throw new BenchUsageError('package.json has no bench:* scripts');
    selected = selectBenches(all, cli.only);
  } catch (e) {
    if (!(e instanceof BenchUsageError)) throw e;
    log(`error: ${e.message}`);
    return 2;
  }

  const benches: Record<string, Record<string, unknown>> = {};
  const ratios: Record<string, number> = {};
  const failed: BenchFailure[] = [];
  const durationsSeconds: Record<string, number> = {};
  for (const bench of selected) {
    const { command, args } = commandOf(bench, cli.passthrough);
    const line = [command, ...args].join(' ');
    log(`bench:${bench.name}: ${line}`);
    const t0 = performance.now();
    const outcome = await runChild(command, args);
    const took = (performance.now() - t0) / 1000;
    durationsSeconds[bench.name] = Number(took.toPrecision(4));
    const parsed = outcome.spawnError === null && outcome.exitCode === 0 ? reportOf(outcome.stdout) : null;
    if (parsed !== null && 'report' in parsed) {
      benches[bench.name] = parsed.report;
      Object.assign(ratios, ratiosOf(parsed.report, bench.name));
      log(`bench:${bench.name}: done in ${took.toFixed(1)} s`);
      continue;
    }
    const error =
      outcome.spawnError !== null
        ? `could not start: ${outcome.spawnError}`
        : outcome.exitCode !== 0
          ? `exited with ${outcome.signal !== null ? `signal ${outcome.signal}` : `code ${String(outcome.exitCode)}`}`
          : parsed !== null && 'error' in parsed
            ? parsed.error
            : 'unknown failure';
    failed.push({ bench: bench.name, command: line, exitCode: outcome.exitCode, signal: outcome.signal, error, stderrTail: outcome.stderrTail });
    log(`bench:${bench.name}: FAILED (${error})`);
  }
  const result = {
    environment: machine(),
    run: { benches: selected.map((b) => b.name), args: cli.passthrough },
    benches,
    ratios,
    failed,
    durationsSeconds,
    totalSeconds: Number(((performance.now() - started) / 1000).toPrecision(4)),
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  return failed.length > 0 ? 1 : 0;
}

// Run only as a program (the tests import the helpers above).
const invoked = process.argv[1];
if (invoked !== undefined && resolve(invoked) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main();
}
