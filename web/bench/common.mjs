// What the browser benchmarks share: the sancha binary on a free port, and
// Debian's Chromium with the flags of FRONTEND.md.
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { chromium } from 'playwright-core'

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
export const kb = (n) => `${(n / 1024).toFixed(1)} KB`

function freePort() {
  return new Promise((ok) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => ok(p)) }) })
}

/** `sancha serve` (with `--demo` if asked) on `dataDir`, once it answers /healthz. */
export async function serve(bin, dataDir, demo) {
  const port = await freePort()
  const args = ['serve', '--bind', `127.0.0.1:${port}`, ...(demo ? ['--demo'] : [])]
  const child = spawn(bin, args, { env: { ...process.env, SANCHA_DATA_DIR: dataDir, RUST_LOG: 'warn' }, stdio: 'ignore' })
  const url = `http://127.0.0.1:${port}`
  for (let i = 0; i < 600; i++) {
    try { if ((await fetch(`${url}/healthz`)).ok) return { url, stop: () => child.kill() } } catch { /* starting */ }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('server did not start')
}

export const launch = () =>
  chromium.launch({
    executablePath: process.env.SANCHA_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
