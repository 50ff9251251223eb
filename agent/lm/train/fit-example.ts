// Instruction examples longer than a stage's seqLen are shortened the way the planner shortens a prompt at
// decision time (agent/planners/lm.ts fitPrompt): the History section's oldest lines go first, then the Memories'
// last lines. On the text of a prompt (agent/prompt.ts) that is exact: History and Memories lines introduce no
// marks, so the prompt without such a line is byte for byte what renderPrompt writes with one line fewer. Only when
// even `History: none` and `Memories: none` are too long is the example dropped. The states a trained planner loops in have the longest histories (failure details
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

/** The prompt with the last line of its Memories section removed, or null when it has none. */
export function dropLastMemoryLine(prompt: string): string | null {
  const lines = prompt.split('\n');
  const at = lines.indexOf('Memories:');
  if (at < 0) return null;
  let end = at + 1;
  while (lines[end]?.startsWith('- ') === true) end++;
  if (end === at + 1) return null;
  // The last line gone, the section reads `Memories: none`, as renderPrompt writes an empty one.
  return end === at + 2 ? [...lines.slice(0, at), 'Memories: none', ...lines.slice(end)].join('\n') : [...lines.slice(0, end - 1), ...lines.slice(end)].join('\n');
}

/**
 * The example's prompt shortened, oldest History line first, then the last Memories line, until `fits` says yes;
 * null when nothing can be dropped any more and it still does not fit. `shortened` counts the lines dropped.
 */
export function fitExamplePrompt(prompt: string, fits: (prompt: string) => boolean): { prompt: string; shortened: number } | null {
  let text = prompt;
  let shortened = 0;
  while (!fits(text)) {
    const shorter = dropOldestHistoryLine(text) ?? dropLastMemoryLine(text);
    if (shorter === null) return null;
    text = shorter;
    shortened++;
  }
  return { prompt: text, shortened };
}
