// Simulator benchmark. (1) Env-loop throughput with the oracle over fixed episodes, side by side with (2) bare
// cannon-es stepping of the same scenes for the same number of physics steps, giving the loop's physics overhead;
// (3) the cost of one observation (Sensor.sense() and Env.observe()) at 10, 50 and 200 entities.
// Prints ONE JSON object to stdout, progress to stderr.
// Usage: npx tsx bench/sim.bench.ts [--episodes-per-family N] [--passes N] [--obs-reps N] [--quick]
import { parseArgs } from 'node:util';
import * as CANNON from 'cannon-es';
import { runEpisode, type LoopEvent } from '../agent/loop.ts';
import type { Planner } from '../agent/planner.ts';
import { makePlanner } from '../agent/planners/index.ts';
import { OBJECT_KINDS, type ObjectKind } from '../scenes/catalog.ts';
import type { FamilyName } from '../scenes/family-names.ts';
import { makeEpisode } from '../scenes/families.ts';
import type { ObjectDescription, SceneDescription } from '../sim/description.ts';
import { Env, type EpisodeSetup, type Task, type TaskState } from '../sim/env.ts';
import { rotateYaw } from '../sim/geometry.ts';
import { Rng } from '../sim/rng.ts';
import { Sensor } from '../sim/sensor.ts';
import type { Vec3 } from '../sim/types.ts';
import { World } from '../sim/world.ts';
import { intOption } from './args.ts';
import { mean, percentile, round, sum } from './numbers.ts';
import { machine } from './machine.ts';

const FAMILIES: readonly FamilyName[] = ['fetch', 'place-in', 'rearrange', 'search'];
const FIRST_SEED = 1_000_000;
const OVERHEAD_TARGET = 0.15;
const OBSERVATION_TARGET_MS = 1;
const ENTITY_COUNTS = [10, 50, 200] as const;
const OBS_SCENE: { family: FamilyName; seed: number } = { family: 'fetch', seed: 1_000_000 };
const SETTLE_STEPS = 60;
const OBS_YAWS = 8;

const log = (message: string): void => {
  process.stderr.write(`[bench:sim] ${message}\n`);
};

function options(): { quick: boolean; episodesPerFamily: number; passes: number; obsReps: number } {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      'episodes-per-family': { type: 'string' },
      passes: { type: 'string' },
      'obs-reps': { type: 'string' },
    },
    strict: true,
  });
  const quick = values.quick === true;
  return {
    quick,
    episodesPerFamily: intOption(values['episodes-per-family'], quick ? 1 : 3, 'episodes-per-family', 1),
    passes: intOption(values.passes, quick ? 1 : 3, 'passes', 1),
    obsReps: intOption(values['obs-reps'], quick ? 50 : 400, 'obs-reps', 1),
  };
}

// ---- 1 + 2: env loop vs bare stepping ---------------------------------------------------------------------

interface EpisodeRef {
  family: FamilyName;
  seed: number;
}

interface LoopRun {
  seconds: number;
  physicsSteps: number;
  controlSteps: number;
  actions: number;
  success: boolean;
  stateHash: string;
  /** Parts of `seconds`: reset (world build, 3 settling control steps, first observation), planner, env.step(). */
  resetSeconds: number;
  decideSeconds: number;
  envStepSeconds: number;
  /** Every cannon-es World.step() call in the run (reset's included) and the time spent inside them. */
  physicsCalls: number;
  physicsSeconds: number;
}

interface BareRun {
  seconds: number;
  buildSeconds: number;
}

/** Times a planner's decisions without changing them. */
class TimedPlanner implements Planner {
  readonly name: string;
  seconds = 0;
  private readonly inner: Planner;

  constructor(inner: Planner) {
    this.inner = inner;
    this.name = inner.name;
  }

  reset(info: Parameters<NonNullable<Planner['reset']>>[0]): void {
    this.inner.reset?.(info);
  }

  async decide(...args: Parameters<Planner['decide']>): ReturnType<Planner['decide']> {
    const t0 = performance.now();
    const decision = await this.inner.decide(...args);
    this.seconds += (performance.now() - t0) / 1000;
    return decision;
  }
}

