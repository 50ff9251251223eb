// Instruction examples longer than a stage's seqLen are shortened the way the planner shortens a prompt at
// decision time (agent/planners/lm.ts fitPrompt): the History section's oldest lines go first. On the text of a
// prompt (agent/prompt.ts) that is exact: History lines introduce no marks, so the prompt without its oldest line
// is byte for byte what renderPrompt writes with one history line fewer. Only when even `History: none` is too
// long is the example dropped. The states a trained planner loops in have the longest histories (failure details
// included): dropping them instead would leave out the very states a DAgger round is for.

/** The prompt with the oldest line of its History section removed, or null when it has none. */
export function dropOldestHistoryLine(prompt: string): string | null {
  const lines = prompt.split('\n');
  const at = lines.indexOf('History:');
  if (at < 0) return null;
  const first = lines[at + 1];
  if (first === undefined || !/^\d+\. /.test(first)) return null;
  const next = lines[at + 2];
  const more = next !== undefined && /^\d+\. /.test(next);
  // The last line gone, the section reads `History: none`, as renderPrompt writes an empty one.
  return more ? [...lines.slice(0, at + 1), ...lines.slice(at + 2)].join('\n') : [...lines.slice(0, at), 'History: none', ...lines.slice(at + 2)].join('\n');
}

/**
 * The example's prompt shortened, oldest History line first, until `fits` says yes; null when nothing can be
 * dropped any more and it still does not fit. `shortened` counts the lines dropped.
 */
export function fitExamplePrompt(prompt: string, fits: (prompt: string) => boolean): { prompt: string; shortened: number } | null {
  let text = prompt;
  let shortened = 0;
  while (!fits(text)) {
    const shorter = dropOldestHistoryLine(text);
    if (shorter === null) return null;
    text = shorter;
    shortened++;
  }
  return { prompt: text, shortened };
}
