// Selects the tfjs wasm backend in Node (SIMD works, threads do not): training, the tests and the benchmarks.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

export async function useWasmBackend(): Promise<void> {
  if (tf.getBackend() === 'wasm') return;
  const require = createRequire(import.meta.url);
  const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  setWasmPaths(join(dist, 'dist') + '/');
  const ok = await tf.setBackend('wasm');
  if (!ok) throw new Error('the tfjs wasm backend did not initialise');
  await tf.ready();
}
