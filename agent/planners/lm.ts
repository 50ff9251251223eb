// The language-model planner: the small GPT trained in this project (agent/lm), decoding on the CPU engine.
//
// One decision:
//   1. renderPrompt(context) -> ids = <bos><prompt>PROMPT<response> (agent/lm/sequence.ts). When the ids do not
//      leave room for an answer in the model's context, the prompt is shortened (fitPrompt): the oldest lines of
//      its History section first, then the memories, then the farthest visible entities; if it still does not
//      fit, an LMPlannerError 'prompt_too_long'.
//   2. The thought: tokens decoded freely (greedy by default) until the text spells "\nAction:" (or "Action:" at
//      the very start). A special token (such as <eos>), the thought cap or the context's room ends the thought
//      early, and the rest of "\nAction:" is then fed as text; a token that would run past "Action:" is not taken.
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
import { constrainedAction, type AllowedActions } from '../constrained.ts';
import { isEntityId, resolveMarks } from '../grammar.ts';
import type { PlannerBundle } from '../lm/bundle.ts';
import { CpuEngine, type CpuKernel } from '../lm/engine/cpu.ts';
import { prefillReusing } from '../lm/engine/types.ts';
import { Prng } from '../lm/prng.ts';
import { sampleToken, type SamplingOptions } from '../lm/sampling.ts';
import { promptIds } from '../lm/sequence.ts';
import type { Tokenizer } from '../lm/tokenizer.ts';
import type { Decision, EpisodeInfo, Planner, PlannerContext } from '../planner.ts';
import { PROMPT_LIMITS, renderPrompt, type RenderedPrompt } from '../prompt.ts';

/** Where the thought ends and the action begins. */
export const ACTION_MARKER = '\nAction:';
export const DEFAULT_MAX_THOUGHT_TOKENS = 96;
export const DEFAULT_MAX_ACTION_TOKENS = 48;
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

/** The longest k < marker length such that `text` ends with the first k characters of the marker. */
function markerOverlap(text: string): number {
  for (let k = ACTION_MARKER.length - 1; k > 0; k--) if (text.endsWith(ACTION_MARKER.slice(0, k))) return k;
  return 0;
}

/** The thought's text from what came before the marker: without its `Thought:` label and control characters
 *  (it is shown on terminals), trimmed. */
function thoughtOf(head: string): string {
  // eslint-disable-next-line no-control-regex
  return head.replace(/^\s*thought\s*:/i, '').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '\ufffd').trim();
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
    const rng = new Prng(seed);

    let logits: Float32Array;
    if (this.options.reusePrefix ?? true) {
      logits = prefillReusing(engine, ids).logits;
    } else {
      engine.reset();
      logits = engine.prefill(ids);
    }
    const maxThought = Math.max(0, Math.min(this.options.maxThoughtTokens ?? DEFAULT_MAX_THOUGHT_TOKENS, C - ids.length - markerIds.length - ANSWER_RESERVE));
    const thought: number[] = [];
    let text = '';
    let atMarker = false;
    while (thought.length < maxThought) {
      const token = sampleToken(logits, sampling, rng);
      if (tokenizer.isSpecial(token)) break;
      const next = tokenizer.decode([...thought, token]);
      const at = `\n${next}`.indexOf(ACTION_MARKER);
      if (at >= 0 && at + ACTION_MARKER.length !== next.length + 1) break; // the token runs past "Action:"
      thought.push(token);
      text = next;
      logits = engine.step(token);
      if (at >= 0) {
        atMarker = true;
        break;
      }
    }
    let forced = 0;
    if (!atMarker) {
      const rest = ACTION_MARKER.slice(markerOverlap(`\n${text}`));
      const restIds = Array.from(tokenizer.encode(rest, { allowSpecial: false }));
      forced = restIds.length;
      logits = engine.prefill(restIds);
      text += rest;
    }
    const markerAt = `\n${text}`.lastIndexOf(ACTION_MARKER);
    const thoughtText = thoughtOf(text.slice(0, Math.max(0, markerAt - 1)));

    const allowed: AllowedActions = { kinds: LM_ACTION_KINDS, entities: allowedEntities(context, prompt), sayCap: this.options.sayCap };
    const line = constrainedAction(engine, tokenizer, {
      logits,
      allowed,
      sampling,
      seed: `${seed}:action`,
      maxTokens: this.options.maxActionTokens ?? DEFAULT_MAX_ACTION_TOKENS,
    });
    const raw = `${text}${line.text}`;
    const stats = { tokens: thought.length + forced + line.tokens.length, promptTokens: ids.length };
    const resolved = resolveMarks(line.action, prompt.marks);
    if (!resolved.ok) return { thought: thoughtText, action: null, raw, error: resolved.error, stats };
    return { thought: thoughtText, action: resolved.action, raw, stats };
  }
}
