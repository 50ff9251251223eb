// The committed JSON Schema of report.json is what the zod schema produces now, and the schema refuses
// inconsistent reports.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REPORT_SCHEMA_FILE, reportJsonSchema } from '../../eval/report-json-schema.ts';
import { EvalReportSchema } from '../../eval/report-schema.ts';
import { sampleReport } from '../fixtures/report.ts';

describe('report schema', () => {
  it('the committed JSON Schema is current', () => {
    const committed = readFileSync(new URL(`../../eval/schema/${REPORT_SCHEMA_FILE}`, import.meta.url), 'utf8');
    expect(committed).toBe(`${JSON.stringify(reportJsonSchema(), null, 2)}\n`);
  });

  it('refuses a histogram whose counts do not match its edges, and an inverted interval', () => {
    expect(EvalReportSchema.safeParse(sampleReport).success).toBe(true);
    const [first] = sampleReport.distributions;
    if (!first) throw new Error('the fixture has distributions');
    const badHistogram = { ...sampleReport, distributions: [{ ...first, steps: { edges: [0.5, 1.5], counts: [1, 2] } }] };
    expect(EvalReportSchema.safeParse(badHistogram).success).toBe(false);
    const [group] = sampleReport.overall;
    if (!group) throw new Error('the fixture has groups');
    const badInterval = { ...sampleReport, overall: [{ ...group, successCi95: { low: 0.9, high: 0.1 } }] };
    expect(EvalReportSchema.safeParse(badInterval).success).toBe(false);
  });
});
