import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: { alias: { '@shared': fileURLToPath(new URL('./shared', import.meta.url)) } },
  // *.spec.ts are the Playwright tests in e2e/; unit tests are *.test.ts.
  test: { include: ['shared/**/*.test.ts', 'console/src/**/*.test.ts', 'field/src/**/*.test.ts'], environment: 'node' },
})
