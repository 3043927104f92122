// A new version of the field app reaching a phone with a draft open: the new
// service worker waits, nothing is offered or reloaded while the visit form is
// on screen, 有新版本 appears once the enumerator leaves it, and 更新 reloads
// the page once, under the new worker, with the draft still there. Then the
// kill switch (修复应用) removes the worker and its caches and keeps the draft.
//
// A proxy in front of the server plays the new release: once told to, it
// serves /app/sw.js with another VERSION, which is all a new build changes in
// the worker (its cache name follows the version).
import { createServer, request, type Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { expect, expectAccessible, guard, test, type Server } from './fixtures'
import { PHONE_CONTEXT, answerSteps, goToStep, householdsOf, phoneShot, row, signInAndSync, STEP_NAMES } from './field'

interface Release {
  url: string
  /** From now on, /app/sw.js is the next release's. */
  publish(): void
  close(): void
}

function releaseProxy(server: Server): Promise<Release> {
  const upstream = new URL(server.url)
  let published = false
  const proxy: HttpServer = createServer((req, res) => {
    const worker = published && req.url?.split('?')[0] === '/app/sw.js'
    const headers = { ...req.headers }
    if (worker) delete headers['accept-encoding'] // the body is rewritten: ask for it plain
    const out = request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers }, (up) => {
      if (!worker) {
        res.writeHead(up.statusCode ?? 502, up.headers)
        up.pipe(res)
        return
      }
      const chunks: Buffer[] = []
      up.on('data', (c: Buffer) => chunks.push(c))
      up.on('end', () => {
        const body = Buffer.from(Buffer.concat(chunks).toString().replace(/const VERSION = '([^']*)'/, "const VERSION = '$1-next'"))
        const { 'content-length': _, etag: __, ...rest } = up.headers
        res.writeHead(up.statusCode ?? 502, { ...rest, 'content-length': body.length })
        res.end(body)
      })
    })
    out.on('error', () => res.destroy())
    req.pipe(out)
  })
  return new Promise((resolve) =>
    proxy.listen(0, '127.0.0.1', () => {
      const { port } = proxy.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}`,
        publish: () => (published = true),
        close: () => {
          proxy.closeAllConnections()
          proxy.close()
        },
      })
    }),
  )
}

test('a new version waits while a visit form is open, is offered on the list, reloads once under the new worker and keeps the draft; 修复应用 keeps it too', async ({ browser, server }) => {
  test.setTimeout(180_000)
  const release = await releaseProxy(server)
  const context = await browser.newContext({ ...PHONE_CONTEXT, baseURL: release.url })
  try {
    const page = await context.newPage()
    const check = guard(page, release.url)
    const cacheNames = () => page.evaluate(async () => (await self.caches.keys()).filter((k) => k.startsWith('sancha-field-') && k !== 'sancha-field-lazy').sort())
    let loads = 0
    page.on('load', () => loads++)
    await signInAndSync(page)
    const [before] = await cacheNames()
    expect(before).toMatch(/^sancha-field-/)

    // A draft is open when the release lands.
    const h = (await householdsOf(server))[7]
    await row(page, h).getByRole('button', { name: '开始核查' }).click()
    await answerSteps(page, 0, 0)
    await goToStep(page, STEP_NAMES[1])
    await expect(page.getByText('草稿已保存')).toBeVisible()
    await page.evaluate(() => ((window as unknown as { unreloaded: boolean }).unreloaded = true))
    const loadsBefore = loads

    release.publish()
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration('/app/'))!.update())
    await expect
      .poll(() => page.evaluate(async () => (await navigator.serviceWorker.getRegistration('/app/'))?.waiting?.state ?? null), {
        message: 'the new worker installed and waiting',
      })
      .toBe('installed')
    // Nothing on the form: no offer, no reload.
    await page.waitForTimeout(1000)
    await expect(page.getByText('有新版本')).toBeHidden()
    expect(await page.evaluate(() => (window as unknown as { unreloaded?: boolean }).unreloaded)).toBe(true)
    expect(loads).toBe(loadsBefore)

    // On the list, it is offered; the page has still not reloaded.
    await page.getByRole('button', { name: '保存草稿' }).click()
    await expect(row(page, h).getByText('草稿')).toBeVisible()
    const banner = page.getByRole('status').filter({ hasText: '有新版本' })
    await expect(banner).toBeVisible()
    await expectAccessible(page, 'the update offer')
    await phoneShot(page, 'update', false)
    expect(loads).toBe(loadsBefore)

    // 更新: one reload, under the new worker, with its cache alone; the draft is there.
    await banner.getByRole('button', { name: '更新' }).click()
    await expect.poll(() => loads, { message: 'the page reloaded' }).toBe(loadsBefore + 1)
    await expect(row(page, h).getByText('草稿')).toBeVisible()
    await expect(page.getByText('有新版本')).toBeHidden()
    expect(await page.evaluate(() => (window as unknown as { unreloaded?: boolean }).unreloaded)).toBeUndefined()
    expect(await cacheNames()).toEqual([`${before}-next`])
    expect(await page.evaluate(async () => !!navigator.serviceWorker.controller && !(await navigator.serviceWorker.getRegistration('/app/'))?.waiting)).toBe(true)
    await page.waitForTimeout(1000)
    expect(loads, 'reloaded exactly once').toBe(loadsBefore + 1)

    // 修复应用: the worker and its caches go, the page comes back from the server, the draft stays.
    await page.getByRole('link', { name: '我的' }).click()
    await page.getByRole('button', { name: /^修复应用/ }).click()
    await expect.poll(() => loads, { message: 'the page reloaded' }).toBe(loadsBefore + 2)
    await page.getByRole('link', { name: '农户' }).click()
    await expect(row(page, h).getByText('草稿')).toBeVisible()
    await expect.poll(() => page.evaluate(async () => (await navigator.serviceWorker.getRegistration('/app/'))?.active?.state ?? null)).toBe('activated')
    expect(await cacheNames()).toEqual([`${before}-next`]) // re-registered, the (new) release cached afresh
    check()
  } finally {
    await context.close()
    release.close()
  }
})
