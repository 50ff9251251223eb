// Loading a recording for <umwelt-replay>: fetch a URL or take a file's bytes, hand them to a replay worker (which
// reads the MCAP file, rebuilds the scene and converts every recorded state into a pose frame), then build the
// page's view of the scene. One worker per load, terminated when it answers or when another load replaces it, so
// that a new file never waits behind a slow one and an abandoned load costs nothing.
import * as Comlink from 'comlink';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { FramePlayer } from '../view/frame-player.ts';
import { SceneView } from '../view/scene-view.ts';
import type { ReplayApi, ReplayLoad } from './protocol.ts';

export type ReplayStatus = 'empty' | 'loading' | 'ready' | 'error';

/** A loaded recording with the page's view of its scene. */
export interface LoadedReplay {
  data: ReplayLoad;
  view: SceneView;
  /** Plays single frames at once (speed Infinity): playback timing is the PlaybackController's. */
  player: FramePlayer;
}

function describe(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'object' && e !== null && 'message' in e && typeof e.message === 'string') return e.message;
  return String(e);
}

/** A file name from a URL (its last path segment), for messages. */
export function nameOfUrl(url: string): string {
  try {
    const u = new URL(url, document.baseURI);
    return decodeURIComponent(u.pathname.split('/').filter(Boolean).pop() ?? u.href);
  } catch {
    return url;
  }
}

export class ReplayController implements ReactiveController {
  status: ReplayStatus = 'empty';
  /** What went wrong, as a sentence for the page. */
  error: string | null = null;
  /** What is being loaded (a file name or URL). */
  name = '';
  loaded: LoadedReplay | null = null;

  private worker: Worker | null = null;
  private generation = 0;

  constructor(
    private readonly host: ReactiveControllerHost,
    /** Called once a recording is loaded (show its scene), or with null when one is cleared. */
    private readonly onLoaded: (loaded: LoadedReplay | null) => Promise<void>,
  ) {
    host.addController(this);
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    this.generation++;
    this.stopWorker();
  }

  /** Fetches `url` and opens it. */
  async fetch(url: string): Promise<void> {
    const generation = this.begin(nameOfUrl(url));
    let bytes: Uint8Array;
    try {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`the server answered ${response.status} ${response.statusText}`.trim());
      bytes = new Uint8Array(await response.arrayBuffer());
    } catch (e) {
      if (generation === this.generation) this.fail(`Cannot fetch the recording ${url}: ${describe(e)}`);
      return;
    }
    if (generation === this.generation) await this.load(generation, bytes, this.name);
  }

  /** Opens a file (dropped or chosen) or bytes already in memory (copied: the caller keeps them). */
  async open(file: File | Uint8Array, name?: string): Promise<void> {
    const label = name ?? (file instanceof Uint8Array ? 'recording.mcap' : file.name);
    const generation = this.begin(label);
    let bytes: Uint8Array;
    try {
      bytes = file instanceof Uint8Array ? file.slice() : new Uint8Array(await file.arrayBuffer());
    } catch (e) {
      if (generation === this.generation) this.fail(`Cannot read ${label}: ${describe(e)}`);
      return;
    }
    if (generation === this.generation) await this.load(generation, bytes, label);
  }

  private begin(name: string): number {
    this.generation++;
    this.stopWorker();
    this.name = name;
    this.status = 'loading';
    this.error = null;
    this.host.requestUpdate();
    return this.generation;
  }

  /** Reads `bytes` (transferred to the worker: the caller's copy is spent) in a fresh replay worker. */
  private async load(generation: number, bytes: Uint8Array, name: string): Promise<void> {
    const worker = new Worker(new URL('../workers/replay.worker.ts', import.meta.url), { type: 'module', name: 'replay' });
    this.worker = worker;
    const api = Comlink.wrap<ReplayApi>(worker);
    let data: ReplayLoad;
    try {
      data = await api.load(Comlink.transfer(bytes, [bytes.buffer]), name);
    } catch (e) {
      if (generation === this.generation) this.fail(`Cannot replay ${name}: ${describe(e)}`);
      return;
    } finally {
      api[Comlink.releaseProxy]();
      worker.terminate();
      if (this.worker === worker) this.worker = null;
    }
    if (generation !== this.generation) return;
    let loaded: LoadedReplay;
    try {
      const view = new SceneView(data.description, data.layout);
      const player = new FramePlayer(view.stride, data.controlDt, (frame, offset) => view.show(frame, offset));
      player.speed = Number.POSITIVE_INFINITY;
      loaded = { data, view, player };
    } catch (e) {
      this.fail(`Cannot show ${name}: ${describe(e)}`);
      return;
    }
    this.loaded = loaded;
    this.status = 'ready';
    this.host.requestUpdate();
    await this.onLoaded(loaded);
  }

  private fail(message: string): void {
    this.status = 'error';
    this.error = message;
    this.loaded = null;
    this.host.requestUpdate();
    void this.onLoaded(null);
  }

  private stopWorker(): void {
    this.worker?.terminate();
    this.worker = null;
  }
}
