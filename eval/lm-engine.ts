// The engine an evaluation's lm planner decodes on, settled once in the main thread before the workers start.
// The probe finds the adapter the workers will find: nodeDevice points VK_ICD_FILENAMES at SwiftShader when the
// system's drivers give none, in the process environment that worker threads' Vulkan loaders read (a worker
// cannot set it for itself). 'auto' takes the adapter only where it is a GPU, as LMPlanner does; without one the
// run decodes on the CPU engine, said in one line, and its journal is a CPU run's.
import type { LMEngineName } from '../agent/planners/lm-gpu.ts';
import type { GpuHandle } from '../agent/lm/webgpu/device.ts';
import { nodeDevice } from '../agent/lm/webgpu/device-node.ts';
import { isCpuAdapter } from '../agent/lm/webgpu/engine.ts';

export interface SettledEngine {
  /** The engine the workers' planners use. */
  engine: 'cpu' | 'webgpu';
  /** What was found, for the user (one line). */
  note: string;
}

// Dawn's GPU objects must outlive their devices (device.ts GpuHandle): the probes' handles are kept.
const probes: GpuHandle[] = [];

export async function settleEngine(requested: LMEngineName): Promise<SettledEngine> {
  if (requested === 'cpu') return { engine: 'cpu', note: 'lm planner: decoding on the CPU engine' };
  const found = await nodeDevice();
  if (!found.ok) return { engine: 'cpu', note: `lm planner: WebGPU engine unavailable (${found.reason.code}: ${found.reason.message}); decoding on the CPU engine` };
  probes.push(found.gpu);
  found.gpu.device.destroy();
  const adapter = found.gpu.adapterName;
  if (requested === 'auto' && isCpuAdapter(adapter)) {
    return { engine: 'cpu', note: `lm planner: the adapter ${adapter} runs on the CPU, where the CPU engine is faster; decoding on the CPU engine` };
  }
  return { engine: 'webgpu', note: `lm planner: decoding on the WebGPU engine (${adapter})` };
}
