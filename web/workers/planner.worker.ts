// The planner worker: the language-model planner (agent/planners/lm.ts) off the page's thread. It fetches the
// shipped bundle once, decodes on the WebGPU engine when the browser offers an adapter that is a GPU (or when
// `webgpu` is asked for), on the CPU engine otherwise, and serves decisions to the world worker through a port.
import * as Comlink from 'comlink';
import { decodeBundle, type PlannerBundle } from '../../agent/lm/bundle.ts';
import { browserDevice } from '../../agent/lm/webgpu/device.ts';
import type { Decision, EpisodeInfo, PlannerContext } from '../../agent/planner.ts';
import { LMPlanner } from '../../agent/planners/lm.ts';
import { gpuEngineFor, type GpuSource } from '../../agent/planners/lm-gpu.ts';
import type { PlannerLoad, PlannerStatus, PlannerWorkerApi } from '../protocol.ts';

const gpuSource: GpuSource = () => browserDevice();

async function fetchBundle(url: string): Promise<PlannerBundle> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`the planner model ${url} could not be fetched: HTTP ${response.status}`);
  return decodeBundle(new Uint8Array(await response.arrayBuffer()));
}

function parameterCount(bundle: PlannerBundle): number {
  let n = 0;
  for (const tensor of bundle.weights.values()) n += tensor.data.length;
  return n;
}

class PlannerWorker implements PlannerWorkerApi {
  private planner: LMPlanner | null = null;
  private loaded: PlannerStatus | null = null;
  private note: string | null = null;

  async load(options: PlannerLoad): Promise<PlannerStatus> {
    const started = performance.now();
    const bundle = await fetchBundle(options.modelUrl);
    this.note = null;
    const planner = new LMPlanner({
      bundle,
      engine: options.engine,
      gpu: gpuSource,
      log: (line) => {
        this.note = line;
        console.info(line);
      },
    });
    await planner.ready();
    let adapter: string | null = null;
    if (options.engine !== 'cpu') {
      const built = await gpuEngineFor(bundle, gpuSource);
      adapter = built.ok ? built.engine.adapterName : null;
    }
    this.planner = planner;
    this.loaded = { engine: planner.engineInUse, adapter, note: this.note, parameters: parameterCount(bundle), loadMs: performance.now() - started };
    return this.loaded;
  }

  status(): PlannerStatus | null {
    if (this.loaded === null || this.planner === null) return null;
    return { ...this.loaded, engine: this.planner.engineInUse, note: this.note };
  }

  reset(info: EpisodeInfo): void {
    this.planner?.reset(info);
  }

  decide(context: PlannerContext): Promise<Decision> {
    if (this.planner === null) return Promise.reject(new Error('the planner worker has no model yet: call load() first'));
    return this.planner.decide(context);
  }

  connect(port: MessagePort): void {
    Comlink.expose({ reset: (info: EpisodeInfo) => this.reset(info), decide: (context: PlannerContext) => this.decide(context) }, port);
  }
}

Comlink.expose(new PlannerWorker());
