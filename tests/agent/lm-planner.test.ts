// The lm planner and its bundle: a random-weight model never makes it return an unparsable action or one naming
// an entity the agent does not know; bundles that lack or mismatch something fail with a BundleError naming it.
import fc from 'fast-check';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ActionAutomaton, constrainedAction } from '../../agent/constrained.ts';
import { actionEntities, extractAction, formatAction, parseAction, resolveMarks } from '../../agent/grammar.ts';
import {
  BundleError,
  decodeBundle,
  encodeBundle,
  type BundleErrorCode,
  type PlannerBundle,
} from '../../agent/lm/bundle.ts';
import { clearBundleCache, DEFAULT_CHECKPOINT, defaultCheckpointPath, loadBundleFile } from '../../agent/lm/bundle-file.ts';
import { encodeCheckpoint, quantizeInt8 } from '../../agent/lm/checkpoint.ts';
import { CpuEngine } from '../../agent/lm/engine/cpu.ts';
import { prefillReusing } from '../../agent/lm/engine/types.ts';
import type { NamedTensors } from '../../agent/lm/tensors.ts';
import { runEpisode } from '../../agent/loop.ts';
import type { Decision, Planner, PlannerContext } from '../../agent/planner.ts';
import { makePlanner } from '../../agent/planners/index.ts';
import { ANSWER_RESERVE, engineFor, fitPrompt, LM_ACTION_KINDS, LMPlanner, LMPlannerError } from '../../agent/planners/lm.ts';
import { OraclePlanner } from '../../agent/planners/oracle.ts';
import { renderPrompt, renderResponse } from '../../agent/prompt.ts';
import { LATEST_PROMPT_FORMAT, PROMPT_FORMAT_KEY } from '../../agent/prompt-format.ts';
import { encodeExample, promptIds } from '../../agent/lm/sequence.ts';
import { familyEnv } from '../../scenes/env.ts';
import { FAMILY_NAMES } from '../../scenes/family-names.ts';
import { tinyBundle, type TinyBundle } from '../fixtures/lm-bundle.ts';

let tiny: TinyBundle;
beforeAll(async () => {
  tiny = await tinyBundle();
}, 240_000);

const bundleOf = (t: TinyBundle): PlannerBundle => ({ config: t.config, tokenizer: t.tokenizer, weights: t.weights, metadata: {}, promptFormat: t.promptFormat });

function codeOf(f: () => unknown): BundleErrorCode | 'none' {
  try {
    f();
    return 'none';
  } catch (e) {
    if (e instanceof BundleError) return e.code;
    throw e;
  }
}

/** Records every context and decision of the wrapped planner. */
class Spy implements Planner {
  readonly name: string;
  readonly steps: { context: PlannerContext; decision: Decision }[] = [];
  constructor(private readonly inner: Planner) {
    this.name = inner.name;
  }
  reset(info: Parameters<NonNullable<Planner['reset']>>[0]): void {
    this.inner.reset?.(info);
  }
  async decide(context: PlannerContext, options: { signal?: AbortSignal }): Promise<Decision> {
    const decision = await this.inner.decide(context, options);
    this.steps.push({ context, decision });
    return decision;
  }
}

/** The ids the agent knows in an observation. */
const knownIds = (context: PlannerContext): Set<string> => {
  const obs = context.observation;
  return new Set([...obs.visible.map((e) => e.id), ...obs.landmarks.map((l) => l.id), ...(obs.holding ? [obs.holding] : [])]);
};

