// Exit codes of the `umwelt` command, and the error that means "bad flags or input" (exit code 2).

export const EXIT = {
  /** The command did what it was asked (a run whose episode failed still exits 0). */
  ok: 0,
  /** An unexpected failure, or a file that does not validate. */
  failure: 1,
  /** Bad flags, arguments or input. */
  usage: 2,
  /** Interrupted by Ctrl-C (128 + SIGINT). */
  interrupted: 130,
} as const;

/** Bad flags, arguments or input: reported as one `umwelt: error: ...` line, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The one-line form every error takes on standard error. */
export function errorLine(message: string): string {
  return `umwelt: error: ${message}`;
}
