// Training-throughput benchmark: does data-parallel training on worker threads pay on this machine? The shipped
// model's shape (models/planner/train.json) trains SFT steps on real instruction examples (a few oracle episodes
// per family, generated here) three times in one process: on the main thread (workers 1), then with 2 worker
// threads, then on the main thread again (so that a machine whose load changes shows it). Reports target tokens/s
// (the response tokens the SFT loss counts) of each and the ratio of 2 workers over the mean of the two
// single-thread runs. Then the attention's batched products at the shipped shapes (half a batch of 280-token
// rows, as one worker sees it, and the scores of an odd-length batch): batch-matmul.ts's SIMD gemm against
// tf.matMul (tfjs-wasm's batched loop), and the ratios.
// Prints ONE JSON object to stdout, progress to stderr.
// Usage: npx tsx bench/train.bench.ts [--steps N] [--quick]
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { generateData } from '../agent/data/generate.ts';
import { batchMatMul } from '../agent/lm/batch-matmul.ts';
import { loadTrainConfig, parseTrainConfig } from '../agent/lm/train/config.ts';
import { trainStage } from '../agent/lm/train/loop.ts';
import { useWasmBackend } from '../agent/lm/wasm-backend.ts';
import { FAMILY_NAMES } from '../scenes/family-names.ts';
import { intOption } from './args.ts';
import { machine } from './machine.ts';
import { round } from './numbers.ts';

const log = (message: string): void => {
  process.stderr.write(`[bench:train] ${message}\n`);
};

const { values } = parseArgs({ options: { steps: { type: 'string' }, quick: { type: 'boolean', default: false } }, strict: true });
const quick = values.quick === true;
const steps = intOption(values.steps, quick ? 3 : 8, 'steps', 1);

interface ProductSpeed {
  shape: string;
  simdGmacPerSec: number;
  tfjsGmacPerSec: number;
  simdOverTfjs: number;
}

/** GMAC/s of [G, m, k] x [G, k, n] products, batchMatMul's SIMD gemm and tf.matMul, best of a few runs each. */
function productSpeed(G: number, m: number, k: number, n: number): ProductSpeed {
  const a = tf.randomUniform([G, m, k], 0, 1, 'float32', 1);
  const b = tf.randomUniform([G, k, n], -1, 1, 'float32', 2);
  const time = (f: () => tf.Tensor): number => {
    let best = Infinity;
    for (let i = 0; i < 4; i++) {
      const t0 = performance.now();
      const out = f();
      out.dataSync();
      best = Math.min(best, performance.now() - t0);
      out.dispose();
    }
    return best / 1000;
  };
  const gmac = (G * m * k * n) / 1e9;
  const simd = gmac / time(() => batchMatMul(a, b));
  const tfjs = gmac / time(() => tf.matMul(a, b));
  tf.dispose([a, b]);
  const shape = `[${G}, ${m}, ${k}] x [${G}, ${k}, ${n}]`;
  log(`batched product ${shape}: SIMD ${simd.toFixed(2)} GMAC/s, tf.matMul ${tfjs.toFixed(2)} GMAC/s`);
  return { shape, simdGmacPerSec: round(simd), tfjsGmacPerSec: round(tfjs), simdOverTfjs: round(simd / tfjs) };
}

await useWasmBackend();
const dir = mkdtempSync(join(tmpdir(), 'umwelt-bench-train-'));
try {
  log('generating instruction examples (2 oracle episodes per family)');
  const data = await generateData({ split: 'train', episodes: 2, families: FAMILY_NAMES, start: 900_000 });
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir);
  writeFileSync(join(dataDir, 'corpus.txt'), `${data.corpus.join('\n')}\n`);
  writeFileSync(join(dataDir, 'sft.jsonl'), data.examples.map((e) => JSON.stringify(e)).join('\n') + '\n');
  writeFileSync(join(dataDir, 'manifest.json'), JSON.stringify({ version: 0 }));

  const shipped = loadTrainConfig('models/planner/train.json');
  const run = async (workers: number, label: string): Promise<{ workers: number; targetTokensPerSec: number; seconds: number }> => {
    const out = join(dir, `run-${label}`);
    const raw = JSON.parse(readFileSync('models/planner/train.json', 'utf8')) as Record<string, unknown>;
    const config = parseTrainConfig({ ...raw, dataDir, out, workers, sft: { ...shipped.sft, steps, warmupSteps: Math.min(shipped.sft.warmupSteps, steps), evalEvery: 10_000, checkpointEvery: 10_000, validationFraction: 0.05, successEpisodes: 0, init: 'scratch' } }, 'bench');
    log(`${label}: ${steps} SFT steps, batch ${config.sft.batchSize}, ${workers} worker(s)`);
    const result = await trainStage({ config, stage: 'sft', steps, workers, clock: () => performance.now() });
    return { workers, targetTokensPerSec: round(result.tokensPerSec), seconds: round(result.trainSeconds) };
  };
  const first = await run(1, 'one-a');
  const two = await run(2, 'two');
  const again = await run(1, 'one-b');
  const single = (first.targetTokensPerSec + again.targetTokensPerSec) / 2;
  // Half a batch of 280-token rows, as one worker sees it: the weighted values (P V, n = head size) and the scores of
  // an odd-length batch (Q K^T, n = 281 columns: the gemm's four-column tail).
  const G = shipped.model.heads * (shipped.sft.batchSize / 2);
  const hd = shipped.model.dModel / shipped.model.heads;
  const attention = productSpeed(G, 280, 280, hd);
  const oddScores = productSpeed(G, 281, hd, 281);
  const report = {
    bench: 'train',
    environment: machine(),
    model: shipped.model,
    steps,
    batchSize: shipped.sft.batchSize,
    examples: data.examples.length,
    runs: [first, two, again],
    attention,
    oddScores,
    ratios: { twoWorkersOverOne: round(two.targetTokensPerSec / single), simdOverTfjsBatchedProduct: attention.simdOverTfjs, simdOverTfjsOddScores: oddScores.simdOverTfjs },
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
