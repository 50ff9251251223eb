// The JSON Schema (draft 2020-12) of report.json, generated from the zod schema in eval/report-schema.ts.
// Run `npx tsx eval/report-json-schema.ts` to rewrite eval/schema/report.schema.json (a test keeps it current).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { EvalReportSchema, REPORT_SCHEMA_VERSION } from './report-schema.ts';

export const REPORT_SCHEMA_FILE = 'report.schema.json';

export function reportJsonSchema(): Record<string, unknown> {
  const { $schema, ...rest } = z.toJSONSchema(EvalReportSchema, { target: 'draft-2020-12', io: 'output' });
  return {
    $schema,
    $id: `urn:umwelt:schema:eval-report:${REPORT_SCHEMA_VERSION}`,
    title: 'Umwelt evaluation report',
    description: 'DIR/report.json of `umwelt eval`: per-planner and per-family success with Wilson intervals, SPL, steps, failures, latency, comparisons and distributions.',
    ...rest,
  };
}

export function writeReportJsonSchema(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, REPORT_SCHEMA_FILE);
  writeFileSync(path, `${JSON.stringify(reportJsonSchema(), null, 2)}\n`);
  return path;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(`wrote ${writeReportJsonSchema(fileURLToPath(new URL('./schema', import.meta.url)))}`);
}
