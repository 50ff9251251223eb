// The WebGPU kernels and engine in a real browser: headless Chromium with --enable-unsafe-webgpu (SwiftShader's
// WebGPU adapter on a machine without a GPU) loads tests/browser/webgpu-entry.ts, bundled with esbuild into a temp
// dir and served from 127.0.0.1. Node makes the inputs (mulberry32, odd sizes), the page runs each kernel through
// KernelRunner as the Node kernel tests do (tiled and scalar sets), and Node compares with the same float64
// references (helpers.ts, sampling.ts argmax, engine/async.ts maskedArgmax) within the same tolerances:
//   - matmul / matvec / linear-scalar (f32 and int8, every epilogue), rowdot: max abs error <= 1e-5 of sum |x w|
//     (+ |b|); GELU epilogue: 1e-6 (relative above 1) from -1e4 to 1e4;
//   - LayerNorm: tiled 2e-5 absolute (values of order 1), scalar 1e-5 of max|y|;
//   - embedding: exact; qkv-split (rope and learned): 1e-6 absolute, other cache rows untouched;
//   - attention: 1e-5 of max|v|; argmax (with and without the grammar bitmask): exact, ties to the lowest id.
// Then the shipped planner (fetched from the test server, decodeBundle) on WebGpuEngine in the page gives the CPU
// engine's greedy answers for 20 real prompts, token for token (as planner-gpu.test.ts in Node: thoughts capped at
// 8 tokens, the action chosen on the GPU under the grammar's bitmask; none of these prompts has a near-tie within
// the engines' logit error, ~1e-6 of max|logit|, engine.test.ts).
// No adapter in the page fails with what to do, unless UMWELT_SKIP_WEBGPU=1; no Chromium (and no way to install
// it) skips, as the other browser tests do.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultCheckpointPath, loadBundleFile } from '../../../../agent/lm/bundle-file.ts';
import { maskedArgmax } from '../../../../agent/lm/engine/async.ts';
import { CpuEngine } from '../../../../agent/lm/engine/cpu.ts';
import { ropeTables } from '../../../../agent/lm/rope.ts';
import { argmax } from '../../../../agent/lm/sampling.ts';
import type { KernelSet } from '../../../../agent/lm/webgpu/engine.ts';
import { allowedMask, NO_TOKEN } from '../../../../agent/lm/webgpu/kernels/argmax.ts';
import type { EmbeddingVariant } from '../../../../agent/lm/webgpu/kernels/embedding.ts';
import type { Epilogue } from '../../../../agent/lm/webgpu/kernels/epilogue.ts';
import type { WeightDtype } from '../../../../agent/lm/webgpu/kernels/program.ts';
import { decodeAnswer } from '../../../../agent/planners/lm-answer.ts';
import type { KernelCase, MatrixWords, PageGpu, PlannerPrompt, PlannerRun, WebGpuTestApi } from '../../../browser/webgpu-api.ts';
import { chromiumAvailable, launchChromium } from '../../../fixtures/chromium.ts';
import { mulberry32 } from '../../../fixtures/random.ts';
import { episodePrompts } from '../../episode-prompts.ts';
import {
  applyEpilogue,
  attentionRef,
  geluRef,
  layerNormRef,
  linearRef,
  linearScale,
  maxAbs,
  maxAbsError,
  qkvSplitRef,
  weightArrays,
  type WeightArrays,
} from './helpers.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
/** Same bound as the Node linear, rowdot and attention tests. */
const RELATIVE = 1e-5;
const DTYPES: WeightDtype[] = ['f32', 'int8'];
const EPILOGUES: Epilogue[] = ['bias', 'bias_gelu', 'bias_residual'];
const SETS: KernelSet[] = ['tiled', 'scalar'];
const PROMPTS = 20;
const MAX_THOUGHT_TOKENS = 8;

const INDEX_HTML = '<!doctype html><meta charset="utf-8"><title>webgpu</title><script type="module" src="/webgpu-entry.js"></script>\n';

interface Session {
  page: Page;
  gpu: PageGpu & { ok: true };
}

/** Bundles the entry, serves it and the shipped checkpoint, opens the page and acquires its device. Null when
 *  skipping (no Chromium; no adapter with UMWELT_SKIP_WEBGPU=1). Everything is closed after the file's tests. */
