// comlink's Node adapter (worker_threads ports as comlink endpoints). The package ships it only as UMD with an ESM
// style `export default` in its typings: at runtime the default import is the function itself, while TypeScript
// (module NodeNext, CommonJS file) types it as the module object. One cast, here, reconciles the two.
import adapter from 'comlink/dist/umd/node-adapter.js';

export const nodeEndpoint = adapter as unknown as typeof adapter.default;
