// JSON Schemas (draft 2020-12) of the scene and scenario file formats, generated from the zod schemas so that
// editors can check files as they are written. Run `npx tsx scenes/json-schema.ts` to rewrite scenes/schema/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ScenarioSchema } from './scenario.ts';
import { SceneSpecSchema } from './spec.ts';
import { SuiteSchema } from './suite.ts';

export type JsonSchema = Record<string, unknown>;

export const SCENE_SCHEMA_FILE = 'scene.schema.json';
export const SCENARIO_SCHEMA_FILE = 'scenario.schema.json';
export const SUITE_SCHEMA_FILE = 'suite.schema.json';

function withHeader(schema: z.ZodType, id: string, title: string, description: string): JsonSchema {
  // io: 'input' describes files as written: keys with defaults are optional.
  const { $schema, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' });
  return { $schema, $id: id, title, description, ...rest };
}

export function sceneJsonSchema(): JsonSchema {
  return withHeader(
    SceneSpecSchema,
    'urn:umwelt:schema:scene:1',
    'Umwelt scene',
    'A scene: rooms, doorways, furniture, markers, objects and the agent start (see sim/description.ts).',
  );
}

export function scenarioJsonSchema(): JsonSchema {
  return withHeader(
    ScenarioSchema,
    'urn:umwelt:schema:scenario:1',
    'Umwelt scenario',
    'An evaluation scenario: task families, split, seeds, step limit and planner.',
  );
}

export function suiteJsonSchema(): JsonSchema {
  return withHeader(
    SuiteSchema,
    'urn:umwelt:schema:suite:1',
    'Umwelt scenario suite',
    'A list of scenario files (JSON or scripted TypeScript) evaluated together.',
  );
}

/** The text written to a schema file: pretty-printed with a trailing newline. */
export function schemaText(schema: JsonSchema): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}

/** Write scene.schema.json, scenario.schema.json and suite.schema.json into `dir`; returns the paths written. */
export function writeJsonSchemas(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const files: [string, JsonSchema][] = [
    [join(dir, SCENE_SCHEMA_FILE), sceneJsonSchema()],
    [join(dir, SCENARIO_SCHEMA_FILE), scenarioJsonSchema()],
    [join(dir, SUITE_SCHEMA_FILE), suiteJsonSchema()],
  ];
  for (const [path, schema] of files) writeFileSync(path, schemaText(schema));
  return files.map(([path]) => path);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const here = fileURLToPath(new URL('./schema', import.meta.url));
  for (const path of writeJsonSchemas(here)) console.log(`wrote ${path}`);
}
