// Records one episode as MCAP while it runs: pass `onEvent` to runEpisode, and the recorder also samples the
// world after every control step (Env.onControlStep). Every message is built synchronously, when its event happens
// (the world moves on right after), and written by one queue in order. Times are simulated: physics steps x dt.
// Nothing here changes the episode: the recorder only reads the env, and a failure to write never reaches the
// episode; it is kept and reported by close().
//
// This is the part without Node built-ins: it writes to any @mcap/core IWritable (`EpisodeRecorder.toWritable`),
// e.g. BytesWritable (bytes-writable.ts) in the browser's world worker. recorder.ts adds `EpisodeRecorder.create(path)`
// over a file, with the package versions read from disk.
import type { LogLevel } from '@foxglove/schemas';
import { LIBRARY_IDENTIFIER, McapWriter, type IWritable } from '@mcap/core';
import { formatAction } from '../agent/grammar.ts';
import type { LoopEvent } from '../agent/loop.ts';
import { goalTaskOf } from '../scenes/task.ts';
import type { Env } from '../sim/env.ts';
import type { World } from '../sim/world.ts';
import { cameraImageProblem, compressedImage } from './camera.ts';
import { chunkCompressor, type Compression } from './compression.ts';
import {
  CAMERA_TOPICS,
  MCAP_PROFILE,
  METADATA,
  RECORDING_FORMAT_VERSION,
  simTimeNs,
  TOPICS,
  type ActionMessage,
  type CameraImage,
  type DecisionMessage,
  type EntityPose,
  type EpisodeMetadata,
  type EpisodeSource,
  type ObservationMessage,
  type ResultMessage,
  type RewardMessage,
  type SnapshotMessage,
  type StateMessage,
  type Topic,
} from './format.ts';
import { HAND_FRAME, LOG_LEVEL, logLine, ROBOT_FRAME, round6, sceneUpdate, TransformStream } from './foxglove.ts';
import { encodeEpisodeMetadata, encodeStepIndex } from './metadata.ts';
import { schemaRecord } from './schemas.ts';

export interface RecorderOptions {
  env: Env;
  source: EpisodeSource;
  planner: { name: string; config?: Record<string, unknown> };
  /** Chunk compression; default 'zstd'. */
  compression?: Compression;
  /** Uncompressed bytes per chunk (default 256 KiB): smaller chunks lose less when a run is killed. */
  chunkSize?: number;
  /** A branch: the recording it continues and the step it branched after (written into the metadata). */
  branchedFrom?: { path: string; step: number };
  /**
   * Versions written into the metadata (`packages`) and the header: `umwelt` and the packages the simulation depends
   * on. Default: read from disk by recorder.ts's `create`; none (`{}`) for `toWritable`.
   */
  packages?: Record<string, string>;
}

/** Where a recorder writes: an MCAP IWritable, closed (when it can be) once the recording is finished. */
export interface RecorderWritable extends IWritable {
  close?(): void;
}

export const DEFAULT_CHUNK_SIZE = 256 * 1024;

/** The recording could not be created or written (the message names the file). */
export class RecorderError extends Error {
  override readonly name = 'RecorderError';
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const encoder = new TextEncoder();

/** Poses of the robot, its hand and every object, rounded for display. */
function posesOf(world: World): EntityPose[] {
  const pose = (id: string, b: World['robot']['body']): EntityPose => ({
    id,
    position: [round6(b.position.x), round6(b.position.y), round6(b.position.z)],
    quaternion: [round6(b.quaternion.x), round6(b.quaternion.y), round6(b.quaternion.z), round6(b.quaternion.w)],
  });
  const poses = [pose(ROBOT_FRAME, world.robot.body), pose(HAND_FRAME, world.robot.hand)];
  for (const e of world.entityList) if (e.kind === 'object') poses.push(pose(e.id, e.body));
  return poses;
}

export class EpisodeRecorder {
  /** The file's path, or the name given to `toWritable` (it names the recording in every error). */
  readonly path: string;
  /** Pass to runEpisode's onEvent (synchronous; writes are queued in order). */
  readonly onEvent: (event: LoopEvent) => void;

  private readonly env: Env;
  private readonly options: RecorderOptions;
  private readonly writer: McapWriter;
  private readonly writable: RecorderWritable;
  private readonly packages: Record<string, string>;
  private readonly unsubscribe: () => void;
  private readonly channels = new Map<Topic, number>();
  /** Writes not yet done, in order; one drain loop at a time works through them (no promise chain per write). */
  private readonly pending: (() => Promise<void>)[] = [];
  private draining: Promise<void> | null = null;
  private failure: unknown = null;
  private closing: Promise<void> | null = null;

