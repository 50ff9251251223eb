// Small text-formatting helpers for human-readable output: aligned tables, numbers, plurals, goals.
import type { Goal } from '../scenes/goals.ts';
import { assertNever } from '../sim/types.ts';

/** Rows of cells as lines with left-aligned columns separated by two spaces (trailing spaces trimmed). */
export function table(rows: readonly (readonly string[])[], indent = ''): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, [...cell].length)));
  return rows.map((row) => `${indent}${row.map((cell, i) => cell + ' '.repeat((widths[i] ?? 0) - [...cell].length)).join('  ')}`.trimEnd());
}

/** A number with a fixed count of decimals, without a negative zero. */
export function fixed(n: number, digits: number): string {
  const s = n.toFixed(digits);
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

/** Integers with thousands separators: 1,000,000. */
export function grouped(n: number): string {
  return n.toLocaleString('en-US');
}

/** "1 step", "3 steps". */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** Metres: up to two decimals, trailing zeros dropped (1.5, 0.88, 4). */
export function metres(n: number): string {
  return String(Number(n.toFixed(2)));
}

/** A 2-D point on the floor plan: (1.5, 2). */
export function point(p: readonly [number, number]): string {
  return `(${metres(p[0])}, ${metres(p[1])})`;
}

/** Sizes joined with a multiplication sign: 1.2 × 0.75 × 0.8 m. */
export function dims(size: readonly number[]): string {
  return `${size.map(metres).join(' × ')} m`;
}

/** A goal predicate as text: on(mug_1, table_2). */
export function formatGoal(g: Goal): string {
  switch (g.kind) {
    case 'near':
    case 'holding':
      return `${g.kind}(${g.object})`;
    case 'on':
      return `on(${g.object}, ${g.receptacle})`;
    case 'in':
      return `in(${g.object}, ${g.container})`;
    case 'open':
    case 'closed':
      return `${g.kind}(${g.container})`;
    default:
      return assertNever(g, 'goal');
  }
}

/** Break a line into lines of at most `width` characters at spaces, continuation lines indented. */
export function wrap(text: string, width: number, indent = '    '): string[] {
  if (width < 20 || [...text].length <= width) return [text];
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    const candidate = current === '' ? word : `${current} ${word}`;
    if ([...candidate].length <= width || current.trim() === '') {
      current = candidate;
    } else {
      lines.push(current);
      current = `${indent}${word}`;
    }
  }
  if (current !== '') lines.push(current);
  // A single word longer than the width is cut hard.
  return lines.flatMap((line) => {
    const chars = [...line];
    const parts: string[] = [];
    for (let i = 0; i < chars.length; i += width) parts.push(chars.slice(i, i + width).join(''));
    return parts;
  });
}