/** Time every cannon-es World.step() made while `body` runs (one performance.now() pair per step: ~0.1 us vs ~1 ms). */
async function withPhysicsTimer<T>(body: () => Promise<T>): Promise<{ value: T; seconds: number; calls: number }> {
  const proto = CANNON.World.prototype;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- put back in `finally`; always called with .call(this)
  const raw = proto.step;
  let seconds = 0;
  let calls = 0;
  proto.step = function timedStep(this: CANNON.World, dt: number, since?: number, maxSubSteps?: number): void {
    const t0 = performance.now();
    raw.call(this, dt, since, maxSubSteps);
    seconds += (performance.now() - t0) / 1000;
    calls++;
  };
  try {
    const value = await body();
    return { value, seconds, calls };
  } finally {
    proto.step = raw;
  }
}

/** Run the oracle through runEpisode on a pre-generated episode (generation is not part of the env loop). */
async function loopRun(ref: EpisodeRef, setup: EpisodeSetup): Promise<LoopRun> {
  const env = new Env(() => setup);
  const planner = new TimedPlanner(makePlanner('oracle', env));
  let resetEnd = 0;
  let stepStart = 0;
  let envStepSeconds = 0;
  const onEvent = (event: LoopEvent): void => {
    if (event.type === 'episode-start') resetEnd = performance.now();
    else if (event.type === 'action-start') stepStart = performance.now();
    else if (event.type === 'action-end' && event.action !== null) envStepSeconds += (performance.now() - stepStart) / 1000;
  };
  const t0 = performance.now();
  const timed = await withPhysicsTimer(() => runEpisode({ env, planner, seed: ref.seed, onEvent }));
  const seconds = (performance.now() - t0) / 1000;
  const result = timed.value;
  const physicsSteps = env.world.physicsSteps;
  return {
    seconds,
    physicsSteps,
    controlSteps: physicsSteps / env.physicsPerControl,
    actions: result.steps,
    success: result.success,
    stateHash: result.stateHash,
    resetSeconds: (resetEnd - t0) / 1000,
    decideSeconds: planner.seconds,
    envStepSeconds,
    physicsCalls: timed.calls,
    physicsSeconds: timed.seconds,
  };
}

/** Build the same scene and step only the cannon-es world, for `steps` steps. */
function bareRun(description: SceneDescription, steps: number): BareRun {
  const b0 = performance.now();
  const world = new World(structuredClone(description));
  const b1 = performance.now();
  const physics = world.physics;
  const dt = world.physicsDt;
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) physics.step(dt);
  return { seconds: (performance.now() - t0) / 1000, buildSeconds: (b1 - b0) / 1000 };
}

const fastest = <T extends { seconds: number }>(runs: readonly T[]): T =>
  runs.reduce((best, r) => (r.seconds < best.seconds ? r : best));

