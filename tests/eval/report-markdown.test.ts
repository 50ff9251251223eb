// eval/report/markdown.ts: the fixtures are valid reports; report.md shows the CI, the comparison row and the
// header facts formatted as documented, keeps every table row to its column count even when a name contains `|`,
// escapes raw HTML, and renders the edge cases (no episodes, one planner without latency) without throwing.
import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../eval/report/markdown.ts';
import { escapeMarkdown } from '../../eval/report/escape.ts';
import { formatDiff, formatDuration, formatMs, formatP } from '../../eval/report/format.ts';
import { EvalReportSchema } from '../../eval/report-schema.ts';
import { emptyReport, HOSTILE_SCENARIO, sampleReport, zeroLatencyReport } from '../fixtures/report.ts';

/** The cells of a Markdown table row, splitting on `|` not preceded by a backslash. */
function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\||\|$/g, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

/** Every table in the document, as its lines. */
function tables(md: string): string[][] {
  const out: string[][] = [];
  let current: string[] = [];
  for (const line of md.split('\n')) {
    if (line.startsWith('|')) current.push(line);
    else if (current.length > 0) {
      out.push(current);
      current = [];
    }
  }
  if (current.length > 0) out.push(current);
  return out;
}

describe('report fixtures', () => {
  it('are valid reports', () => {
    for (const report of [sampleReport, emptyReport, zeroLatencyReport]) expect(EvalReportSchema.parse(report)).toEqual(report);
  });
});

describe('renderMarkdown', () => {
  const md = renderMarkdown(sampleReport);

  it('starts with a header naming the source, planners, episodes, workers, wall time and rate', () => {
    expect(md.startsWith('# Evaluation: nightly\n')).toBe(true);
    expect(md).toContain('- **Source:** suite nightly (eval/suites/nightly.json)');
    expect(md).toContain('- **Planners:** oracle, random');
    expect(md).toContain('- **Episodes:** 240');
    expect(md).toContain('- **Workers:** 4');
    expect(md).toContain('- **Wall time:** 1 min 13 s');
    expect(md).toContain('- **Episodes/s:** 3.27');
  });

  it('gives each planner its success rate with the 95% interval', () => {
    // oracle: 101/120 = 0.842, Wilson [0.765, 0.897]; random: 9/120 = 0.075, [0.040, 0.137].
    expect(md).toMatch(/^\| oracle \| 120 \| 0\.84 \[0\.77, 0\.90\] \| 0\.81 \| 9\.4 \| 9\.0 \| 0\.048 \| 0\.14 \| 0 \| 2\.10 \|$/m);
    expect(md).toMatch(/^\| random \| 120 \| 0\.07 \[0\.04, 0\.14\] \|/m);
    expect(md).toMatch(/^\| smoke \| fetch \| oracle \| 40 \| 0\.90 \[0\.77, 0\.96\] \|/m);
  });

  it('has the comparison against the baseline', () => {
    expect(md).toContain('## Against the baseline');
    expect(md).toContain('| random | oracle | all | all | 120 | 0.07 / 0.84 | -0.77 | no | 2 | 94 | \\<0.001 |');
    expect(md).toMatch(/\| place-in \| 40 \| 0\.07 \/ 0\.85 \| -0\.78 \| yes \| 1 \| 32 \| 0\.042 \|$/m);
  });

  it('lists skill failures by reason and the scenario metrics', () => {
    expect(md).toContain('| not_visible | 0 | 612 | 612 |');
    expect(md).toContain('| path_blocked | 7 | 95 | 102 |');
    expect(md).toContain('## Scenario metrics');
    expect(md).toContain('| all | all | doorOpenSeconds | 4.82 | 19.5 |');
  });

  it('escapes | and raw HTML in names, so every row keeps its column count', () => {
    const name = 'doors\\|\\<script\\>window.\\_\\_pwned=1\\</script\\>';
    expect(escapeMarkdown(HOSTILE_SCENARIO)).toBe(name);
    expect(md).toContain(`| ${name} | place-in | oracle | 40 |`);
    expect(md).toContain('| hands_full\\|weird | 0 | 41 | 41 |');
    expect(md).not.toContain('<script>');
    const all = tables(md);
    expect(all.length).toBe(6);
    for (const table of all) {
      const width = cells(table[0] ?? '').length;
      expect(cells(table[1] ?? '').every((c) => /^:?-{3}:?$/.test(c))).toBe(true);
      for (const line of table) expect(cells(line)).toHaveLength(width);
    }
  });

  it('renders a report without episodes, families or comparisons', () => {
    const empty = renderMarkdown(emptyReport);
    expect(empty).toContain('# Evaluation: empty');
    expect(empty).toContain('_No episodes were run: there are no results to report._');
    expect(empty).toContain('_One planner only: nothing to compare._');
    expect(empty).toContain('_No action failed._');
    expect(empty).toContain('| oracle | 0 | – | – |');
    expect(empty).not.toContain('Scenario metrics');
    expect(empty).not.toMatch(/NaN|undefined|Infinity/);
  });

  it('renders one planner with zero latency', () => {
    const zero = renderMarkdown(zeroLatencyReport);
    expect(zero).toContain('| oracle | 10 | 1.00 [0.72, 1.00] | 0.97 | 3.2 | 3.0 | 0 | 0 | 0 | 5.30 |');
    expect(zero).toContain('- **Episodes:** 10 (6 run by this invocation, 4 read back from the journal)');
    expect(zero).not.toMatch(/NaN|undefined|Infinity/);
  });
});

describe('number formats', () => {
  it('prints milliseconds, differences, p-values and durations readably', () => {
    expect([0, 0.0004, 0.0421, 0.5, 3.14159, 42.06, 1234.4].map(formatMs)).toEqual(['0', '<0.001', '0.042', '0.5', '3.14', '42.1', '1,234']);
    expect([0.123, -0.05, 0, -0.0001].map(formatDiff)).toEqual(['+0.12', '-0.05', '0.00', '0.00']);
    expect([null, 0.04213, 0.0004, 1].map(formatP)).toEqual(['–', '0.042', '<0.001', '1.000']);
    expect([0.5, 12.34, 125, 3725].map(formatDuration)).toEqual(['0.50 s', '12.3 s', '2 min 05 s', '1 h 02 min']);
  });
});
