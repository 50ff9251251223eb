// Playback of a loaded recording for <umwelt-replay>: which frame is shown, which step that is, playing or paused,
// and how fast. Seeking to step k shows the state after step k (its last recorded control step); playing walks
// the frames one control step at a time, `speed` times faster than the recorded simulated time, and stops at the
// end. Each frame shown is handed to the view's FramePlayer, which the viewport's render loop draws.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { LoadedReplay } from './replay-controller.ts';

export const REPLAY_SPEEDS = [0.5, 1, 2, 4, 8, 16] as const;

export class PlaybackController implements ReactiveController {
  /** The step shown (0: after reset). */
  step = 0;
  /** The frame shown (an index into the recording's frames). */
  frame = 0;
  playing = false;
  speed = 4;

  private replay: LoadedReplay | null = null;
  private raf = 0;
  private last = 0;
  /** Simulated seconds not yet consumed by a frame. */
  private carry = 0;

  constructor(
    private readonly host: ReactiveControllerHost,
    /** Called with the frame shown (the recording's frames and the offset of this one). */
    private readonly onFrame: (frames: Float32Array, offset: number) => void,
  ) {
    host.addController(this);
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    this.pause();
  }

  /** The number of recorded steps (0 when nothing is loaded). */
  get steps(): number {
    return this.replay?.data.info.steps ?? 0;
  }

  /** Starts over with a recording (or none), at step 0, paused. */
  setReplay(replay: LoadedReplay | null): void {
    this.pause();
    this.replay = replay;
    this.step = 0;
    this.frame = 0;
    if (replay !== null) this.seek(0);
    this.host.requestUpdate();
  }

  /** Shows the state after step `step` (clamped to 0..steps). */
  seek(step: number): void {
    const replay = this.replay;
    if (replay === null || !Number.isFinite(step)) return;
    const k = Math.max(0, Math.min(this.steps, Math.round(step)));
    this.step = k;
    this.carry = 0;
    this.show(replay.data.lastFrame[k] ?? 0);
    this.host.requestUpdate();
  }

  play(): void {
    const replay = this.replay;
    if (replay === null || this.playing) return;
    // At the end: play again from the start.
    if (this.frame >= replay.data.frameCount - 1) this.seek(0);
    this.playing = true;
    this.carry = 0;
    this.last = performance.now();
    this.raf = requestAnimationFrame(this.tick);
    this.host.requestUpdate();
  }

  pause(): void {
    if (!this.playing) return;
    this.playing = false;
    cancelAnimationFrame(this.raf);
    this.host.requestUpdate();
  }

  toggle(): void {
    if (this.playing) this.pause();
    else this.play();
  }

  setSpeed(speed: number): void {
    if (Number.isFinite(speed) && speed > 0) this.speed = speed;
    this.host.requestUpdate();
  }

  private show(frame: number): void {
    const replay = this.replay;
    if (replay === null) return;
    this.frame = frame;
    this.onFrame(replay.data.frames, frame * replay.data.frameLength);
  }

  private readonly tick = (now: number): void => {
    const replay = this.replay;
    if (!this.playing || replay === null) return;
    const data = replay.data;
    this.carry += (Math.min(0.25, Math.max(0, (now - this.last) / 1000)) * this.speed);
    this.last = now;
    const advance = Math.floor(this.carry / data.controlDt);
    this.carry -= advance * data.controlDt;
    if (advance > 0) {
      const frame = Math.min(data.frameCount - 1, this.frame + advance);
      this.show(frame);
      const step = frame >= data.frameCount - 1 ? this.steps : (data.frameSteps[frame] ?? 0);
      if (step !== this.step) {
        this.step = step;
        this.host.requestUpdate();
      }
      if (frame >= data.frameCount - 1) {
        this.pause();
        return;
      }
    }
    this.raf = requestAnimationFrame(this.tick);
  };
}
