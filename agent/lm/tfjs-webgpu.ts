// Selects tfjs's webgpu backend in Node, over a Dawn device (webgpu/device-node.ts): training on a GPU, and the
// tfjs baseline of bench/webgpu.bench.ts. tfjs-backend-webgpu registers itself only where navigator.gpu exists, so
// the `webgpu` package's globals (GPUBufferUsage, GPUMapMode, ...) and navigator.gpu are set before it is
// imported; then the backend is registered again over this very GPUDevice, under its own name (its kernels are
// registered for 'webgpu'). Node cannot read a GPU tensor synchronously (tfjs's readSync needs an OffscreenCanvas):
// code that runs on it reads with `await tensor.data()`.
import * as tf from '@tensorflow/tfjs-core';
import type { GpuHandle } from './webgpu/device.ts';

export interface WebGpuBackendOptions {
  /** tfjs's WEBGPU_MATMUL_PROGRAM_TYPE (0 reduce, 1 split-K, 2 small output, 3 packed); absent: its own choice. */
  matmulProgram?: number;
}

export async function useWebGpuBackend(gpu: GpuHandle, options: WebGpuBackendOptions = {}): Promise<void> {
  const { globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu: gpu.gpu }, configurable: true, writable: true });
  const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
  tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new WebGPUBackend(gpu.device), 3);
  if (!(await tf.setBackend('webgpu'))) throw new Error('tf.setBackend("webgpu") failed');
  await tf.ready();
  if (options.matmulProgram !== undefined) tf.env().set('WEBGPU_MATMUL_PROGRAM_TYPE', options.matmulProgram);
  if (tf.getBackend() !== 'webgpu') throw new Error(`tfjs runs on ${tf.getBackend()}, not webgpu`);
}