async function measureLoop(episodesPerFamily: number, passes: number) {
  const refs: EpisodeRef[] = [];
  for (const family of FAMILIES) for (let i = 0; i < episodesPerFamily; i++) refs.push({ family, seed: FIRST_SEED + i });
  // Generation is done before each pass, outside the timing (reported separately). Tasks are stateful: one per run.
  let generationSeconds = 0;
  const generate = (): EpisodeSetup[] => {
    const g0 = performance.now();
    const setups = refs.map((r) => makeEpisode(r.family, r.seed));
    generationSeconds = (performance.now() - g0) / 1000;
    return setups;
  };

  log(`warm-up: ${refs.length} episodes, loop then bare`);
  const warm: LoopRun[] = [];
  for (const [i, setup] of generate().entries()) {
    const run = await loopRun(refs[i] as EpisodeRef, setup);
    warm.push(run);
    bareRun(setup.description, run.physicsSteps);
  }

  // Timed passes: loop and bare alternate which goes first, per episode and per pass, so noise hits both.
  const loops: LoopRun[][] = refs.map(() => []);
  const bares: BareRun[][] = refs.map(() => []);
  let deterministic = true;
  for (let pass = 0; pass < passes; pass++) {
    log(`timed pass ${pass + 1}/${passes}`);
    for (const [i, setup] of generate().entries()) {
      const ref = refs[i] as EpisodeRef;
      const expected = warm[i] as LoopRun;
      let loop: LoopRun;
      let bare: BareRun;
      if ((i + pass) % 2 === 0) {
        loop = await loopRun(ref, setup);
        bare = bareRun(setup.description, expected.physicsSteps);
      } else {
        bare = bareRun(setup.description, expected.physicsSteps);
        loop = await loopRun(ref, setup);
      }
      if (loop.physicsSteps !== expected.physicsSteps || loop.stateHash !== expected.stateHash) deterministic = false;
      loops[i]?.push(loop);
      bares[i]?.push(bare);
      log(`  ${ref.family} ${ref.seed}: ${loop.physicsSteps} steps, loop ${loop.seconds.toFixed(3)} s, bare ${bare.seconds.toFixed(3)} s`);
    }
  }

  // Per episode, the fastest of the passes (contention only ever adds time), for loop and bare alike.
  const bestLoop = loops.map((runs) => fastest(runs));
  const bestBare = bares.map((runs) => fastest(runs));
  const perEpisode = refs.map((ref, i) => {
    const loop = bestLoop[i] as LoopRun;
    const bare = bestBare[i] as BareRun;
    return {
      family: ref.family,
      seed: ref.seed,
      success: loop.success,
      actions: loop.actions,
      physicsSteps: loop.physicsSteps,
      loopSeconds: round(loop.seconds),
      bareSeconds: round(bare.seconds),
      overhead: round(loop.seconds / bare.seconds - 1, 3),
      msPerPhysicsStepInLoop: round((loop.physicsSeconds / loop.physicsCalls) * 1000),
      msPerPhysicsStepBare: round((bare.seconds / loop.physicsSteps) * 1000),
    };
  });

  const physicsSteps = sum(bestLoop.map((r) => r.physicsSteps));
  const controlSteps = sum(bestLoop.map((r) => r.controlSteps));
  const loopSeconds = sum(bestLoop.map((r) => r.seconds));
  const bareSeconds = sum(bestBare.map((r) => r.seconds));
  const loopPhysicsStepsPerSec = physicsSteps / loopSeconds;
  const barePhysicsStepsPerSec = physicsSteps / bareSeconds;
  const physicsOverhead = barePhysicsStepsPerSec / loopPhysicsStepsPerSec - 1;
  const physicsInLoop = sum(bestLoop.map((r) => r.physicsSeconds));
  const physicsCalls = sum(bestLoop.map((r) => r.physicsCalls));
  const resetSeconds = sum(bestLoop.map((r) => r.resetSeconds));
  const decideSeconds = sum(bestLoop.map((r) => r.decideSeconds));
  const envStepSeconds = sum(bestLoop.map((r) => r.envStepSeconds));
  const allLoop = sum(loops.flat().map((r) => r.seconds));
  const allBare = sum(bares.flat().map((r) => r.seconds));
  return {
    loop: {
      planner: 'oracle',
      episodes: refs.length,
      successes: bestLoop.filter((r) => r.success).length,
      actions: sum(bestLoop.map((r) => r.actions)),
      physicsSteps,
      controlSteps,
      wallSeconds: round(loopSeconds),
      loopPhysicsStepsPerSec: round(loopPhysicsStepsPerSec),
      loopControlStepsPerSec: round(controlSteps / loopSeconds),
      deterministicAcrossRuns: deterministic,
      generationSecondsPerPassExcluded: round(generationSeconds),
      breakdownSeconds: {
        reset: round(resetSeconds),
        plannerDecide: round(decideSeconds),
        envStep: round(envStepSeconds),
        other: round(loopSeconds - resetSeconds - decideSeconds - envStepSeconds),
        physicsStepAll: round(physicsInLoop),
        nonPhysics: round(loopSeconds - physicsInLoop),
      },
      physicsStepCalls: physicsCalls,
      msPerPhysicsStepInLoop: round((physicsInLoop / physicsCalls) * 1000),
    },
    bare: {
      physicsSteps,
      wallSeconds: round(bareSeconds),
      barePhysicsStepsPerSec: round(barePhysicsStepsPerSec),
      msPerPhysicsStep: round((bareSeconds / physicsSteps) * 1000),
      worldBuildSecondsExcluded: round(sum(bestBare.map((r) => r.buildSeconds))),
    },
    physicsOverhead: round(physicsOverhead, 3),
    overheadTargetMet: physicsOverhead <= OVERHEAD_TARGET,
    /** physicsOverhead split: loop physics slower than bare (different body states), and time outside physics. */
    overheadDecomposition: {
      physicsStateDifference: round((physicsInLoop - bareSeconds) / bareSeconds, 3),
      nonPhysics: round((loopSeconds - physicsInLoop) / bareSeconds, 3),
    },
    estimator: `per-episode fastest of ${passes} timed pass(es), after one warm-up pass`,
    physicsOverheadAllPasses: round(allLoop / allBare - 1, 3),
    perEpisode,
  };
}