describe('planner bundles', () => {
  it('round-trip config, tokenizer and weights, in F32 and int8', () => {
    const back = decodeBundle(tiny.bytes);
    expect(back.config).toEqual(tiny.config);
    expect(back.tokenizer.toJSON()).toEqual(tiny.tokenizer.toJSON());
    expect([...back.weights.keys()]).toEqual([...tiny.weights.keys()]);
    expect(back.weights.get('h.1.mlp.fc.w')?.data).toEqual(tiny.weights.get('h.1.mlp.fc.w')?.data);
    const int8 = decodeBundle(encodeBundle(tiny.config, tiny.tokenizer, quantizeInt8(tiny.weights)));
    const a = tiny.weights.get('wte')!.data;
    const b = int8.weights.get('wte')!.data;
    let err = 0;
    for (let i = 0; i < a.length; i++) err = Math.max(err, Math.abs(a[i]! - b[i]!));
    expect(err).toBeLessThan(0.01);
    expect([...int8.weights.keys()]).toEqual([...tiny.weights.keys()]);
    // The int8 tensors as stored, for the WebGPU engine: each matrix I8 with its row scales, the rest the very
    // F32 arrays of `weights`; an F32 checkpoint has none.
    expect(back.stored).toBeUndefined();
    const stored = int8.stored!;
    expect(stored.get('h.1.mlp.fc.w')?.dtype).toBe('I8');
    expect(stored.get('h.1.mlp.fc.w.scale')?.dtype).toBe('F32');
    expect(stored.get('h.1.ln1.g')?.data).toBe(int8.weights.get('h.1.ln1.g')?.data);
  });

  it('name what is missing or mismatched', () => {
    const { config, tokenizer, weights } = tiny;
    const meta = { config: JSON.stringify(config), tokenizer: JSON.stringify(tokenizer.toJSON()) };
    expect(codeOf(() => decodeBundle(encodeCheckpoint(weights, { tokenizer: meta.tokenizer })))).toBe('missing_config');
    expect(codeOf(() => decodeBundle(encodeCheckpoint(weights, { config: meta.config })))).toBe('missing_tokenizer');
    expect(codeOf(() => decodeBundle(encodeCheckpoint(weights, { ...meta, config: '{"vocabSize": 3' })))).toBe('bad_config');
    expect(codeOf(() => decodeBundle(encodeCheckpoint(weights, { ...meta, config: JSON.stringify({ ...config, heads: 3 }) })))).toBe('bad_config');
    expect(codeOf(() => decodeBundle(encodeCheckpoint(weights, { ...meta, tokenizer: '{"type": "nope"}' })))).toBe('bad_tokenizer');
    expect(codeOf(() => decodeBundle(encodeCheckpoint(weights, { ...meta, config: JSON.stringify({ ...config, vocabSize: config.vocabSize + 1 }) })))).toBe(
      'vocab_mismatch',
    );
    // Another layer count: a weight is missing, or one is left over.
    expect(codeOf(() => decodeBundle(encodeCheckpoint(weights, { ...meta, config: JSON.stringify({ ...config, layers: 3 }) })))).toBe('missing_weight');
    expect(codeOf(() => decodeBundle(encodeCheckpoint(weights, { ...meta, config: JSON.stringify({ ...config, layers: 1 }) })))).toBe('unexpected_weight');
    // Learned positions need wpe.
    expect(codeOf(() => decodeBundle(encodeCheckpoint(weights, { ...meta, config: JSON.stringify({ ...config, positions: 'learned' }) })))).toBe('missing_weight');
    const reshaped: NamedTensors = new Map(weights);
    const fc = weights.get('h.0.mlp.fc.w')!;
    reshaped.set('h.0.mlp.fc.w', { shape: [fc.shape[1]!, fc.shape[0]!], data: fc.data });
    expect(() => decodeBundle(encodeCheckpoint(reshaped, meta))).toThrow(/h\.0\.mlp\.fc\.w.*shape \[128, 32\].*\[32, 128\]/);
    expect(codeOf(() => decodeBundle(encodeCheckpoint(reshaped, meta)))).toBe('weight_shape');
    const nan: NamedTensors = new Map(weights);
    nan.set('lnf.g', { shape: [config.dModel], data: new Float32Array(config.dModel).fill(Number.NaN) });
    expect(codeOf(() => decodeBundle(encodeCheckpoint(nan, meta)))).toBe('bad_weight');
    expect(codeOf(() => decodeBundle(new Uint8Array([1, 2, 3])))).toBe('bad_checkpoint');
    // The prompt format: absent meaning 1 (files from before it existed), encodeBundle writing the latest, else unknown.
    expect(decodeBundle(encodeCheckpoint(weights, meta)).promptFormat).toBe(1);
    expect(decodeBundle(encodeCheckpoint(weights, { ...meta, [PROMPT_FORMAT_KEY]: '2' })).promptFormat).toBe(2);
    expect(decodeBundle(encodeBundle(config, tokenizer, weights)).promptFormat).toBe(LATEST_PROMPT_FORMAT);
    expect(() => decodeBundle(encodeCheckpoint(weights, { ...meta, [PROMPT_FORMAT_KEY]: '7' }))).toThrow(/"prompt_format" metadata is "7"/);
    expect(codeOf(() => decodeBundle(encodeCheckpoint(weights, { ...meta, [PROMPT_FORMAT_KEY]: 'two' })))).toBe('bad_prompt_format');
  });

  it('load from files once per path, and say which file is missing', async () => {
    clearBundleCache();
    const first = loadBundleFile(tiny.path);
    expect(loadBundleFile(tiny.path)).toBe(first);
    expect((await first).config).toEqual(tiny.config);
    const missing = join(tmpdir(), 'umwelt-no-such-dir', 'planner.safetensors');
    await expect(loadBundleFile(missing)).rejects.toMatchObject({ name: 'BundleError', code: 'missing_file' });
    await expect(loadBundleFile(missing)).rejects.toThrow(`no planner checkpoint at`);
    const dir = mkdtempSync(join(tmpdir(), 'umwelt-lm-bad-'));
    const bad = join(dir, 'bad.safetensors');
    writeFileSync(bad, encodeCheckpoint(tiny.weights, { config: JSON.stringify(tiny.config) }));
    await expect(loadBundleFile(bad)).rejects.toMatchObject({ code: 'missing_tokenizer' });
    await expect(loadBundleFile(bad)).rejects.toThrow(/bad\.safetensors: the checkpoint has no "tokenizer" metadata/);
  });

  it.skipIf(existsSync(defaultCheckpointPath()))('without the shipped checkpoint, say how to make it', async () => {
    await expect(loadBundleFile()).rejects.toThrow(`no planner checkpoint at ${DEFAULT_CHECKPOINT}; run npm run train:planner`);
    const env = familyEnv('goto', { maxSteps: 1 });
    await expect(runEpisode({ env, planner: makePlanner('lm', env), seed: 1_000_000 })).rejects.toMatchObject({ name: 'BundleError', code: 'missing_file' });
  });
});

