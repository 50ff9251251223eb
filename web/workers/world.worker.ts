// The world worker: the Env (cannon-es physics, the task) and the perceive-reason-act loop, off the page's thread,
// so that a long action (a goto is hundreds of physics steps) never blocks drawing. It sends the page the scene at
// reset, every loop event, and the poses of every control step; before each decision it waits on the page's gate
// (pause, single step, playback catching up). When the episode is recorded, the recorder writes MCAP into memory
// as the episode runs; the page adds the agent's camera images at each gate and after the end, then takes the bytes.
import * as Comlink from 'comlink';
import { runEpisode, type EpisodeResult, type LoopEvent } from '../../agent/loop.ts';
import type { Planner } from '../../agent/planner.ts';
import { OraclePlanner } from '../../agent/planners/oracle.ts';
import { RandomPlanner } from '../../agent/planners/random.ts';
import { BytesWritable } from '../../record/bytes-writable.ts';
import type { CameraImage } from '../../record/format.ts';
import { EpisodeRecorder, RecorderError } from '../../record/recorder-core.ts';
import { familyEnv } from '../../scenes/env.ts';
import type { Env } from '../../sim/env.ts';
import { capturePoseFrame, poseFrameLayout, poseFrameLength } from '../../sim/pose-frame.ts';
import { assertNever } from '../../sim/types.ts';
import type { EpisodeRequest, EpisodeSink, MemoryItem, WorldApi } from '../protocol.ts';
import { GatedPlanner } from './gated-planner.ts';
import { PortPlanner } from './port-planner.ts';
import { loopMemory } from '../../agent/memory/index.ts';
import { itemOf, openMemory } from './world-memory.ts';

function plannerFor(request: EpisodeRequest, env: Env, port: MessagePort | undefined): Planner {
  switch (request.planner) {
    case 'oracle':
      return new OraclePlanner(env);
    case 'random':
      return new RandomPlanner();
    case 'lm':
    case 'keyboard':
      if (port === undefined) throw new Error(`the ${request.planner} planner needs a planner port`);
      return new PortPlanner(request.planner, port);
    default:
      return assertNever(request.planner, 'planner');
  }
}

/** An episode being recorded: the episode's end is held back until the page's last camera images are in. */
interface Recording {
  recorder: EpisodeRecorder;
  writable: BytesWritable;
  end: LoopEvent | null;
}

class World implements WorldApi {
  private controller: AbortController | null = null;
  private active: Recording | null = null;

  async run(request: EpisodeRequest, sink: EpisodeSink, plannerPort?: MessagePort): Promise<EpisodeResult> {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    const env = familyEnv(request.family, { maxSteps: request.maxSteps });
    const opened = request.memory === 'off' ? null : await openMemory();
    const memory = opened === null ? undefined : loopMemory(opened.memory, request.memory);
    const inner = plannerFor(request, env, plannerPort);
    const planner = new GatedPlanner(inner, (step) => sink.gate(step), () => env.stepCount + 1);
    this.discardRecording();
    let recording: Recording | null = null;
    if (request.record) {
      const writable = new BytesWritable();
      const recorder = await EpisodeRecorder.toWritable(writable, {
        env,
        name: `umwelt-${request.family}-${request.seed}.mcap`,
        source: { kind: 'family', family: request.family },
        planner: { name: request.planner, config: { maxSteps: request.maxSteps, memory: request.memory } },
      });
      recording = { recorder, writable, end: null };
      this.active = recording;
    }
    // Poses of the action under way, one frame per control step, sent when the action ends.
    let frames: Float32Array[] = [];
    let stride = 0;
    env.onControlStep((e) => frames.push(capturePoseFrame(e.world, new Float32Array(stride))));
    try {
      return await runEpisode({
        env,
        planner,
        seed: request.seed,
        signal: controller.signal,
        memory,
        // Decision latency leaves out the time the page held the gate (paused, or drawing the last action).
        clock: () => performance.now() - planner.heldMs,
        onEvent: (event) => {
          switch (event.type) {
            case 'episode-start': {
              stride = poseFrameLength(env.world);
              sink.scene({
                description: env.world.description,
                layout: poseFrameLayout(env.world),
                frame: capturePoseFrame(env.world),
                physicsDt: env.world.physicsDt,
                controlDt: env.config.controlDt,
              });
              break;
            }
            case 'action-end': {
              const packed = new Float32Array(frames.length * stride);
              frames.forEach((f, i) => packed.set(f, i * stride));
              sink.frames(event.step, Comlink.transfer(packed, [packed.buffer]), frames.length);
              frames = [];
              break;
            }
            case 'observation':
            case 'decision':
            case 'action-start':
            case 'reward':
            case 'episode-end':
            case 'memory-write':
            case 'memory-recall':
              break;
            default:
              assertNever(event, 'loop event');
          }
          if (recording !== null) {
            // The last step's camera images come after its frames are shown: the result waits for them (recording()).
            if (event.type === 'episode-end') recording.end = event;
            else recording.recorder.onEvent(event);
          }
          sink.event(event);
        },
      });
    } catch (e) {
      if (recording !== null && this.active === recording) this.discardRecording();
      throw e;
    } finally {
      // Memories are durable once flushed: before the page hears that the episode ended (and may reload).
      await opened?.log.flush();
      if (inner instanceof PortPlanner) inner.close();
      if (this.controller === controller) this.controller = null;
    }
  }

  abort(): void {
    this.controller?.abort();
  }

  camera(images: CameraImage[]): void {
    const recording = this.active;
    if (recording === null) throw new RecorderError('camera images, but no episode is being recorded');
    for (const image of images) recording.recorder.camera(image);
  }

  async recording(): Promise<Uint8Array | null> {
    const recording = this.active;
    if (recording === null) return null;
    this.active = null;
    if (recording.end !== null) recording.recorder.onEvent(recording.end);
    await recording.recorder.close();
    const bytes = recording.writable.bytes();
    return Comlink.transfer(bytes, [bytes.buffer]);
  }

  private discardRecording(): void {
    const recording = this.active;
    this.active = null;
    recording?.recorder.close().catch(() => undefined);
  }

  async memories(): Promise<MemoryItem[]> {
    const { memory } = await openMemory();
    return memory.records().map((r) => itemOf(r));
  }

  async searchMemories(query: string, k: number): Promise<MemoryItem[]> {
    const { memory } = await openMemory();
    return memory.search(query, { k }).map((hit) => itemOf(hit.record, hit.score));
  }

  async clearMemories(): Promise<number> {
    const { memory, log } = await openMemory();
    const n = memory.clear();
    await log.flush();
    return n;
  }
}

Comlink.expose(new World());
