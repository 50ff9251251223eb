// Builds the browser app (web/) into web/dist. The shipped models are the public folder: models/planner/... is
// served at /planner/.... The Node-only branches of shared modules (the `webgpu` npm package, Dawn, behind a
// dynamic import that only runs in Node) stay out of the bundle.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: './',
  publicDir: here('../models'),
  build: {
    outDir: here('dist'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 2048,
    rollupOptions: { external: ['webgpu'] },
  },
  worker: { format: 'es', rollupOptions: { external: ['webgpu'] } },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
