// One way to get a GPUDevice, wherever WebGPU comes from: `acquireDevice(gpu)` over any GPU object (the browser's
// navigator.gpu, or the `webgpu` package's in Node: device-node.ts). It never throws and never hangs: every
// failure, a missing API, no adapter, a refused device or a timeout, is a typed reason.
// Browser-safe: no Node imports here (device-node.ts holds them).

/** The adapter limits the kernels size themselves by (a subset of GPUSupportedLimits). */
export interface GpuLimits {
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupSizeX: number;
  maxComputeWorkgroupSizeY: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeWorkgroupsPerDimension: number;
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  maxStorageBuffersPerShaderStage: number;
}

const LIMIT_NAMES = [
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
] as const satisfies readonly (keyof GpuLimits)[];

export interface GpuHandle {
  device: GPUDevice;
  /** The GPU object the device came from. Held here because in Node the `webgpu` package's implementation lives as
   *  long as that object: once collected, a device still in use crashes the process. */
  gpu: GPU;
  /** The adapter's description, or vendor and architecture when it gives none (e.g. "SwiftShader driver 5.0.0"). */
  adapterName: string;
  /** The device's limits: the adapter's, requested in full for the names above. */
  limits: GpuLimits;
  features: readonly string[];
}

export type GpuUnavailableCode =
  /** No WebGPU API at all (no navigator.gpu; the `webgpu` package missing or not loadable). */
  | 'no_webgpu'
  /** requestAdapter gave null (no driver: in Node on Linux, no Vulkan ICD). */
  | 'no_adapter'
  /** requestAdapter or requestDevice threw. */
  | 'request_failed'
  /** requestAdapter or requestDevice did not settle in time. */
  | 'timeout';

export interface GpuUnavailable {
  code: GpuUnavailableCode;
  /** What happened, and what would fix it. */
  message: string;
}

export type GpuResult = { ok: true; gpu: GpuHandle } | { ok: false; reason: GpuUnavailable };

export interface AcquireOptions {
  /** Each of requestAdapter and requestDevice must settle within this (default 10 s). */
  timeoutMs?: number;
  powerPreference?: GPUPowerPreference;
  label?: string;
}

export const DEFAULT_GPU_TIMEOUT_MS = 10_000;

const TIMED_OUT = Symbol('timed out');

/** The promise's value, or TIMED_OUT after ms; a rejection stays a rejection. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const describeError = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export function adapterName(info: GPUAdapterInfo): string {
  if (info.description !== '') return info.description;
  const parts = [info.vendor, info.architecture, info.device].filter((s) => s !== '');
  return parts.length > 0 ? parts.join(' ') : 'unknown adapter';
}

export function pickLimits(limits: GPUSupportedLimits): GpuLimits {
  const out = {} as GpuLimits;
  for (const name of LIMIT_NAMES) out[name] = limits[name];
  return out;
}

/** A device from `gpu` (undefined: no WebGPU), with the adapter's limits of LIMIT_NAMES requested in full. */
export async function acquireDevice(gpu: GPU | undefined, options: AcquireOptions = {}): Promise<GpuResult> {
  const fail = (code: GpuUnavailableCode, message: string): GpuResult => ({ ok: false, reason: { code, message } });
  if (gpu === undefined) return fail('no_webgpu', 'WebGPU is not available here (no navigator.gpu)');
  const ms = options.timeoutMs ?? DEFAULT_GPU_TIMEOUT_MS;
  let adapter: GPUAdapter | null | typeof TIMED_OUT;
  try {
    const request: GPURequestAdapterOptions = options.powerPreference === undefined ? {} : { powerPreference: options.powerPreference };
    adapter = await within(gpu.requestAdapter(request), ms);
  } catch (e) {
    return fail('request_failed', `requestAdapter failed: ${describeError(e)}`);
  }
  if (adapter === TIMED_OUT) return fail('timeout', `requestAdapter did not answer within ${ms} ms`);
  if (adapter === null) return fail('no_adapter', 'requestAdapter found no adapter');
  const limits = pickLimits(adapter.limits);
  let device: GPUDevice | typeof TIMED_OUT;
  try {
    device = await within(adapter.requestDevice({ label: options.label ?? 'umwelt-lm', requiredLimits: { ...limits } }), ms);
  } catch (e) {
    return fail('request_failed', `requestDevice failed: ${describeError(e)}`);
  }
  if (device === TIMED_OUT) return fail('timeout', `requestDevice did not answer within ${ms} ms`);
  return {
    ok: true,
    gpu: { device, gpu, adapterName: adapterName(adapter.info), limits: pickLimits(device.limits), features: [...device.features] },
  };
}

/** The browser's (or a worker's) navigator.gpu. */
export function browserDevice(options: AcquireOptions = {}): Promise<GpuResult> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  return acquireDevice(nav?.gpu, options);
}