describe('the lm planner', () => {
  it('can close a say whose budget runs out (the closing quote is one step from the end)', () => {
    const automaton = new ActionAutomaton({ kinds: ['say'], entities: [] });
    const inText = automaton.advance(automaton.start, ' say("hello')!;
    expect(automaton.distance(inText)).toBe(2);
    expect(automaton.distance(automaton.advance(inText, '"')!)).toBe(1);
  });

  it('always acts with a parseable action on entities the agent knows (random weights, greedy and sampled)', async () => {
    const planner = (temperature: number, seed: number): LMPlanner =>
      new LMPlanner({ bundle: bundleOf(tiny), sampling: { temperature, topK: temperature > 0 ? 40 : 0 }, seed, maxThoughtTokens: 24 });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...FAMILY_NAMES),
        fc.integer({ min: 0, max: 999_999 }),
        fc.constantFrom(0, 1.5),
        fc.integer({ min: 0, max: 1000 }),
        async (family, seed, temperature, samplingSeed) => {
          const spy = new Spy(planner(temperature, samplingSeed));
          const env = familyEnv(family, { maxSteps: 3 });
          await runEpisode({ env, planner: spy, seed: 1_000_000 + seed });
          expect(spy.steps.length).toBeGreaterThan(0);
          for (const { context, decision } of spy.steps) {
            expect(decision.action).not.toBeNull();
            const action = decision.action!;
            expect(parseAction(formatAction(action))).toEqual({ ok: true, action });
            const known = knownIds(context);
            for (const id of actionEntities(action)) expect(known.has(id)).toBe(true);
            // The raw output reads back as the same action through the prompt's marks.
            const extracted = extractAction(decision.raw);
            expect(extracted.ok).toBe(true);
            if (extracted.ok) expect(resolveMarks(extracted.action, renderPrompt(context).marks)).toEqual({ ok: true, action });
            expect(decision.stats.promptTokens).toBeGreaterThan(0);
            expect(decision.stats.tokens).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 12, seed: 42 },
    );
  }, 240_000);

  it('is deterministic, greedy by default', async () => {
    const run = async (): Promise<string[]> => {
      const spy = new Spy(new LMPlanner({ bundle: bundleOf(tiny), maxThoughtTokens: 16 }));
      await runEpisode({ env: familyEnv('fetch', { maxSteps: 3 }), planner: spy, seed: 1_000_004 });
      return spy.steps.map((s) => s.decision.raw);
    };
    expect(await run()).toEqual(await run());
  });

  it('decodes again, by sampling, a choice it already made in the same prompt state (the loop guard), until reset', async () => {
    const seed = 1_000_004;
    const spy = new Spy(new LMPlanner({ bundle: bundleOf(tiny), maxThoughtTokens: 16, loopGuard: false }));
    await runEpisode({ env: familyEnv('fetch', { maxSteps: 1 }), planner: spy, seed });
    const { context, decision: greedy } = spy.steps[0]!;
    const info = { seed, family: 'fetch', instruction: context.instruction };
    const actionOf = (d: Decision): string => (d.action === null ? 'none' : formatAction(d.action));

    const guarded = new LMPlanner({ bundle: bundleOf(tiny), maxThoughtTokens: 16 });
    guarded.reset(info);
    const first = await guarded.decide(context);
    expect(first.raw).toBe(greedy.raw);
    const second = await guarded.decide(context);
    expect(actionOf(second)).not.toBe(actionOf(first));
    // Every decode is counted, the greedy one that repeated included.
    expect(second.stats.tokens).toBeGreaterThan(first.stats.tokens!);
    guarded.reset(info);
    expect((await guarded.decide(context)).raw).toBe(greedy.raw);

    const unguarded = new LMPlanner({ bundle: bundleOf(tiny), maxThoughtTokens: 16, loopGuard: false });
    unguarded.reset(info);
    expect((await unguarded.decide(context)).raw).toBe(greedy.raw);
    expect((await unguarded.decide(context)).raw).toBe(greedy.raw);
  });

  it('forces "Action:" when the thought has no room', async () => {
    const planner = new LMPlanner({ bundle: bundleOf(tiny), maxThoughtTokens: 0 });
    const env = familyEnv('goto', { maxSteps: 1 });
    const spy = new Spy(planner);
    await runEpisode({ env, planner: spy, seed: 1_000_000 });
    const decision = spy.steps[0]!.decision;
    expect(decision.raw).toMatch(/^Action: ?\w+\(/);
    expect(decision.thought).toBe('');
    expect(decision.action).not.toBeNull();
  });

  it('loads lazily, once, and tries again after a failed load', async () => {
    let calls = 0;
    const planner = new LMPlanner({
      bundle: async () => {
        calls++;
        if (calls === 1) throw new BundleError('missing_file', 'not yet');
        return bundleOf(tiny);
      },
      maxThoughtTokens: 4,
    });
    const env = familyEnv('goto', { maxSteps: 2 });
    await expect(runEpisode({ env, planner, seed: 1_000_000 })).rejects.toThrow('not yet');
    const result = await runEpisode({ env, planner, seed: 1_000_000 });
    expect(result.steps).toBeGreaterThanOrEqual(1);
    await runEpisode({ env, planner, seed: 1_000_001 });
    expect(calls).toBe(2);
  });

  it('shortens a prompt that does not fit: History lines, then memories, then the farthest visible entities', async () => {
    const spy = new Spy(new LMPlanner({ bundle: bundleOf(tiny), maxThoughtTokens: 2 }));
    await runEpisode({ env: familyEnv('search', { maxSteps: 6 }), planner: spy, seed: 1_000_002 });
    const last = spy.steps[spy.steps.length - 1]!.context;
    const context: PlannerContext = { ...last, memories: ['the red mug was on the white table in the kitchen', 'the lamp is off'] };
    expect(context.history.length).toBeGreaterThanOrEqual(4);
    expect(context.observation.visible.length).toBeGreaterThan(1);
    const full = fitPrompt(context, tiny.tokenizer, 10_000);
    expect(full.dropped).toEqual({ history: 0, memories: 0, visible: 0 });
    expect(full.prompt).toEqual(renderPrompt(context));
    // A model trained on format 1 reads format 1.
    expect(fitPrompt(context, tiny.tokenizer, 10_000, 1).prompt).toEqual(renderPrompt(context, { format: 1 }));
    const n = full.ids.length;
    const lessHistory = fitPrompt(context, tiny.tokenizer, n - 1);
    expect(lessHistory.dropped).toEqual({ history: 1, memories: 0, visible: 0 });
    expect(lessHistory.ids.length).toBeLessThanOrEqual(n - 1);
    // Only a History line went: everything before the History section, and what follows it (Named, Task), are as rendered.
    const before = (text: string): string => text.slice(0, text.lastIndexOf('History:'));
    const task = (text: string): string => text.slice(text.lastIndexOf('\nNamed in the task:') + 1);
    expect(before(lessHistory.prompt.text)).toBe(before(full.prompt.text));
    expect(task(lessHistory.prompt.text)).toBe(task(full.prompt.text));
    const historyLines = full.prompt.text.slice(full.prompt.text.lastIndexOf('History:'), full.prompt.text.lastIndexOf('\nNamed in the task:')).trim().split('\n').slice(1);
    expect(lessHistory.prompt.text.endsWith(`History:\n${historyLines.slice(1).join('\n')}\n${task(full.prompt.text)}`)).toBe(true);
    const shown = historyLines.length;
    const withoutHistory = (c: PlannerContext): number => {
      const text = renderPrompt(c).text;
      return promptIds(tiny.tokenizer, `${before(text)}History: none\n${task(text)}`).length;
    };
    const h0 = withoutHistory(context);
    expect(fitPrompt(context, tiny.tokenizer, h0).dropped).toEqual({ history: shown, memories: 0, visible: 0 });
    expect(fitPrompt(context, tiny.tokenizer, h0 - 1).dropped).toMatchObject({ history: shown, visible: 0 });
    const m0 = withoutHistory({ ...context, memories: [] });
    const lessSeen = fitPrompt(context, tiny.tokenizer, m0 - 1);
    expect(lessSeen.dropped).toMatchObject({ history: shown, memories: 2 });
    expect(lessSeen.dropped.visible).toBeGreaterThan(0);
    expect(lessSeen.ids.length).toBeLessThanOrEqual(m0 - 1);
    // The marks of a shortened prompt are those of its text.
    for (const i of lessSeen.prompt.marks.ids.keys()) expect(lessSeen.prompt.text).toMatch(new RegExp(`#${i + 1}(?!\\d)`));
    expect(() => fitPrompt(context, tiny.tokenizer, 20)).toThrow(LMPlannerError);
  }, 30_000);
});

