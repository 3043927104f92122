// The field app's speed, in real Chromium against the sancha binary
// (BENCHMARKS.md records the figures; nothing here is a pass/fail test):
//   1. bytes on the wire for the first load of /app/ (before the QR decoder),
//      and the decoder's own;
//   2. a reload with no signal once the service worker holds the app;
//   3. 同步 of the demo county's 504 households over emulated 3G
//      (750 kbps, 300 ms RTT), beside the same pages fetched by Node with no
//      emulation in the same run as the baseline;
//   4. opening a household's form, and the longest keystroke, under 6x CPU throttling;
//   5. the outbox sending 100 queued visits with one photo each over the same 3G.
//
// cargo build --release -p sancha-server --bin sancha
// node web/bench/field.mjs [--server target/release/sancha]
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { kb, launch, median, serve } from './common.mjs'

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..')
const arg = (name) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined }
const BIN = arg('--server') ?? join(ROOT, 'target/release/sancha')
const RUNS = Number(arg('--runs') ?? 3)
/** `--parts 3,4`: only those measurements. */
const PARTS = new Set((arg('--parts') ?? '1,2,3,4,5').split(',').map(Number))
const THREE_G = { offline: false, latency: 300, downloadThroughput: (750 * 1000) / 8, uploadThroughput: (750 * 1000) / 8 }

const s = (ms) => `${(ms / 1000).toFixed(2)} s`

const browser = await launch()
const PHONE = { viewport: { width: 360, height: 740 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' }

async function signIn(page, url, username) {
  await page.goto(`${url}/app/`)
  await page.getByLabel('用户名').fill(username)
  await page.getByLabel('密码').fill('sancha-demo')
  await page.getByRole('button', { name: '登录' }).click()
  await page.getByRole('button', { name: '同步' }).waitFor()
}

async function sync(page) {
  await page.getByRole('button', { name: '同步' }).click()
  await page.getByText(/已同步 \d+ 户的变化/).waitFor({ timeout: 120_000 })
}

/** Bytes on the wire of what the page fetched, split by the decoder and the rest. */
async function wireBytes(page) {
  return page.evaluate(() => {
    const entries = performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation'))
    const app = entries.filter((e) => new URL(e.name).pathname.startsWith('/app/'))
    const decoder = app.filter((e) => /ponyfill|zxing/.test(e.name))
    const sum = (xs) => xs.reduce((n, e) => n + e.transferSize, 0)
    return { first: sum(app.filter((e) => !decoder.includes(e))), decoder: sum(decoder) }
  })
}

/**
 * Types 12 characters into `input`, 80 ms apart, and returns the longest key
 * or input event (Event Timing: from the input to the next paint) and how many
 * took over 16 ms.
 */
async function longestKeystroke(page, input) {
  await page.evaluate(() => {
    window.__events = []
    new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__events.push([e.name, e.duration]) }).observe({ type: 'event', durationThreshold: 16, buffered: false })
  })
  await input.click()
  await page.keyboard.type('汉族汉族汉族汉族汉族汉族', { delay: 80 })
  await page.waitForTimeout(500)
  const events = await page.evaluate(() => window.__events)
  const keys = events.filter(([n]) => ['keydown', 'keyup', 'keypress', 'input', 'beforeinput'].includes(n)).map(([, d]) => d)
  return { longest: keys.length ? Math.max(...keys) : 0, slow: keys.length }
}