// ---- 3: observation cost ----------------------------------------------------------------------------------

/** A task that asks for nothing: the observation benchmark needs an Env, not a goal. */
class IdleTask implements Task {
  readonly family = 'bench';
  readonly instruction = 'Look around.';
  readonly targets: string[] = [];
  update(): number {
    return 0;
  }
  success(): boolean {
    return false;
  }
  failure(): string | null {
    return null;
  }
  state(): TaskState {
    return {};
  }
  restore(): void {
    // stateless
  }
}

/** Small, short objects: they fit every shelf board and pack densely. */
const FILLER_KINDS: readonly ObjectKind[] = OBJECT_KINDS.filter((k) => Math.max(k.size[0], k.size[2]) <= 0.12 && k.size[1] <= 0.15);
const FILLER_COLORS = ['red', 'green', 'blue', 'yellow', 'white', 'black', 'orange', 'purple'] as const;

/**
 * The observation scene: the base house with exactly `n` entities. Furniture and mats are kept (trimmed only when
 * there are more than n - 2), then the house's own objects, then filler objects on free spots of `on` surfaces
 * (a 0.18 m grid) and on the floor (a 0.4 m grid inside rooms, clear of furniture, mats, walls and the agent).
 */
function sceneWithEntities(base: SceneDescription, n: number): SceneDescription {
  const furniture = [...base.furniture];
  const markers = [...base.markers];
  while (furniture.length + markers.length > n - 2 && furniture.length > 0) furniture.pop();
  while (furniture.length + markers.length > n - 2 && markers.length > 0) markers.pop();
  const owners = new Set([...furniture.map((f) => f.id), ...markers.map((m) => m.id)]);
  const ownerOf = (o: ObjectDescription): string | null => {
    const p = o.placement;
    return 'floor' in p ? null : 'on' in p ? p.on : p.in;
  };
  const wanted = n - furniture.length - markers.length;
  const objects = base.objects.filter((o) => {
    const owner = ownerOf(o);
    return owner === null || owners.has(owner);
  }).slice(0, wanted);
  const scene: SceneDescription = { ...base, name: `${base.name ?? 'scene'}-${n}-entities`, furniture, markers, objects };
  if (objects.length === wanted) return scene;

  // Where things already are (resolved by a probe world).
  const probe = new World(scene);
  const taken: [number, number, number][] = [];
  for (const e of probe.entityList) if (e.kind === 'object') taken.push([e.body.position.x, e.body.position.y, e.body.position.z]);
  const free = (p: Vec3, clearance: number): boolean => taken.every((q) => Math.hypot(p[0] - q[0], p[2] - q[2]) >= clearance || Math.abs(p[1] - q[1]) > 0.25);

  type Spot = { placement: ObjectDescription['placement']; position: Vec3 };
  const spots: Spot[] = [];
  const maxHalf = Math.max(...FILLER_KINDS.map((k) => Math.max(k.size[0], k.size[2]) / 2));
  for (const e of probe.entityList) {
    if (e.kind !== 'furniture') continue;
    for (const s of probe.surfacesOf(e)) {
      if (s.kind !== 'on') continue;
      const ux = s.half[0] - maxHalf;
      const uz = s.half[1] - maxHalf;
      if (ux < 0 || uz < 0) continue;
      const nx = Math.floor((2 * ux) / 0.18) + 1;
      const nz = Math.floor((2 * uz) / 0.18) + 1;
      for (let i = 0; i < nx; i++) {
        for (let j = 0; j < nz; j++) {
          const lx = nx === 1 ? 0 : -ux + (2 * ux * i) / (nx - 1);
          const lz = nz === 1 ? 0 : -uz + (2 * uz * j) / (nz - 1);
          const [wx, wz] = rotateYaw(lx, lz, s.yaw);
          spots.push({
            placement: { on: e.id, level: s.level, at: [ux > 0 ? lx / ux : 0, uz > 0 ? lz / uz : 0] },
            position: [s.center[0] + wx, s.center[1], s.center[2] + wz],
          });
        }
      }
    }
  }
  const agent = base.agent.position;
  for (const r of base.rooms) {
    for (let x = r.min[0] + 0.35; x <= r.max[0] - 0.35; x += 0.4) {
      for (let z = r.min[1] + 0.35; z <= r.max[1] - 0.35; z += 0.4) {
        if (Math.hypot(x - agent[0], z - agent[1]) < 0.8) continue;
        const clearOfFurniture = furniture.every((f) => {
          const [lx, lz] = rotateYaw(x - f.position[0], z - f.position[1], (-f.yaw * Math.PI) / 180);
          // Extra room in front (+z local), where doors swing and drawers slide.
          return Math.abs(lx) > f.size[0] / 2 + 0.3 || lz < -f.size[2] / 2 - 0.3 || lz > f.size[2] / 2 + 0.8;
        });
        const clearOfMats = markers.every((m) => Math.abs(x - m.position[0]) > m.size[0] / 2 + 0.2 || Math.abs(z - m.position[1]) > m.size[1] / 2 + 0.2);
        if (clearOfFurniture && clearOfMats) spots.push({ placement: { floor: [round(x, 6), round(z, 6)] }, position: [x, 0, z] });
      }
    }
  }

  // Spread the fillers over the house: a seeded shuffle of all spots.
  const rng = new Rng(`bench-observation-${n}`);
  for (let i = spots.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    const a = spots[i] as Spot;
    spots[i] = spots[j] as Spot;
    spots[j] = a;
  }
  const ids = new Set([...furniture.map((f) => f.id), ...markers.map((m) => m.id), ...objects.map((o) => o.id)]);
  let k = 0;
  for (const spot of spots) {
    if (objects.length >= wanted) break;
    if (!free(spot.position, 'floor' in spot.placement ? 0.3 : 0.18)) continue;
    const kind = FILLER_KINDS[k % FILLER_KINDS.length] as ObjectKind;
    const color = FILLER_COLORS[(k * 3) % FILLER_COLORS.length] ?? 'red';
    let id = `${kind.category}_b${k}`;
    while (ids.has(id)) id = `${id}x`;
    ids.add(id);
    objects.push({ id, category: kind.category, color, shape: kind.shape, size: [...kind.size], mass: kind.mass, placement: spot.placement });
    taken.push(spot.position);
    k++;
  }
  if (objects.length < wanted) throw new Error(`only room for ${objects.length} of ${wanted} objects in ${base.name ?? 'the base scene'}`);
  return scene;
}

