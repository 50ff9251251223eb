// Masked sampling is constrained.ts's sampling of the allowed ids: sampling.ts's samplingDistribution over logits
// with the forbidden ids at -infinity (what engine/async.ts chooseMasked, CpuAsyncEngine and the GPU's masked
// sample kernel compute) is, token for token and probability for probability, the distribution of the allowed ids'
// logits alone in ascending id order (constrainedAction's sub-vector), so the choice at any u is the same: on
// random logits, ties (-0 among them), logits far apart (weights that underflow), odd vocabularies, masks of one id,
// masks that exclude the unconstrained best, every option set; u at random, on the cumulative boundaries, and past
// the allowed ids' rounded total (which must not reach a forbidden id). Then constrainedActionAsync sampling on
// CpuAsyncEngine through its masked samplePrefill (no logits read back) gives constrainedAction's lines.
import { describe, expect, it } from 'vitest';
import { constrainedAction } from '../../../agent/constrained.ts';
import { constrainedActionAsync, idMask } from '../../../agent/constrained-async.ts';
import { defaultCheckpointPath, loadBundleFile } from '../../../agent/lm/bundle-file.ts';
import { chooseMasked, CpuAsyncEngine } from '../../../agent/lm/engine/async.ts';
import { CpuEngine } from '../../../agent/lm/engine/cpu.ts';
import { Prng } from '../../../agent/lm/prng.ts';
import { argmax, samplingDistribution, type SamplingOptions } from '../../../agent/lm/sampling.ts';
import { actionCases } from './action-cases.ts';
import { allowedChoice, allowedDistribution, maskIds } from './masked-reference.ts';

const OPTIONS: SamplingOptions[] = [
  {},
  { temperature: 1 },
  { temperature: 0.6, topK: 5 },
  { temperature: 1.4, topP: 0.9 },
  { temperature: 0.8, topK: 20, topP: 0.7 },
  { temperature: 2, topK: 1 },
  { temperature: 1, topP: 0.02 },
  { temperature: 0.02 },
  { temperature: 1, topK: 1000 },
];

const minusInf = (logits: Float32Array, ids: readonly number[]): Float32Array => {
  const allowed = new Set(ids);
  return logits.map((v, i) => (allowed.has(i) ? v : Number.NEGATIVE_INFINITY));
};

function logitsOf(kind: 'random' | 'ties' | 'far', vocab: number, rng: Prng): Float32Array {
  return Float32Array.from({ length: vocab }, (_, i) => {
    const v = 2 * rng.next() - 1;
    if (kind === 'random') return 4 * v;
    if (kind === 'far') return 80 * v;
    const r = Math.round(3 * v);
    return r === 0 && i % 2 === 1 ? -0 : r;
  });
}

/** Random ids, a single id, the best excluded, the best and one other excluded, all. */
function idSets(logits: Float32Array, rng: Prng): number[][] {
  const V = logits.length;
  const all = Array.from({ length: V }, (_, i) => i);
  const best = argmax(logits);
  const sets = [all.filter(() => rng.next() < 0.3), [Math.floor(rng.next() * V)], all.filter((i) => i !== best), all];
  const other = (best + 1 + Math.floor(rng.next() * (V - 1))) % V;
  sets.push(all.filter((i) => i !== best && i !== other));
  return sets.filter((ids) => ids.length > 0);
}

/** Random u, 0, the largest u below 1, and either side of the first three cumulative boundaries and the last two. */
function drawsFor(dist: { p: number }[], rng: Prng): number[] {
  const us = [0, 1 - 2 ** -53, ...Array.from({ length: 4 }, () => rng.next())];
  let cumulative = 0;
  dist.forEach(({ p }, r) => {
    cumulative += p;
    if (r >= 3 && r < dist.length - 2) return;
    for (const u of [cumulative - 1e-12, cumulative, cumulative + 1e-12]) if (u >= 0 && u < 1) us.push(u);
  });
  return us;
}