const server = await serve(BIN, mkdtempSync(join(tmpdir(), 'sancha-bench-field-')), true)
const results = {}
try {
  // 1 and 2: first load, then a reload with no signal.
  if (PARTS.has(1) || PARTS.has(2)) {
    const ctx = await browser.newContext(PHONE)
    const page = await ctx.newPage()
    await signIn(page, server.url, 'enumerator')
    results.first = await wireBytes(page)
    await page.evaluate(() => navigator.serviceWorker.ready)
    await page.reload()
    await sync(page)
    await page.getByRole('button', { name: '开始核查' }).first().click()
    await page.locator('.steps').getByRole('button', { name: /^现场核实/ }).click()
    await page.getByRole('button', { name: '扫描明白卡' }).click()
    await page.waitForFunction(() => performance.getEntriesByType('resource').some((e) => e.name.endsWith('.wasm')), null, { timeout: 30_000 }).catch(() => undefined)
    results.decoder = (await wireBytes(page)).decoder
    await page.getByRole('button', { name: '取消' }).click()
    await page.getByRole('button', { name: '保存草稿' }).click()
    await ctx.setOffline(true)
    await ctx.route('**', (r) => r.abort('internetdisconnected'))
    const times = []
    for (let i = 0; i < RUNS; i++) {
      const t0 = Date.now()
      await page.reload()
      await page.locator('.household').first().waitFor()
      times.push(Date.now() - t0)
    }
    results.offlineReload = times
    await ctx.close()
  }

  // 3: 同步 of the county's households over 3G, and the same pages over loopback from Node.
  if (PARTS.has(3)) {
    const times = []
    let count = 0
    for (let i = 0; i < RUNS; i++) {
      const ctx = await browser.newContext({ ...PHONE, serviceWorkers: 'block' })
      const page = await ctx.newPage()
      await signIn(page, server.url, 'supervisor')
      const cdp = await ctx.newCDPSession(page)
      await cdp.send('Network.enable')
      await cdp.send('Network.emulateNetworkConditions', THREE_G)
      const t0 = Date.now()
      await sync(page)
      times.push(Date.now() - t0)
      count = Number((await page.getByText(/已同步 \d+ 户/).textContent()).match(/\d+/)[0])
      await ctx.close()
    }
    const token = (await (await fetch(`${server.url}/api/v1/auth/token`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'supervisor', password: 'sancha-demo' }) })).json()).access_token
    const base = []
    let bytes = 0
    for (let i = 0; i < RUNS; i++) {
      const t0 = Date.now()
      let cursor = ''
      bytes = 0
      for (;;) {
        const res = await fetch(`${server.url}/api/v1/households?limit=500${cursor ? `&cursor=${cursor}` : ''}`, { headers: { Authorization: `Bearer ${token}`, 'Accept-Encoding': 'gzip, br' } })
        const text = await res.text()
        bytes += text.length
        const page = JSON.parse(text)
        cursor = page.next_cursor
        if (!page.has_more) break
      }
      base.push(Date.now() - t0)
    }
    results.sync = { times, count, base, bytes }
  }

  // 4: the form and typing under 6x CPU throttling.
  if (PARTS.has(4)) {
    const ctx = await browser.newContext(PHONE)
    const page = await ctx.newPage()
    await signIn(page, server.url, 'enumerator')
    await sync(page)
    const cdp = await ctx.newCDPSession(page)
    const rows = page.locator('.household')
    // Each rate opens other households: 1x is this machine's own speed, the baseline.
    // Timed in the page, from the click to the frame that shows the first field,
    // so that Playwright's own polling (throttled too) is not counted.
    const openOnce = (n) =>
      page.evaluate(
        (n) =>
          new Promise((resolve) => {
            const t0 = performance.now()
            const seen = new MutationObserver(() => {
              if (!document.getElementById('f-income-year')) return
              seen.disconnect()
              requestAnimationFrame(() => resolve(performance.now() - t0))
            })
            seen.observe(document.body, { childList: true, subtree: true })
            document.querySelectorAll('.household')[n].querySelector('button').click()
          }),
        n,
      )
    const opensAt = async (rate, first) => {
      await cdp.send('Emulation.setCPUThrottlingRate', { rate })
      const times = []
      for (let i = 0; i < RUNS; i++) {
        times.push(await openOnce(first + i))
        await page.getByRole('button', { name: '保存草稿' }).click()
        await rows.first().waitFor()
      }
      return times
    }
    const base = await opensAt(1, 20)
    const opens = await opensAt(6, 10)
    await rows.nth(10).getByRole('button', { name: '继续核查' }).click()
    await page.getByLabel('收入年度').waitFor()
    await page.locator('.steps').getByRole('button', { name: /^家庭成员/ }).click()
    const keys = await longestKeystroke(page, page.getByLabel('民族').first())
    // The floor, same run: the same typing into a bare input on an empty page, at 6x too.
    const bare = await ctx.newPage()
    await bare.setContent('<label>民族 <input id="bare"></label>')
    await (await ctx.newCDPSession(bare)).send('Emulation.setCPUThrottlingRate', { rate: 6 })
    const floor = await longestKeystroke(bare, bare.locator('#bare'))
    results.form = { opens, base, keys: keys.longest, slowKeys: keys.slow, floor: floor.longest, floorSlow: floor.slow }
    await ctx.close()
  }

  // 5: 100 queued visits with one photo each, over 3G.
  if (PARTS.has(5)) {
    const ctx = await browser.newContext({ ...PHONE, serviceWorkers: 'block' })
    const page = await ctx.newPage()
    await signIn(page, server.url, 'enumerator')
    await sync(page)
    const example = JSON.parse(readFileSync(join(ROOT, 'api-spec/examples/visit-clean.json'), 'utf8'))
    // A camera photo after the app's downscale: a 1600×1200 JPEG at 0.8 of a
    // noisy, textured scene, which compresses about as badly as a real one.
    const photoBytes = await page.evaluate(async (example) => {
      const open = () => new Promise((ok, fail) => { const r = indexedDB.open('sancha-field'); r.onsuccess = () => ok(r.result); r.onerror = fail })
      const db = await open()
      const all = (store) => new Promise((ok) => { const r = db.transaction(store).objectStore(store).getAll(); r.onsuccess = () => ok(r.result) })
      const households = (await all('households')).slice(0, 100)
      let total = 0
      for (const [i, h] of households.entries()) {
        const c = document.createElement('canvas')
        c.width = 1600
        c.height = 1200
        const g = c.getContext('2d')
        const img = g.createImageData(1600, 1200)
        let x = i * 7919 + 1
        for (let k = 0; k < img.data.length; k += 4) {
          x = (x * 1103515245 + 12345) & 0x7fffffff
          const base = ((k / 4) % 1600) / 8 + ((k / 6400) | 0) / 8
          img.data[k] = (base + (x & 63)) & 255
          img.data[k + 1] = (base * 0.8 + ((x >> 6) & 63)) & 255
          img.data[k + 2] = (base * 0.5 + ((x >> 12) & 63)) & 255
          img.data[k + 3] = 255
        }
        g.putImageData(img, 0, 0)
        const blob = await new Promise((ok) => c.toBlob(ok, 'image/jpeg', 0.8))
        total += blob.size
        const sha = [...new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()))].map((b) => b.toString(16).padStart(2, '0')).join('')
        const now = new Date(Date.now() + 8 * 3600e3 - 60_000).toISOString().slice(0, 19) + '+08:00'
        const body = {
          ...example, household_id: h.id,
          household: { ...example.household, division_code: h.division_code },
          members: example.members, photos: [{ kind: 'house_front', sha256: sha, taken_at: now }],
          signatures: example.signatures.map((s) => ({ ...s, image_sha256: null, ...(s.role === 'respondent' ? { method: 'refused', refusal_reason: '不愿签字' } : {}) })),
          timing: { started_at: now, ended_at: now },
        }
        const tx = db.transaction(['outbox', 'blobs'], 'readwrite')
        tx.objectStore('blobs').put({ sha256: sha, type: 'image/jpeg', data: blob, uploaded: false })
        tx.objectStore('outbox').put({ visit_id: crypto.randomUUID(), username: 'enumerator', household_id: h.id, level: 'village_self', body, state: 'queued', problems: [], problem_title: null, attempts: 0, next_at: 0, queued_at: i })
        await new Promise((ok) => (tx.oncomplete = ok))
      }
      return total
    }, example)
    const cdp = await ctx.newCDPSession(page)
    await cdp.send('Network.enable')
    await cdp.send('Network.emulateNetworkConditions', THREE_G)
    await page.getByRole('link', { name: '待发送' }).first().click()
    const t0 = Date.now()
    await page.getByRole('button', { name: '发送' }).click()
    await page.getByText('全部已发送').waitFor({ timeout: 900_000 })
    const problems = await page.locator('.tag.danger').count()
    results.outbox = { ms: Date.now() - t0, photoBytes, problems }
    await ctx.close()
  }
} finally {
  await browser.close()
  server.stop()
}

