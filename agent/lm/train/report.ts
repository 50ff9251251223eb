// The loss log of a stage: one row per step, written as CSV and drawn as a small SVG line chart (train and
// validation loss against step, log y), both by hand, with no dependencies.

export interface LogRow {
  step: number;
  lr: number;
  loss: number;
  /** Targets that counted per second of this step (wall clock: a measurement, never an input). */
  tokensPerSec: number;
  /** Mean masked loss over the validation set, at evaluation steps. */
  valLoss?: number;
  /** What onEvaluate returned, at evaluation steps. */
  metrics?: Record<string, number>;
}

const num = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '' : String(Number(x.toPrecision(6))));

export function lossCsv(rows: readonly LogRow[]): string {
  const metricNames = [...new Set(rows.flatMap((r) => Object.keys(r.metrics ?? {})))].sort();
  const header = ['step', 'lr', 'train_loss', 'tokens_per_s', 'val_loss', ...metricNames].join(',');
  const lines = rows.map((r) =>
    [String(r.step), num(r.lr), num(r.loss), num(Math.round(r.tokensPerSec)), num(r.valLoss), ...metricNames.map((m) => num(r.metrics?.[m]))].join(','),
  );
  return `${header}\n${lines.map((l) => `${l}\n`).join('')}`;
}

/** The last train loss and the last validation loss a loss CSV holds (NaN where it holds none). */
export function lastLosses(csv: string): { loss: number; valLoss: number } {
  const [header = '', ...lines] = csv.trim().split('\n');
  const columns = header.split(',');
  const at = (name: string): number => columns.indexOf(name);
  const values = (name: string): number[] =>
    at(name) < 0 ? [] : lines.map((l) => l.split(',')[at(name)] ?? '').filter((v) => v !== '').map(Number).filter(Number.isFinite);
  return { loss: values('train_loss').at(-1) ?? NaN, valLoss: values('val_loss').at(-1) ?? NaN };
}

const escapeXml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Train loss (smoothed over a window so the line reads) and validation loss against step, log-scaled y. */
export function lossSvg(rows: readonly LogRow[], title: string): string {
  const W = 640;
  const H = 360;
  const pad = { left: 56, right: 16, top: 28, bottom: 40 };
  const train = rows.filter((r) => Number.isFinite(r.loss) && r.loss > 0).map((r) => ({ x: r.step, y: r.loss }));
  const val = rows.filter((r) => r.valLoss !== undefined && Number.isFinite(r.valLoss) && r.valLoss > 0).map((r) => ({ x: r.step, y: r.valLoss! }));
  const window = Math.max(1, Math.floor(train.length / 100));
  const smooth = train.map((p, i) => {
    const part = train.slice(Math.max(0, i - window + 1), i + 1);
    return { x: p.x, y: part.reduce((a, q) => a + q.y, 0) / part.length };
  });
  const all = [...smooth, ...val];
  const head = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">\n<rect width="${W}" height="${H}" fill="white"/>\n<text x="${W / 2}" y="16" text-anchor="middle" font-size="13">${escapeXml(title)}</text>\n`;
  if (all.length === 0) return `${head}<text x="${W / 2}" y="${H / 2}" text-anchor="middle">no data</text>\n</svg>\n`;
  const xMin = Math.min(...all.map((p) => p.x));
  const xMax = Math.max(xMin + 1, ...all.map((p) => p.x));
  const yLo = Math.floor(Math.log10(Math.min(...all.map((p) => p.y))) * 4) / 4;
  const yHi = Math.max(yLo + 0.25, Math.ceil(Math.log10(Math.max(...all.map((p) => p.y))) * 4) / 4);
  const px = (x: number): number => pad.left + ((x - xMin) / (xMax - xMin)) * (W - pad.left - pad.right);
  const py = (y: number): number => H - pad.bottom - ((Math.log10(y) - yLo) / (yHi - yLo)) * (H - pad.top - pad.bottom);
  const f = (v: number): string => v.toFixed(1);
  const path = (ps: readonly { x: number; y: number }[]): string => ps.map((p, i) => `${i === 0 ? 'M' : 'L'}${f(px(p.x))},${f(py(p.y))}`).join(' ');
  const parts: string[] = [head];
  // Axes, y ticks at 1-2-5 values inside the range (every digit when it spans at most a decade), x ticks at the ends and the middle.
  parts.push(`<path d="M${pad.left},${pad.top} V${H - pad.bottom} H${W - pad.right}" stroke="#444" fill="none"/>\n`);
  for (let e = Math.floor(yLo); e <= Math.ceil(yHi); e++) {
    for (const m of yHi - yLo <= 1 ? [1, 1.5, 2, 3, 4, 5, 6, 7, 8, 9] : [1, 2, 5]) {
      const v = m * 10 ** e;
      const lv = Math.log10(v);
      if (lv < yLo || lv > yHi) continue;
      parts.push(`<line x1="${pad.left - 4}" x2="${W - pad.right}" y1="${f(py(v))}" y2="${f(py(v))}" stroke="#ddd"/><text x="${pad.left - 6}" y="${f(py(v) + 4)}" text-anchor="end">${Number(v.toPrecision(3))}</text>\n`);
    }
  }
  for (const x of [xMin, Math.round((xMin + xMax) / 2), xMax]) {
    parts.push(`<text x="${f(px(x))}" y="${H - pad.bottom + 16}" text-anchor="middle">${x}</text>\n`);
  }
  parts.push(`<text x="${(pad.left + W - pad.right) / 2}" y="${H - 6}" text-anchor="middle">step</text>\n`);
  parts.push(`<text transform="translate(14,${(pad.top + H - pad.bottom) / 2}) rotate(-90)" text-anchor="middle">loss (log)</text>\n`);
  if (smooth.length > 0) parts.push(`<path d="${path(smooth)}" stroke="#1f77b4" stroke-width="1.5" fill="none"/>\n`);
  if (val.length > 0) {
    parts.push(`<path d="${path(val)}" stroke="#d62728" stroke-width="1.5" fill="none"/>\n`);
    for (const p of val) parts.push(`<circle cx="${f(px(p.x))}" cy="${f(py(p.y))}" r="2.5" fill="#d62728"/>\n`);
  }
  parts.push(`<rect x="${W - pad.right - 130}" y="${pad.top}" width="126" height="36" fill="white" stroke="#ccc"/>\n`);
  parts.push(`<line x1="${W - pad.right - 122}" x2="${W - pad.right - 102}" y1="${pad.top + 12}" y2="${pad.top + 12}" stroke="#1f77b4" stroke-width="2"/><text x="${W - pad.right - 96}" y="${pad.top + 16}">train${window > 1 ? ` (mean of ${window})` : ''}</text>\n`);
  parts.push(`<line x1="${W - pad.right - 122}" x2="${W - pad.right - 102}" y1="${pad.top + 27}" y2="${pad.top + 27}" stroke="#d62728" stroke-width="2"/><text x="${W - pad.right - 96}" y="${pad.top + 31}">validation</text>\n`);
  parts.push('</svg>\n');
  return parts.join('');
}
