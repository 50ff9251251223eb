// The episode's behaviour for the app element: the planner worker (loaded once per engine); the world worker (kept
// between episodes, since it holds the memory; a stopped episode's is terminated and replaced); the sink it reports
// to; the gate that pauses or single-steps the agent; and the state the elements draw (steps with their thoughts
// and outcomes, memories, metrics, the planner's engine, where the view is drawn). The viewport's stage (in the render
// worker, or on the page) shows the scene and plays the pose frames; the gate waits until it has caught up. A recorded
// episode (`record`) has a RecordingSession: the agent's camera at every gate, and the finished recording as a
// download.
import * as Comlink from 'comlink';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { EpisodeResult, LoopEvent, MemoryRecallView, MemoryWriteView } from '../../agent/loop.ts';
import { formatAction } from '../../agent/grammar.ts';
import { assertNever, type Outcome } from '../../sim/types.ts';
import type { AppEngine, EpisodeRequest, EpisodeSink, MemoryItem, PlannerStatus, PlannerWorkerApi, SceneStart, WorldApi } from '../protocol.ts';
import type { DrawingInfo, EpisodeStage, ViewportStage } from '../view/stage.ts';
import { KeyboardPlanner } from './keyboard-planner.ts';
import { RecordingSession, type RecordingLink } from './recording-session.ts';

export type EpisodeStatus = 'idle' | 'loading' | 'running' | 'paused' | 'done' | 'error';

export interface StepRow {
  step: number;
  thought: string;
  action: string | null;
  /** Set when the action has ended. */
  outcome: Outcome | null;
  latencyMs: number;
  tokens: number;
}

function outcomeText(outcome: Outcome): string {
  return outcome.ok ? (outcome.detail ?? 'ok') : `${outcome.reason}: ${outcome.detail}`;
}
export { outcomeText };

export class EpisodeController implements ReactiveController {
  status: EpisodeStatus = 'idle';
  request: EpisodeRequest | null = null;
  instruction = '';
  steps: StepRow[] = [];
  result: EpisodeResult | null = null;
  reward = 0;
  error: string | null = null;
  planner: PlannerStatus | null = null;
  plannerEngine: AppEngine = 'auto';
  speed = 4;
  readonly keyboard: KeyboardPlanner;
  /** Whether a scene has been shown, for the viewport. */
  sceneShown = false;
  /** Where and with what the view is drawn (known once a scene is shown). */
  drawing: DrawingInfo | null = null;
  /** Memories written during the episode, with the step after which they were written. */
  memoryWrites: { step: number; record: MemoryWriteView }[] = [];
  /** Memories handed to the planner, per decision. */
  memoryRecalls: { step: number; memories: MemoryRecallView[] }[] = [];
  /** The recorded episode's side in the page (episodes with `record`), or null. */
  private session: RecordingSession | null = null;

  /** The episode's recording once it is finished, or null. */
  get recording(): RecordingLink | null {
    return this.session?.link ?? null;
  }

  /** Why a recorded episode has no recording, or null. */
  get recordingError(): string | null {
    return this.session?.error ?? null;
  }

