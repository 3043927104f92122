import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import ElementPlus from 'unplugin-element-plus/vite'

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url))

export default defineConfig({
  root: here('.'),
  base: '/',
  // Each Element Plus component brings its own CSS (not the whole sheet), so a
  // page loads the styles of what it shows.
  plugins: [vue(), ElementPlus({})],
  resolve: { alias: { '@shared': here('../shared') } },
  build: {
    outDir: here('../dist/console'),
    emptyOutDir: true,
    // No inline script or data: module preload: the CSP allows 'self' only.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1200,
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8080', '/c/': 'http://127.0.0.1:8080' } },
})
