// The LM planner's WebGPU engine: a device (Node: the `webgpu` package through device-node.ts, loaded by dynamic
// import so that this module stays free of Node built-ins; the browser: navigator.gpu through device.ts), the
// WebGpuEngine built once per bundle and device source, and decisions on it one at a time (the engine is shared and
// asynchronous: two decisions may not interleave their calls).
import type { PlannerBundle } from '../lm/bundle.ts';
import { browserDevice, type GpuResult } from '../lm/webgpu/device.ts';
import { isCpuAdapter, WebGpuEngine } from '../lm/webgpu/engine.ts';

/** Which engine decodes: the CPU engine, or WebGPU ('webgpu' asks for it; 'auto' takes it where the adapter is a
 *  GPU, not a CPU emulation such as SwiftShader, on which the CPU engine is ~100x faster); both fall back to the CPU engine, with one logged line, when there is no adapter or the device is lost. */
export const LM_ENGINES = ['cpu', 'webgpu', 'auto'] as const;
export type LMEngineName = (typeof LM_ENGINES)[number];

/** Where a device comes from. */
export type GpuSource = () => Promise<GpuResult>;

const isNode = (): boolean => typeof process !== 'undefined' && typeof process.versions === 'object' && typeof process.versions.node === 'string';

/** The platform's device: Dawn in Node, navigator.gpu elsewhere. */
export const defaultGpuSource: GpuSource = async () => {
  if (!isNode()) return browserDevice();
  const { nodeDevice } = await import('../lm/webgpu/device-node.ts');
  return nodeDevice();
};

/** The WebGPU engine of a bundle, or why there is none (a message for the log line). */
export type GpuEngineResult = { ok: true; engine: WebGpuEngine } | { ok: false; message: string };

const built = new WeakMap<PlannerBundle, WeakMap<GpuSource, Promise<GpuEngineResult>>>();

/** The bundle's WebGPU engine on a device from `source`, built once per bundle and source; never rejects. */
export function gpuEngineFor(bundle: PlannerBundle, source: GpuSource = defaultGpuSource): Promise<GpuEngineResult> {
  let bySource = built.get(bundle);
  if (bySource === undefined) {
    bySource = new WeakMap();
    built.set(bundle, bySource);
  }
  let engine = bySource.get(source);
  if (engine === undefined) {
    engine = build(bundle, source);
    bySource.set(source, engine);
  }
  return engine;
}

async function build(bundle: PlannerBundle, source: GpuSource): Promise<GpuEngineResult> {
  try {
    const device = await source();
    if (!device.ok) return { ok: false, message: `${device.reason.code}: ${device.reason.message}` };
    // An int8 checkpoint stays int8 on the GPU (a quarter of the bytes to read per token); its kernels dequantize.
    return { ok: true, engine: await WebGpuEngine.create(device.gpu, bundle.config, bundle.stored ?? bundle.weights) };
  } catch (e) {
    return { ok: false, message: `the WebGPU engine could not be built: ${e instanceof Error ? e.message : String(e)}` };
  }
}

const queues = new WeakMap<WebGpuEngine, Promise<unknown>>();

/** Runs `task` on the engine after every task queued before it has settled. */
export function serially<T>(engine: WebGpuEngine, task: () => Promise<T>): Promise<T> {
  const before = queues.get(engine) ?? Promise.resolve();
  const run = before.then(task, task);
  queues.set(
    engine,
    run.catch(() => undefined),
  );
  return run;
}

/** Why 'auto' declines a built engine (its adapter emulates a GPU on the CPU), or null when it takes it. */
export function autoDeclines(engine: WebGpuEngine): string | null {
  return isCpuAdapter(engine.adapterName) ? `the adapter ${engine.adapterName} runs on the CPU, where the CPU engine is faster` : null;
}
