// What the field app's browser tests share: a phone-sized context, signing
// in, going offline the way FRONTEND.md says (setOffline *and* aborting every
// request, since the service worker's fetches ignore setOffline), filling a
// whole visit through the form, and 360×740 screenshots into target/e2e/.
import { chromium, type BrowserContext, type Page } from '@playwright/test'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { CHROMIUM, CHROMIUM_ARGS } from './chromium'
import { expect, PASSWORD, SHOTS, type Server } from './fixtures'

export const PHONE = { width: 360, height: 740 }
export const PHONE_CONTEXT = { viewport: PHONE, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', hasTouch: false } as const

/** A context whose storage outlives it: closing and reopening is a killed and restarted browser. */
export function persistentPhone(dir: string, server: Server, extraArgs: string[] = []): Promise<BrowserContext> {
  return chromium.launchPersistentContext(dir, {
    ...PHONE_CONTEXT,
    baseURL: server.url,
    executablePath: CHROMIUM,
    args: [...CHROMIUM_ARGS, ...extraArgs],
  })
}

export interface Household {
  id: string
  household_code: string
  public_token: string
  members: { relation: string; name: string }[]
}

/** The enumerator's households in the order the app lists them (by code). */
export async function householdsOf(server: Server, username = 'enumerator'): Promise<Household[]> {
  const page = await server.api<{ items: Household[] }>(username, '/api/v1/households?limit=500')
  return page.items.sort((a, b) => a.household_code.localeCompare(b.household_code))
}

/** Opens /app/, signs in, syncs; reloads once so the service worker controls the page. */
export async function signInAndSync(page: Page, username = 'enumerator') {
  await page.goto('/app/')
  await page.getByLabel('用户名').fill(username)
  await page.getByLabel('密码').fill(PASSWORD)
  await page.getByRole('button', { name: '登录' }).click()
  await page.getByRole('button', { name: '同步' }).click()
  await expect(page.getByText(/已同步 \d+ 户的变化|已是最新/)).toBeVisible()
  await page.evaluate(() => navigator.serviceWorker?.ready)
  await page.reload()
  await expect(page.getByRole('button', { name: '同步' })).toBeVisible()
  await expect.poll(() => page.evaluate(() => !!navigator.serviceWorker?.controller)).toBe(true)
}

export async function goOffline(context: BrowserContext) {
  await context.setOffline(true)
  await context.route('**', (r) => r.abort('internetdisconnected'))
}

export async function goOnline(context: BrowserContext) {
  await context.unroute('**')
  await context.setOffline(false)
}

/** The household's row in the list. */
export const row = (page: Page, h: Household) => page.locator('.household', { hasText: h.household_code })

/** Answers every question still open on the current step, the first choice each time, item by item. */
async function answerStep(page: Page) {
  const heads = page.locator('.form button.item-head')
  for (let i = 0; i < (await heads.count()); i++) {
    if ((await heads.nth(i).getAttribute('aria-expanded')) !== 'true') await heads.nth(i).click()
    await answerShown(page)
  }
  await answerShown(page)
}

async function answerShown(page: Page) {
  const form = page.locator('.form')
  for (const select of await form.locator('select').all()) {
    const first = (await select.locator('option').first().textContent()) ?? ''
    if ((await select.inputValue()) === '' && first.startsWith('请选择')) await select.selectOption({ index: 1 })
  }
  for (const set of await form.locator('fieldset.yesno, fieldset.question').all()) {
    const legend = (await set.locator('legend').textContent()) ?? ''
    const asked = set.locator('input[type=radio]')
    if ((legend.includes('*') || (await set.evaluate((e) => e.classList.contains('question')))) && !(await set.locator('input:checked').count())) {
      await asked.first().check()
    }
  }
  for (const input of await form.locator('.field:has(.req) input[type=number]').all()) {
    if ((await input.inputValue()) === '') await input.fill('60')
  }
}

/** Draws a stroke on a signature pad and confirms it. */
async function sign(page: Page, pad: ReturnType<Page['locator']>) {
  await pad.scrollIntoViewIfNeeded()
  const box = (await pad.locator('canvas').boundingBox())!
  await page.mouse.move(box.x + 20, box.y + box.height / 2)
  await page.mouse.down()
  for (let i = 1; i <= 10; i++) await page.mouse.move(box.x + 20 + i * 25, box.y + box.height / 2 + (i % 2 ? 30 : -30))
  await page.mouse.up()
  await pad.getByRole('button', { name: '确认签名' }).click()
}

export const STEP_NAMES = ['户基本情况', '家庭成员', '查政策落实', '查收入核实', '查脱贫质量', '访满意度', '现场核实', '签名', '核对提交']

export async function goToStep(page: Page, name: string) {
  await page.getByRole('navigation', { name: '核查步骤' }).getByRole('button', { name: new RegExp(`^${name}`) }).click()
}

/** Answers the questions of the steps `from`…`to` (indexes into STEP_NAMES). */
export async function answerSteps(page: Page, from: number, to: number, opts: { photo?: Buffer; scan?: boolean } = {}) {
  for (let i = from; i <= to; i++) {
    await goToStep(page, STEP_NAMES[i])
    if (STEP_NAMES[i] === '现场核实' && opts.photo) {
      await page.getByLabel('拍照').setInputFiles({ name: 'house.png', mimeType: 'image/png', buffer: opts.photo })
      await expect(page.locator('.photos img')).toHaveCount(1)
    }
    if (STEP_NAMES[i] === '签名') {
      await sign(page, page.locator('.group', { hasText: '核查人签名' }).first().locator('.signature'))
      await expect(page.getByText('核查人已签名')).toBeVisible()
      await sign(page, page.locator('.group', { hasText: '受访人签名' }).locator('.signature'))
      await expect(page.getByText('受访人已签名')).toBeVisible()
    }
    await answerStep(page)
  }
}

/** Goes to 提交, expects the offline checks to pass, and submits. */
export async function submit(page: Page) {
  await goToStep(page, '核对提交')
  await expect(page.getByText('本机校验通过')).toBeVisible()
  await page.getByRole('button', { name: '提交', exact: true }).click()
  await expect(page).toHaveURL(/\/app\/outbox$/)
}

/** Starts (or continues) the household's visit and fills all of it. */
export async function completeVisit(page: Page, h: Household, photo: Buffer) {
  await page.getByRole('link', { name: '农户' }).click()
  await row(page, h).getByRole('button', { name: /开始核查|继续核查/ }).click()
  await answerSteps(page, 0, STEP_NAMES.length - 2, { photo })
  await submit(page)
}

/** The count in the 待发送 pill of the top bar. */
export const pending = (page: Page) => page.locator('header.bar').getByRole('link', { name: '待发送' })

/** A 360×740 screenshot (the whole page, or what is on screen: a dialog), after checking that nothing is wider than the screen. */
export async function phoneShot(page: Page, name: string, fullPage = true) {
  mkdirSync(SHOTS, { recursive: true })
  await expect
    .poll(() => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth), { message: `${name} overflows a 360 px screen` })
    .toBeLessThanOrEqual(0)
  await page.screenshot({ path: join(SHOTS, `field-${name}.png`), fullPage })
}

/** The visits stored for a household since `since` (RFC 3339), read back through the API. */
export async function storedVisits(server: Server, h: Household, since: string) {
  const page = await server.api<{ items: { id: string }[] }>(
    'enumerator',
    `/api/v1/visits?household_id=${h.id}&mine=true&since=${encodeURIComponent(since)}`,
  )
  return Promise.all(
    page.items.map((v) =>
      server.api<{ id: string; verified_on_site: boolean; missing_blobs: string[]; document: { photos: unknown[]; signatures: { image_sha256?: string }[] } }>(
        'enumerator',
        `/api/v1/visits/${v.id}`,
      ),
    ),
  )
}
