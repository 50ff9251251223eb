// The engine an evaluation's lm planner decodes on, settled once in the main thread before the workers start.
// The probe finds the adapter the workers will find: nodeDevice points VK_ICD_FILENAMES at SwiftShader when the
// system's drivers give none, in the process environment that worker threads' Vulkan loaders read (a worker
// cannot set it for itself). 'auto' takes the adapter only where it is a GPU, as LMPlanner does; without one the
// run decodes on the CPU engine, and its journal is a CPU run's.
import { autoDeclines, deviceFor, type EngineNoteKind, type LMEngineName } from '../agent/planners/lm-gpu.ts';

export type SettledEngine =
  | { engine: 'webgpu'; note: string }
  /** Asked for. */
  | { engine: 'cpu'; kind: 'asked' }
  /** Why the CPU engine when WebGPU was asked for (fallback) or auto found no GPU (declined). */
  | { engine: 'cpu'; note: string; kind: EngineNoteKind };

export async function settleEngine(requested: LMEngineName): Promise<SettledEngine> {
  if (requested === 'cpu') return { engine: 'cpu', kind: 'asked' };
  const kind: EngineNoteKind = requested === 'auto' ? 'declined' : 'fallback';
  const found = await deviceFor();
  if (!found.ok) return { engine: 'cpu', kind, note: `lm planner: WebGPU engine unavailable (${found.reason.code}: ${found.reason.message}); decoding on the CPU engine` };
  const adapter = found.gpu.adapterName;
  const declined = requested === 'auto' ? autoDeclines(adapter) : null;
  if (declined !== null) return { engine: 'cpu', kind, note: `lm planner: WebGPU engine unavailable (${declined}); decoding on the CPU engine` };
  return { engine: 'webgpu', note: `lm planner: decoding on the WebGPU engine (${adapter})` };
}
