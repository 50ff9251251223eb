// Writes the three report files into a run's directory, each atomically (a temporary file renamed into place),
// so that a report file is either absent or whole.
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { EvalReport } from '../report-schema.ts';
import { renderHtml } from './html.ts';
import { renderMarkdown } from './markdown.ts';

export const REPORT_FILES = { json: 'report.json', markdown: 'report.md', html: 'report.html' } as const;

/** Returns the paths written. */
export function writeReports(dir: string, report: EvalReport): string[] {
  const files: [string, string][] = [
    [join(dir, REPORT_FILES.json), `${JSON.stringify(report, null, 2)}\n`],
    [join(dir, REPORT_FILES.markdown), renderMarkdown(report)],
    [join(dir, REPORT_FILES.html), renderHtml(report)],
  ];
  for (const [path, text] of files) writeFileAtomic.sync(path, text);
  return files.map(([path]) => path);
}
