// `umwelt validate FILE`: check a scene or scenario file. Valid: a one-line summary, exit 0. Invalid: every issue
// as `FILE: $.path: message` on standard error (or one JSON object on standard output with --json), exit 1.
import { readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { scenarioEpisodes } from '../../scenes/scenario.ts';
import { assertNever } from '../../sim/types.ts';
import { fileKind, MAX_FILE_BYTES, validateFile, type ValidatedFile } from '../../scenes/validate-file.ts';
import { parseJsonFile, ValidationError, type ValidationIssue } from '../../scenes/validate.ts';
import { EXIT } from '../errors.ts';
import { plural } from '../format.ts';
import { printJson, type Output } from '../output.ts';
import type { CliContext } from './context.ts';

export interface ValidateOptions {
  json?: boolean;
}

/** `umwelt validate --json`. */
export type ValidateReport =
  | { valid: true; file: string; kind: ValidatedFile['kind']; summary: string; issues: [] }
  | { valid: false; file: string; kind?: ValidatedFile['kind']; issues: ValidationIssue[] };

/** What a valid file holds, in a few words: "3 rooms, 9 furniture, 20 objects, 1 mat". */
export function fileSummary(file: ValidatedFile): string {
  switch (file.kind) {
    case 'scene': {
      const s = file.value;
      return `${plural(s.rooms.length, 'room')}, ${s.furniture.length} furniture, ${plural(s.objects.length, 'object')}, ${plural(s.markers.length, 'mat')}`;
    }
    case 'scenario': {
      const s = file.value;
      const families = s.families === 'all' ? 'all families' : plural(s.families.length, 'family', 'families');
      return `"${s.name}": ${families}, ${s.split} split, ${plural(scenarioEpisodes(s).length, 'episode')}, planner ${s.planner}`;
    }
    case 'suite':
      // The listed files are checked when the suite is evaluated (scripted ones need to be imported).
      return `"${file.value.name}": ${plural(file.value.scenarios.length, 'scenario')}`;
    default:
      return assertNever(file, 'validated file');
  }
}

/** The kind a file was meant to be, read from its keys (for the JSON report of an invalid file). */
function guessKind(file: string): ValidatedFile['kind'] | undefined {
  try {
    if (statSync(file).size > MAX_FILE_BYTES) return undefined;
    return fileKind(parseJsonFile(readFileSync(file, 'utf8'))) ?? undefined;
  } catch {
    return undefined; // unreadable, or not JSON: no kind to tell
  }
}

export function validateCommand(file: string, options: ValidateOptions, out: Output): number {
  let validated: ValidatedFile;
  try {
    validated = validateFile(file);
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    if (options.json) {
      const kind = guessKind(file);
      const report: ValidateReport = { valid: false, file, ...(kind ? { kind } : {}), issues: e.issues };
      printJson(out, report);
    } else {
      for (const issue of e.issues) out.error(`${file}: ${issue.path}: ${issue.message}`);
    }
    return EXIT.failure;
  }
  const summary = fileSummary(validated);
  if (options.json) {
    const report: ValidateReport = { valid: true, file, kind: validated.kind, summary, issues: [] };
    printJson(out, report);
  } else {
    out.line(`${file}: valid ${validated.kind} (${summary})`);
  }
  return EXIT.ok;
}

export function registerValidate(program: Command, cli: CliContext): void {
  program
    .command('validate')
    .summary('check a scene or scenario file')
    .description(
      'Check a scene or scenario JSON file (a scenario has "families" or "seeds", a scene has "rooms"): its shape, ' +
        'and for scenes the ids, rooms, doorways and surfaces.\n\n' +
        'Exits 0 and prints a summary when the file is valid; exits 1 and prints every issue as FILE: $.path: message ' +
        'on standard error when it is not.',
    )
    .argument('<file>', 'the scene or scenario JSON file')
    .option('--json', 'print one JSON object {valid, kind?, issues: [{path, message}]} on standard output')
    .addHelpText(
      'after',
      `
Examples:
  $ umwelt validate scenes/scenarios/smoke.json
  $ umwelt validate my-house.json --json`,
    )
    .action((file: string, opts: ValidateOptions) => cli.exit(validateCommand(file, opts, cli.out)));
}
