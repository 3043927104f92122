import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig, type Plugin } from 'vite'
import vue from '@vitejs/plugin-vue'

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url))

/**
 * Writes sw.js from sw-template.js with the app shell's files and a version
 * made from their names, so each build's worker caches exactly that build.
 * The QR decoder's WASM is left out: it is cached when first used.
 */
function serviceWorker(): Plugin {
  return {
    name: 'sancha-service-worker',
    generateBundle(_options, bundle) {
      const shell = Object.keys(bundle)
        .filter((f) => !f.endsWith('.wasm') && !f.endsWith('.map'))
        .sort()
        .map((f) => `/app/${f}`)
      const files = ['/app/', '/app/manifest.webmanifest', '/app/icon-192.png', ...shell]
      const version = createHash('sha256').update(files.join('\n')).digest('hex').slice(0, 12)
      const source = readFileSync(here('src/sw-template.js'), 'utf8')
        .replace('__VERSION__', version)
        .replace('__SHELL__', JSON.stringify(files))
      this.emitFile({ type: 'asset', fileName: 'sw.js', source })
    },
  }
}

/**
 * The app's version: a hash of the sources that make the bundle (not type
 * declarations or tests), so equal sources give equal builds.
 */
function sourceVersion(): string {
  const hash = createHash('sha256')
  const bundled = (name: string) => /\.(ts|vue|css|json|js)$/.test(name) && !/\.(d|test)\.ts$/.test(name)
  for (const dir of [here('src'), here('../shared')]) {
    const files = readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((f) => f.isFile() && bundled(f.name))
      .map((f) => join(f.parentPath, f.name))
      .sort()
    for (const f of files) hash.update(f.slice(dir.length)).update(readFileSync(f))
  }
  return `field-${hash.digest('hex').slice(0, 10)}`
}

export default defineConfig({
  root: here('.'),
  base: '/app/',
  plugins: [vue(), serviceWorker()],
  define: { APP_VERSION: JSON.stringify(sourceVersion()) },
  resolve: { alias: { '@shared': here('../shared') } },
  build: {
    outDir: here('../dist/field'),
    emptyOutDir: true,
    // No inline script or data: module preload: the CSP allows 'self' only.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1200,
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8080', '/c/': 'http://127.0.0.1:8080' } },
})
