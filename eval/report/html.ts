// report.html: the evaluation report as ONE self-contained page (tables, and Chart.js charts drawn from the report
// data embedded as JSON). Nothing is fetched: Chart.js, styles and data are inline, and a Content-Security-Policy
// forbids any network request.
import type { EvalReport } from '../report-schema.ts';
import { chartData, type ChartOr } from './charts.ts';
import { chartJsBundle } from './chartjs-bundle.ts';
import { escapeHtml, jsonForScript, scriptSafe } from './escape.ts';
import { PAGE_SCRIPT } from './page-script.ts';
import { REPORT_CSS } from './style.ts';
import { headerFacts, reportSections, type Section, type Table } from './tables.ts';

const CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";

export function htmlTable(table: Table): string {
  const cls = table.columns.map((c) => (c.align === 'right' ? 'r' : 'l'));
  const head = table.columns.map((c, i) => `<th class="${cls[i] ?? 'l'}" scope="col">${escapeHtml(c.title)}</th>`).join('');
  const body = table.rows.map((row) => `<tr>${row.map((cell, i) => `<td class="${cls[i] ?? 'l'}">${escapeHtml(cell)}</td>`).join('')}</tr>`);
  return `<div class="table-wrap"><table><thead><tr>${head}</tr></thead><tbody>\n${body.join('\n')}\n</tbody></table></div>`;
}

function sectionHtml(section: Section): string {
  const content = section.table === null ? `<p class="no-data">${escapeHtml(section.empty)}</p>` : htmlTable(section.table);
  return `<section id="${escapeHtml(section.id)}">
<h2>${escapeHtml(section.title)}</h2>
<p class="caption">${escapeHtml(section.caption)}</p>
${content}
</section>`;
}

/** A chart panel: the canvas Chart.js draws on, or the note saying why there is nothing to draw. */
function figureHtml(id: string, title: string, spec: ChartOr<unknown>): string {
  const body =
    spec.kind === 'chart'
      ? `<div class="canvas-box"><canvas id="${id}" role="img" aria-label="${escapeHtml(title)}"></canvas></div>` +
        (spec.note === null ? '' : `<p class="note">${escapeHtml(spec.note)}</p>`)
      : `<p class="no-data" id="${id}-empty">${escapeHtml(spec.note)}</p>`;
  return `<figure class="chart"><figcaption>${escapeHtml(title)}</figcaption>${body}</figure>`;
}

export function renderHtml(report: EvalReport): string {
  const charts = chartData(report);
  const title = `Evaluation: ${report.source.name}`;
  const facts = headerFacts(report)
    .map(([label, value]) => `<dt>${escapeHtml(label)}</dt><dd>${escapeHtml(value)}</dd>`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<header>
<h1>${escapeHtml(title)}</h1>
<dl class="facts">
${facts}
</dl>
${report.episodes === 0 ? '<p class="no-data">No episodes were run: there are no results to report.</p>' : ''}
</header>
<section id="charts">
<h2>Charts</h2>
<div class="charts">
${figureHtml('chart-success', 'Success rate by family (with 95% interval)', charts.success)}
${figureHtml('chart-latency', 'Decision latency distribution', charts.latency)}
${figureHtml('chart-steps', 'Steps per episode', charts.steps)}
</div>
</section>
${reportSections(report).map(sectionHtml).join('\n')}
<script type="application/json" id="report-data">${jsonForScript(report)}</script>
<script type="application/json" id="chart-data">${jsonForScript(charts)}</script>
<script>${scriptSafe(chartJsBundle())}</script>
<script>${scriptSafe(PAGE_SCRIPT)}</script>
</body>
</html>
`;
}
