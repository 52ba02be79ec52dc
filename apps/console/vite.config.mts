import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Served by volume-api under /console/ (same origin as the API: no CORS). Output where `npm start`
// and the image's volume-api look for it by default (CONSOLE_DIR=dist/apps/console); CONSOLE_OUT_DIR
// lets the browser spec build a copy of its own.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  // The workspace library shared with volctl (tsconfig.base.json's alias; it imports nothing of Node's).
  resolve: { alias: { '@volume/migration-format': fileURLToPath(new URL('../../libs/migration-format/src/index.ts', import.meta.url)) } },
  build: {
    outDir: process.env.CONSOLE_OUT_DIR ?? fileURLToPath(new URL('../../dist/apps/console', import.meta.url)),
    emptyOutDir: true,
    // The CSP forbids inline scripts and data: fonts; a small asset stays a file.
    assetsInlineLimit: 0,
    sourcemap: true,
  },
});
