// The tfjs backend a training run uses: wasm on the CPU (SIMD; the data-parallel workers each run their own), or
// webgpu where a GPU exists (tfjs-webgpu over a Dawn device; one process drives the GPU, so the run has no
// data-parallel workers). 'auto' takes webgpu only on an adapter that is a GPU: on a CPU emulation such as
// SwiftShader, wasm is far faster. 'webgpu' takes any adapter, and without one trains on wasm, saying so.
import { useWasmBackend } from '../wasm-backend.ts';
import { useWebGpuBackend } from '../tfjs-webgpu.ts';
import { nodeDevice } from '../webgpu/device-node.ts';
import type { GpuHandle } from '../webgpu/device.ts';
import { isCpuAdapter } from '../webgpu/engine.ts';

export const TRAIN_BACKENDS = ['auto', 'wasm', 'webgpu'] as const;
export type TrainBackendName = (typeof TRAIN_BACKENDS)[number];

export interface TrainBackend {
  name: 'wasm' | 'webgpu';
  /** The adapter on webgpu. */
  adapter: string | null;
  /** Why wasm when webgpu or auto was asked for (auto: no GPU found), else null. */
  note: string | null;
}

// Dawn's GPU objects are kept past their devices' end (webgpu/device.ts GpuHandle).
const declined: GpuHandle[] = [];

export async function useTrainBackend(asked: TrainBackendName): Promise<TrainBackend> {
  const wasm = async (note: string | null): Promise<TrainBackend> => {
    await useWasmBackend();
    return { name: 'wasm', adapter: null, note };
  };
  if (asked === 'wasm') return wasm(null);
  const found = await nodeDevice();
  if (!found.ok) return wasm(`no WebGPU adapter (${found.reason.code}: ${found.reason.message}); training on wasm`);
  const adapter = found.gpu.adapterName;
  if (asked === 'auto' && isCpuAdapter(adapter)) {
    found.gpu.device.destroy();
    declined.push(found.gpu);
    return wasm(`the adapter ${adapter} runs on the CPU, where wasm is faster; training on wasm`);
  }
  try {
    await useWebGpuBackend(found.gpu);
  } catch (e) {
    return wasm(`tfjs-webgpu did not start on ${adapter} (${e instanceof Error ? e.message : String(e)}); training on wasm`);
  }
  return { name: 'webgpu', adapter, note: null };
}
