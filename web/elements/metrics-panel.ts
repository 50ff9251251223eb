// <umwelt-metrics>: steps, reward, success, the planner's engine, and a chart of decision latency per step.
import { CategoryScale, Chart, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';
import { css, html, LitElement, type PropertyValues } from 'lit';
import type { EpisodeResult } from '../../agent/loop.ts';
import type { StepRow } from '../controllers/episode-controller.ts';
import { markIfSlow } from '../view/slow-mark.ts';

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Tooltip);

/** A short latency series drawn (never shown) when the chart is made: see firstUpdated. */
const WARM_UP_SAMPLE = [38, 21, 24, 19, 30, 22, 125, 20].map((latencyMs, i) => ({ step: i + 1, latencyMs }));

export class MetricsPanel extends LitElement {
  static override properties = { steps: { attribute: false }, result: { attribute: false }, reward: { type: Number }, maxSteps: { type: Number } };
  declare steps: StepRow[];
  declare result: EpisodeResult | null;
  declare reward: number;
  declare maxSteps: number;
  private chart: Chart<'line', number[], number> | null = null;

  static override styles = css`
    :host { display: block; font-size: 0.9rem; }
    dl { display: grid; grid-template-columns: repeat(auto-fit, minmax(7rem, 1fr)); gap: 4px 12px; margin: 0 0 8px; }
    dt { color: #5b6572; font-size: 0.8rem; }
    dd { margin: 0; font-variant-numeric: tabular-nums; font-weight: 600; }
    .success { color: #1f7a3a; }
    .failure { color: #a3271f; }
    .chart { position: relative; height: 120px; }
  `;

  constructor() {
    super();
    this.steps = [];
    this.result = null;
    this.reward = 0;
    this.maxSteps = 0;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.chart?.destroy();
    this.chart = null;
  }

  private chartPending = false;

  // The chart is made when the panel first renders, before any episode runs, and drawn once with a sample series
  // before its real (empty) one, in the same task, so nothing of the sample is ever shown: its first draw with data
  // (number ticks, text measured, code run for the first time) took 54-100 ms on a busy 2-core machine, a long
  // task in the episode's first step; made this way, that cost falls in the page's loading.
  protected override firstUpdated(): void {
    const started = performance.now();
    this.drawChart(WARM_UP_SAMPLE);
    this.drawChart(this.steps);
    markIfSlow('chart-create', started);
  }

  // The chart is redrawn when the page is idle (within half a second): never in the same task as a frame's draw.
  protected override updated(changed: PropertyValues<this>): void {
    if (!changed.has('steps') || this.chartPending) return;
    this.chartPending = true;
    requestIdleCallback(
      () => {
        this.chartPending = false;
        const started = performance.now();
        this.drawChart(this.steps);
        markIfSlow('chart', started);
      },
      { timeout: 500 },
    );
  }

  private drawChart(steps: readonly Pick<StepRow, 'step' | 'latencyMs'>[]): void {
    const canvas = this.renderRoot.querySelector('canvas');
    if (canvas === null) return;
    if (this.chart === null) {
      this.chart = new Chart(canvas, {
        type: 'line',
        data: { labels: [], datasets: [{ label: 'decision latency (ms)', data: [], borderColor: '#24527a', pointRadius: 2, borderWidth: 1.5 }] },
        options: {
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          scales: { x: { title: { display: true, text: 'step' } }, y: { beginAtZero: true, title: { display: true, text: 'ms' } } },
        },
      });
    }
    this.chart.data.labels = steps.map((s) => s.step);
    this.chart.data.datasets[0]!.data = steps.map((s) => s.latencyMs);
    this.chart.update('none');
  }

  override render() {
    const latencies = this.steps.map((s) => s.latencyMs).sort((a, b) => a - b);
    const median = latencies.length > 0 ? latencies[Math.floor((latencies.length - 1) / 2)]! : null;
    const outcome = this.result === null ? 'running' : this.result.success ? 'success' : 'failure';
    return html`
      <dl>
        <div><dt>Steps</dt><dd data-metric="steps">${this.steps.length}${this.maxSteps > 0 ? ` / ${this.maxSteps}` : ''}</dd></div>
        <div><dt>Reward</dt><dd data-metric="reward">${this.reward.toFixed(2)}</dd></div>
        <div><dt>Outcome</dt><dd data-metric="outcome" class=${outcome === 'running' ? '' : outcome}>${this.result === null ? '—' : this.result.success ? 'Success' : `Failed${this.result.failureReason ? `: ${this.result.failureReason}` : ''}`}</dd></div>
        <div><dt>Latency p50</dt><dd data-metric="latency">${median === null ? '—' : `${median.toFixed(0)} ms`}</dd></div>
      </dl>
      <div class="chart"><canvas role="img" aria-label="Decision latency per step"></canvas></div>
    `;
  }
}
customElements.define('umwelt-metrics', MetricsPanel);