const r = results
console.log(`binary: ${BIN}`)
if (r.first) console.log(`1. first load of /app/ (sign-in page): ${kb(r.first.first)} on the wire; the QR decoder when first scanning: ${kb(decoderBytes())} (brotli, as served)`)
if (r.offlineReload) console.log(`2. reload with no signal, to the household list: median ${s(median(r.offlineReload))} (${r.offlineReload.map(s).join(', ')})`)
if (r.sync) console.log(`3. 同步 of ${r.sync.count} households over 3G: median ${s(median(r.sync.times))} (${r.sync.times.map(s).join(', ')}); the same pages from Node over loopback: ${s(median(r.sync.base))}, ${kb(r.sync.bytes)} of JSON`)
if (r.form) console.log(`4. opening a household's form at 6x CPU: median ${s(median(r.form.opens))} (${r.form.opens.map(s).join(', ')}); at 1x ${s(median(r.form.base))}; longest keystroke event at 6x ${r.form.keys.toFixed(0)} ms (${r.form.slowKeys} events over 16 ms), a bare input on an empty page ${r.form.floor.toFixed(0)} ms (${r.form.floorSlow} over 16 ms)`)
if (r.outbox) {
  const floor = ((r.outbox.photoBytes + 100 * 6000) * 8) / (750 * 1000)
  console.log(`5. 100 queued visits with one photo each (${kb(r.outbox.photoBytes / 100)} per photo) over 3G: ${s(r.outbox.ms)}, ${r.outbox.problems} refused; the bytes alone need ${floor.toFixed(0)} s at 750 kbps (${((r.outbox.ms / 1000) / floor).toFixed(2)}x)`)
}

/** The decoder's files as the server sends them (the worker serves them from cache afterwards, so the page cannot count them). */
function decoderBytes() {
  const dir = join(ROOT, 'web/dist/field/assets')
  return readdirSync(dir).filter((f) => /^(ponyfill|zxing_reader)-.*\.(js|wasm)\.br$/.test(f)).reduce((n, f) => n + statSync(join(dir, f)).size, 0)
}
