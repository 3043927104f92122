// The office console's journeys, each as the role that does it, on the demo
// county served by the real binary; plus one refusal per role.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test, expect, choose, signIn, signInToConsole, ROOT, PASSWORD, type Server } from './fixtures'

interface Page<T> { items: T[] }
interface Finding { id: string; status: string; household_id: string }
interface SearchRow { id: string; head_name: string; household_code: string }

const VILLAGE = '210922201203'
const firstHousehold = async (server: Server, scope = VILLAGE) =>
  (await server.api<Page<SearchRow>>('supervisor', '/api/v1/households/search', {
    method: 'POST',
    body: JSON.stringify({ scope, page: 1, per_page: 1 }),
  })).items[0]

test.describe('sign-in', () => {
  test('a session survives a reload, the refresh cookie is out of script reach, and 退出 ends it', async ({ page, context }) => {
    await signInToConsole(page, 'supervisor')
    const cookie = (await context.cookies()).find((c) => c.name === 'sancha_refresh')
    expect(cookie, 'the refresh cookie').toBeTruthy()
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/api/v1/auth' })
    expect(await page.evaluate(() => document.cookie)).not.toContain('sancha_refresh')
    await page.reload()
    await expect(page.getByRole('navigation', { name: '主导航' })).toBeVisible()
    await page.getByRole('button', { name: '退出' }).click()
    await expect(page.getByRole('button', { name: '登录' })).toBeVisible()
    await page.reload()
    await expect(page.getByRole('button', { name: '登录' })).toBeVisible()
  })

  test('a wrong password is refused in Chinese, and the keyboard alone signs in', async ({ page }) => {
    await signIn(page, 'village', 'wrong-password')
    await expect(page.getByRole('alert')).toContainText('用户名或密码')
    await page.getByLabel('密码').focus()
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press('Enter')
    await expect(page.getByRole('navigation', { name: '主导航' })).toBeVisible()
    // The navigation is reachable by Tab and opens a page with Enter.
    const link = page.getByRole('link', { name: '整改清单' })
    for (let i = 0; i < 20 && !(await link.evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press('Tab')
    await page.keyboard.press('Enter')
    await expect(page.getByRole('heading', { level: 1, name: '整改清单' })).toBeVisible()
  })

  test('an enumerator is sent to the field app', async ({ page }) => {
    await signIn(page, 'enumerator')
    await expect(page.getByRole('heading', { name: '核查员请使用手机端' })).toBeVisible()
    await expect(page.getByRole('link', { name: /打开手机端/ })).toHaveAttribute('href', '/app/')
    await expect(page.getByRole('navigation', { name: '主导航' })).toHaveCount(0)
  })

  test('a supervisor sees no 用户管理 and is refused it by address', async ({ page }) => {
    await signInToConsole(page, 'supervisor')
    await expect(page.getByRole('link', { name: '审核' })).toBeVisible()
    await expect(page.getByRole('link', { name: '用户管理' })).toHaveCount(0)
    await page.goto('/users')
    await expect(page.getByRole('heading', { name: '无权访问' })).toBeVisible()
  })

  test('a village office cannot open another village\'s household', async ({ page, server }) => {
    const other = await firstHousehold(server, '210922101203')
    await signInToConsole(page, 'village')
    await expect(page.getByRole('link', { name: '审核' })).toHaveCount(0)
    await page.goto(`/households/${other.id}`)
    await expect(page.getByRole('alert')).toContainText('超出本账号的管辖范围')
    await expect(page.getByText(other.head_name)).toHaveCount(0)
  })
})

test('工作台: a supervisor clicks through town, village and household', async ({ page }) => {
  await signInToConsole(page, 'supervisor')
  await expect(page.getByRole('heading', { level: 1, name: /工作台/ })).toBeVisible()
  await expect(page.getByText('各级核查进度')).toBeVisible()
  await page.getByRole('link', { name: '丰田乡' }).click()
  await expect(page.getByRole('heading', { level: 1, name: /丰田乡/ })).toBeVisible()
  await page.getByRole('link', { name: '双龙村' }).click()
  await expect(page.getByRole('heading', { level: 1, name: '户档案' })).toBeVisible()
  await expect(page.getByText(/共 42 条/)).toBeVisible()
  await page.locator('table a').first().click()
  await expect(page.getByRole('heading', { level: 1, name: /户/ })).toBeVisible()
  await expect(page.getByRole('heading', { name: '家庭成员' , exact: false })).toBeVisible()
})

test('户档案: the office finds a household by name, reveals one ID number (audited), and voids its card', async ({ page, server }) => {
  const target = await firstHousehold(server)
  await signInToConsole(page, 'village')
  await page.getByRole('link', { name: '户档案' }).click()
  await page.getByLabel('户编号或户主姓名').fill(target.head_name)
  await page.getByRole('button', { name: '查询' }).click()
  await expect(page.getByRole('link', { name: target.household_code })).toBeVisible()
  await page.getByRole('link', { name: target.household_code }).click()
  await expect(page.getByRole('heading', { level: 1, name: new RegExp(target.head_name) })).toBeVisible()
  // Masked until 显示, which the server audits.
  const masked = page.locator('.mono').first()
  await expect(masked).toContainText('*')
  await page.getByRole('button', { name: new RegExp(`显示${target.head_name}`) }).first().click()
  await expect(masked).not.toContainText('*')
  await expect(masked).toHaveText(/^\d{17}[\dX]$/)
  const audit = await server.api<Page<{ action: string; actor: string }>>('supervisor', '/api/v1/audit?actor=village&limit=100')
  expect(audit.items.map((a) => a.action)).toContain('reveal_id_number')
  // 作废并换卡 asks first, then the card version goes up.
  await expect(page.getByAltText('本户明白卡')).toBeVisible()
  await page.getByRole('button', { name: '作废并换卡' }).click()
  await page.getByRole('dialog').getByRole('button', { name: '作废并换卡' }).click()
  await expect(page.getByText('已作废旧卡，请打印新卡张贴。')).toBeVisible()
  await expect(page.getByText('当前为第 2 版')).toBeVisible()
})

test('打印明白卡: the office downloads its village\'s PDF and every QR code opens a household\'s page', async ({ page, server }) => {
  await signInToConsole(page, 'village')
  await page.getByRole('link', { name: '打印明白卡' }).click()
  await expect(page.getByAltText('第一户明白卡预览')).toBeVisible()
  const downloading = page.waitForEvent('download')
  await page.getByRole('button', { name: '下载', exact: true }).click()
  const download = await downloading
  const file = join(ROOT, 'target/e2e/print-run.pdf')
  await download.saveAs(file)
  expect(readFileSync(file).subarray(0, 5).toString()).toBe('%PDF-')
  const urls = execFileSync(join(ROOT, 'target/debug/sancha-qr'), [file]).toString().trim().split('\n')
  expect(urls).toHaveLength(42)
  expect(new Set(urls).size).toBe(42)
  for (const u of urls) expect(u).toMatch(new RegExp(`^${server.url}/c/[A-Za-z0-9_-]{22}$`))
  const resident = await fetch(urls[0])
  expect(resident.status).toBe(200)
  expect(await resident.text()).toContain('本卡有效')
  await expect(page.getByText(/已下载/)).toBeVisible()
  await expect(page.locator('table').filter({ hasText: 'village' }).first()).toBeVisible()
})

test('整改清单: the office rectifies with a note, the supervisor closes it, and its history shows both', async ({ page, browser, server }) => {
  await signInToConsole(page, 'village')
  await page.getByRole('link', { name: '整改清单' }).click()
  const firstRow = page.locator('table.findings tbody tr').first()
  await expect(firstRow).toBeVisible()
  const open = await server.api<Page<Finding>>('village', `/api/v1/findings?scope=${VILLAGE}&status=open&limit=1`)
  const id = open.items[0].id
  await firstRow.getByRole('button', { name: '整改' }).click()
  await page.getByLabel('说明（必填）').fill('已为该户补办医保')
  await page.getByRole('dialog').getByRole('button', { name: '整改' }).click()
  await expect(page.getByRole('dialog')).toBeHidden()

  const supervisor = await browser.newPage({ baseURL: server.url })
  await signInToConsole(supervisor, 'supervisor')
  await supervisor.getByRole('link', { name: '整改清单' }).click()
  await choose(supervisor, supervisor, '状态', '已整改')
  await supervisor.getByRole('button', { name: '查询' }).click()
  const row = supervisor.locator('table.findings tbody tr').first()
  await row.getByRole('button', { name: '销号' }).click()
  await supervisor.getByLabel('说明（必填）').fill('复核属实，同意销号')
  await supervisor.getByRole('dialog').getByRole('button', { name: '销号' }).click()
  await expect(supervisor.getByRole('dialog')).toBeHidden()

  const finding = await server.api<Finding>('supervisor', `/api/v1/findings/${id}/history`)
  expect(JSON.stringify(finding)).toContain('已为该户补办医保')
  await choose(supervisor, supervisor, '状态', '已销号')
  await supervisor.getByRole('button', { name: '查询' }).click()
  await supervisor.locator('table.findings tbody tr').first().getByRole('button', { name: '记录' }).click()
  const history = supervisor.getByRole('dialog', { name: '处理记录' })
  await expect(history).toContainText('整改')
  await expect(history).toContainText('销号')
  await supervisor.close()
})

test('审核: a supervisor reads a visit section by section and sends it back with a note', async ({ page, server }) => {
  await signInToConsole(page, 'supervisor')
  await page.getByRole('link', { name: '审核' }).click()
  await page.locator('.el-table__body tr').first().locator('a').click()
  const detail = page.getByRole('region', { name: '核查内容' })
  for (const section of ['家庭成员', '查政策落实', '查收入核实', '查脱贫质量', '访满意度']) {
    await expect(detail.getByRole('heading', { name: new RegExp(section) })).toBeVisible()
  }
  await expect(page).toHaveURL(/[?&]visit=[0-9a-f-]{36}/)
  const visitId = new URL(page.url()).searchParams.get('visit')
  await detail.getByRole('button', { name: '退回' }).click()
  await page.getByLabel('说明（必填）').fill('收入核算有误，请重新核实')
  await page.getByRole('dialog').getByRole('button', { name: '退回' }).click()
  await expect(page.getByRole('dialog')).toBeHidden()
  const v = await server.api<{ review: string }>('supervisor', `/api/v1/visits/${visitId}`)
  expect(v.review).toBe('rejected')
})

test('抽样: a supervisor draws a town sample and downloads its household list', async ({ page }) => {
  await signInToConsole(page, 'supervisor')
  await page.getByRole('link', { name: '抽样' }).click()
  await choose(page, page, '乡镇', '章古台镇')
  await page.getByLabel('随机种子').fill('7')
  await page.getByRole('button', { name: '抽样', exact: true }).click()
  await expect(page.getByText(/乡镇互检 · 章古台镇 · 共 \d+ 户/)).toBeVisible()
  const downloading = page.waitForEvent('download')
  await page.getByRole('button', { name: '下载 CSV' }).click()
  const csv = readFileSync(await (await downloading).path()).toString('utf8')
  expect(csv).toContain('户编号')
  expect(csv.trim().split('\n').length).toBeGreaterThan(1)
})

test('核查质量: a supervisor reads the inspectors by risk, downloads the table, and draws a 风险优先 sample', async ({ page }) => {
  await signInToConsole(page, 'supervisor')
  await page.getByRole('link', { name: '核查质量' }).click()
  await expect(page.getByRole('heading', { level: 1, name: '核查质量' })).toBeVisible()
  const rows = page.locator('.el-table__body-wrapper tbody tr')
  await expect(rows.first()).toBeVisible()
  await expect(page.getByRole('columnheader', { name: '风险分' })).toBeVisible()
  const downloading = page.waitForEvent('download')
  await page.getByRole('button', { name: '下载 CSV' }).click()
  const csv = readFileSync(await (await downloading).path()).toString('utf8')
  expect(csv).toContain('风险分')
  expect(csv.trim().split('\n').length).toBe((await rows.count()) + 1)

  await page.getByRole('link', { name: '抽样' }).click()
  await choose(page, page, '乡镇', '章古台镇')
  await choose(page, page, '抽取方式', '风险优先')
  await page.getByRole('button', { name: '抽样', exact: true }).click()
  await expect(page.getByText(/乡镇互检 · 章古台镇 · 共 \d+ 户 · 风险优先/)).toBeVisible()
})

test('导出: a supervisor exports the findings as Excel and sees the bytes arrive', async ({ page }) => {
  await signInToConsole(page, 'supervisor')
  await page.getByRole('link', { name: '导出' }).click()
  const downloading = page.waitForEvent('download')
  await page.getByRole('button', { name: '下载', exact: true }).click()
  const bytes = readFileSync(await (await downloading).path())
  expect(bytes.subarray(0, 2).toString()).toBe('PK')
  await expect(page.getByText(/已下载 .*\.xlsx（/)).toBeVisible()
})

test('用户管理: an admin creates a user, disables and enables them, and resets the password', async ({ page, server }) => {
  await signInToConsole(page, 'admin')
  await page.getByRole('link', { name: '用户管理' }).click()
  await page.getByRole('button', { name: '新建用户' }).click()
  const form = page.getByRole('dialog', { name: '新建用户' })
  await form.getByLabel('用户名').fill('zhaoli')
  await choose(form, page, '角色', '核查员')
  await form.getByLabel('辖区代码').fill(VILLAGE)
  await form.getByLabel('密码', { exact: true }).fill('first-password-1')
  await form.getByLabel('再次输入密码').fill('first-password-1')
  await form.getByRole('button', { name: '创建' }).click()
  const row = page.locator('.el-table__body tr', { hasText: 'zhaoli' })
  await expect(row).toContainText('正常')
  await row.getByRole('button', { name: '停用' }).click()
  await expect(row).toContainText('已停用')
  await row.getByRole('button', { name: '启用' }).click()
  await expect(row).toContainText('正常')
  await row.getByRole('button', { name: '重置密码' }).click()
  const reset = page.getByRole('dialog', { name: /重置密码/ })
  await reset.getByLabel('新密码', { exact: true }).fill('second-password-2')
  await reset.getByLabel('再次输入新密码').fill('second-password-2')
  await reset.getByRole('button', { name: '重置' }).click()
  await expect(page.getByText('已重置 zhaoli 的密码')).toBeVisible()
  const signin = await fetch(`${server.url}/api/v1/auth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'zhaoli', password: 'second-password-2' }),
  })
  expect(signin.status).toBe(200)
})

test('审计日志: a supervisor filters the log by action', async ({ page }) => {
  await signInToConsole(page, 'supervisor')
  await page.getByRole('link', { name: '审计日志' }).click()
  await choose(page, page, '操作', '登录')
  await page.getByRole('button', { name: '查询' }).click()
  const rows = page.locator('.el-table__body tr')
  await expect(rows.first()).toContainText('supervisor')
  for (const text of await rows.allInnerTexts()) expect(text).toContain('登录')
})

test('规则: the office reads the active thresholds and the rule version', async ({ page }) => {
  await signInToConsole(page, 'village')
  await page.getByRole('link', { name: '规则' }).click()
  await expect(page.getByText(/当前规则版本/)).toBeVisible()
  await expect(page.getByRole('row', { name: /收入标准（每人每年）/ })).toContainText('5000 元')
})

test('a lapsed session asks to sign in again over the page and keeps the half-typed note', async ({ page, context, server }) => {
  await signInToConsole(page, 'village')
  await page.getByRole('link', { name: '整改清单' }).click()
  const open = await server.api<Page<Finding>>('village', `/api/v1/findings?scope=${VILLAGE}&status=open&limit=1`)
  await page.locator('table.findings tbody tr').first().getByRole('button', { name: '整改' }).click()
  await page.getByLabel('说明（必填）').fill('已补办，待复核')
  // The access token is refused once and the refresh cookie is gone: the session lapsed.
  await context.clearCookies()
  await page.route('**/api/v1/findings/*/rectify', (r) => r.fulfill({ status: 401, contentType: 'application/problem+json', body: '{"code":"auth.unauthenticated","title":"请先登录","status":401,"errors":[]}' }), { times: 1 })
  await page.getByRole('dialog').getByRole('button', { name: '整改' }).click()
  const again = page.getByRole('dialog', { name: '登录已过期，请重新登录' })
  await expect(again).toBeVisible()
  await expect(page.getByLabel('说明（必填）')).toHaveValue('已补办，待复核')
  await again.getByLabel('密码').fill(PASSWORD)
  await again.getByRole('button', { name: '登录' }).click()
  await expect(again).toBeHidden()
  await expect(page.getByLabel('说明（必填）')).toBeHidden()
  const f = await server.api<Finding>('village', `/api/v1/findings?scope=${VILLAGE}&status=rectified&limit=500`)
  expect(JSON.stringify(f)).toContain(open.items[0].id)
})

/** An 18-character ID number: 17 digits and their ISO 7064 MOD 11-2 check character. */
function withCheck(first17: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
  const sum = [...first17].reduce((s, d, i) => s + Number(d) * weights[i], 0)
  return first17 + '10X98765432'[sum % 11]
}

test('导入: the office checks a roster file, sees each bad row, and stores the corrected file whole', async ({ page, server }) => {
  const row = (id: string) => ({
    户编号: '2109222012039901', 区划代码: VILLAGE, 村民小组: '五组', 识别年度: '2016', 脱贫状态: '已脱贫', 脱贫年度: '2019',
    贫困户属性: '一般贫困户', 主要致贫原因: '因病', 成员序号: '1', 姓名: '韩立新', 证件号码: id, 与户主关系: '户主',
    性别: '男', 出生日期: '1980-01-01', 帮扶责任人: '王建军', 帮扶单位: '彰武县农业农村局', 帮扶人电话: '13904180001',
  })
  const good = withCheck('21092219800101001')
  const bad = good.slice(0, 17) + (good[17] === '0' ? '1' : '0')
  const csv = (id: string) => {
    const r = row(id) as Record<string, string>
    const headers = Object.keys(r)
    return '\ufeff' + headers.join(',') + '\r\n' + headers.map((h) => r[h]).join(',') + '\r\n'
  }
  const before = await server.api<{ total: number }>('village', '/api/v1/households/search', { method: 'POST', body: JSON.stringify({ scope: VILLAGE }) })

  await signInToConsole(page, 'village')
  await page.getByRole('link', { name: '户档案' }).click()
  await page.getByRole('button', { name: '导入' }).click()
  const dialog = page.getByRole('dialog', { name: '导入户档案' })
  await dialog.getByLabel('选择文件（CSV 或 Excel）').setInputFiles({ name: 'roster.csv', mimeType: 'text/csv', buffer: Buffer.from(csv(bad)) })
  await dialog.getByRole('button', { name: '校验' }).click()
  await expect(dialog.getByRole('alert')).toBeVisible()
  await expect(dialog.locator('.el-table')).toContainText('身份证号校验码错误')
  await expect(dialog.locator('.el-table')).toContainText('证件号码')
  await expect(dialog.getByRole('button', { name: '确认导入' })).toBeDisabled()

  await dialog.getByLabel('选择文件（CSV 或 Excel）').setInputFiles({ name: 'roster.csv', mimeType: 'text/csv', buffer: Buffer.from(csv(good)) })
  await dialog.getByRole('button', { name: '校验' }).click()
  await expect(dialog.getByText('校验通过：1 户、1 人')).toBeVisible()
  await dialog.getByRole('button', { name: '确认导入' }).click()
  await expect(dialog.getByText('已导入 1 户、1 人')).toBeVisible()
  await dialog.screenshot({ path: join(ROOT, 'target/e2e/console-import-dialog.png') })
  const after = await server.api<{ total: number }>('village', '/api/v1/households/search', { method: 'POST', body: JSON.stringify({ scope: VILLAGE }) })
  expect(after.total).toBe(before.total + 1)
})

test('from the keyboard alone: the office opens 整改清单 and rectifies a finding with a note', async ({ page, server }) => {
  await signInToConsole(page, 'village')
  const tabTo = async (name: string, max = 80) => {
    for (let i = 0; i < max; i++) {
      const text = await page.evaluate(() => (document.activeElement as HTMLElement | null)?.innerText?.trim() ?? '')
      if (text === name) return
      await page.keyboard.press('Tab')
    }
    throw new Error(`Tab never reached ${name}`)
  }
  await tabTo('整改清单')
  await page.keyboard.press('Enter')
  await expect(page.getByRole('heading', { level: 1, name: '整改清单' })).toBeVisible()
  await expect(page.locator('table.findings tbody tr').first()).toBeVisible()
  const before = await server.api<{ items: Finding[] }>('village', `/api/v1/findings?scope=${VILLAGE}&status=rectified&limit=500`)
  await tabTo('整改')
  await page.keyboard.press('Enter')
  await expect(page.getByLabel('说明（必填）')).toBeVisible()
  for (let i = 0; i < 10 && !(await page.evaluate(() => document.activeElement?.tagName === 'TEXTAREA')); i++) await page.keyboard.press('Tab')
  await expect(page.getByLabel('说明（必填）')).toBeFocused()
  await page.keyboard.type('已入户核实并整改')
  await tabTo('整改')
  await page.keyboard.press('Enter')
  await expect(page.getByLabel('说明（必填）')).toBeHidden()
  const after = await server.api<{ items: Finding[] }>('village', `/api/v1/findings?scope=${VILLAGE}&status=rectified&limit=500`)
  expect(after.items.length).toBe(before.items.length + 1)
})

test('需重印: after the office voids a printed card, that household alone is listed and reprinted', async ({ page, server }) => {
  await signInToConsole(page, 'village')
  await page.getByRole('link', { name: '打印明白卡' }).click()
  const first = page.waitForEvent('download')
  await page.getByRole('button', { name: '下载', exact: true }).click()
  await first
  await expect(page.getByRole('heading', { name: '需重印（0 户）' })).toBeVisible()
  const target = await firstHousehold(server)
  await server.api('village', `/api/v1/households/${target.id}/token/rotate`, { method: 'POST' })
  await page.reload()
  await expect(page.getByRole('heading', { name: '需重印（1 户）' })).toBeVisible()
  await expect(page.getByRole('cell', { name: target.household_code })).toBeVisible()
  const again = page.waitForEvent('download')
  await page.getByRole('button', { name: '下载需重印的卡' }).click()
  const file = join(ROOT, 'target/e2e/reprint.pdf')
  await (await again).saveAs(file)
  const urls = execFileSync(join(ROOT, 'target/debug/sancha-qr'), [file]).toString().trim().split('\n')
  expect(urls).toHaveLength(1)
  const page2 = await (await fetch(urls[0])).text()
  expect(page2).toContain('本卡有效')
})

test('整改清单: the office rectifies a selection of findings with one note', async ({ page, server }) => {
  await signInToConsole(page, 'village')
  await page.getByRole('link', { name: '整改清单' }).click()
  const rows = page.locator('table.findings tbody tr')
  await expect(rows.nth(1)).toBeVisible()
  const before = await server.api<{ items: Finding[] }>('village', `/api/v1/findings?scope=${VILLAGE}&status=rectified&limit=500`)
  await rows.nth(0).getByRole('checkbox').check()
  await rows.nth(1).getByRole('checkbox').check()
  await expect(page.getByText('已选 2 条')).toBeVisible()
  await page.getByRole('button', { name: '批量整改' }).click()
  await page.getByLabel('说明（必填）').fill('两项均已整改到位')
  await page.getByRole('dialog').getByRole('button', { name: '整改' }).click()
  await expect(page.getByLabel('说明（必填）')).toBeHidden()
  const after = await server.api<{ items: Finding[] }>('village', `/api/v1/findings?scope=${VILLAGE}&status=rectified&limit=500`)
  expect(after.items.length).toBe(before.items.length + 2)
})

test('导出: a slow export shows it is under way and can be cancelled', async ({ page }) => {
  await signInToConsole(page, 'supervisor')
  await page.getByRole('link', { name: '导出' }).click()
  // The county's line is slow today: the file's first byte is five seconds away.
  await page.route('**/api/v1/exports/**', async (r) => {
    await new Promise((done) => setTimeout(done, 5000))
    await r.continue().catch(() => undefined)
  })
  await page.getByRole('button', { name: '下载', exact: true }).click()
  await expect(page.getByRole('status').filter({ hasText: '已接收' })).toBeVisible()
  await page.getByRole('button', { name: '取消' }).click()
  await expect(page.getByRole('alert')).toHaveText('已取消导出')
  await expect(page.getByRole('button', { name: '取消' })).toBeHidden()
})
