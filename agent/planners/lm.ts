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
// Prefix reuse: the engine keeps the ids it holds (the previous decision's prompt and answer, whoever made it);
// a decision truncates it to the longest prefix its prompt shares with them and prefills only the rest. The
// record is the engine's own (CpuEngine.tokens), so no other user of the engine can leave it stale.
import type { ActionKind } from '../../sim/types.ts';
import { isEntityId, resolveMarks } from '../grammar.ts';
import type { PlannerBundle } from '../lm/bundle.ts';
import { CpuEngine, type CpuKernel } from '../lm/engine/cpu.ts';
import type { SamplingOptions } from '../lm/sampling.ts';
import { promptIds } from '../lm/sequence.ts';
import type { Tokenizer } from '../lm/tokenizer.ts';
import type { Decision, EpisodeInfo, Planner, PlannerContext } from '../planner.ts';
import { PROMPT_LIMITS, renderPrompt, type RenderedPrompt } from '../prompt.ts';
import { ACTION_MARKER, decodeAnswer } from './lm-answer.ts';

export { ACTION_MARKER, DEFAULT_MAX_ACTION_TOKENS, DEFAULT_MAX_THOUGHT_TOKENS } from './lm-answer.ts';
/** Tokens a prompt must leave free for the answer: the action line at least. */
export const ANSWER_RESERVE = 24;
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
export function fitPrompt(context: PlannerContext, tokenizer: Tokenizer, maxTokens: number): FittedPrompt {
  const dropped = { history: 0, memories: 0, visible: 0 };
  const encode = (prompt: RenderedPrompt): { prompt: RenderedPrompt; ids: number[] } => ({ prompt, ids: promptIds(tokenizer, prompt.text) });
  let fitted = encode(renderPrompt(context));
  // History lines introduce no marks, so dropping them keeps every mark of the full prompt.
  const shown = Math.min(PROMPT_LIMITS.history, context.history.length);
  while (fitted.ids.length > maxTokens && dropped.history < shown) {
    dropped.history++;
    fitted = encode(renderPrompt(context, { history: shown - dropped.history }));
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
    fitted = encode(renderPrompt({ ...context, memories, observation: { ...context.observation, visible } }, { history: 0 }));
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

  constructor(options: LMPlannerOptions) {
    this.options = options;
    this.name = options.name ?? 'lm';
  }

  /** Loads the bundle and builds the engine now (else the first decision does); rejects with the loader's error. */
  ready(): Promise<{ bundle: PlannerBundle; engine: CpuEngine }> {
    if (this.loaded === null) {
      const source = this.options.bundle;
      const kernel = this.options.kernel ?? 'simd';
      const loading = (typeof source === 'function' ? source() : Promise.resolve(source)).then((bundle) => ({ bundle, engine: engineFor(bundle, kernel) }));
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
  }

  async decide(context: PlannerContext): Promise<Decision> {
    const { bundle, engine } = await this.ready();
    return this.decideWith(bundle.tokenizer, engine, context);
  }

  /** One decision on a ready engine (synchronous: nothing else uses the engine meanwhile). */
  private decideWith(tokenizer: Tokenizer, engine: CpuEngine, context: PlannerContext): Decision {
    const C = engine.config.context;
    const markerIds = Array.from(tokenizer.encode(ACTION_MARKER, { allowSpecial: false }));
    const { prompt, ids } = fitPrompt(context, tokenizer, C - markerIds.length - ANSWER_RESERVE);
    const sampling = this.options.sampling ?? {};
    const seed = `lm:${this.options.seed ?? 0}:${this.episode}:${context.observation.step}`;
    const answer = decodeAnswer(engine, tokenizer, ids, {
      allowed: { kinds: LM_ACTION_KINDS, entities: allowedEntities(context, prompt), sayCap: this.options.sayCap },
      sampling,
      seed,
      reusePrefix: this.options.reusePrefix ?? true,
      maxThoughtTokens: this.options.maxThoughtTokens,
      maxActionTokens: this.options.maxActionTokens,
    });
    const { thought: thoughtText, line } = answer;
    const raw = answer.text;
    const stats = { tokens: answer.tokens, promptTokens: ids.length };
    const resolved = resolveMarks(line.action, prompt.marks);
    if (!resolved.ok) return { thought: thoughtText, action: null, raw, error: resolved.error, stats };
    return { thought: thoughtText, action: resolved.action, raw, stats };
  }
}
