// The field app (核查员手机端) on the real binary: a day offline, a bad
// network, a visit the server refuses, and the card scan with Chromium's fake
// camera playing the household's own card as sancha rendered it.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Page } from '@playwright/test'
import { CHROMIUM, CHROMIUM_ARGS } from './chromium'
import { BIN, expect, expectAccessible, guard, test, type Server } from './fixtures'
import {
  PHONE_CONTEXT, answerSteps, completeVisit, goOffline, goOnline, goToStep, householdsOf, pending, persistentPhone,
  phoneShot, row, signInAndSync, storedVisits, STEP_NAMES, submit, type Household,
} from './field'

test.describe.configure({ timeout: 300_000 })
test.use({ ...PHONE_CONTEXT, actionTimeout: 20_000 })

/** A real image to photograph: the page itself, as PNG. */
const photoOf = (page: Page) => page.screenshot({ type: 'png' })

test('a day offline: three visits, one resumed after the browser was closed, all stored exactly once', async ({ server }) => {
  const since = new Date(Date.now() - 60_000).toISOString()
  const [a, b, c] = (await householdsOf(server)).slice(0, 3)
  const dir = mkdtempSync(join(tmpdir(), 'sancha-phone-'))
  try {
    let context = await persistentPhone(dir, server)
    let page = context.pages()[0] ?? (await context.newPage())
    let check = guard(page, server.url)
    await signInAndSync(page)
    await expectAccessible(page, 'the household list')
    await phoneShot(page, 'households')
    const photo = await photoOf(page)

    await goOffline(context)
    await expect(page.locator('header.bar').getByText('离线')).toBeVisible()
    await completeVisit(page, a, photo)
    await expect(pending(page)).toHaveText(/待发送 1/)
    await expectAccessible(page, 'the outbox')
    await phoneShot(page, 'outbox')

    // Half of the second visit, then the browser is killed.
    await page.getByRole('link', { name: '农户' }).click()
    await row(page, b).getByRole('button', { name: '开始核查' }).click()
    await answerSteps(page, 0, 2)
    await goToStep(page, STEP_NAMES[3])
    await expect(page.getByText('草稿已保存')).toBeVisible()
    check()
    await context.close()

    // Reopened with no signal: the app, the user and the draft are all there.
    context = await persistentPhone(dir, server)
    await goOffline(context)
    page = context.pages()[0] ?? (await context.newPage())
    check = guard(page, server.url)
    await page.goto('/app/')
    await expect(row(page, b).getByText('草稿')).toBeVisible()
    await expect(pending(page)).toHaveText(/待发送 1/)
    await row(page, b).getByRole('button', { name: '继续核查' }).click()
    await expect(page.getByRole('button', { name: /^查收入核实/ })).toHaveAttribute('aria-current', 'step')
    await answerSteps(page, 3, STEP_NAMES.length - 2, { photo })
    await submit(page)
    await completeVisit(page, c, photo)
    await expect(pending(page)).toHaveText(/待发送 3/)

    // Back online, the outbox empties itself.
    await goOnline(context)
    await expect(pending(page)).toHaveText(/待发送 0/, { timeout: 60_000 })
    for (const h of [a, b, c]) {
      const stored = await storedVisits(server, h, since)
      expect(stored, `visits of ${h.household_code}`).toHaveLength(1)
      expect(stored[0].missing_blobs).toEqual([])
      expect(stored[0].document.photos).toHaveLength(1)
      expect(stored[0].document.signatures.filter((s) => s.image_sha256)).toHaveLength(2)
    }
    check()
    await context.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test.describe('with the network in the test\'s hands', () => {
  // The outbox alone is under test: no service worker between the page and the routes.
  test.use({ serviceWorkers: 'block' })

  test('a bad network: 503, a connection dropped after the body, a 30 s stall — each visit stored once, none let go early', async ({ page, server }) => {
    const since = new Date(Date.now() - 60_000).toISOString()
    const [a, b] = (await householdsOf(server)).slice(3, 5)
    let puts = 0
    await page.route('**/api/v1/visits/*', async (route) => {
      if (route.request().method() !== 'PUT') return route.continue()
      puts++
      if (puts === 1) return route.fulfill({ status: 503, headers: { 'Retry-After': '1' }, contentType: 'application/problem+json', body: '{"title":"服务暂不可用"}' })
      if (puts === 2) {
        // The server gets the visit and stores it; the phone never hears back.
        await route.fetch()
        return route.abort('connectionreset')
      }
      if (puts === 3) {
        await new Promise((r) => setTimeout(r, 30_000))
        return route.continue().catch(() => undefined)
      }
      return route.continue()
    })
    await page.goto('/app/')
    await page.getByLabel('用户名').fill('enumerator')
    await page.getByLabel('密码').fill('sancha-demo')
    await page.getByRole('button', { name: '登录' }).click()
    await page.getByRole('button', { name: '同步' }).click()
    await expect(page.getByText(/已同步 \d+ 户/)).toBeVisible()
    const photo = await photoOf(page)

    await completeVisit(page, a, photo)
    await expect.poll(() => puts).toBe(1)
    await expect(pending(page)).toHaveText(/待发送 1/)
    await expect(page.getByText(/已尝试 1 次/)).toBeVisible()

    await page.getByRole('button', { name: '发送' }).click()
    await expect.poll(() => puts).toBe(2)
    // Stored on the server, but not acknowledged: it stays on the phone.
    await expect.poll(async () => (await storedVisits(server, a, since)).length).toBe(1)
    await expect(page.getByText(/已尝试 2 次/)).toBeVisible()
    await expect(pending(page)).toHaveText(/待发送 1/)

    // Submitting the second visit sends at once, into a 30 s stall.
    await completeVisit(page, b, photo)
    await expect.poll(() => puts, { timeout: 15_000 }).toBe(3)
    const send = page.getByRole('button', { name: '发送' })
    await expect(send).toBeDisabled()
    // The phone gives up on the stalled request and tries again by itself.
    await expect(send).toBeEnabled({ timeout: 40_000 })
    await expect(pending(page)).toHaveText(/待发送 0/, { timeout: 60_000 })
    expect(puts).toBeGreaterThanOrEqual(4)
    for (const h of [a, b]) expect(await storedVisits(server, h, since), `visits of ${h.household_code}`).toHaveLength(1)
  })
})

test('a refused visit: the phone clock runs two hours fast, the server says so on the field, and after the fix it is sent', async ({ page, server }) => {
  const h = (await householdsOf(server))[5]
  const realNow = Date.now()
  await page.clock.install({ time: new Date(realNow + 2 * 3600_000) })
  await signInAndSync(page)
  await completeVisit(page, h, await photoOf(page))

  await expect(page.locator('header.bar').getByRole('link', { name: /需处理 1/ })).toBeVisible()
  await expect(page.locator('.household', { hasText: '需处理' }).locator('.problems li').first()).toContainText('时间')
  await expectAccessible(page, 'a refused visit')
  await phoneShot(page, 'outbox-refused')

  // The clock is put right; the visitor corrects the start time where the server pointed.
  await page.clock.setSystemTime(new Date())
  await page.getByRole('button', { name: '去修改' }).click()
  await goToStep(page, '核对提交')
  const start = page.getByLabel('开始')
  await expect(page.locator('.field', { has: start }).locator('.error')).not.toHaveCount(0)
  const cn = new Date(Date.now() - 30 * 60_000 + 8 * 3600_000).toISOString().slice(0, 16)
  await start.fill(cn)
  await page.getByRole('button', { name: '提交', exact: true }).click()
  await expect(page).toHaveURL(/\/app\/outbox$/)
  await expect.poll(async () => (await storedVisits(server, h, new Date(realNow - 60_000).toISOString())).length, { timeout: 30_000 }).toBe(1)
  await expect(pending(page)).toHaveText(/待发送 0/)
  await expect(page.locator('header.bar').getByRole('link', { name: /需处理/ })).toHaveCount(0)
})

/** A Y4M video (4:2:0) of the card as sancha rendered it, for Chromium's fake camera. */
async function cardVideo(page: Page, server: Server, h: Household): Promise<string> {
  const res = await fetch(`${server.url}/api/v1/households/${h.id}/card.png`, {
    headers: { Authorization: `Bearer ${await server.token('enumerator')}` },
  })
  expect(res.status).toBe(200)
  const png = Buffer.from(await res.arrayBuffer()).toString('base64')
  const [w, h2] = [960, 1280]
  // The browser decodes the PNG, draws it the way a camera held at the wall sees
  // it, and converts it to one 4:2:0 frame (Y, then U, then V), returned as
  // base64: a string crosses the protocol at once, an array of pixels does not.
  const yuv: string = await page.evaluate(
    async ({ png, w, h }) => {
      const img = new Image()
      img.src = `data:image/png;base64,${png}`
      await img.decode()
      const c = document.createElement('canvas')
      c.width = w
      c.height = h
      const g = c.getContext('2d')!
      g.fillStyle = '#fff'
      g.fillRect(0, 0, w, h)
      const s = Math.min(w / img.width, h / img.height)
      g.drawImage(img, (w - img.width * s) / 2, (h - img.height * s) / 2, img.width * s, img.height * s)
      const rgba = g.getImageData(0, 0, w, h).data
      const out = new Uint8Array(w * h * 1.5)
      const [u0, v0] = [w * h, w * h * 1.25]
      for (let j = 0; j < h; j++) {
        for (let i = 0; i < w; i++) {
          const k = (j * w + i) * 4
          const [r, gr, b] = [rgba[k], rgba[k + 1], rgba[k + 2]]
          out[j * w + i] = Math.round(0.299 * r + 0.587 * gr + 0.114 * b)
          if (j % 2 === 0 && i % 2 === 0) {
            const q = (j / 2) * (w / 2) + i / 2
            out[u0 + q] = Math.round(128 - 0.168736 * r - 0.331264 * gr + 0.5 * b)
            out[v0 + q] = Math.round(128 + 0.5 * r - 0.418688 * gr - 0.081312 * b)
          }
        }
      }
      let bin = ''
      for (let i = 0; i < out.length; i += 0x8000) bin += String.fromCharCode(...out.subarray(i, i + 0x8000))
      return btoa(bin)
    },
    { png, w, h: h2 },
  )
  const frame = Buffer.concat([Buffer.from('FRAME\n'), Buffer.from(yuv, 'base64')])
  const file = join(mkdtempSync(join(tmpdir(), 'sancha-card-')), 'card.y4m')
  writeFileSync(file, Buffer.concat([Buffer.from(`YUV4MPEG2 W${w} H${h2} F5:1 Ip A1:1 C420jpeg\n`), frame, frame]))
  return file
}

/** A browser whose camera films `video`. */
function cameraPhone(video: string) {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [...CHROMIUM_ARGS, '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${video}`],
  })
}

test('the card scan: the household\'s own card marks the visit verified on site; another household\'s card warns before submission', async ({ page, server }) => {
  const since = new Date(Date.now() - 60_000).toISOString()
  const [h, other] = (await householdsOf(server)).slice(6, 8)

  for (const [card, own] of [[h, true], [other, false]] as const) {
    const browser = await cameraPhone(await cardVideo(page, server, card))
    const context = await browser.newContext({ ...PHONE_CONTEXT, baseURL: server.url, permissions: ['camera'] })
    const phone = await context.newPage()
    const check = guard(phone, server.url)
    await signInAndSync(phone)
    await phone.getByRole('link', { name: '农户' }).click()
    await row(phone, h).getByRole('button', { name: /开始核查|继续核查/ }).click()
    await answerSteps(phone, 0, 5)
    await goToStep(phone, '现场核实')
    await phone.getByRole('button', { name: '扫描明白卡' }).click()
    await expect(phone.getByRole('dialog', { name: '扫描明白卡' })).toBeVisible()
    if (own) await phoneShot(phone, 'scan', false)
    if (own) {
      await expect(phone.getByText('是本户当前的明白卡，记为现场核实')).toBeVisible({ timeout: 30_000 })
      await answerSteps(phone, 6, STEP_NAMES.length - 2, { photo: await photoOf(phone) })
      await submit(phone)
      await expect(pending(phone)).toHaveText(/待发送 0/, { timeout: 30_000 })
      const stored = await storedVisits(server, h, since)
      expect(stored).toHaveLength(1)
      expect(stored[0].verified_on_site).toBe(true)
    } else {
      const head = other.members.find((m) => m.relation === 'head')!.name
      await expect(phone.getByText(`这是${head}户的明白卡，不是本户的！请核对后重扫`)).toBeVisible({ timeout: 30_000 })
      await expectAccessible(phone, 'a card of another household')
      await phoneShot(phone, 'scan-mismatch')
    }
    check()
    await browser.close()
  }
})

test('every screen at 360×740, each without a serious accessibility fault', async ({ page, server }) => {
  test.setTimeout(240_000)
  const h = (await householdsOf(server))[10]
  await page.goto('/app/')
  await expectAccessible(page, 'sign-in')
  await phoneShot(page, 'login')
  await signInAndSync(page)

  await row(page, h).getByRole('button', { name: '明白卡' }).click()
  await expect(page.getByRole('dialog', { name: '明白卡' }).getByRole('img')).toBeVisible()
  await phoneShot(page, 'card', false)
  await page.getByRole('button', { name: '关闭' }).click()

  await row(page, h).getByRole('button', { name: '开始核查' }).click()
  for (const [i, name] of STEP_NAMES.entries()) {
    await goToStep(page, name)
    await expectAccessible(page, `the visit step ${name}`)
    await phoneShot(page, `visit-${i + 1}`)
  }
  await page.getByRole('button', { name: '保存草稿' }).click()
  await expect(row(page, h).getByText('草稿')).toBeVisible()

  // 需修改: the demo's visit a supervisor sent back, with the note; 更正 starts a visit that replaces it.
  await page.getByRole('link', { name: '需修改' }).click()
  await expect(page.getByText(/审核意见：/)).toBeVisible()
  await expectAccessible(page, '需修改')
  await phoneShot(page, 'rejected')
  await page.getByRole('button', { name: '更正' }).first().click()
  await expect(page.getByText('更正退回记录')).toBeVisible()
  await page.getByRole('button', { name: '保存草稿' }).click()

  await page.getByRole('link', { name: '我的' }).click()
  await expect(page.getByRole('button', { name: '导出备份' })).toBeVisible()
  await expectAccessible(page, '我的')
  await phoneShot(page, 'me')
})

test('a supervisor picks a sample and gets only its households, at its level', async ({ page, server }) => {
  await signInAndSync(page, 'supervisor')
  const samples = await server.api<{ items: { id: string; level: string; households: string[] }[] }>('supervisor', '/api/v1/samples')
  const sample = samples.items[0]
  await page.getByLabel('抽查样本').selectOption(sample.id)
  await expect(page.getByText('核查层级：乡镇互检')).toBeVisible()
  await expect(page.getByText(`共 ${sample.households.length} 户`)).toBeVisible()
  await expectAccessible(page, 'a supervisor\'s sample')
  await phoneShot(page, 'supervisor-sample')
})

test('a lapsed session keeps the unsent visit, asks for the password again, then sends it', async ({ page, context, server }) => {
  const h = (await householdsOf(server))[12]
  await signInAndSync(page)
  await goOffline(context)
  await completeVisit(page, h, await photoOf(page))
  // The refresh cookie is gone (expired, or the user's sessions were ended) and the app restarts.
  await context.clearCookies()
  await page.reload()
  await expect(pending(page)).toHaveText(/待发送 1/)
  await goOnline(context)
  const dialog = page.getByRole('dialog', { name: '请重新登录' })
  await expect(dialog).toBeVisible({ timeout: 30_000 })
  await expect(pending(page)).toHaveText(/待发送 1/)
  await expectAccessible(page, 'signing in again')
  await phoneShot(page, 'sign-in-again', false)
  await dialog.getByLabel('密码').fill('sancha-demo')
  await dialog.getByRole('button', { name: '登录' }).click()
  await expect(pending(page)).toHaveText(/待发送 0/, { timeout: 30_000 })
  expect(await storedVisits(server, h, new Date(Date.now() - 600_000).toISOString())).toHaveLength(1)
})

test('导出备份 from a phone that cannot send, loaded with sancha import visits: stored once, and the phone\'s own resend is then a no-op', async ({ page, context, server }) => {
  const h = (await householdsOf(server))[13]
  await signInAndSync(page)
  await goOffline(context)
  await completeVisit(page, h, await photoOf(page))
  await page.getByRole('link', { name: '我的' }).click()
  const download = page.waitForEvent('download')
  await page.getByRole('button', { name: '导出备份' }).click()
  const file = join(mkdtempSync(join(tmpdir(), 'sancha-backup-')), 'backup.json')
  await (await download).saveAs(file)
  await expect(page.getByText('已导出 1 条未发送记录')).toBeVisible()

  const out = execFileSync(BIN, ['import', 'visits', file], { env: { ...process.env, SANCHA_DATA_DIR: server.dataDir }, encoding: 'utf8' })
  expect(out).toMatch(/入库 \/ stored 1/)
  expect(await storedVisits(server, h, new Date(Date.now() - 600_000).toISOString())).toHaveLength(1)

  // Back online, the phone sends it too; the server already has it, answers 200, and it leaves.
  await goOnline(context)
  await expect(pending(page)).toHaveText(/待发送 0/, { timeout: 30_000 })
  const stored = await storedVisits(server, h, new Date(Date.now() - 600_000).toISOString())
  expect(stored).toHaveLength(1)
  expect(stored[0].missing_blobs).toEqual([])
})
