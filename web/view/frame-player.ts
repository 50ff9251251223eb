// Plays pose frames at a chosen speed: the world worker sends each action's frames at once (one per control step);
// the view draws them over simulated time, speed times faster than real time (or all at once at speed Infinity).
// `drained()` resolves when every frame queued so far has been shown: the episode's gate waits on it, so the agent
// never decides before the person has seen the last action end.

export class FramePlayer {
  private readonly queue: { frames: Float32Array; count: number }[] = [];
  private index = 0;
  /** Simulated seconds not yet consumed by a frame. */
  private carry = 0;
  private waiters: (() => void)[] = [];
  speed = 4;

  constructor(
    private readonly stride: number,
    private readonly controlDt: number,
    private readonly show: (frame: Float32Array, offset: number) => void,
  ) {}

  push(frames: Float32Array, count: number): void {
    if (count > 0) this.queue.push({ frames, count });
    else this.settle();
  }

  get pending(): number {
    let n = -this.index;
    for (const q of this.queue) n += q.count;
    return Math.max(0, n);
  }

  /** Advances by `seconds` of wall time; shows the frame reached (at most one per call); true when it showed one. */
  tick(seconds: number): boolean {
    if (this.queue.length === 0) return false;
    let steps: number;
    if (!Number.isFinite(this.speed)) {
      steps = this.pending;
    } else {
      this.carry += seconds * this.speed;
      steps = Math.floor(this.carry / this.controlDt);
      this.carry -= steps * this.controlDt;
    }
    if (steps <= 0) return false;
    let shown: { frames: Float32Array; offset: number } | null = null;
    while (steps > 0 && this.queue.length > 0) {
      const head = this.queue[0]!;
      const take = Math.min(steps, head.count - this.index);
      this.index += take;
      steps -= take;
      shown = { frames: head.frames, offset: (this.index - 1) * this.stride };
      if (this.index >= head.count) {
        this.queue.shift();
        this.index = 0;
      }
    }
    if (shown !== null) this.show(shown.frames, shown.offset);
    if (this.queue.length === 0) {
      this.carry = 0;
      this.settle();
    }
    return shown !== null;
  }

  /** Resolves once every queued frame has been shown. */
  drained(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  clear(): void {
    this.queue.length = 0;
    this.index = 0;
    this.carry = 0;
    this.settle();
  }

  private settle(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
