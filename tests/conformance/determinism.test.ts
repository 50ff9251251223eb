// The conformance suite, run over every task family: the same seed gives the same state hashes (in this process
// and in a separate one), and snapshot/restore round-trips mid-episode (in the same env and in a fresh one, also
// through JSON).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { familyEnv } from '../../scenes/env.ts';
import { FAMILY_NAMES } from '../../scenes/family-names.ts';
import type { EnvSnapshot } from '../../sim/env.ts';
import { replay, trace } from './harness.ts';

const SEED = 1_000_003;

describe.each(FAMILY_NAMES)('family %s', (family) => {
  it('gives the same state hash at every step for the same seed', async () => {
    const a = await trace(family, SEED);
    const b = await trace(family, SEED);
    expect(a.result.steps).toBeGreaterThan(0);
    expect(b.hashes).toEqual(a.hashes);
    expect(b.result.stateHash).toBe(a.result.stateHash);
    // A different seed is a different world.
    const c = await trace(family, SEED + 1);
    expect(c.hashes[0]).not.toBe(a.hashes[0]);
  });

  it('round-trips snapshot/restore mid-episode', async () => {
    const full = await trace(family, SEED);
    const k = Math.floor(full.actions.length / 2);
    const env = familyEnv(family);
    env.reset({ seed: SEED });
    replay(env, full.actions.slice(0, k));
    const snapshot: EnvSnapshot = env.snapshot();
    const hashAtK = env.stateHash();
    expect(hashAtK).toBe(full.hashes[k]);
    const tail = replay(env, full.actions.slice(k));
    expect(tail).toEqual(full.hashes.slice(k + 1));

    // Back in the same env.
    env.restore(snapshot);
    expect(env.stateHash()).toBe(hashAtK);
    expect(replay(env, full.actions.slice(k))).toEqual(tail);

    // In a fresh env, from a snapshot that went through JSON (as it would through a file or a worker).
    const fresh = familyEnv(family);
    fresh.restore(JSON.parse(JSON.stringify(snapshot)) as EnvSnapshot);
    expect(fresh.stateHash()).toBe(hashAtK);
    expect(replay(fresh, full.actions.slice(k))).toEqual(tail);
  });
});

/** The final stateHash of the oracle's episode, computed in a worker thread. */
function hashInWorker(family: string, seed: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('../../eval/ts-worker.mjs', import.meta.url), {
      workerData: { module: new URL('./hash-worker.ts', import.meta.url).href, family, seed },
    });
    worker.once('message', (hash: string) => {
      resolve(hash);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

describe('across processes and threads', () => {
  it('a worker thread computes the same final hash', async () => {
    const local = (await trace('place-in', SEED)).result.stateHash;
    expect(await hashInWorker('place-in', SEED)).toBe(local);
  });

  it('a separate process computes the same final hashes', async () => {
    const local: Record<string, string> = {};
    for (const family of FAMILY_NAMES) local[family] = (await trace(family, SEED)).result.stateHash;
    const run = promisify(execFile);
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'tests/conformance/print-hashes.ts', String(SEED)], {
      cwd: new URL('../..', import.meta.url).pathname,
      maxBuffer: 1 << 20,
    });
    expect(JSON.parse(stdout)).toEqual(local);
  });
});
