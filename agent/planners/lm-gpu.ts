// The LM planner's WebGPU engine: a device (Node: the `webgpu` package through device-node.ts, loaded by dynamic
// import so that this module stays free of Node built-ins; the browser: navigator.gpu through device.ts), one per
// device source, the WebGpuEngine built once per bundle and source, the choice 'auto' makes (chooseGpuEngine: the
// adapter is looked at before anything is built), and decisions on it one at a time (the engine is shared and
// asynchronous: two decisions may not interleave their calls).
import type { PlannerBundle } from '../lm/bundle.ts';
import { browserDevice, type GpuResult } from '../lm/webgpu/device.ts';
import { isCpuAdapter, WebGpuEngine } from '../lm/webgpu/engine.ts';

/** Which engine decodes: the CPU engine, or WebGPU ('webgpu' asks for it; 'auto' takes it where the adapter is a
 *  GPU, not a CPU emulation such as SwiftShader, on which the CPU engine is ~100x faster); both go on on the CPU
 *  engine, with one logged line, when there is no adapter or the device is lost. */
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

/**
 * Why the CPU engine decodes: 'fallback' when the WebGPU engine asked for (or in use) failed: no adapter for
 * 'webgpu', a failed build, a lost device; 'declined' when 'auto' found no GPU: no adapter, or one that emulates a
 * GPU on the CPU. Both are logged; a command line says a decline only when --engine was given.
 */
export type EngineNoteKind = 'fallback' | 'declined';

/** The engine 'webgpu' or 'auto' ends with: the WebGPU engine, or why the CPU engine decodes. */
export type GpuEngineChoice = { ok: true; engine: WebGpuEngine } | { ok: false; message: string; kind: EngineNoteKind };

const devices = new WeakMap<GpuSource, Promise<GpuResult>>();

/** The device of a source, asked for once; never rejects. */
export function deviceFor(source: GpuSource = defaultGpuSource): Promise<GpuResult> {
  let device = devices.get(source);
  if (device === undefined) {
    device = source().catch((e: unknown) => ({ ok: false, reason: { code: 'request_failed', message: e instanceof Error ? e.message : String(e) } }) as const);
    devices.set(source, device);
  }
  return device;
}

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
    const device = await deviceFor(source);
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

/** Why 'auto' declines an adapter (it emulates a GPU on the CPU), or null when it takes it. */
export function autoDeclines(adapterName: string): string | null {
  return isCpuAdapter(adapterName) ? `the adapter ${adapterName} runs on the CPU, where the CPU engine is faster` : null;
}

/** The WebGPU engine for 'webgpu' or 'auto', or why not; 'auto' looks at the adapter before building anything. */
export async function chooseGpuEngine(bundle: PlannerBundle, asked: 'webgpu' | 'auto', source: GpuSource = defaultGpuSource): Promise<GpuEngineChoice> {
  if (asked === 'auto') {
    const device = await deviceFor(source);
    if (!device.ok) return { ok: false, message: `${device.reason.code}: ${device.reason.message}`, kind: 'declined' };
    const declined = autoDeclines(device.gpu.adapterName);
    if (declined !== null) return { ok: false, message: declined, kind: 'declined' };
  }
  const made = await gpuEngineFor(bundle, source);
  if (!made.ok) return { ...made, kind: 'fallback' };
  if (made.engine.failure !== null) return { ok: false, message: made.engine.failure.message, kind: 'fallback' };
  return made;
}