  private started = false;
  private ended = false;
  /** The step whose messages are being written (null after the episode's end). */
  private step: number | null = 0;
  private sequence = 0;
  private lastTime = 0n;
  private readonly stepTimes: [bigint, bigint][] = [];
  private readonly stepSequences: [number, number][] = [];
  /** Control steps since the last reset (counted for the world they ran in). */
  private controlSteps = 0;
  private controlWorld: World | null = null;
  /** The next FrameTransforms carries every frame, the static ones too. */
  private staticDue = true;
  private readonly transforms = new TransformStream();

  protected constructor(path: string, options: RecorderOptions, writer: McapWriter, writable: RecorderWritable) {
    this.path = path;
    this.options = options;
    this.env = options.env;
    this.writer = writer;
    this.writable = writable;
    this.packages = { ...(options.packages ?? {}) };
    this.onEvent = (event) => this.guard(() => this.handle(event));
    this.unsubscribe = this.env.onControlStep(() => this.guard(() => this.controlStep()));
  }

  /**
   * A recorder writing to `writable` (e.g. a BytesWritable: the recording in memory), named `options.name` in its
   * errors. Subscribes to the env's control steps; writing starts with the header. A write that fails later is
   * reported by close(), which also closes the writable (when it has a `close`).
   */
  static toWritable(writable: RecorderWritable, options: RecorderOptions & { name: string }): Promise<EpisodeRecorder> {
    return EpisodeRecorder.begin(options.name, options, () => writable, (...args) => new EpisodeRecorder(...args));
  }

  /**
   * Checks the options, opens the writable (`open` may throw: a RecorderError naming the recording), and starts a
   * recorder made by `make` (a subclass's constructor, see recorder.ts).
   */
  protected static async begin<R extends EpisodeRecorder>(
    path: string,
    options: RecorderOptions,
    open: () => RecorderWritable,
    make: (path: string, options: RecorderOptions, writer: McapWriter, writable: RecorderWritable) => R,
  ): Promise<R> {
    const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RecorderError(`${path}: chunkSize must be a positive integer, got ${chunkSize}`);
    const compressChunk = await chunkCompressor(options.compression ?? 'zstd');
    let writable: RecorderWritable;
    try {
      writable = open();
    } catch (e) {
      throw new RecorderError(`${path}: cannot create the recording: ${message(e)}`);
    }
    const writer = new McapWriter({ writable, chunkSize, compressChunk });
    const recorder = make(path, options, writer, writable);
    // Written in turn like everything else: a write that fails (disk full) is reported by close().
    const header = { profile: MCAP_PROFILE, library: `umwelt ${recorder.packages['umwelt'] ?? 'unknown'}; ${LIBRARY_IDENTIFIER}` };
    recorder.enqueue(() => writer.start(header));
    return recorder;
  }

  /**
   * Adds a camera image of the state now (after reset, or after the step just executed) as a foxglove.CompressedImage
   * on its kind's topic (CAMERA_TOPICS), stamped with the simulated time, frame_id CAMERA_FRAME. It belongs to the
   * current step. Throws a RecorderError for a bad image (unknown kind or format, a size that is not the encoded
   * image's, data that is not a PNG or JPEG), or when no episode is being recorded (before episode-start, after its
   * end, or once closing). A write that fails later is reported by close(), like any other.
   */
  camera(image: CameraImage): void {
    const problem = cameraImageProblem(image);
    if (problem !== null) throw new RecorderError(`${this.path}: bad camera image: ${problem}`);
    if (this.closing) throw new RecorderError(`${this.path}: a camera image after close()`);
    if (!this.started) throw new RecorderError(`${this.path}: a camera image before the episode started (episode-start)`);
    if (this.ended) throw new RecorderError(`${this.path}: a camera image after the episode ended (episode-end)`);
    const kind = image.kind;
    this.guard(() => this.write(CAMERA_TOPICS[kind], compressedImage(image, this.time())));
  }

  /**
   * Finish the file: the step index metadata, summary and footer; resolves when written and closed. Idempotent.
   * Rejects with a RecorderError naming the file when any write failed (the file is then incomplete).
   */
  close(): Promise<void> {
    this.closing ??= this.finish();
    return this.closing;
  }

  // ---- events ------------------------------------------------------------------------------------------------

