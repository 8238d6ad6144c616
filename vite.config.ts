/**
 * Builds the control UI (`renderer/`) into `dist/renderer`, which the headless gateway serves at
 * `/` and the Electron window will load. `base: './'` keeps every asset URL relative, so the same
 * build works over http:// and from the app's own protocol. JSX is compiled by Vite's built-in
 * transform (no React plugin: Fast Refresh is all it would add).
 */
import { defineConfig } from 'vite';

export default defineConfig({
  root: 'renderer',
  base: './',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    target: 'es2022',
    // The polyfill would be an inline script; every browser the UI targets has modulepreload.
    modulePreload: { polyfill: false },
  },
});
