// The `umwelt` program: commander setup, the commands, and the mapping of every error to one
// `umwelt: error: ...` line and an exit code (2 for bad flags or input, 1 for unexpected failures).
import { Command, CommanderError } from 'commander';
import { packageVersion } from '../eval/version.ts';
import { registerData } from './commands/data.ts';
import { registerEval } from './commands/eval.ts';
import { registerMemory } from './commands/memory.ts';
import { registerReplay } from './commands/replay.ts';
import { registerRun } from './commands/run.ts';
import { registerScene } from './commands/scene.ts';
import { registerScenes } from './commands/scenes.ts';
import { registerSchema } from './commands/schema.ts';
import { registerServe } from './commands/serve.ts';
import { registerTrain } from './commands/train.ts';
import { registerValidate } from './commands/validate.ts';
import type { CliContext } from './commands/context.ts';
import { errorLine, EXIT, UsageError } from './errors.ts';
import type { Output } from './output.ts';

/** The commands, in the order help lists them. */
export const COMMANDS = ['run', 'eval', 'replay', 'scenes', 'scene', 'validate', 'schema', 'memory', 'data', 'train'] as const;

export function buildProgram(cli: CliContext): Command {
  const program = new Command('umwelt');
  program
    .description('Umwelt: a deterministic embodied-agent simulator. Generate houses and tasks, run planners in them, check scene files.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .helpCommand('help [command]', 'show help for a command')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => cli.out.write(text),
      writeErr: (text) => cli.out.writeError(text),
      // Errors are reported by runCli, in one line.
      outputError: () => undefined,
    })
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      `
Examples:
  $ umwelt run                                  # the oracle on the first test episode of "fetch"
  $ umwelt run --family chain --planner random --max-steps 20
  $ umwelt eval scenes/scenarios/smoke.json --planner oracle,random
  $ umwelt replay fetch.mcap --verify           # re-simulate a recording, checking every state hash
  $ umwelt replay fetch.mcap --from 3 --planner random --record branch.mcap
  $ umwelt scenes                               # families, seed splits, planners
  $ umwelt scene --family search --seed 1000003
  $ umwelt validate my-house.json
  $ umwelt schema --out scenes/schema
  $ umwelt memory search agent.mem "where is the red mug" --k 3
  $ umwelt data --split train --episodes 20 --out data/train   # corpus and instruction examples from the oracle
  $ umwelt train --stage pretrain --resume                     # train the planner's GPT (models/planner/train.json)

Exit codes: 0 done (also when an episode fails), 1 invalid file or unexpected failure, 2 bad flags or input, 130 interrupted.`,
    );
  // Subcommands created with .command() inherit the output configuration and exitOverride set above.
  registerRun(program, cli);
  registerEval(program, cli);
  registerReplay(program, cli);
  registerScenes(program, cli);
  registerScene(program, cli);
  registerValidate(program, cli);
  registerSchema(program, cli);
  registerMemory(program, cli);
  registerData(program, cli);
  registerTrain(program, cli);
  registerServe(program, cli);
  return program;
}

/** The command named on the command line, for the "see --help" hint. */
function commandOf(argv: readonly string[]): string | undefined {
  return argv.find((a): a is (typeof COMMANDS)[number] => (COMMANDS as readonly string[]).includes(a));
}

function report(e: unknown, argv: readonly string[], out: Output): number {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return EXIT.ok;
    // Help shown because no command was given (exit code 1 from commander), or by `umwelt help` (0).
    if (e.code === 'commander.help') return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    const command = commandOf(argv);
    const message = e.message.replace(/^error: /, '');
    out.error(errorLine(`${message} (see 'umwelt ${command ? `${command} ` : ''}--help')`));
    return EXIT.usage;
  }
  if (e instanceof UsageError) {
    out.error(errorLine(e.message));
    return EXIT.usage;
  }
  const message = e instanceof Error ? e.message : String(e);
  out.error(errorLine(`unexpected failure: ${message}`));
  if (process.env.UMWELT_DEBUG && e instanceof Error && e.stack) out.error(e.stack);
  else out.error('(set UMWELT_DEBUG=1 to see the stack trace)');
  return EXIT.failure;
}

/** Run the CLI on arguments (without the node and script paths); resolves to the exit code. */
export async function runCli(argv: readonly string[], out: Output, signal?: AbortSignal): Promise<number> {
  let code: number = EXIT.ok;
  try {
    const program = buildProgram({ out, signal, exit: (c) => (code = c) });
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (e) {
    return report(e, argv, out);
  }
}