async function openSession(): Promise<Session | null> {
  if (!chromiumAvailable('webgpu-chromium')) return null;
  let dir = '';
  let server: Server | null = null;
  let browser: Browser | null = null;
  const close = async (): Promise<void> => {
    // Each step on its own, so one failing does not leak the others.
    await browser?.close().catch(() => undefined);
    browser = null;
    if (server) {
      const s = server;
      server = null;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = '';
  };
  afterAll(close);
  try {
    return await open();
  } catch (e) {
    // Collection failed: afterAll may never run, so nothing may outlive this.
    await close();
    throw e;
  }

  async function open(): Promise<Session | null> {
    dir = mkdtempSync(join(tmpdir(), 'umwelt-webgpu-'));
    await build({
      entryPoints: [join(ROOT, 'tests', 'browser', 'webgpu-entry.ts')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      outfile: join(dir, 'webgpu-entry.js'),
      logLevel: 'warning',
    });
    writeFileSync(join(dir, 'index.html'), INDEX_HTML);
    const files: Record<string, [string, string]> = {
      '/': [join(dir, 'index.html'), 'text/html; charset=utf-8'],
      '/index.html': [join(dir, 'index.html'), 'text/html; charset=utf-8'],
      '/webgpu-entry.js': [join(dir, 'webgpu-entry.js'), 'text/javascript; charset=utf-8'],
      '/planner.safetensors': [defaultCheckpointPath(), 'application/octet-stream'],
    };
    server = createServer((req, res) => {
      const file = files[(req.url ?? '/').split('?')[0] ?? '/'];
      if (!file) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': file[1], 'cache-control': 'no-store' }).end(readFileSync(file[0]));
    });
    const s = server;
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => resolve());
    });
    browser = await launchChromium({ webgpu: true });
    const page = await browser.newPage();
    page.setDefaultTimeout(30_000);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${(s.address() as AddressInfo).port}/`, { waitUntil: 'load' });
    await page.waitForFunction(() => window.webgpuTest !== undefined);
    expect(errors).toEqual([]);
    const gpu = await page.evaluate(() => (window.webgpuTest as WebGpuTestApi).init());
    if (!gpu.ok) {
      const message = `no WebGPU adapter in Chromium (--enable-unsafe-webgpu) for the kernel tests (${gpu.code}: ${gpu.message})`;
      if (process.env['UMWELT_SKIP_WEBGPU'] === '1') {
        console.warn(`SKIPPED (UMWELT_SKIP_WEBGPU=1): ${message}`);
        return null;
      }
      throw new Error(`${message}. Set UMWELT_SKIP_WEBGPU=1 to skip these tests.`);
    }
    const { limits } = gpu;
    console.info(
      `Chromium WebGPU adapter: ${gpu.adapterName}; ${limits.maxComputeInvocationsPerWorkgroup} invocations/workgroup, ${limits.maxComputeWorkgroupStorageSize} B workgroup storage`,
    );
    return { page, gpu };
  }
}

const session = await openSession();

/** n values uniform in [-scale, scale), from a seeded mulberry32. */
const randoms = (rand: () => number, n: number, scale = 1): Float32Array => Float32Array.from({ length: n }, () => (2 * rand() - 1) * scale);

const plain = (a: ArrayLike<number>): number[] => Array.from(a);

/** A weight matrix [rows, cols] (values in [-0.5, 0.5)) for the page and for the reference. */
function matrix(rand: () => number, dtype: WeightDtype, rows: number, cols: number, scale = 0.5): { w: WeightArrays; words: MatrixWords } {
  const w = weightArrays(dtype, rows, cols, randoms(rand, rows * cols, scale));
  return { w, words: w.arrays.map((a) => ({ type: a instanceof Uint32Array ? 'u32' : 'f32', data: plain(a) })) };
}

/** Runs the cases in the page, in one evaluate: per case, its output buffers (F32 values, or argmax's u32 id). */
const run = (cases: KernelCase[]): Promise<number[][][]> => session!.page.evaluate((cs) => (window.webgpuTest as WebGpuTestApi).run(cs), cases);

const first = (outputs: number[][][], i: number): number[] => outputs[i]![0]!;

/** [rows, cols] -> [cols, rows]. */
function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c]!;
  return t;
}

describe.skipIf(session === null)(`WebGPU kernels in headless Chromium (${session?.gpu.adapterName ?? 'no adapter'})`, () => {
  it('matmul, matvec and linear-scalar: every epilogue, f32 and int8, odd shapes, within 1e-5 of sum |x w|', async () => {
    const rand = mulberry32(0x11ea7);
    const shapes = {
      matmul: [[1, 5, 33], [7, 130, 257]],
      matvec: [[1, 33, 130], [1, 257, 5]],
      'linear-scalar': [[1, 130, 7], [7, 130, 257], [17, 9, 5]],
    } as const;
    const cases: KernelCase[] = [];
    const wants: { label: string; want: Float64Array; scale: number }[] = [];
    for (const kernel of ['matmul', 'matvec', 'linear-scalar'] as const) {
      for (const dtype of DTYPES) {
        for (const epilogue of EPILOGUES) {
          for (const [rows, k, n] of shapes[kernel]) {
            for (const rowBlock of kernel === 'linear-scalar' && rows === 1 ? ([1, 4] as const) : ([4] as const)) {
              const x = randoms(rand, rows * k);
              const { w, words } = matrix(rand, dtype, k, n);
              const b = randoms(rand, n, 0.5);
              const before = randoms(rand, rows * n);
              cases.push({ kernel, dtype, epilogue, rowBlock, rows, k, n, x: plain(x), w: words, b: plain(b), before: plain(before) });
              wants.push({
                label: `${kernel} ${dtype} ${epilogue}${kernel === 'linear-scalar' ? ` rb ${rowBlock}` : ''} [${rows}, ${k}] x [${k}, ${n}]`,
                want: applyEpilogue(epilogue, linearRef(x, rows, w.values, b, k, n), before),
                scale: linearScale(x, rows, w.values, b, k, n),
              });
            }
          }
        }
      }
    }
    const got = await run(cases);
    const worst: Record<string, number> = {};
    wants.forEach(({ label, want, scale }, i) => {
      const relative = maxAbsError(first(got, i), want) / scale;
      const kernel = label.split(' ').slice(0, 2).join(' ');
      worst[kernel] = Math.max(worst[kernel] ?? 0, relative);
      expect(relative, label).toBeLessThan(RELATIVE);
    });
    console.info(`chromium linear (${cases.length} cases): max abs error / sum|xw| = ${Object.entries(worst).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', ')}`);
  });

  it('the GELU epilogue is the tanh form within 1e-6 (relative above 1) from -1e4 to 1e4, never NaN', async () => {
    // matvec with x = [0]: y = gelu(bias), so the bias carries the test values.
    const values = [-1e4, -100, -30, -10, -5, -3, -1, -0.5, -1e-3, 0, 1e-3, 0.5, 1, 3, 5, 10, 30, 100, 1e4].map(Math.fround);
    const n = values.length;
    const [out] = await run([
      { kernel: 'matvec', dtype: 'f32', epilogue: 'bias_gelu', rows: 1, k: 1, n, x: [0], w: [{ type: 'f32', data: new Array<number>(n).fill(0) }], b: values, before: new Array<number>(n).fill(0) },
    ]);
    const got = out![0]!;
    values.forEach((u, i) => {
      const want = geluRef(u);
      expect(Math.abs(got[i]! - want) / Math.max(1, Math.abs(want)), `gelu(${u}) = ${got[i]}, want ${want}`).toBeLessThan(1e-6);
    });
  });

  it('rowdot (tiled and scalar): logits[r] = x . W[r], f32 and int8 with per-row scales, within 1e-5 of sum |x w|', async () => {
    const rand = mulberry32(0x0d07);
    const cases: KernelCase[] = [];
    const wants: { label: string; want: Float64Array; scale: number }[] = [];
    for (const set of SETS) {
      for (const dtype of DTYPES) {
        for (const [rows, cols] of [[5, 33], [257, 130]] as const) {
          const x = randoms(rand, cols);
          const { w, words } = matrix(rand, dtype, rows, cols);
          cases.push({ kernel: 'rowdot', set, dtype, rows, cols, x: plain(x), w: words });
          // x . W[r] is x [1, C] times W^T: the reference multiplies by the transpose.
          const wT = transpose(w.values, rows, cols);
          wants.push({ label: `rowdot ${set} ${dtype} [${rows}, ${cols}]`, want: linearRef(x, 1, wT, null, cols, rows), scale: linearScale(x, 1, wT, null, cols, rows) });
        }
      }
    }
    const got = await run(cases);
    wants.forEach(({ label, want, scale }, i) => expect(maxAbsError(first(got, i), want) / scale, label).toBeLessThan(RELATIVE));
  });

  it('layernorm: tiled within 2e-5 absolute, scalar within 1e-5 of max|y|, odd widths', async () => {
    const rand = mulberry32(0x1a7e);
    const eps = 1e-5;
    const cases: KernelCase[] = [];
    const wants: { label: string; want: Float64Array; set: KernelSet }[] = [];
    for (const [set, shapes] of [['tiled', [[1, 5], [7, 130], [2, 257]]], ['scalar', [[1, 7], [70, 33]]]] as const) {
      for (const [rows, d] of shapes) {
        const x = randoms(rand, rows * d, 3);
        if (set === 'tiled') for (let i = 0; i < x.length; i++) x[i] = x[i]! + 0.5; // a mean away from 0
        const g = randoms(rand, d, set === 'tiled' ? 1.5 : 1);
        const b = randoms(rand, d, set === 'tiled' ? 0.5 : 1);
        cases.push({ kernel: 'layernorm', set, rows, d, eps, x: plain(x), g: plain(g), b: plain(b) });
        wants.push({ label: `layernorm ${set} [${rows}, ${d}]`, want: layerNormRef(x, rows, d, g, b, eps), set });
      }
    }
    const got = await run(cases);
    wants.forEach(({ label, want, set }, i) => {
      const error = maxAbsError(first(got, i), want);
      if (set === 'tiled') expect(error, label).toBeLessThan(2e-5);
      else expect(error / maxAbs(want), label).toBeLessThan(RELATIVE);
    });
  });

  it('embedding: x[t] = wte[id] (+ wpe[p0 + t]) exactly, f32 and int8 tables', async () => {
    const rand = mulberry32(0xe3b);
    const variants: EmbeddingVariant[] = [
      { token: 'f32', position: 'f32' },
      { token: 'f32', position: 'none' },
      { token: 'int8', position: 'int8' },
      { token: 'int8', position: 'none' },
    ];
    const cases: KernelCase[] = [];
    const wants: { label: string; want: Float32Array }[] = [];
    for (const variant of variants) {
      for (const [vocab, context, d, rows, p0] of [[7, 9, 5, 1, 0], [130, 20, 130, 7, 13]] as const) {
        const wte = matrix(rand, variant.token, vocab, d, 0.7);
        const wpe = variant.position === 'none' ? null : matrix(rand, variant.position, context, d, 0.7);
        const ids = Array.from({ length: rows }, () => Math.floor(rand() * vocab));
        cases.push({ kernel: 'embedding', variant, rows, d, p0, ids, wte: wte.words, wpe: wpe?.words ?? null });
        const want = new Float32Array(rows * d);
        for (let t = 0; t < rows; t++) {
          for (let i = 0; i < d; i++) want[t * d + i] = wte.w.values[ids[t]! * d + i]! + (wpe === null ? 0 : wpe.w.values[(p0 + t) * d + i]!);
        }
        wants.push({ label: `embedding ${variant.token}/${variant.position} [${rows}, ${d}] at ${p0}`, want });
      }
    }
    const got = await run(cases);
    wants.forEach(({ label, want }, i) => expect(maxAbsError(first(got, i), want), label).toBe(0));
  });

  it('qkv-split (rope and learned): q out, k and v into cache rows p0.., other rows untouched, within 1e-6', async () => {
    const rand = mulberry32(0x9c5);
    const sentinel = 7;
    const cases: KernelCase[] = [];
    const wants: { label: string; want: Float64Array[] }[] = [];
    for (const positions of ['rope', 'learned'] as const) {
      for (const [rows, heads, hd, p0, context] of [[1, 1, 6, 0, 4], [3, 3, 10, 5, 9], [7, 2, 34, 20, 40]] as const) {
        const d = heads * hd;
        const qkv = randoms(rand, rows * 3 * d, 2);
        cases.push({ kernel: 'qkv-split', positions, rows, d, hd, p0, context, sentinel, qkv: plain(qkv) });
        const { q, k, v } = qkvSplitRef(qkv, rows, d, hd, p0, new Float32Array(context * d).fill(sentinel), positions === 'rope' ? ropeTables(context, hd) : null);
        wants.push({ label: `qkv-split ${positions} T ${rows}, ${heads} x ${hd} at ${p0}`, want: [q, k, v] });
      }
    }
    const got = await run(cases);
    wants.forEach(({ label, want }, i) => {
      // One rotation: two products and a difference of values up to 2, each rounded in F32 (an ulp at 2 is 2.4e-7).
      const error = Math.max(...want.map((w, j) => maxAbsError(got[i]![j]!, w)));
      expect(error, label).toBeLessThan(1e-6);
    });
  });

  it('attention (tiled and scalar): T rows at p0 over the cache, odd head sizes, within 1e-5 of max|v|', async () => {
    const rand = mulberry32(0xa77e);
    const shapes = {
      tiled: [[1, 3, 6, 70], [3, 2, 5, 2], [2, 1, 130, 129], [1, 2, 33, 200]],
      scalar: [[1, 3, 6, 70], [7, 4, 8, 60], [2, 1, 130, 129]],
    } as const;
    const cases: KernelCase[] = [];
    const wants: { label: string; want: Float64Array; scale: number }[] = [];
    for (const set of SETS) {
      for (const [rows, heads, hd, p0] of shapes[set]) {
        const d = heads * hd;
        const context = p0 + rows + 3; // rows past the last one attended hold values that must not count
        const q = randoms(rand, rows * d, 1.5);
        const kCache = randoms(rand, context * d, 1.5);
        const vCache = randoms(rand, context * d, 2);
        cases.push({ kernel: 'attention', set, rows, heads, d, p0, q: plain(q), kCache: plain(kCache), vCache: plain(vCache) });
        wants.push({ label: `attention ${set} T ${rows}, ${heads} heads x ${hd} at ${p0}`, want: attentionRef(q, kCache, vCache, rows, heads, d, p0), scale: maxAbs(vCache) });
      }
    }
    const got = await run(cases);
    let worst = 0;
    wants.forEach(({ label, want, scale }, i) => {
      const error = maxAbsError(first(got, i), want) / scale;
      worst = Math.max(worst, error);
      expect(error, label).toBeLessThan(1e-5);
    });
    console.info(`chromium attention: max abs error / max|v| = ${worst.toExponential(2)}`);
  });

  it('argmax (tiled and scalar): the first largest logit, among the ids a bitmask allows, NO_TOKEN when none', async () => {
    const rand = mulberry32(0xa59);
    const cases: KernelCase[] = [];
    const wants: { label: string; want: number }[] = [];
    const push = (set: KernelSet, logits: Float32Array, allowed: number[] | null, label: string): void => {
      const mask = allowed === null ? null : allowedMask(allowed, logits.length);
      cases.push({ kernel: 'argmax', set, logits: plain(logits), mask: mask === null ? null : plain(mask) });
      const want = mask === null ? argmax(logits) : maskedArgmax(logits, mask);
      wants.push({ label: `argmax ${set} ${label}`, want: want < 0 ? NO_TOKEN : want });
    };
    for (const set of SETS) {
      for (const vocab of [1, 33, 257, 8191]) {
        const logits = randoms(rand, vocab, 10);
        push(set, logits, null, `V ${vocab}`);
        const allowed = Array.from({ length: vocab }, (_, i) => i).filter(() => rand() < 0.2);
        if (allowed.length === 0) allowed.push(vocab - 1);
        push(set, logits, allowed, `V ${vocab} masked`);
        const tied = Float32Array.from(logits);
        tied[vocab - 1] = tied[0] = Math.max(...tied); // a tie: the lower id wins
        push(set, tied, null, `V ${vocab} tie`);
        push(set, tied, Array.from({ length: vocab }, (_, i) => i).filter((i) => i % 3 === 0 || i === vocab - 1), `V ${vocab} tie masked`);
      }
      push(set, randoms(rand, 100), [], 'none allowed');
    }
    const got = await run(cases);
    expect(wants.find((w) => w.label.endsWith('none allowed'))?.want).toBe(NO_TOKEN);
    wants.forEach(({ label, want }, i) => expect(first(got, i), label).toEqual([want]));
  });

  it(`the shipped planner on WebGpuEngine in the page gives the CPU engine's greedy answers for ${PROMPTS} real prompts`, async () => {
    const bundle = await loadBundleFile(defaultCheckpointPath());
    const prompts: PlannerPrompt[] = (await episodePrompts(bundle, PROMPTS)).map((p) => ({ name: p.name, ids: p.ids, allowed: p.allowed }));
    expect(prompts).toHaveLength(PROMPTS);
    const options = { seed: 'greedy', maxThoughtTokens: MAX_THOUGHT_TOKENS };
    const cpu = new CpuEngine(bundle.config, bundle.weights);
    const wants = prompts.map((p) => decodeAnswer(cpu, bundle.tokenizer, p.ids, { allowed: p.allowed, ...options }));
    const got: PlannerRun = await session!.page.evaluate(
      ([ps, o]) => (window.webgpuTest as WebGpuTestApi).planner('/planner.safetensors', ps, o),
      [prompts, options] as const,
    );
    expect(got.answers).toHaveLength(PROMPTS);
    let tokens = 0;
    prompts.forEach((p, i) => {
      expect(got.answers[i], p.name).toEqual(wants[i]);
      tokens += got.answers[i]!.tokens;
    });
    console.info(
      `chromium planner: ${PROMPTS} prompts on ${got.adapterName} (${got.kernels} kernels): ${tokens} answer tokens equal to the CPU engine's; engine built in ${got.createMs.toFixed(0)} ms, decoded in ${got.decodeMs.toFixed(0)} ms`,
    );
  });
});