describe('the answer reserve', () => {
  it('holds a whole answer: the oracle answers of every family, in the shipped tokenizer, with their <eos>', async () => {
    const bundle = await loadBundleFile(defaultCheckpointPath());
    const lengths: number[] = [];
    for (const steps of await oracleSteps(12)) {
      for (const { context, answer } of steps) {
        const prompt = renderPrompt(context).text;
        lengths.push(encodeExample(bundle.tokenizer, prompt, answer).ids.length - promptIds(bundle.tokenizer, prompt).length);
      }
    }
    expect(lengths.length).toBeGreaterThan(50);
    // The reserve covers the longest with room to spare; 24 tokens (what it was) held less than a whole answer.
    expect(Math.max(...lengths)).toBeLessThanOrEqual(ANSWER_RESERVE);
    expect(Math.min(...lengths)).toBeGreaterThan(24);
  }, 60_000);
});

/** The contexts and oracle answers of consecutive steps of oracle episodes, one per family. */
async function oracleSteps(maxSteps: number): Promise<{ context: PlannerContext; answer: string }[][]> {
  const episodes: { context: PlannerContext; answer: string }[][] = [];
  for (const [i, family] of FAMILY_NAMES.entries()) {
    const env = familyEnv(family, { maxSteps });
    const spy = new Spy(new OraclePlanner(env));
    await runEpisode({ env, planner: spy, seed: 1_000_020 + i });
    episodes.push(
      spy.steps.map(({ context, decision }) => ({
        context,
        answer: decision.action === null ? decision.raw : renderResponse(decision.thought, decision.action, renderPrompt(context).marks),
      })),
    );
  }
  return episodes;
}

