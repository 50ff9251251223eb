// Which version of the shared prompt format (agent/prompt.ts) a text was rendered in. A trained model reads the
// format it was trained on, so the version travels with the data (`umwelt data`'s manifest) and with every model
// file (the `prompt_format` metadata), as a chat model carries its chat template:
//   1  the sections Places, See, You, Unsearched, Memories, History, Task
//   2  format 1 plus `Named in the task:` before Task, and what the agent saw earlier in the episode there
//   3  format 2 with the place of a thing out of sight named as well as marked (`last seen in the blue fridge #5`,
//      not `last seen in #5`), so that a remembered object's answer can copy that place from a few tokens back.
//      Not the latest: a model fine-tuned on it did no better with a memory (ARCHITECTURE.md, the prompt format)
//   4  format 2 with `, done` in the Task line after each thing a step earned a reward for (agent/prompt.ts,
//      taskWithProgress): the parts of a sequence or a rearrangement already behind the agent. The latest: the
//      shipped model, fine-tuned on it from its format-2 predecessor, solves 6 of 10 rearrange test episodes (1 before)
// A file that says nothing is format 1 (everything written before the version existed).
export const PROMPT_FORMATS = [1, 2, 3, 4] as const;
export type PromptFormat = (typeof PROMPT_FORMATS)[number];
export const LATEST_PROMPT_FORMAT: PromptFormat = 4;
/** The metadata key of a model file (a data manifest's field is `promptFormat`). */
export const PROMPT_FORMAT_KEY = 'prompt_format';

/** The format a stored value names ('2', 2), undefined (absent) meaning 1; null when it names none. */
export function parsePromptFormat(value: unknown): PromptFormat | null {
  if (value === undefined) return 1;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return PROMPT_FORMATS.find((f) => f === n) ?? null;
}
