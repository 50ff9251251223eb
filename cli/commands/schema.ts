// `umwelt schema`: write the JSON Schemas of the scene, scenario and suite file formats (for editors and other
// tools). The schema of the evaluation report is committed in eval/schema/.
import { isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Option, type Command } from 'commander';
import { writeJsonSchemas } from '../../scenes/json-schema.ts';
import { EXIT, UsageError } from '../errors.ts';
import { printJson, type Output } from '../output.ts';
import type { CliContext } from './context.ts';

/** scenes/schema of this checkout, wherever the command runs from. */
export const DEFAULT_SCHEMA_DIR = fileURLToPath(new URL('../../scenes/schema', import.meta.url));

export interface SchemaOptions {
  out: string;
  json?: boolean;
}

/** A path relative to the working directory when it lies below it. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

export function schemaCommand(options: SchemaOptions, out: Output): number {
  let written: string[];
  try {
    written = writeJsonSchemas(resolve(options.out));
  } catch (e) {
    const code = e instanceof Error && 'code' in e && typeof e.code === 'string' ? e.code : null;
    if (code === null) throw e;
    throw new UsageError(`cannot write the schemas into ${options.out} (${code}${e instanceof Error && 'path' in e && typeof e.path === 'string' ? `: ${e.path}` : ''})`);
  }
  const paths = written.map(shown);
  if (options.json) printJson(out, { files: paths });
  else for (const path of paths) out.line(`wrote ${path}`);
  return EXIT.ok;
}

export function registerSchema(program: Command, cli: CliContext): void {
  program
    .command('schema')
    .summary('write the JSON Schemas of the scene, scenario and suite formats')
    .description(
      'Write scene.schema.json, scenario.schema.json and suite.schema.json (JSON Schema draft 2020-12, generated ' +
        'from the validators) ' +
        'into a directory, creating it if needed, and print the paths written.',
    )
    .addOption(new Option('-o, --out <dir>', 'directory to write into').default(DEFAULT_SCHEMA_DIR, 'scenes/schema of this checkout'))
    .option('--json', 'print {files: [...]} instead of one line per file')
    .addHelpText(
      'after',
      `
Examples:
  $ umwelt schema
  $ umwelt schema --out /tmp/umwelt-schemas`,
    )
    .action((opts: SchemaOptions) => cli.exit(schemaCommand(opts, cli.out)));
}
