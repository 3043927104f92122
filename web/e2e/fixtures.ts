// What every browser test stands on: a fresh `sancha serve --demo` on its own
// port and data dir, a page that fails the test on any request leaving the
// server's origin, any CSP violation or uncaught error, and helpers to sign
// in, check accessibility and take the screenshots CI keeps in target/e2e/.
import { test as base, expect, type Page } from '@playwright/test'
import AxeBuilder from '@axe-core/playwright'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..')
export const SHOTS = join(ROOT, 'target/e2e')
export const PASSWORD = 'sancha-demo'
export const BIN = process.env.SANCHA_BIN ?? join(ROOT, 'target/debug/sancha')

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer()
    s.on('error', fail)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => ok(port))
    })
  })
}

export interface Server {
  url: string
  /** The server's data dir, for the command line on the same database. */
  dataDir: string
  /** A bearer token for API calls the test makes itself (set-up and checks). */
  token(username: string): Promise<string>
  api<T = unknown>(username: string, path: string, init?: RequestInit): Promise<T>
}

async function startServer(): Promise<{ server: Server; stop: () => void }> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'sancha-e2e-'))
  const child: ChildProcess = spawn(BIN, ['serve', '--demo', '--bind', `127.0.0.1:${port}`], {
    env: { ...process.env, SANCHA_DATA_DIR: dir, RUST_LOG: 'warn', SANCHA_PUBLIC_BASE_URL: `http://127.0.0.1:${port}` },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 30_000
  for (;;) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) break
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`sancha did not start (${BIN})`)
    await new Promise((r) => setTimeout(r, 100))
  }
  const tokens = new Map<string, string>()
  const server: Server = {
    url,
    dataDir: dir,
    async token(username) {
      if (!tokens.has(username)) {
        const res = await fetch(`${url}/api/v1/auth/token`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ username, password: PASSWORD }),
        })
        expect(res.status, `sign-in of ${username}`).toBe(200)
        tokens.set(username, (await res.json()).access_token)
      }
      return tokens.get(username)!
    },
    async api(username, path, init = {}) {
      const res = await fetch(`${url}${path}`, {
        ...init,
        headers: { Authorization: `Bearer ${await server.token(username)}`, 'Content-Type': 'application/json', ...(init.headers ?? {}) },
      })
      const text = await res.text()
      if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${text}`)
      return (text ? JSON.parse(text) : null) as never
    },
  }
  return {
    server,
    stop() {
      child.kill('SIGTERM')
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export const test = base.extend<{ server: Server; guarded: void }>({
  server: async ({}, use) => {
    const { server, stop } = await startServer()
    await use(server)
    stop()
  },
  baseURL: async ({ server }, use) => use(server.url),
  // Every request stays on the server's origin; no CSP violation, no uncaught error.
  guarded: [
    async ({ page, server }, use) => {
      const check = guard(page, server.url)
      await use()
      check()
    },
    { auto: true },
  ],
})

/**
 * Watches a page: every request stays on `origin`, no CSP violation, no
 * uncaught error. Call what it returns at the end to assert that.
 */
export function guard(page: Page, origin: string): () => void {
  const strays: string[] = []
  const faults: string[] = []
  page.on('request', (r) => {
    const u = r.url()
    if (!u.startsWith(origin) && !u.startsWith('blob:') && !u.startsWith('data:')) strays.push(u)
  })
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) faults.push(m.text())
  })
  page.on('pageerror', (e) => faults.push(String(e)))
  return () => {
    expect(strays, 'requests that left the server origin').toEqual([])
    expect(faults, 'CSP violations or uncaught errors').toEqual([])
  }
}

export { expect }

export async function signIn(page: Page, username: string, password = PASSWORD) {
  await page.goto('/')
  await page.getByLabel('用户名').fill(username)
  await page.getByLabel('密码').fill(password)
  await page.getByRole('button', { name: '登录' }).click()
}

/** Signs in and waits for the console's navigation. */
export async function signInToConsole(page: Page, username: string) {
  await signIn(page, username)
  await expect(page.getByRole('navigation', { name: '主导航' })).toBeVisible()
}

/** No serious or critical axe violation on what the page shows now. */
export async function expectAccessible(page: Page, what: string) {
  const result = await new AxeBuilder({ page }).analyze()
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  expect(
    bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`),
    `accessibility of ${what}`,
  ).toEqual([])
}

/** Screenshots at 1366×768 and 360 px wide into target/e2e/, then back to desktop. */
export async function screenshots(page: Page, name: string) {
  mkdirSync(SHOTS, { recursive: true })
  await page.screenshot({ path: join(SHOTS, `console-${name}-desktop.png`), fullPage: true })
  await page.setViewportSize({ width: 360, height: 740 })
  // Tables lay themselves out again after a resize; wait for that before judging.
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  await expect.poll(overflow, { timeout: 5000 }).toBeLessThanOrEqual(0).catch(async () => {
    throw new Error(`${name} overflows a 360 px screen by ${await overflow()} px: ${(await outside(page)).join('; ')}`)
  })
  await page.screenshot({ path: join(SHOTS, `console-${name}-phone.png`), fullPage: true })
  await page.setViewportSize({ width: 1366, height: 768 })
}

/** The elements that reach past the right edge of the window, outside any scroller. */
function outside(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const scrolls = (el: Element) => getComputedStyle(el).overflowX !== 'visible'
    const clipped = (el: Element) => {
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) if (scrolls(p)) return true
      return false
    }
    return Array.from(document.querySelectorAll('body *'))
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5 && !clipped(el))
      .slice(0, 8)
      .map((el) => `${el.tagName.toLowerCase()}.${String(el.className).trim().replace(/\s+/g, '.')} (right ${Math.round(el.getBoundingClientRect().right)})`)
  })
}

/** Picks `option` in the Element Plus select labelled `label` (the label names its input). */
export async function choose(scope: Page | ReturnType<Page['locator']>, page: Page, label: string, option: string) {
  await scope.locator('.el-select', { has: page.getByLabel(label, { exact: true }) }).click()
  await page.getByRole('option', { name: option, exact: true }).click()
}
