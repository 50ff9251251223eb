// The Chart.js UMD bundle's source, read from node_modules once and cached, for inlining into report.html.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

let cached: string | null = null;

/** The text of chart.js/dist/chart.umd.min.js (it sets `globalThis.Chart` when run as a classic script). */
export function chartJsBundle(): string {
  if (cached === null) {
    // The package's exports map does not export dist/chart.umd.min.js, but it does export its main entry
    // (dist/chart.cjs under the "require" condition), and the UMD bundle sits beside it.
    const main = createRequire(import.meta.url).resolve('chart.js');
    cached = readFileSync(join(dirname(main), 'chart.umd.min.js'), 'utf8');
  }
  return cached;
}
