// The suite file format (scenes/scenarios/*.suite.json): a named list of scenario files (JSON or scripted
// TypeScript), paths relative to the suite file, evaluated together as one run with one report.
import { z } from 'zod';
import { strictObject } from './spec.ts';

export const SuiteSchema = strictObject({
  $schema: z.string().optional().meta({ description: 'Path or URL of this JSON Schema, for editors.' }),
  version: z.literal(1),
  kind: z.literal('suite'),
  name: z.string().min(1).max(200),
  description: z.string().max(10_000).optional(),
  scenarios: z
    .array(z.string().min(1).max(1000))
    .min(1)
    .max(1000)
    .refine((paths) => new Set(paths).size === paths.length, { error: 'scenario paths must be unique' })
    .meta({ description: 'Scenario files (.json or .ts), relative to the suite file.', uniqueItems: true }),
});

export type Suite = z.output<typeof SuiteSchema>;

/** Whether a parsed JSON document claims to be a suite (and should be validated as one). */
export function looksLikeSuite(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && (value as Record<string, unknown>).kind === 'suite';
}