  private plannerWorker: Worker | null = null;
  private plannerApi: Comlink.Remote<PlannerWorkerApi> | null = null;
  private plannerLoading: Promise<PlannerStatus> | null = null;
  private worldWorker: Worker | null = null;
  private worldApi: Comlink.Remote<WorldApi> | null = null;
  /** Every stored memory (IndexedDB, through the world worker), refreshed after each episode and on demand. */
  stored: MemoryItem[] = [];
  /** The last memory search: its query and hits. */
  search: { query: string; hits: MemoryItem[] } | null = null;
  private stepTokens = 0;
  private release: (() => void) | null = null;
  private generation = 0;
  private redrawPending = false;
  private sceneReady: Promise<void> = Promise.resolve();
  private staging: Promise<ViewportStage> | null = null;
  /** The viewport's stage, once it has one (the same for every episode). */
  private stage: EpisodeStage | null = null;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly modelUrl: string,
    /** The viewport's stage, asked once: drawing in the render worker starts then, beside the planner's loading. */
    private readonly stageOf: () => Promise<ViewportStage>,
  ) {
    host.addController(this);
    this.keyboard = new KeyboardPlanner(() => host.requestUpdate());
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    this.dispose();
    this.plannerApi?.[Comlink.releaseProxy]();
    this.plannerWorker?.terminate();
    this.plannerWorker = null;
    this.plannerApi = null;
  }

  /** Loads the language-model planner in its worker (once per engine choice). */
  loadPlanner(engine: AppEngine): Promise<PlannerStatus> {
    if (this.plannerLoading !== null && this.plannerEngine === engine) return this.plannerLoading;
    this.plannerApi?.[Comlink.releaseProxy]();
    this.plannerWorker?.terminate();
    this.plannerEngine = engine;
    this.plannerWorker = new Worker(new URL('../workers/planner.worker.ts', import.meta.url), { type: 'module', name: 'planner' });
    this.plannerApi = Comlink.wrap<PlannerWorkerApi>(this.plannerWorker);
    const loading = this.plannerApi.load({ modelUrl: this.modelUrl, engine });
    this.plannerLoading = loading;
    loading.then(
      (status) => {
        this.planner = status;
        this.host.requestUpdate();
      },
      () => {
        if (this.plannerLoading === loading) this.plannerLoading = null;
      },
    );
    return loading;
  }

  async start(request: EpisodeRequest, engine: AppEngine): Promise<void> {
    this.stop();
    const generation = ++this.generation;
    this.request = request;
    this.status = 'loading';
    this.steps = [];
    this.memoryWrites = [];
    this.memoryRecalls = [];
    this.result = null;
    this.reward = 0;
    this.error = null;
    this.instruction = '';
    this.session?.dispose();
    this.session = null;
    this.host.requestUpdate();
    try {
      const staging = (this.staging ??= this.stageOf().then(
        (staged) => {
          this.stage = staged.stage;
          return staged;
        },
        (e: unknown) => {
          this.staging = null;
          throw e;
        },
      ));
      // A stage that cannot be had fails the episode when its scene is shown (showScene).
      staging.catch(() => undefined);
      let port: MessagePort | undefined;
      if (request.planner === 'lm') {
        await this.loadPlanner(engine);
        const channel = new MessageChannel();
        await this.plannerApi!.connect(Comlink.transfer(channel.port1, [channel.port1]));
        port = channel.port2;
      } else if (request.planner === 'keyboard') {
        port = this.keyboard.port();
      }
      if (generation !== this.generation) return;
      const world = this.world();
      const session = request.record ? new RecordingSession(request, world, () => generation === this.generation) : null;
      this.session = session;
      // The status turns 'running' once the scene is built and drawn (sink.scene): building and the first draw
      // are loading work, and the first decision waits for them.
      const sink = Comlink.proxy(this.sink(generation, session));
      const result = port === undefined ? await world.run(request, sink) : await world.run(request, sink, Comlink.transfer(port, [port]));
      if (generation !== this.generation) return;
      this.result = result;
      void this.refreshMemories();
      // The last action's frames may still be playing: the episode is done when they have been shown.
      await this.stage?.drained();
      if (generation !== this.generation) return;
      await session?.finish();
      if (generation !== this.generation) return;
      this.status = 'done';
    } catch (e) {
      if (generation !== this.generation) return;
      this.fail(e);
    }
    this.host.requestUpdate();
  }

  private fail(e: unknown): void {
    this.status = 'error';
    this.error = e instanceof Error ? e.message : String(e);
    console.error(`episode failed: ${this.error}`);
    this.host.requestUpdate();
  }

  /** The world worker, started when first needed and kept between episodes (it holds the memory). */
  private world(): Comlink.Remote<WorldApi> {
    if (this.worldApi === null || this.worldWorker === null) {
      this.worldWorker = new Worker(new URL('../workers/world.worker.ts', import.meta.url), { type: 'module', name: 'world' });
      this.worldApi = Comlink.wrap<WorldApi>(this.worldWorker);
    }
    return this.worldApi;
  }

  /** Reloads the list of stored memories. */
  async refreshMemories(): Promise<void> {
    try {
      this.stored = await this.world().memories();
    } catch (e) {
      console.warn(`memory: could not list the stored memories: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.host.requestUpdate();
  }

  async searchMemories(query: string, k = 5): Promise<void> {
    this.search = { query, hits: query.trim() === '' ? [] : await this.world().searchMemories(query, k) };
    this.host.requestUpdate();
  }

  async clearMemories(): Promise<void> {
    await this.world().clearMemories();
    this.search = null;
    this.memoryWrites = [];
    this.memoryRecalls = [];
    await this.refreshMemories();
  }

  /** Stops the episode at once: a running episode's world worker is terminated (a new one starts when needed). */
  stop(): void {
    this.generation++;
    if (this.status === 'running' || this.status === 'paused' || this.status === 'loading') {
      this.worldWorker?.terminate();
      this.worldWorker = null;
      this.worldApi = null;
      // A stopped episode's recording is discarded with its world worker.
      this.session?.dispose();
      this.session = null;
    }
    this.stage?.clear();
    this.release?.();
    this.release = null;
    if (this.status === 'running' || this.status === 'paused' || this.status === 'loading') this.status = 'idle';
  }

  /** Ends the page's workers. */
  dispose(): void {
    this.stop();
    this.worldWorker?.terminate();
    this.worldWorker = null;
    this.worldApi = null;
  }

  pause(): void {
    if (this.status === 'running') this.status = 'paused';
    this.host.requestUpdate();
  }

  resume(): void {
    if (this.status === 'paused') this.status = 'running';
    this.open();
    this.host.requestUpdate();
  }

  /** Lets exactly one more decision through, then pauses. */
  step(): void {
    if (this.status === 'running') this.status = 'paused';
    this.stepTokens++;
    this.open();
    this.host.requestUpdate();
  }

  setSpeed(speed: number): void {
    this.speed = speed;
    this.stage?.setSpeed(speed);
    this.host.requestUpdate();
  }

  private open(): void {
    const release = this.release;
    this.release = null;
    release?.();
  }

  private sink(generation: number, session: RecordingSession | null): EpisodeSink {
    const live = (): boolean => generation === this.generation;
    return {
      scene: (start: SceneStart) => {
        if (!live()) return;
        this.sceneReady = this.showScene(start, session, live).catch((e: unknown) => {
          if (!live()) return;
          this.stop();
          this.fail(e);
        });
      },
      event: (event: LoopEvent) => {
        if (!live()) return;
        this.apply(event);
        this.changed();
      },
      frames: (_step: number, frames: Float32Array, count: number) => {
        if (live()) this.stage?.frames(frames, count);
      },
      gate: async () => {
        await this.sceneReady;
        await this.stage?.drained();
        // What the page shows now is the state before this decision: the agent's camera sees it, for the recording.
        if (live()) await session?.capture();
        while (live()) {
          if (this.status === 'running') return;
          if (this.stepTokens > 0) {
            this.stepTokens--;
            return;
          }
          await new Promise<void>((resolve) => (this.release = resolve));
        }
      },
    };
  }

  /** Builds, compiles and first draws the scene (loading work), readies a recording's camera, then runs. */
  private async showScene(start: SceneStart, session: RecordingSession | null, live: () => boolean): Promise<void> {
    if (this.staging === null) throw new Error('the episode has no stage');
    const { stage, place, note } = await this.staging;
    const renderer = await stage.show(start, this.speed);
    if (!live()) return;
    this.drawing = { place, note, renderer };
    this.sceneShown = true;
    await session?.open(stage);
    if (live() && this.status === 'loading') this.status = 'running';
    this.host.requestUpdate();
  }

  /**
   * Asks the page to redraw at its next animation frame: a step brings a burst of events (each its own message),
   * and one redraw for all of them keeps the page's thread free.
   */
  private changed(): void {
    if (this.redrawPending) return;
    this.redrawPending = true;
    requestAnimationFrame(() => {
      this.redrawPending = false;
      this.host.requestUpdate();
    });
  }

  private apply(event: LoopEvent): void {
    switch (event.type) {
      case 'episode-start':
        this.instruction = event.instruction;
        break;
      case 'decision':
        this.steps = [
          ...this.steps,
          {
          step: event.step,
          thought: event.decision.thought,
          action: event.decision.action ? formatAction(event.decision.action) : null,
          outcome: null,
          latencyMs: event.latencyMs,
          tokens: event.decision.stats.tokens ?? 0,
          },
        ];
        break;
      case 'action-end': {
        // A new array (and row): the elements see a changed property and draw it.
        this.steps = this.steps.map((r) => (r.step === event.step ? { ...r, outcome: event.outcome } : r));
        break;
      }
      case 'reward':
        this.reward = event.total;
        break;
      case 'observation':
        this.instruction = event.observation.instruction;
        break;
      case 'memory-write':
        this.memoryWrites = [...this.memoryWrites, ...event.records.map((record) => ({ step: event.step, record }))];
        break;
      case 'memory-recall':
        this.memoryRecalls = [...this.memoryRecalls, { step: event.step, memories: event.memories }];
        break;
      case 'action-start':
      case 'episode-end':
        break;
      default:
        assertNever(event, 'loop event');
    }
  }
}
