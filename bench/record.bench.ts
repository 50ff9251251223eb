// Recording and replay benchmark, side by side in one run over the same oracle episodes (families x seeds):
//   (1) recording overhead: the episode's wall time with the recorder attached (zstd; file created, written and
//       closed inside the timing) over the time without it, minus 1; runs alternate (without, with, with, without,
//       ...) so drift in machine speed hits both sides alike. Target: at most 0.10.
//   (2) file size: bytes per control step (the reset's settling ones included), zstd and uncompressed.
//   (3) verified re-simulation speed (record/replay.ts verify): simulated seconds per wall second ("x real time").
//   (4) playback latency: stateAt(recording, step) on an open recording, over every step of every episode.
// Prints ONE JSON object to stdout, progress to stderr.
// Usage: npx tsx bench/record.bench.ts [--seeds N] [--passes N] [--playback-reps N] [--quick]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runEpisode } from '../agent/loop.ts';
import { makePlanner } from '../agent/planners/index.ts';
import { Recording } from '../record/reader.ts';
import { EpisodeRecorder } from '../record/recorder.ts';
import { stateAt, verify } from '../record/replay.ts';
import { familyEnv } from '../scenes/env.ts';
import type { FamilyName } from '../scenes/family-names.ts';
import { intOption } from './args.ts';
import { mean, median, percentile, round, sum } from './numbers.ts';
import { machine } from './machine.ts';

const FAMILIES: readonly FamilyName[] = ['fetch', 'place-in', 'search', 'rearrange'];
const QUICK_FAMILIES: readonly FamilyName[] = ['fetch', 'search'];
const FIRST_SEED = 1_000_000;
const MAX_STEPS = 40;
const OVERHEAD_TARGET = 0.1;

const log = (message: string): void => {
  process.stderr.write(`[bench:record] ${message}\n`);
};

interface Options {
  quick: boolean;
  families: readonly FamilyName[];
  seeds: number;
  passes: number;
  playbackReps: number;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      seeds: { type: 'string' },
      passes: { type: 'string' },
      'playback-reps': { type: 'string' },
    },
    strict: true,
  });
  const quick = values.quick === true;
  return {
    quick,
    families: quick ? QUICK_FAMILIES : FAMILIES,
    seeds: intOption(values.seeds, quick ? 1 : 2, 'seeds', 1),
    passes: intOption(values.passes, quick ? 2 : 3, 'passes', 1),
    playbackReps: intOption(values['playback-reps'], quick ? 1 : 3, 'playback-reps', 1),
  };
}

interface EpisodeRef {
  family: FamilyName;
  seed: number;
}

interface Run {
  seconds: number;
  steps: number;
  controlSteps: number;
  simSeconds: number;
  stateHash: string;
  success: boolean;
}

/** One oracle episode, with the recorder writing `path` when given (creation and close inside the timing). */
async function episode(ref: EpisodeRef, record: { path: string; compression: 'zstd' | 'none' } | null): Promise<Run> {
  const env = familyEnv(ref.family, { maxSteps: MAX_STEPS });
  let controlSteps = 0;
  env.onControlStep(() => void controlSteps++);
  const planner = makePlanner('oracle', env);
  const started = performance.now();
  const recorder = record
    ? await EpisodeRecorder.create(record.path, { env, source: { kind: 'family', family: ref.family }, planner: { name: 'oracle' }, compression: record.compression })
    : null;
  const result = await runEpisode({ env, planner, seed: ref.seed, onEvent: recorder?.onEvent });
  if (recorder) await recorder.close();
  const seconds = (performance.now() - started) / 1000;
  return { seconds, steps: result.steps, controlSteps, simSeconds: result.metrics.simSeconds, stateHash: result.stateHash, success: result.success };
}