function measureObservation(n: number, reps: number) {
  const base = makeEpisode(OBS_SCENE.family, OBS_SCENE.seed).description;
  const scene = sceneWithEntities(base, n);
  const env = new Env(() => ({ description: scene, task: new IdleTask() }));
  env.reset({ seed: OBS_SCENE.seed });
  const world = env.world;
  for (let i = 0; i < SETTLE_STEPS; i++) world.stepPhysics();
  world.syncScene();
  const objects = world.entityList.filter((e) => e.kind === 'object');
  const moving = objects.filter((e) => e.body.velocity.length() > 0.05).length;
  const fallen = objects.filter((e) => e.body.position.y < -0.5).length;

  // Viewpoints: the agent's start and every room's centre, each at OBS_YAWS headings. Sensing steps no physics,
  // so the base is simply put there (it may overlap a table, which does not matter to the eye above it).
  const sensor = new Sensor(world, env.config.sensor);
  const body = world.robot.body;
  const [sx, , sz] = world.robot.position;
  const places: [number, number][] = [[sx, sz], ...scene.rooms.map((r): [number, number] => [(r.min[0] + r.max[0]) / 2, (r.min[1] + r.max[1]) / 2])];
  const face = (r: number): void => {
    const place = places[Math.floor(r / OBS_YAWS) % places.length] ?? [sx, sz];
    body.position.set(place[0], body.position.y, place[1]);
    body.quaternion.setFromAxisAngle(CANNON.Vec3.UNIT_Y, (2 * Math.PI * (r % OBS_YAWS)) / OBS_YAWS + 0.1);
  };
  const warmup = Math.max(OBS_YAWS * 4, Math.min(200, reps));
  for (let r = 0; r < warmup; r++) {
    face(r);
    sensor.sense();
    env.observe();
  }
  const senseMs: number[] = [];
  const observeMs: number[] = [];
  const visible: number[] = [];
  for (let r = 0; r < reps; r++) {
    face(r);
    const t0 = performance.now();
    const seen = sensor.sense();
    const t1 = performance.now();
    env.observe();
    const t2 = performance.now();
    senseMs.push(t1 - t0);
    observeMs.push(t2 - t1);
    visible.push(seen.length);
  }
  return {
    entities: world.entityList.length,
    furniture: world.entityList.filter((e) => e.kind === 'furniture').length,
    markers: world.entityList.filter((e) => e.kind === 'marker').length,
    objects: objects.length,
    occluderBoxes: world.occluders().length,
    objectsMovingAfterSettle: moving,
    objectsFallenAfterSettle: fallen,
    reps,
    viewpoints: places.length,
    yaws: OBS_YAWS,
    senseMsMean: round(mean(senseMs)),
    senseMsP95: round(percentile(senseMs, 95)),
    observeMsMean: round(mean(observeMs)),
    observeMsP95: round(percentile(observeMs, 95)),
    visibleMean: round(mean(visible)),
    visibleMin: Math.min(...visible),
    visibleMax: Math.max(...visible),
  };
}

