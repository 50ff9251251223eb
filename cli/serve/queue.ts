// The server's request queue: one model, so one completion at a time, the others waiting in arrival order, at
// most `capacity` of them (a request beyond that is refused at once: the HTTP layer answers 429). A waiting
// request whose client goes away leaves the queue without running.

export class QueueFullError extends Error {
  override readonly name = 'QueueFullError';
}

export class QueueAbortedError extends Error {
  override readonly name = 'QueueAbortedError';
}

interface Waiting {
  start: () => void;
  abandon: () => void;
}

export class SerialQueue {
  private running = false;
  private readonly waiting: Waiting[] = [];

  constructor(readonly capacity: number) {}

  /** Requests waiting (not the one running). */
  get length(): number {
    return this.waiting.length;
  }

  get busy(): boolean {
    return this.running;
  }

  /**
   * Runs `task` once every earlier task has finished. Throws QueueFullError at once when `capacity` tasks are
   * already waiting, QueueAbortedError when `signal` aborts before the task starts.
   */
  async run<T>(task: () => Promise<T>, signal: AbortSignal): Promise<T> {
    if (signal.aborted) throw new QueueAbortedError('the request was cancelled');
    if (this.running) {
      if (this.waiting.length >= this.capacity) throw new QueueFullError(`the server is busy: ${this.waiting.length} requests are already waiting`);
      await new Promise<void>((resolve, reject) => {
        const entry: Waiting = {
          start: () => {
            signal.removeEventListener('abort', onAbort);
            resolve();
          },
          abandon: () => reject(new QueueAbortedError('the request was cancelled while waiting')),
        };
        const onAbort = (): void => {
          const i = this.waiting.indexOf(entry);
          if (i >= 0) this.waiting.splice(i, 1);
          entry.abandon();
        };
        signal.addEventListener('abort', onAbort, { once: true });
        this.waiting.push(entry);
      });
    }
    this.running = true;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next.start();
      else this.running = false;
    }
  }
}