describe('prefix reuse', () => {
  let episodes: { context: PlannerContext; answer: string }[][] = [];
  beforeAll(async () => {
    episodes = await oracleSteps(6);
    expect(episodes.flat().length).toBeGreaterThan(2 * episodes.length);
  }, 240_000);

  it('gives bit-identical logits to a fresh prefill over consecutive prompts of real episodes, and reuses their common prefixes', async () => {
    const bundle = bundleOf(tiny);
    const engine = new CpuEngine(bundle.config, bundle.weights);
    const fresh = new CpuEngine(bundle.config, bundle.weights);
    const tokenizer = tiny.tokenizer;
    let reused = 0;
    let total = 0;
    for (const steps of episodes) {
      for (const { context, answer } of steps) {
        const { ids } = fitPrompt(context, tokenizer, bundle.config.context - 32);
        const got = prefillReusing(engine, ids);
        fresh.reset();
        expect(got.logits).toEqual(fresh.prefill(ids));
        reused += got.reused;
        total += ids.length;
        // The answer as a decision reads it: a chunk, then token by token.
        const answerIds = Array.from(tokenizer.encode(answer, { allowSpecial: false })).slice(0, 24);
        const [first, ...rest] = answerIds;
        if (first === undefined) continue;
        expect(engine.step(first)).toEqual(fresh.step(first));
        if (rest.length > 0) expect(engine.prefill(rest)).toEqual(fresh.prefill(rest));
        expect(engine.tokens).toEqual([...ids, ...answerIds]);
      }
    }
    // Consecutive prompts share their Places (and the lines up to the first that changed); measured: 18%.
    expect(reused / total).toBeGreaterThan(0.15);
  }, 240_000);

  it('leaves every decision as a fresh prefill makes it, with planners and other users sharing the engine', async () => {
    const shared = bundleOf(tiny); // one engine for the planners that reuse (engineFor)
    const apart = bundleOf(tiny); // another for the planner that does not
    for (const sampling of [{}, { temperature: 1, topK: 0 }]) {
      // Without the loop guard: reuseA and reuseB each see every other step, plain sees all, so their guards differ.
      const options = { maxThoughtTokens: 20, sampling, seed: 3, loopGuard: false };
      const reuseA = new LMPlanner({ bundle: shared, ...options });
      const reuseB = new LMPlanner({ bundle: shared, ...options });
      const plain = new LMPlanner({ bundle: apart, reusePrefix: false, ...options });
      const engine = engineFor(shared);
      for (const [e, steps] of episodes.entries()) {
        const info = { family: 'any', seed: e, instruction: '' };
        for (const p of [reuseA, reuseB, plain]) p.reset(info);
        for (const [i, { context }] of steps.entries()) {
          const expected = await plain.decide(context);
          expect(await (i % 2 === 0 ? reuseA : reuseB).decide(context), `episode ${e}, step ${i}`).toEqual(expected);
          if (i === 2) {
            // Another user of the engine: constrainedAction given a prompt resets it and reads that prompt.
            const other = fitPrompt(steps[0]!.context, tiny.tokenizer, shared.config.context - ANSWER_RESERVE).ids;
            constrainedAction(engine, tiny.tokenizer, { prompt: other, allowed: { kinds: LM_ACTION_KINDS, entities: [] }, maxTokens: 8 });
          }
        }
      }
    }
  }, 240_000);
});
