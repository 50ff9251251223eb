// Entry point of the `umwelt` command (`npx tsx cli/main.ts`, `npm run umwelt`, bin/umwelt.js): runs the CLI on
// process.argv, turns Ctrl-C into an orderly stop of a running episode, and sets the exit code.
import { runCli } from './program.ts';
import { processOutput } from './output.ts';

// `umwelt scenes | head -1`: a closed pipe is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

const interrupt = new AbortController();
// The first Ctrl-C stops the episode after the current step; a second one kills the process as usual.
const onInterrupt = (): void => interrupt.abort();
process.once('SIGINT', onInterrupt);

process.exitCode = await runCli(process.argv.slice(2), processOutput(), interrupt.signal);
process.removeListener('SIGINT', onInterrupt);
