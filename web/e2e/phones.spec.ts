// Setting up phones (手机登记) across both screens on the real binary: the
// village office prints an enrolment sheet in the console, the test decodes
// the printed QR code (poppler + rqrr), a fresh phone opens it and enrols with
// no password, syncs and sends a visit; the office revokes that phone, and the
// phone's next request is refused, it says so in Chinese and keeps its visit.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, expectAccessible, guard, ROOT, screenshots, signInToConsole, test } from './fixtures'
import { PHONE_CONTEXT, completeVisit, goOffline, goOnline, householdsOf, pending, phoneShot, storedVisits } from './field'

test('a phone enrolled from the printed sheet sends a visit with no password; revoked, it is refused, told why, and keeps its unsent visit', async ({ page, browser, server }) => {
  test.setTimeout(300_000)
  const since = new Date(Date.now() - 60_000).toISOString()
  const [first, second] = (await householdsOf(server)).slice(20, 22)

  // The office prints the enumerator's slip.
  await signInToConsole(page, 'village')
  await page.getByRole('link', { name: '用户管理' }).click()
  const row = page.locator('.el-table__body tr', { hasText: /^\s*enumerator\b/ })
  const downloading = page.waitForEvent('download')
  await row.getByRole('button', { name: '生成登记码' }).click()
  const sheet = join(ROOT, 'target/e2e/enrolment-sheet.pdf')
  await (await downloading).saveAs(sheet)
  expect(readFileSync(sheet).subarray(0, 5).toString()).toBe('%PDF-')
  await expect(page.getByText(/已生成 1 人的登记码/)).toBeVisible()
  const urls = execFileSync(join(ROOT, 'target/debug/sancha-qr'), [sheet]).toString().trim().split('\n')
  expect(urls).toHaveLength(1)
  expect(urls[0]).toMatch(new RegExp(`^${server.url}/app/#enroll=[A-Za-z0-9_-]{22}$`))

  // A fresh phone opens the link: no password anywhere.
  const context = await browser.newContext({ ...PHONE_CONTEXT, baseURL: server.url })
  const phone = await context.newPage()
  const check = guard(phone, server.url)
  await phone.goto(urls[0])
  await expect(phone.getByRole('heading', { name: /扫码登记/ })).toBeVisible()
  await expect(phone).toHaveURL(/\/app\/enroll$/) // the code has left the address
  await phone.getByLabel('手机名称（可不填）').fill('测试手机')
  await phoneShot(phone, 'enroll')
  await phone.getByRole('button', { name: '登记本机' }).click()
  await expect(phone.getByRole('button', { name: '同步' })).toBeVisible()
  await phone.getByRole('button', { name: '同步' }).click()
  await expect(phone.getByText(/已同步 \d+ 户的变化|已是最新/)).toBeVisible()
  await completeVisit(phone, first, await phone.screenshot({ type: 'png' }))
  await expect(pending(phone)).toHaveText(/待发送 0/, { timeout: 30_000 })
  expect(await storedVisits(server, first, since)).toHaveLength(1)

  // The office sees the phone, as it reported itself after the sync.
  await row.getByRole('button', { name: '手机' }).click()
  const phones = page.getByRole('dialog', { name: 'enumerator 的手机' })
  const device = phones.locator('.el-table__body tr', { hasText: '测试手机' })
  await expect(device).toContainText(/field-[0-9a-f]{10}/)
  await expectAccessible(page, "a user's phones")
  await screenshots(page, 'users-phones')

  // Offline, the phone completes a second visit; meanwhile the office revokes it.
  await goOffline(context)
  await completeVisit(phone, second, await phone.screenshot({ type: 'png' }))
  await expect(pending(phone)).toHaveText(/待发送 1/)
  await device.getByRole('button', { name: '停用此设备' }).click()
  await page.getByRole('dialog', { name: '停用此设备' }).getByRole('button', { name: '停用', exact: true }).click()
  await expect(device).toContainText('已停用')

  // Back online, its next request is refused and it says so; the visit stays.
  await goOnline(context)
  await phone.evaluate(() => dispatchEvent(new Event('online')))
  await expect(phone.getByRole('alertdialog', { name: '此手机已停用' })).toBeVisible({ timeout: 30_000 })
  await expectAccessible(phone, 'a revoked phone')
  await phoneShot(phone, 'revoked', false)
  await expect(pending(phone)).toHaveText(/待发送 1/)
  expect(await storedVisits(server, second, since)).toHaveLength(0)
  await phone.getByRole('link', { name: '去导出备份' }).click()
  await expect(phone.getByRole('button', { name: '导出备份' })).toBeVisible()
  await expect(phone.getByRole('alert').filter({ hasText: '此手机已停用' })).toBeVisible()
  check()
  await context.close()
})
