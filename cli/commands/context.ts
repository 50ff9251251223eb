// What every command registration gets from the program: the output sink, the interrupt signal, and where to
// report the command's exit code.
import type { Output } from '../output.ts';

export interface CliContext {
  out: Output;
  /** Aborted on Ctrl-C. */
  signal?: AbortSignal;
  /** Record the exit code of the command that ran. */
  exit(code: number): void;
}
