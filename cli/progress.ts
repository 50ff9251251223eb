// Live display of an episode: a cli-progress bar over steps/maxSteps on a terminal, with each step logged above
// it; plain lines (`step 3  pick(mug_1)  ok`) when standard output is not a terminal; nothing when quiet.
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { wrap } from './format.ts';
import type { Output } from './output.ts';

/** One executed step, as the displays show it. */
export interface StepView {
  step: number;
  /** The action as text, or "(unparsable)" when the planner's output had none. */
  action: string;
  /** "ok" or "failed: reason". */
  outcome: string;
  /** The failure's detail, if any. */
  detail: string | null;
  thought: string;
}

export interface EpisodeDisplay {
  /** Lines to show once, above the live part (the episode and the instruction). */
  header(lines: readonly string[]): void;
  step(view: StepView): void;
  /** Take the live part down; later output goes below the logged steps. */
  stop(): void;
}

/** The plain line of a step. */
export function stepLine(view: StepView): string {
  const outcome = view.detail ? `${view.outcome} (${view.detail})` : view.outcome;
  return `step ${view.step}  ${view.action}  ${outcome}`;
}

/** One line per step; for pipes, files and CI logs. */
export class PlainDisplay implements EpisodeDisplay {
  constructor(private readonly out: Output) {}

  header(lines: readonly string[]): void {
    for (const line of lines) this.out.line(line);
  }

  step(view: StepView): void {
    this.out.line(stepLine(view));
  }

  stop(): void {}
}

/** Nothing but what the caller prints itself. */
export class SilentDisplay implements EpisodeDisplay {
  header(): void {}
  step(): void {}
  stop(): void {}
}

const shorten = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/** A progress bar on the terminal, with every step (and the planner's thought) logged above it. */
export class TerminalDisplay implements EpisodeDisplay {
  private readonly bars: MultiBar;
  private bar: SingleBar | null = null;

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly maxSteps: number,
  ) {
    this.bars = new MultiBar(
      {
        stream,
        format: ' {bar} step {step}/{total} │ {action} → {outcome}',
        barsize: 24,
        hideCursor: true,
        clearOnComplete: true,
        autopadding: true,
        forceRedraw: true,
      },
      Presets.shades_classic,
    );
  }

  /** Log lines above the bar, wrapped to the terminal (the bar turns the terminal's own wrapping off). */
  private log(line: string): void {
    for (const part of wrap(line, this.width() - 1)) this.bars.log(`${part}\n`);
  }

  private width(): number {
    const columns = 'columns' in this.stream ? this.stream.columns : undefined;
    return typeof columns === 'number' && columns > 0 ? columns : 80;
  }

  header(lines: readonly string[]): void {
    for (const line of lines) this.log(line);
    this.bar = this.bars.create(this.maxSteps, 0, { step: 0, action: 'starting', outcome: '…' });
    this.bars.update();
  }

  step(view: StepView): void {
    const thought = view.thought.trim() ? `  · ${shorten(view.thought.trim().replace(/\s+/g, ' '), 100)}` : '';
    this.log(`${stepLine(view)}${thought}`);
    this.bar?.update(view.step, { step: view.step, action: shorten(view.action, 40), outcome: view.outcome });
    this.bars.update();
  }

  stop(): void {
    this.bars.update(); // flush lines still waiting above the bar
    this.bars.stop();
  }
}
