// Builds the browser app (web/) into web/dist: the app (index.html) and the replay viewer (replay.html). The
// shipped models are the public folder: models/planner/... is served at /planner/.... The Node-only branches of
// shared modules (the `webgpu` npm package, Dawn, behind a dynamic import that only runs in Node) stay out of the
// bundle.
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

/**
 * @foxglove/wasm-zstd (record/compression.ts: reading recordings) finds its .wasm with `require("./wasm-zstd.wasm")`;
 * this turns that into the emitted file's URL (`?no-inline`: a file of its own, never a data URL), in the page's
 * bundle and in the workers' (the replay worker reads recordings).
 */
function wasmZstdUrl(): Plugin {
  return {
    name: 'wasm-zstd-url',
    enforce: 'pre',
    transform(code, id) {
      if (!id.endsWith('@foxglove/wasm-zstd/dist/wasm-zstd.js')) return null;
      return code.replace('require("./wasm-zstd.wasm")', 'new URL("./wasm-zstd.wasm?no-inline", import.meta.url).href');
    },
  };
}

export default defineConfig({
  root: here('.'),
  base: './',
  publicDir: here('../models'),
  plugins: [wasmZstdUrl()],
  build: {
    outDir: here('dist'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 2048,
    rollupOptions: { external: ['webgpu'], input: { index: here('index.html'), replay: here('replay.html') } },
  },
  worker: { format: 'es', plugins: () => [wasmZstdUrl()], rollupOptions: { external: ['webgpu'] } },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
