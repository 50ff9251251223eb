// What crosses between the page and its workers. Everything here is structured-clone-safe: the world worker
// (workers/world.worker.ts) runs the Env and the loop; the planner worker (workers/planner.worker.ts) runs the
// language-model planner; the page draws and controls. comlink carries the calls; these are their shapes.
import type { EpisodeResult, LoopEvent } from '../agent/loop.ts';
import type { MemoryMode } from '../agent/memory/modes.ts';
import type { Decision, EpisodeInfo, PlannerContext } from '../agent/planner.ts';
import type { CameraImage } from '../record/format.ts';
import type { FamilyName } from '../scenes/family-names.ts';
import type { SceneDescription } from '../sim/description.ts';

export const APP_PLANNERS = ['lm', 'oracle', 'random', 'keyboard'] as const;
export type AppPlanner = (typeof APP_PLANNERS)[number];

export const APP_ENGINES = ['auto', 'cpu', 'webgpu'] as const;
export type AppEngine = (typeof APP_ENGINES)[number];

/** What the episode does with the long-term memory, kept in IndexedDB across episodes and reloads (agent/memory/modes.ts). */
export { MEMORY_MODES, type MemoryMode } from '../agent/memory/modes.ts';

export interface EpisodeRequest {
  family: FamilyName;
  seed: number;
  planner: AppPlanner;
  maxSteps: number;
  memory: MemoryMode;
  /**
   * Record the episode (MCAP, in the world worker's memory): the page adds the agent's camera images (`camera`) after
   * reset and after each step, and takes the file with `recording()` once the episode has ended.
   */
  record: boolean;
}

/** A stored memory as the memory panel lists it. */
export interface MemoryItem {
  id: string;
  kind: string;
  text: string;
  importance: number;
  episode: string;
  /** Relevance score, for search results. */
  score?: number;
}

/** Sent once the world has reset: enough for the page to build its own view of the same scene. */
export interface SceneStart {
  description: SceneDescription;
  /** The pose frame's slot ids (sim/pose-frame.ts), `agent` first. */
  layout: string[];
  /** Poses right after reset. */
  frame: Float32Array;
  physicsDt: number;
  controlDt: number;
}

/** The page's side of an episode, called by the world worker (a comlink proxy). */
export interface EpisodeSink {
  scene(start: SceneStart): void;
  event(event: LoopEvent): void;
  /** The poses of one action, one frame per control step, packed (count * layout.length * 7 floats). */
  frames(step: number, frames: Float32Array, count: number): void;
  /** Resolves when the page lets the agent take decision `step` (playing, or one step asked, and drawn so far). */
  gate(step: number): Promise<void>;
}

/** The world worker's API. */
export interface WorldApi {
  /**
   * Runs one episode to its end. The planner is the oracle or random planner in the world worker itself (they read
   * the env), or, when `plannerPort` is given, a PlannerApi exposed on that port (the planner worker, or the page
   * for the keyboard).
   */
  run(request: EpisodeRequest, sink: EpisodeSink, plannerPort?: MessagePort): Promise<EpisodeResult>;
  /** Stops the running episode after the current step. */
  abort(): void;
  /** Every stored memory, oldest first. */
  memories(): Promise<MemoryItem[]>;
  /** The k memories the retrieval scoring ranks first for a free-text query. */
  searchMemories(query: string, k: number): Promise<MemoryItem[]>;
  /** Deletes every memory; returns how many there were. */
  clearMemories(): Promise<number>;
  /**
   * Adds camera images of the state the page shows now to the episode's recording (`record: true`): after reset
   * (before the first decision) and after each step (before the next decision, or after the episode's end). Their
   * bytes may be transferred. Rejects (a RecorderError) for a bad image or when nothing is being recorded.
   */
  camera(images: CameraImage[]): void;
  /**
   * Finishes the recording of the episode that has just ended (its result is written after the last camera images)
   * and gives its MCAP bytes (transferred); null when the episode was not recorded, or its recording was taken.
   */
  recording(): Promise<Uint8Array | null>;
}

/** The planner's side, as a worker or the page exposes it. */
export interface PlannerApi {
  reset(info: EpisodeInfo): void;
  decide(context: PlannerContext): Promise<Decision>;
}

export interface PlannerLoad {
  modelUrl: string;
  engine: AppEngine;
}

/** What the planner worker says about itself once loaded. */
export interface PlannerStatus {
  /** The engine decisions go to now. */
  engine: 'cpu' | 'webgpu';
  /** The adapter WebGPU offered, or null. */
  adapter: string | null;
  /** Why the engine is what it is (a fallback, an adapter that emulates a GPU), or null. */
  note: string | null;
  parameters: number;
  loadMs: number;
}

/** The planner worker's API: load once, then connect the world worker's port for each episode. */
export interface PlannerWorkerApi extends PlannerApi {
  load(options: PlannerLoad): Promise<PlannerStatus>;
  status(): PlannerStatus | null;
  /** Serves PlannerApi on `port` (transferred). */
  connect(port: MessagePort): void;
}
