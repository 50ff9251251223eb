// The language-model planner: the small GPT trained in this project (agent/lm), decoding on the CPU engine.
//
// One decision:
//   1. renderPrompt(context) -> ids = <bos><prompt>PROMPT<response> (agent/lm/sequence.ts). When the ids do not
//      leave room for an answer in the model's context, the prompt is shortened (fitPrompt): the oldest lines of
//      its History section first, then the memories, then the farthest visible entities; if it still does not
//      fit, an LMPlannerError 'prompt_too_long'.
//   2. The thought (decodeAnswer, lm-answer.ts, shared with `umwelt serve`): tokens decoded freely (greedy by
//      default) until the text spells "\nAction:"; a special token, the thought cap or the context's room ends
//      it early and the rest of the marker is fed as text.
//   3. The action: constrainedAction (agent/constrained.ts) over the kinds the prompt's Actions line offers and
//      the entities the agent knows (the prompt's marks #1..#n and the ids of the visible entities, the landmarks
//      and the held thing), so the line always parses; its marks are resolved through the prompt's MarkTable.
// No model output can make decide() throw or return an unparsable action.
//
// The bundle (weights, config, tokenizer) is given, or loaded on the first decision (or by ready()) through the
// given loader and kept; the CPU engine is built once per bundle and kernel, and shared by the planners of a
// process (a decision runs synchronously from its prefill to its action, so they never interleave).
// The engine: the CPU engine by default; `engine: 'webgpu' | 'auto'` decodes on the WebGPU engine (lm-gpu.ts,
// decodeAnswerAsync: greedy choices and the grammar mask on the GPU, one submission per token), built once per
// bundle; no adapter, a failed build or a device lost mid-episode falls back to the CPU engine for good, with one
// logged line, and the decision is made there (the episode goes on). Decision stats name the engine that decided.
// Prefix reuse: the engine keeps the ids it holds (the previous decision's prompt and answer, whoever made it);
// a decision truncates it to the longest prefix its prompt shares with them and prefills only the rest. The
// record is the engine's own (CpuEngine.tokens), so no other user of the engine can leave it stale.
import type { ActionKind } from '../../sim/types.ts';
import { isEntityId, resolveMarks } from '../grammar.ts';
import type { PlannerBundle } from '../lm/bundle.ts';
import { CpuEngine, type CpuKernel } from '../lm/engine/cpu.ts';
import { WebGpuEngineError, type WebGpuEngine } from '../lm/webgpu/engine.ts';
import type { SamplingOptions } from '../lm/sampling.ts';
import { promptIds } from '../lm/sequence.ts';
import type { Tokenizer } from '../lm/tokenizer.ts';
import type { Decision, EpisodeInfo, Planner, PlannerContext } from '../planner.ts';
import { PROMPT_LIMITS, renderPrompt, type RenderedPrompt } from '../prompt.ts';
import { LATEST_PROMPT_FORMAT, type PromptFormat } from '../prompt-format.ts';
import { ACTION_MARKER, decodeAnswer, type Answer, type AnswerOptions } from './lm-answer.ts';
import { decodeAnswerAsync } from './lm-answer-async.ts';
import { thoughtMarks } from './thought-marks.ts';
import { LoopGuard, promptState } from './loop-guard.ts';
import { chooseGpuEngine, defaultGpuSource, serially, type EngineNoteKind, type GpuSource, type LMEngineName } from './lm-gpu.ts';

export { ACTION_MARKER, DEFAULT_MAX_ACTION_TOKENS, DEFAULT_MAX_THOUGHT_TOKENS } from './lm-answer.ts';
export { LM_ENGINES, type LMEngineName } from './lm-gpu.ts';
/**
 * Tokens a prompt leaves free for the answer (besides the action marker): a whole answer's worth. Training fits
 * each example, prompt and answer, in the context (a long one loses History lines: `shorten-history`), so a
 * prompt that leaves less room is one the model never saw followed by its whole answer, and the thought is cut
 * off by the context's end mid-sentence. The training data's answers take at most 58 tokens (p99 56, measured on
 * the base and memory data with the shipped tokenizer); prompts with three Memories lines often need the room.
 */
