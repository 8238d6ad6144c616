/**
 * Bundles the Electron preload (`preload/preload.ts`) into one CommonJS file,
 * `dist/preload/preload.cjs`. A sandboxed preload cannot load ES modules or other files of
 * the app (only `electron` and a few built-ins through `require`), so the shared control-API
 * code it uses is inlined here.
 */
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    outDir: 'dist/preload',
    emptyOutDir: true,
    target: 'es2022',
    minify: false,
    lib: { entry: 'preload/preload.ts', formats: ['cjs'], fileName: () => 'preload.cjs' },
    rollupOptions: { external: ['electron'] },
  },
});
