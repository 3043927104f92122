// Browser tests of the screens: Debian's Chromium (never a downloaded one),
// the real sancha binary on a fresh demo database per test (fixtures.ts).
import { defineConfig } from '@playwright/test'
import { CHROMIUM, CHROMIUM_ARGS } from './chromium'

export default defineConfig({
  testDir: '.',
  testMatch: /.*\.spec\.ts$/,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: '../../target/e2e/results',
  use: {
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    viewport: { width: 1366, height: 768 },
    acceptDownloads: true,
    launchOptions: { executablePath: CHROMIUM, args: CHROMIUM_ARGS },
  },
})