export const ANSWER_RESERVE = 64;
/**
 * The temperatures of the sampled decodes tried, in turn, when a choice repeats itself (loop-guard.ts). They rise
 * because the small model is confident where it loops: traced, three tries at 1 gave the same drawer again and
 * kept a loop going for eight more steps. On the memory suite, rising tries took the shipped model from 11.4 to
 * 11.1 mean steps with a memory and 15.0 to 15.2 without (80 visits each; `umwelt eval` of memory.json).
 */
export const LOOP_GUARD_TEMPERATURES: readonly number[] = [1, 1.5, 2, 2.5];
/** The action kinds the prompt's Actions line offers (agent/prompt.ts ACTIONS_LINE). */
export const LM_ACTION_KINDS: readonly ActionKind[] = ['goto', 'pick', 'place', 'open', 'close', 'toggle', 'say', 'done'];

export type LMPlannerErrorCode = 'prompt_too_long';

export class LMPlannerError extends Error {
  override readonly name = 'LMPlannerError';
  constructor(
    readonly code: LMPlannerErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface LMPlannerOptions {
  /** The bundle, or how to load it (called once, on the first decision or by ready()). */
  bundle: PlannerBundle | (() => Promise<PlannerBundle>);
  /** The planner's name in results (default 'lm'). */
  name?: string;
  /** Greedy (temperature 0) by default. */
  sampling?: SamplingOptions;
  /** Mixed with the episode and step into each decision's sampling seed (used only when sampling). */
  seed?: number | string;
  maxThoughtTokens?: number;
  maxActionTokens?: number;
  /** Longest say text (characters). */
  sayCap?: number;
  /** The CPU engine's kernel (default 'simd', 'js' where SIMD is missing). */
  kernel?: CpuKernel;
  /** Re-read only what follows the longest prefix of the prompt that the engine still holds from the previous
   *  decision (default true; same logits and decisions either way, see prefillReusing). */
  reusePrefix?: boolean;
  /** Which engine decodes (default 'cpu'; lm-gpu.ts LM_ENGINES). */
  engine?: LMEngineName;
  /** Where the WebGPU device comes from (default: Dawn in Node, navigator.gpu in the browser). */
  gpu?: GpuSource;
  /** Where the line goes that says why the CPU engine decodes, with its kind (default console.warn). */
  log?: (line: string, kind: EngineNoteKind) => void;
  /** Keep the thought's marks consistent with the prompt's descriptions (default true; thought-marks.ts). */
  thoughtMarks?: boolean;
  /** Decode again, by sampling, a choice that repeats one made in the same prompt state in this episode
   *  (default true; loop-guard.ts). */
  loopGuard?: boolean;
}

export interface FittedPrompt {
  prompt: RenderedPrompt;
  ids: number[];
  /** What was left out to fit. */
  dropped: { history: number; memories: number; visible: number };
}


/**
 * The prompt ids for a context in at most `maxTokens` tokens: the full prompt when it fits, else shortened:
 * the History section's oldest lines first (the context keeps its whole history, so the rest of the prompt, such
 * as the places visited, does not change), then the memories, then the farthest visible entities (re-rendered,
 * so that the marks are those of the text). Throws LMPlannerError 'prompt_too_long' when even the bare prompt
 * does not fit.
 */
export function fitPrompt(context: PlannerContext, tokenizer: Tokenizer, maxTokens: number, format: PromptFormat = LATEST_PROMPT_FORMAT): FittedPrompt {
  const dropped = { history: 0, memories: 0, visible: 0 };
  const encode = (prompt: RenderedPrompt): { prompt: RenderedPrompt; ids: number[] } => ({ prompt, ids: promptIds(tokenizer, prompt.text) });
  let fitted = encode(renderPrompt(context, { format }));
  // History lines introduce no marks, so dropping them keeps every mark of the full prompt.
  const shown = Math.min(PROMPT_LIMITS.history, context.history.length);
  while (fitted.ids.length > maxTokens && dropped.history < shown) {
    dropped.history++;
    fitted = encode(renderPrompt(context, { history: shown - dropped.history, format }));
  }
  let memories = context.memories.slice(0, PROMPT_LIMITS.memories);
  let visible = [...context.observation.visible].sort((a, b) => a.distance - b.distance || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  while (fitted.ids.length > maxTokens) {
    if (memories.length > 0) {
      memories = memories.slice(0, -1);
      dropped.memories++;
    } else if (visible.length > 0) {
      visible = visible.slice(0, -1);
      dropped.visible++;
    } else {
      throw new LMPlannerError(
        'prompt_too_long',
        `the prompt takes ${fitted.ids.length} tokens even without history, memories and visible entities; the model reads at most ${maxTokens} before its answer`,
      );
    }
    fitted = encode(renderPrompt({ ...context, memories, observation: { ...context.observation, visible } }, { history: 0, format }));
  }
  return { ...fitted, dropped };
}

/** The entities the action may name: the prompt's marks and the ids the agent knows. */
export function allowedEntities(context: PlannerContext, prompt: RenderedPrompt): string[] {
  const obs = context.observation;
  const marks = prompt.marks.ids.map((_, i) => `#${i + 1}`);
  const ids = [...obs.landmarks.map((l) => l.id), ...obs.visible.map((e) => e.id), ...(obs.holding === null ? [] : [obs.holding])];
  return [...new Set([...marks, ...ids.filter(isEntityId)])];
}

const engines = new WeakMap<PlannerBundle, Map<CpuKernel, CpuEngine>>();

/** The CPU engine of a bundle, built once per bundle and kernel. */
export function engineFor(bundle: PlannerBundle, kernel: CpuKernel = 'simd'): CpuEngine {
  let byKernel = engines.get(bundle);
  if (byKernel === undefined) {
    byKernel = new Map();
    engines.set(bundle, byKernel);
  }
  let engine = byKernel.get(kernel);
  if (engine === undefined) {
    engine = new CpuEngine(bundle.config, bundle.weights, { kernel });
    byKernel.set(kernel, engine);
  }
  return engine;
}

export class LMPlanner implements Planner {
  readonly name: string;
  private readonly options: LMPlannerOptions;
  private loaded: Promise<{ bundle: PlannerBundle; engine: CpuEngine }> | null = null;
  private episode = 'none';
  /** Why this planner decodes on the CPU although WebGPU was asked for (logged once), or null. */
  private fallenBack: string | null = null;
  private readonly guard = new LoopGuard();

  constructor(options: LMPlannerOptions) {
    this.options = options;
    this.name = options.name ?? 'lm';
  }

  /** Loads the bundle and builds the engine now (else the first decision does), the WebGPU engine too when asked
   *  for (or falls back); rejects with the loader's error. */
  ready(): Promise<{ bundle: PlannerBundle; engine: CpuEngine }> {
    if (this.loaded === null) {
      const source = this.options.bundle;
      const kernel = this.options.kernel ?? 'simd';
      const loading = (typeof source === 'function' ? source() : Promise.resolve(source)).then(async (bundle) => {
        await this.gpuEngine(bundle);
        return { bundle, engine: engineFor(bundle, kernel) };
      });
      this.loaded = loading;
      // A failed load is tried again at the next call.
      loading.catch(() => {
        if (this.loaded === loading) this.loaded = null;
      });
    }
    return this.loaded;
  }

  reset(info: EpisodeInfo): void {
    this.episode = `${info.family}:${info.seed}`;
    this.guard.reset();
  }

  async decide(context: PlannerContext): Promise<Decision> {
    const { bundle, engine } = await this.ready();
    const prepared = this.prepare(bundle, engine.config.context, context);
    const greedy = await this.answer(bundle, engine, prepared);
    if (!(this.options.loopGuard ?? true) || greedy.action === null) return greedy;
    const state = promptState(prepared.prompt.text);
    let chosen = greedy;
    let tokens = greedy.stats.tokens ?? 0;
    // The same choice in the same state again: decode again by sampling, a few seeded tries (loop-guard.ts).
    const asked = prepared.options.sampling ?? {};
    for (let i = 0; i < LOOP_GUARD_TEMPERATURES.length && chosen.action !== null && this.guard.repeats(state, chosen.action); i++) {
      const sampling = { ...asked, temperature: Math.max(asked.temperature ?? 0, LOOP_GUARD_TEMPERATURES[i]!) };
      const again = await this.answer(bundle, engine, { ...prepared, options: { ...prepared.options, sampling, seed: `${prepared.options.seed}:again:${i}` } });
      tokens += again.stats.tokens ?? 0;
      if (again.action !== null && this.guard.accepts(state, again.action)) chosen = again;
    }
    if (chosen.action !== null) this.guard.note(state, chosen.action);
    // Every decode counts, the tries that repeated too (and all of them when the greedy choice stands).
    return { ...chosen, stats: { ...chosen.stats, tokens } };
  }

  /** One answer to a prepared prompt, on the WebGPU engine when it is in use, else (or after falling back) the CPU. */
  private async answer(bundle: PlannerBundle, engine: CpuEngine, prepared: Prepared): Promise<Decision> {
    const gpu = await this.gpuEngine(bundle);
    if (gpu !== null) {
      try {
        const answer = await serially(gpu, () => decodeAnswerAsync(gpu, bundle.tokenizer, prepared.ids, prepared.options));
        return finish(prepared, answer, 'webgpu');
      } catch (e) {
        if (!(e instanceof WebGpuEngineError)) throw e;
        this.fallBack(`${e.message}; the episode goes on`, 'fallback');
      }
    }
    return finish(prepared, decodeAnswer(engine, bundle.tokenizer, prepared.ids, prepared.options), 'cpu');
  }

  /** The engine decisions go to: 'webgpu', or 'cpu' (asked for, or fallen back to). */
  get engineInUse(): 'cpu' | 'webgpu' {
    return (this.options.engine ?? 'cpu') !== 'cpu' && this.fallenBack === null ? 'webgpu' : 'cpu';
  }

  /** The WebGPU engine when the options ask for it and it works, else null (after falling back once). */
  private async gpuEngine(bundle: PlannerBundle): Promise<WebGpuEngine | null> {
    const asked = this.options.engine ?? 'cpu';
    if (asked === 'cpu' || this.fallenBack !== null) return null;
    const chosen = await chooseGpuEngine(bundle, asked, this.options.gpu ?? defaultGpuSource);
    if (chosen.ok) return chosen.engine;
    this.fallBack(chosen.message, chosen.kind);
    return null;
  }

  private fallBack(reason: string, kind: EngineNoteKind): void {
    if (this.fallenBack !== null) return;
    this.fallenBack = reason;
    const line = `lm planner: WebGPU engine unavailable (${reason}); decoding on the CPU engine`;
    if (this.options.log === undefined) console.warn(line);
    else this.options.log(line, kind);
  }

  /** The prompt ids and the answer's options for a context. */
  private prepare(bundle: PlannerBundle, C: number, context: PlannerContext): Prepared {
    const tokenizer = bundle.tokenizer;
    const markerIds = Array.from(tokenizer.encode(ACTION_MARKER, { allowSpecial: false }));
    // The prompt in the format the model was trained on.
    const { prompt, ids } = fitPrompt(context, tokenizer, C - markerIds.length - ANSWER_RESERVE, bundle.promptFormat);
    const seed = `lm:${this.options.seed ?? 0}:${this.episode}:${context.observation.step}`;
    const options: AnswerOptions = {
      allowed: { kinds: LM_ACTION_KINDS, entities: allowedEntities(context, prompt), sayCap: this.options.sayCap },
      sampling: this.options.sampling ?? {},
      seed,
      reusePrefix: this.options.reusePrefix ?? true,
      maxThoughtTokens: this.options.maxThoughtTokens,
      maxActionTokens: this.options.maxActionTokens,
    };
    if (this.options.thoughtMarks ?? true) options.thoughtMarks = thoughtMarks(prompt.text, tokenizer);
    return { prompt, ids, options };
  }
}

interface Prepared {
  prompt: RenderedPrompt;
  ids: number[];
  options: AnswerOptions;
}

/** The decision of an answer: its action with the prompt's marks resolved. */
function finish(prepared: Prepared, answer: Answer, engine: 'cpu' | 'webgpu'): Decision {
  const { thought, line } = answer;
  const raw = answer.text;
  const stats = { tokens: answer.tokens, promptTokens: prepared.ids.length, engine };
  const resolved = resolveMarks(line.action, prepared.prompt.marks);
  if (!resolved.ok) return { thought, action: null, raw, error: resolved.error, stats };
  return { thought, action: resolved.action, raw, stats };
}
