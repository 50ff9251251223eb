// Where commands write: an output sink with standard output, standard error and (when stdout is a terminal) the
// stream for live displays. Commands only ever write through a sink, so tests can run them in memory.

export interface Output {
  /** Write text to standard output as is. */
  write(text: string): void;
  /** Write text to standard error as is. */
  writeError(text: string): void;
  /** Write one line to standard output. */
  line(text?: string): void;
  /** Write one line to standard error. */
  error(text: string): void;
  /** The terminal for live displays (progress bars), or null when standard output is not a TTY. */
  readonly terminal: NodeJS.WritableStream | null;
}

function sink(write: (text: string) => void, writeError: (text: string) => void, terminal: NodeJS.WritableStream | null): Output {
  return {
    write,
    writeError,
    line: (text = '') => write(`${text}\n`),
    error: (text) => writeError(`${text}\n`),
    terminal,
  };
}

/** The process's own stdout and stderr. */
export function processOutput(): Output {
  const terminal = process.stdout.isTTY ? process.stdout : null;
  return sink(
    (text) => void process.stdout.write(text),
    (text) => void process.stderr.write(text),
    terminal,
  );
}

export interface MemoryOutput extends Output {
  /** Everything written to standard output. */
  readonly stdout: () => string;
  /** Everything written to standard error. */
  readonly stderr: () => string;
}

/** An in-memory sink, never a terminal (for tests and embedding). */
export function memoryOutput(): MemoryOutput {
  const out: string[] = [];
  const err: string[] = [];
  return {
    ...sink(
      (text) => void out.push(text),
      (text) => void err.push(text),
      null,
    ),
    stdout: () => out.join(''),
    stderr: () => err.join(''),
  };
}

/** Print a value as the one JSON document on standard output. */
export function printJson(out: Output, value: unknown): void {
  out.line(JSON.stringify(value, null, 2));
}