describe('masked sampling = sampling the allowed ids alone (constrained.ts)', () => {
  it('the same distribution and the same choice at every u, on random logits, ties and far logits', () => {
    const rng = new Prng('masked-sampling');
    let cases = 0;
    let excluded = 0;
    for (const vocab of [1, 2, 7, 33, 101, 1031]) {
      for (const kind of ['random', 'ties', 'far'] as const) {
        const logits = logitsOf(kind, vocab, rng);
        for (const ids of idSets(logits, rng)) {
          const mask = idMask(ids, vocab);
          expect(maskIds(mask, vocab)).toEqual(ids);
          if (!ids.includes(argmax(logits))) excluded++;
          for (const options of OPTIONS) {
            const label = `V ${vocab} ${kind}, ${ids.length} allowed, ${JSON.stringify(options)}`;
            const dist = allowedDistribution(logits, ids, options);
            expect(samplingDistribution(minusInf(logits, ids), options), label).toEqual(dist);
            for (const u of drawsFor(dist, rng)) {
              const got = chooseMasked(logits, options, u, mask);
              const want = allowedChoice(logits, ids, options, u);
              expect({ id: got.token, drew: got.drew }, `${label} u ${u}`).toEqual(want);
              expect(got.best).toBe(argmax(logits));
              cases++;
            }
          }
        }
      }
    }
    expect(excluded).toBeGreaterThan(10);
    expect(cases).toBeGreaterThan(5000);
  });

  it('u past the allowed ids\' rounded total chooses the last allowed id, never a forbidden one', () => {
    const rng = new Prng('masked-tail');
    let found = 0;
    for (let t = 0; t < 400 && found < 5; t++) {
      const logits = logitsOf('random', 50, rng);
      const ids = Array.from({ length: 50 }, (_, i) => i).filter(() => rng.next() < 0.4);
      const dist = allowedDistribution(logits, ids, { temperature: 1 });
      const total = dist.reduce((s, { p }) => s + p, 0);
      if (!(total < 1) || dist.length < 2) continue;
      found++;
      const u = total; // in [0, 1), not below any cumulative probability
      const got = chooseMasked(logits, { temperature: 1 }, u, idMask(ids, 50));
      expect(ids).toContain(got.token);
      expect(got.token).toBe(dist[dist.length - 1]!.token);
      expect(got.drew).toBe(true);
    }
    expect(found).toBe(5);
  });

  it('logits all at -infinity give the lowest id, without a draw', () => {
    const logits = new Float32Array(5).fill(Number.NEGATIVE_INFINITY);
    expect(samplingDistribution(logits, { temperature: 1 })).toEqual([{ token: 0, p: 1 }]);
  });
});

/** A CpuAsyncEngine that counts the calls that give logits back (prefill, step). */
class ReadCounting extends CpuAsyncEngine {
  reads = 0;

  override prefill(ids: readonly number[]): Promise<Float32Array> {
    this.reads++;
    return super.prefill(ids);
  }

  override step(id: number): Promise<Float32Array> {
    this.reads++;
    return super.step(id);
  }
}

describe('constrainedActionAsync sampling on CpuAsyncEngine', async () => {
  const bundle = await loadBundleFile(defaultCheckpointPath());
  const cases = await actionCases(bundle, 8);
  const variants: SamplingOptions[] = [{ temperature: 1 }, { temperature: 1.5, topK: 40 }, { temperature: 1.2, topP: 0.9 }, { temperature: 0.7, topK: 5, topP: 0.8 }];

  it.each(variants)('%j: constrainedAction\'s lines for several seeds, no logits read back', async (sampling) => {
    const sync = new CpuEngine(bundle.config, bundle.weights);
    const engine = new ReadCounting(new CpuEngine(bundle.config, bundle.weights));
    let masked = 0;
    for (const c of cases) {
      for (const seed of [1, 2, 'seven']) {
        const options = { allowed: c.allowed, sampling, seed, maxTokens: 48 };
        const want = constrainedAction(sync, bundle.tokenizer, { ...options, prompt: c.pending });
        engine.reset();
        const got = await constrainedActionAsync(engine, bundle.tokenizer, { ...options, pending: c.pending });
        expect(got, `${c.name} seed ${seed}`).toEqual(want);
        expect(engine.tokens).toEqual(sync.tokens);
        masked += got.masked;
      }
    }
    expect(engine.reads).toBe(0);
    expect(masked, 'steps whose unconstrained best the grammar excluded').toBeGreaterThan(0);
  });
});