  /** Run a handler; an exception is kept for close() rather than thrown into the episode. */
  private guard(handler: () => void): void {
    if (this.closing || this.failure !== null) return;
    try {
      handler();
    } catch (e) {
      this.failure = e;
    }
  }

  private handle(event: LoopEvent): void {
    if (event.type === 'episode-start') {
      this.episodeStart(event);
      return;
    }
    if (!this.started || this.ended) return;
    switch (event.type) {
      case 'observation': {
        const observation: ObservationMessage = { step: event.step, observation: event.observation };
        this.write(TOPICS.observation, observation);
        this.writeSnapshot(event.step);
        return;
      }
      case 'decision': {
        this.beginStep(event.step);
        const { decision } = event;
        const recorded: DecisionMessage = {
          step: event.step,
          prompt: '',
          thought: decision.thought,
          raw: decision.raw,
          action: decision.action ? formatAction(decision.action) : null,
          error: decision.error?.message ?? null,
          latencyMs: Math.max(0, event.latencyMs),
          tokens: decision.stats.tokens ?? 0,
          promptTokens: decision.stats.promptTokens ?? 0,
        };
        this.write(TOPICS.decision, recorded);
        if (decision.thought) this.log(LOG_LEVEL.info, 'planner', `step ${event.step}: ${decision.thought}`);
        return;
      }
      case 'action-start':
        this.log(LOG_LEVEL.info, 'agent', `step ${event.step}: ${formatAction(event.action)}`);
        return;
      case 'action-end': {
        const recorded: ActionMessage = {
          step: event.step,
          action: event.action,
          outcome: event.outcome,
          physicsSteps: event.physicsSteps,
          stateHash: event.stateHash,
        };
        this.write(TOPICS.action, recorded);
        const what = event.action ? formatAction(event.action) : '(no executable action)';
        const { outcome } = event;
        if (outcome.ok) this.log(LOG_LEVEL.info, 'agent', `step ${event.step}: ${what} succeeded${outcome.detail ? `: ${outcome.detail}` : ''}`);
        else this.log(LOG_LEVEL.warning, 'agent', `step ${event.step}: ${what} failed (${outcome.reason}): ${outcome.detail}`);
        return;
      }
      case 'reward': {
        const recorded: RewardMessage = { step: event.step, reward: event.reward, total: event.total };
        this.write(TOPICS.reward, recorded);
        return;
      }
      case 'episode-end': {
        const r = event.result;
        this.step = null;
        const result: ResultMessage = {
          success: r.success,
          terminated: r.terminated,
          truncated: r.truncated,
          aborted: r.aborted,
          failureReason: r.failureReason,
          steps: r.steps,
          stateHash: r.stateHash,
          metrics: { ...r.metrics },
        };
        this.write(TOPICS.result, result);
        this.ended = true;
        return;
      }
      default:
        return;
    }
  }

  private episodeStart(event: Extract<LoopEvent, { type: 'episode-start' }>): void {
    if (this.started) throw new Error('a recorder records one episode: a second episode-start arrived');
    this.started = true;
    const env = this.env;
    const world = env.world;
    const goalTask = goalTaskOf(env.task);
    const task: EpisodeMetadata['task'] = { instruction: env.task.instruction, targets: [...env.task.targets] };
    if (goalTask) {
      task.goals = goalTask.goals.map((g) => ({ ...g }));
      task.mode = goalTask.mode;
    }
    const metadata: EpisodeMetadata = {
      formatVersion: RECORDING_FORMAT_VERSION,
      seed: event.seed,
      family: event.family,
      instruction: event.instruction,
      source: this.options.source,
      scene: world.description,
      task,
      planner: { name: this.options.planner.name, config: this.options.planner.config ?? {} },
      env: env.config,
      packages: { ...this.packages },
      ...(this.options.branchedFrom ? { branchedFrom: { ...this.options.branchedFrom } } : {}),
    };
    const record = { name: METADATA.episode, metadata: encodeEpisodeMetadata(metadata) };
    this.enqueue(() => this.writer.addMetadata(record));
    if (this.controlWorld !== world) {
      this.controlWorld = world;
      this.controlSteps = 0;
    }
    this.beginStep(0);
    this.write(TOPICS.scene, sceneUpdate(world, this.time()));
    this.writeState();
  }

  private controlStep(): void {
    const world = this.env.world;
    if (this.controlWorld !== world) {
      this.controlWorld = world;
      this.controlSteps = 0;
    }
    this.controlSteps++;
    if (!this.started || this.ended) return; // reset's settling steps come before episode-start
    this.writeState();
  }

  // ---- messages ----------------------------------------------------------------------------------------------

