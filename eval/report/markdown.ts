// report.md: the evaluation report as GitHub-flavoured Markdown, for a researcher to read (and diff) as text.
import type { EvalReport } from '../report-schema.ts';
import { escapeMarkdown } from './escape.ts';
import { headerFacts, reportSections, type Table } from './tables.ts';

/** A GFM table; every cell is escaped, so a `|` in a name stays inside its cell. */
export function markdownTable(table: Table): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [
    line(table.columns.map((c) => escapeMarkdown(c.title))),
    line(table.columns.map((c) => (c.align === 'right' ? '---:' : ':---'))),
    ...table.rows.map((row) => line(row.map(escapeMarkdown))),
  ].join('\n');
}

export function renderMarkdown(report: EvalReport): string {
  const out: string[] = [`# Evaluation: ${escapeMarkdown(report.source.name)}`, ''];
  for (const [label, value] of headerFacts(report)) out.push(`- **${label}:** ${escapeMarkdown(value)}`);
  if (report.episodes === 0) out.push('', '_No episodes were run: there are no results to report._');
  for (const section of reportSections(report)) {
    out.push('', `## ${section.title}`, '', section.caption, '');
    out.push(section.table === null ? `_${section.empty}_` : markdownTable(section.table));
  }
  return `${out.join('\n')}\n`;
}
