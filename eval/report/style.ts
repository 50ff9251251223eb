// The inline stylesheet of report.html: light, readable tables and chart panels, no web fonts.
export const REPORT_CSS = `
:root { color-scheme: light; --fg: #1d2330; --muted: #5b6475; --line: #d9dde5; --stripe: #f5f7fa; --accent: #2457a6; }
* { box-sizing: border-box; }
body { margin: 0 auto; padding: 24px 32px 48px; max-width: 1280px; color: var(--fg); background: #fff;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
h1 { font-size: 24px; margin: 0 0 12px; overflow-wrap: anywhere; }
h2 { font-size: 18px; margin: 32px 0 4px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
p.caption { margin: 4px 0 10px; color: var(--muted); }
p.no-data { margin: 8px 0; padding: 12px 16px; color: var(--muted); background: var(--stripe); border: 1px dashed var(--line); border-radius: 6px; }
p.note { margin: 4px 0 0; color: var(--muted); font-size: 12px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; min-width: 40%; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { background: var(--stripe); font-weight: 600; border-bottom: 2px solid var(--line); }
tbody tr:nth-child(even) td { background: #fafbfc; }
tbody tr:hover td { background: #eef3fb; }
.l { text-align: left; }
.r { text-align: right; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 20px; align-items: start; }
figure.chart { margin: 0; padding: 12px 14px; border: 1px solid var(--line); border-radius: 8px; }
figure.chart figcaption { font-weight: 600; margin-bottom: 8px; }
.canvas-box { position: relative; height: 320px; }
`;