// ---- main -------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const opts = options();
  const started = performance.now();
  const loop = await measureLoop(opts.episodesPerFamily, opts.passes);
  log('observation cost');
  const observation = ENTITY_COUNTS.map((n) => {
    const r = measureObservation(n, opts.obsReps);
    log(`  ${r.entities} entities: sense ${r.senseMsMean} ms, observe ${r.observeMsMean} ms, ${r.visibleMean} visible`);
    return r;
  });
  const at50 = observation.find((o) => o.entities === 50);
  const report = {
    bench: 'sim',
    environment: machine(),
    config: {
      quick: opts.quick,
      episodesPerFamily: opts.episodesPerFamily,
      passes: opts.passes,
      families: FAMILIES,
      seeds: Array.from({ length: opts.episodesPerFamily }, (_, i) => FIRST_SEED + i),
      observationScene: OBS_SCENE,
      observationReps: opts.obsReps,
      settleSteps: SETTLE_STEPS,
    },
    loop: loop.loop,
    bare: loop.bare,
    physicsOverhead: loop.physicsOverhead,
    overheadTargetMet: loop.overheadTargetMet,
    overheadDecomposition: loop.overheadDecomposition,
    estimator: loop.estimator,
    physicsOverheadAllPasses: loop.physicsOverheadAllPasses,
    perEpisode: loop.perEpisode,
    observation,
    targets: {
      physicsOverheadAtMost15Percent: loop.overheadTargetMet,
      observationAt50EntitiesAtMost1Ms: at50 !== undefined && at50.senseMsMean <= OBSERVATION_TARGET_MS,
      envObserveAt50EntitiesAtMost1Ms: at50 !== undefined && at50.observeMsMean <= OBSERVATION_TARGET_MS,
      allOracleEpisodesSucceeded: loop.loop.successes === loop.loop.episodes,
    },
    caveats: [
      'Bare stepping runs each episode scene for the same number of physics steps but with nothing driven: the robot stands, no object is held (no LockConstraint), doors and drawers stay put, so contacts and solver work differ from the loop; compare loop.msPerPhysicsStepInLoop with bare.msPerPhysicsStep to separate that from non-physics overhead.',
      'Episode generation (makeEpisode, incl. its reachability check) is done before timing and reported as loop.generationSecondsPerPassExcluded; World construction in reset is inside the loop time, but excluded from bare time (bare.worldBuildSecondsExcluded).',
      'Observation: senseMs times one reused Sensor.sense() (as the Env does); observeMs times Env.observe() (sense + landmarks + per-entity state), both with the robot put at its start and at each room centre and turned to 8 yaws there (visible* counts are per observation).',
    ],
    totalSeconds: round((performance.now() - started) / 1000),
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

await main();