async function main(): Promise<void> {
  const opts = options();
  const started = performance.now();
  const dir = mkdtempSync(join(os.tmpdir(), 'umwelt-bench-record-'));
  try {
    const refs: EpisodeRef[] = opts.families.flatMap((family) => Array.from({ length: opts.seeds }, (_, i) => ({ family, seed: FIRST_SEED + i })));
    const fileOf = (ref: EpisodeRef, kind: string): string => join(dir, `${ref.family}-${ref.seed}-${kind}.mcap`);

    // Warm-up (JIT, zstd's WebAssembly module, file system): not measured.
    log('warm-up');
    const warm = refs[0];
    if (warm) {
      await episode(warm, null);
      await episode(warm, { path: join(dir, 'warm.mcap'), compression: 'zstd' });
    }

    // (1) overhead: alternate the order every episode and pass (ABBA) over identical episodes.
    const without: number[][] = [];
    const withZstd: number[][] = [];
    const base = new Map<string, Run>();
    let mismatches = 0;
    for (let pass = 0; pass < opts.passes; pass++) {
      const a: number[] = [];
      const b: number[] = [];
      for (const [i, ref] of refs.entries()) {
        const recordFirst = (pass + i) % 2 === 1;
        const runs: { plain?: Run; recorded?: Run } = {};
        for (const recorded of recordFirst ? [true, false] : [false, true]) {
          if (recorded) runs.recorded = await episode(ref, { path: fileOf(ref, 'zstd'), compression: 'zstd' });
          else runs.plain = await episode(ref, null);
        }
        const { plain, recorded } = runs;
        if (!plain || !recorded) throw new Error('unreachable: both runs happen');
        if (plain.stateHash !== recorded.stateHash) mismatches++;
        a.push(plain.seconds);
        b.push(recorded.seconds);
        base.set(`${ref.family}:${ref.seed}`, plain);
      }
      without.push(a);
      withZstd.push(b);
      log(`pass ${pass + 1}/${opts.passes}: without ${sum(a).toFixed(2)} s, with recorder ${sum(b).toFixed(2)} s (${((sum(b) / sum(a) - 1) * 100).toFixed(1)}%)`);
    }
    const totalWithout = sum(without.flat());
    const totalWith = sum(withZstd.flat());
    const recordingOverhead = totalWith / totalWithout - 1;
    const perPassOverhead = without.map((a, i) => sum(withZstd[i] ?? []) / sum(a) - 1);

    // (2) file size: zstd files are those of the last pass; write the uncompressed ones once.
    log('file size (zstd and none)');
    let controlSteps = 0;
    let steps = 0;
    let bytesZstd = 0;
    let bytesNone = 0;
    const noneSeconds: number[] = [];
    for (const ref of refs) {
      const plain = base.get(`${ref.family}:${ref.seed}`);
      const none = await episode(ref, { path: fileOf(ref, 'none'), compression: 'none' });
      noneSeconds.push(none.seconds);
      controlSteps += plain?.controlSteps ?? none.controlSteps;
      steps += none.steps;
      bytesZstd += statSync(fileOf(ref, 'zstd')).size;
      bytesNone += statSync(fileOf(ref, 'none')).size;
    }

    // (3) verified re-simulation and (4) playback.
    log('verify and playback');
    let verifySeconds = 0;
    let verifiedSimSeconds = 0;
    let allVerified = true;
    const openMs: number[] = [];
    const stateAtMs: number[] = [];
    for (const ref of refs) {
      const t0 = performance.now();
      const recording = await Recording.open(fileOf(ref, 'zstd'));
      openMs.push(performance.now() - t0);
      try {
        const t1 = performance.now();
        const verdict = await verify(recording);
        verifySeconds += (performance.now() - t1) / 1000;
        verifiedSimSeconds += verdict.simSeconds;
        allVerified &&= verdict.verified;
        for (let rep = 0; rep < opts.playbackReps; rep++) {
          for (let step = 0; step <= recording.steps; step++) {
            const t2 = performance.now();
            await stateAt(recording, step);
            stateAtMs.push(performance.now() - t2);
          }
        }
      } finally {
        await recording.close();
      }
    }
    const simSeconds = sum([...base.values()].map((r) => r.simSeconds));
    const loopSimPerWall = simSeconds / (totalWithout / opts.passes);
    const resimSpeed = verifiedSimSeconds / verifySeconds;
    log(`overhead ${(recordingOverhead * 100).toFixed(1)}%, ${(bytesZstd / controlSteps).toFixed(0)} B/control step (zstd), re-simulation ${resimSpeed.toFixed(0)}x real time`);
    const report = {
      bench: 'record',
      environment: machine(),
      config: { quick: opts.quick, families: opts.families, seeds: refs.map((r) => r.seed).filter((s, i, all) => all.indexOf(s) === i), passes: opts.passes, playbackReps: opts.playbackReps, planner: 'oracle', maxSteps: MAX_STEPS },
      episodes: refs.length,
      steps,
      controlSteps,
      simSeconds: round(simSeconds),
      recordingOverhead: round(recordingOverhead),
      overheadTargetMet: recordingOverhead <= OVERHEAD_TARGET,
      overheadPerPass: perPassOverhead.map((x) => round(x)),
      overheadMedianOfPasses: round(median(perPassOverhead)),
      uncompressedRecordingOverhead: round(sum(noneSeconds) / (totalWithout / opts.passes) - 1),
      wallSeconds: { withoutRecorder: round(totalWithout), withRecorder: round(totalWith) },
      hashesEqualWithAndWithoutRecorder: mismatches === 0,
      bytes: {
        zstd: bytesZstd,
        none: bytesNone,
        perControlStepZstd: round(bytesZstd / controlSteps),
        perControlStepNone: round(bytesNone / controlSteps),
        perStepZstd: round(bytesZstd / steps),
        compressionRatio: round(bytesNone / bytesZstd),
      },
      resimulation: {
        allVerified,
        wallSeconds: round(verifySeconds),
        simSeconds: round(verifiedSimSeconds),
        timesRealTime: round(resimSpeed),
        loopTimesRealTime: round(loopSimPerWall),
      },
      playback: {
        openMsMean: round(mean(openMs)),
        stateAtCalls: stateAtMs.length,
        stateAtMsMean: round(mean(stateAtMs)),
        stateAtMsP50: round(percentile(stateAtMs, 50)),
        stateAtMsP95: round(percentile(stateAtMs, 95)),
        stateAtMsMax: round(Math.max(...stateAtMs, 0)),
      },
      targets: { recordingOverheadAtMost10Percent: recordingOverhead <= OVERHEAD_TARGET, everyRecordingVerifies: allVerified },
      caveats: [
        'Overhead: wall time of identical oracle episodes with the recorder (EpisodeRecorder.create, every message, close) over without it, summed over all passes; runs alternate order per episode and pass. A quick run is noisy (few, short episodes).',
        'Bytes per control step: the whole file (metadata, scene, snapshots, state and transform messages, indexes) over every control step of the episode, the 3 settling ones of the reset included.',
        'Re-simulation speed: simulated seconds re-simulated by verify() per wall second (rebuilding the env and reading the actions included); loopTimesRealTime is the same for the live loop without the recorder.',
        'Playback: stateAt() on an already open recording, every step of every episode, in order.',
      ],
      totalSeconds: round((performance.now() - started) / 1000),
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
