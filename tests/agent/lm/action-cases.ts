// Real Action lines to decode: the shipped planner's prompts (episode-prompts.ts), each followed by its greedy
// thought and the `Action:` marker, as the ids an engine has still to read when the action's first choice is made
// (constrained-async.ts `pending`), with the actions the prompt allows.
import type { AllowedActions } from '../../../agent/constrained.ts';
import type { PlannerBundle } from '../../../agent/lm/bundle.ts';
import { CpuEngine } from '../../../agent/lm/engine/cpu.ts';
import { decodeAnswer } from '../../../agent/planners/lm-answer.ts';
import { episodePrompts } from '../episode-prompts.ts';

export interface ActionCase {
  name: string;
  /** The prompt, the thought and the marker. */
  pending: number[];
  allowed: AllowedActions;
}

/** `count` cases; thoughts of at most `thoughtTokens` tokens. */
export async function actionCases(bundle: PlannerBundle, count: number, thoughtTokens = 24): Promise<ActionCase[]> {
  const prompts = await episodePrompts(bundle, count);
  const cpu = new CpuEngine(bundle.config, bundle.weights);
  return prompts.map((prompt) => {
    const answer = decodeAnswer(cpu, bundle.tokenizer, prompt.ids, { allowed: prompt.allowed, seed: 'thought', maxThoughtTokens: thoughtTokens });
    const head = answer.text.slice(0, answer.text.length - answer.line.text.length);
    return { name: prompt.name, pending: [...prompt.ids, ...bundle.tokenizer.encode(head, { allowSpecial: false })], allowed: prompt.allowed };
  });
}
