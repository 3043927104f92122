// The console's speed, measured in real Chromium against the release binary
// (BENCHMARKS.md records the figures; nothing here is a pass/fail test):
//   1. JavaScript sent for the sign-in page and for 工作台 (gzip/brotli bytes
//      on the wire), charts excluded;
//   2. 工作台 interactive for a returning user on a cold cache over 1.6 Mbps /
//      150 ms RTT with 4x CPU throttling, on the demo county;
//   3. on the seeded city of bench-supervision (44,196 households, 20,000
//      findings): the city's 工作台 and a 整改清单 page, click to rows, each
//      beside the API call alone in the same run as the baseline.
//
// cargo build --release -p sancha-server --bin sancha
// cargo run --release -p sancha-tests --bin bench-supervision -- --data-dir /tmp/city --seed-only
// node web/bench/console.mjs --city /tmp/city
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { kb, launch, median, serve } from './common.mjs'

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..')
const arg = (name) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined }
const BIN = arg('--server') ?? join(ROOT, 'target/release/sancha')
const CITY = arg('--city')
const RUNS = 5

const browser = await launch()

async function signIn(page, username, password) {
  await page.getByLabel('用户名').fill(username)
  await page.getByLabel('密码').fill(password)
  await page.getByRole('button', { name: '登录' }).click()
  await page.getByText('建档立卡户').waitFor()
}

/** Each script the page has loaded so far, with its bytes on the wire (compressed). */
const scriptsOf = (page) =>
  page.evaluate(() => performance.getEntriesByType('resource')
    .filter((e) => e.name.endsWith('.js'))
    .map((e) => ({ url: e.name, bytes: e.encodedBodySize })))

// --- 1 and 2: the demo county ------------------------------------------------------
const demoDir = mkdtempSync(join(tmpdir(), 'sancha-bench-'))
const demo = await serve(BIN, demoDir, true)
{
  const context = await browser.newContext({ baseURL: demo.url })
  const page = await context.newPage()
  await page.goto('/')
  await page.getByRole('button', { name: '登录' }).waitFor()
  await page.waitForLoadState('networkidle')
  const login = (await scriptsOf(page)).reduce((n, s) => n + s.bytes, 0)
  await signIn(page, 'supervisor', 'sancha-demo')
  await page.getByRole('img', { name: /柱状图/ }).locator('canvas').waitFor()
  await page.waitForLoadState('networkidle')
  const scripts = await scriptsOf(page)
  const charts = scripts.filter((s) => /\/charts-[^/]+\.js$/.test(s.url)).reduce((n, s) => n + s.bytes, 0)
  const dashboard = scripts.reduce((n, s) => n + s.bytes, 0) - charts
  console.log(`JS on the wire: sign-in page ${kb(login)}; sign-in + 工作台 ${kb(dashboard)} (charts, loaded after: ${kb(charts)}); budget 250 KB: ${(dashboard / (250 * 1024)).toFixed(2)} of it`)

  const times = []
  for (let i = 0; i < RUNS; i++) {
    // Refresh tokens are single-use: each run signs in afresh, then a new
    // context (empty cache) comes back with that session's cookie.
    const warm = await browser.newContext({ baseURL: demo.url })
    const w = await warm.newPage()
    await w.goto('/')
    await signIn(w, 'supervisor', 'sancha-demo')
    const state = await warm.storageState()
    await warm.close()
    const cold = await browser.newContext({ baseURL: demo.url, storageState: state })
    const p = await cold.newPage()
    const cdp = await cold.newCDPSession(p)
    await cdp.send('Network.enable')
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true })
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 150, downloadThroughput: 1.6e6 / 8, uploadThroughput: 1.6e6 / 8 })
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 })
    const t = Date.now()
    await p.goto('/')
    await p.getByText('建档立卡户').waitFor({ timeout: 60_000 })
    await p.getByRole('link', { name: '整改清单' }).waitFor()
    times.push((Date.now() - t) / 1000)
    await cold.close()
  }
  console.log(`工作台 interactive, returning user, cold cache, 1.6 Mbps / 150 ms RTT, 4x CPU: median of ${RUNS} = ${median(times).toFixed(2)} s (runs ${times.map((x) => x.toFixed(2)).join(', ')}); budget 3 s: ${(median(times) / 3).toFixed(2)} of it`)
  await context.close()
}
demo.stop()
rmSync(demoDir, { recursive: true, force: true })

// --- 3: the seeded city --------------------------------------------------------------
if (CITY) {
  const city = await serve(BIN, CITY, false)
  const token = (await (await fetch(`${city.url}/api/v1/auth/token`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'bench', password: 'bench-password' }),
  })).json()).access_token
  const apiTime = async (path) => {
    const t = performance.now()
    const res = await fetch(`${city.url}${path}`, { headers: { Authorization: `Bearer ${token}` } })
    await res.arrayBuffer()
    return (performance.now() - t) / 1000
  }
  const context = await browser.newContext({ baseURL: city.url, viewport: { width: 1366, height: 768 } })
  const page = await context.newPage()
  await page.goto('/')
  await signIn(page, 'bench', 'bench-password')

  const board = []
  const boardApi = []
  for (let i = 0; i < RUNS; i++) {
    boardApi.push(await apiTime('/api/v1/progress?scope=2109'))
    const t = Date.now()
    await page.goto('/')
    await page.getByText('下级地区').waitFor({ timeout: 60_000 })
    board.push((Date.now() - t) / 1000)
  }
  console.log(`city 工作台 (2109: 44,196 households), reload to regions shown: median of ${RUNS} = ${median(board).toFixed(3)} s; GET /progress alone ${median(boardApi).toFixed(3)} s (screen/API ${(median(board) / median(boardApi)).toFixed(1)}x); budget 2 s: ${(median(board) / 2).toFixed(2)} of it`)

  await page.getByRole('link', { name: '整改清单' }).click()
  await page.locator('table.findings tbody tr').first().waitFor()
  const list = []
  const listApi = []
  for (let i = 0; i < RUNS; i++) {
    listApi.push(await apiTime('/api/v1/findings?scope=2109&status=open&limit=50'))
    // Timed inside the page: from the click event to the rows of the next page in the DOM.
    const button = page.getByRole('button', { name: i % 2 ? '上一页' : '下一页' })
    await button.scrollIntoViewIfNeeded()
    const done = page.evaluate(() => new Promise((resolve) => {
      const table = document.querySelector('table.findings')
      const before = table.querySelector('tbody').textContent
      let clicked = 0
      document.addEventListener('click', () => (clicked = performance.now()), { capture: true, once: true })
      const watch = new MutationObserver(() => {
        const body = table.querySelector('tbody')
        if (clicked && body.textContent !== before && body.querySelector('tr')) {
          watch.disconnect()
          requestAnimationFrame(() => resolve(performance.now() - clicked))
        }
      })
      watch.observe(table, { childList: true, subtree: true, characterData: true })
    }))
    await button.click()
    const ms = await done
    list.push(ms / 1000)
  }
  console.log(`整改清单 page of 50 on the city (20,000 findings), click to rows: median of ${RUNS} = ${(median(list) * 1000).toFixed(0)} ms; GET /findings alone ${(median(listApi) * 1000).toFixed(0)} ms; budget 300 ms: ${(median(list) / 0.3).toFixed(2)} of it`)
  await context.close()
  city.stop()
}
await browser.close()