  private beginStep(step: number): void {
    this.step = step;
    this.staticDue = true;
  }

  /** The simulated time now, in ns (never decreasing). */
  private time(): bigint {
    const world = this.env.world;
    const now = simTimeNs(world.physicsSteps * world.physicsDt);
    if (now > this.lastTime) this.lastTime = now;
    return this.lastTime;
  }

  private writeState(): void {
    const env = this.env;
    const world = env.world;
    const time = this.time();
    const parts: StateMessage['parts'] = [];
    for (const e of world.entityList) if (e.kind === 'furniture' && e.part) parts.push({ id: e.id, openness: e.openness });
    const state: StateMessage = {
      step: this.step ?? 0,
      controlStep: this.controlSteps,
      physicsSteps: world.physicsSteps,
      simSeconds: world.physicsSteps * world.physicsDt,
      stateHash: env.stateHash(),
      poses: posesOf(world),
      parts,
      holding: world.robot.held?.id ?? null,
    };
    this.write(TOPICS.state, state);
    this.write(TOPICS.transforms, this.transforms.next(world, time, this.staticDue));
    this.staticDue = false;
  }

  private writeSnapshot(step: number): void {
    const snapshot: SnapshotMessage = { step, stateHash: this.env.stateHash(), snapshot: this.env.snapshot() };
    this.write(TOPICS.snapshot, snapshot);
  }

  private log(level: LogLevel, name: string, text: string): void {
    this.write(TOPICS.log, logLine(this.time(), level, name, text));
  }

  /** Serialise now, write in turn: the message's time, sequence number and step are fixed here. */
  private write(topic: Topic, value: unknown): void {
    const logTime = this.time();
    const sequence = this.sequence++;
    const data = encoder.encode(JSON.stringify(value));
    if (this.step !== null) {
      const k = this.step;
      const times = this.stepTimes[k];
      const sequences = this.stepSequences[k];
      if (times && sequences) {
        times[1] = logTime;
        sequences[1] = sequence;
      } else {
        this.stepTimes[k] = [logTime, logTime];
        this.stepSequences[k] = [sequence, sequence];
      }
    }
    this.enqueue(async () => {
      const channelId = this.channels.get(topic) ?? (await this.channel(topic));
      await this.writer.addMessage({ channelId, sequence, logTime, publishTime: logTime, data });
    });
  }

  private async channel(topic: Topic): Promise<number> {
    const known = this.channels.get(topic);
    if (known !== undefined) return known;
    const schemaId = await this.writer.registerSchema(schemaRecord(topic));
    const id = await this.writer.registerChannel({ schemaId, topic, messageEncoding: 'json', metadata: new Map() });
    this.channels.set(topic, id);
    return id;
  }

  private enqueue(op: () => Promise<void>): void {
    this.pending.push(op);
    this.draining ??= this.drain();
  }

  /** Do the pending writes in order until none is left; a failure is kept and ends writing. */
  private async drain(): Promise<void> {
    await Promise.resolve(); // start after the current event, as a promise chain would
    let next = 0;
    while (next < this.pending.length) {
      if (next >= 4096) {
        this.pending.splice(0, next); // let the written messages go
        next = 0;
      }
      const op = this.pending[next++];
      if (!op || this.failure !== null) continue;
      try {
        await op();
      } catch (e) {
        this.failure = e;
      }
    }
    this.pending.length = 0;
    this.draining = null;
  }

  // ---- the end -----------------------------------------------------------------------------------------------

  private async finish(): Promise<void> {
    this.unsubscribe();
    if (this.started && this.failure === null) {
      // Steps 0..n are contiguous (a step starts with its decision); any gap would be a bug, not a step.
      const steps: [string, string][] = [];
      const sequences: [number, number][] = [];
      for (let k = 0; k < this.stepTimes.length; k++) {
        const times = this.stepTimes[k];
        const seqs = this.stepSequences[k];
        if (!times || !seqs) break;
        steps.push([times[0].toString(), times[1].toString()]);
        sequences.push([seqs[0], seqs[1]]);
      }
      const record = { name: METADATA.steps, metadata: encodeStepIndex({ steps, sequences }) };
      this.enqueue(() => this.writer.addMetadata(record));
    }
    this.enqueue(() => this.writer.end());
    await this.draining;
    try {
      this.writable.close?.();
    } catch (e) {
      this.failure ??= e;
    }
    if (this.failure !== null) throw new RecorderError(`${this.path}: cannot write the recording: ${message(this.failure)}`);
  }
}
