// A data-parallel gradient worker: its own tfjs wasm backend and copy of the model; per step it takes the current
// weights and its shard of the batch and returns the gradient of the shard's summed masked loss.
import { parentPort } from 'node:worker_threads';
import { GptModel } from '../model.ts';
import { useWasmBackend } from '../wasm-backend.ts';
import { buffersOf, type WorkerReply, type WorkerRequest } from './messages.ts';

const port = parentPort;
if (port === null) throw new Error('grad-worker.ts runs in a worker thread');
await useWasmBackend();
let model: GptModel | null = null;

const reply = (message: WorkerReply, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);

port.on('message', (request: WorkerRequest) => {
  try {
    switch (request.type) {
      case 'init':
        model?.dispose();
        model = new GptModel(request.config, request.weights);
        reply({ type: 'ready' });
        break;
      case 'grad': {
        if (model === null) throw new Error('grad before init');
        model.setWeights(request.weights);
        const { sum, count, grads } = model.gradientSum(request.ids, request.targets, request.mask);
        reply({ type: 'grad', sum, count, grads }, buffersOf(grads));
        break;
      }
      case 'close':
        model?.dispose();
        model = null;
        port.close();
        break;
      default: {
        const never: never = request;
        throw new Error(`unknown request ${JSON.stringify(never)}`);
      }
    }
  } catch (e) {
    reply({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  }
});
