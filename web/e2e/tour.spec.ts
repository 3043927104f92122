// Every page of the console, as the role that uses it: accessible (axe), no
// overflow at 360 px, and a screenshot at both sizes in target/e2e/.
import { test, expect, signInToConsole, expectAccessible, screenshots } from './fixtures'

test('the sign-in page is labelled, accessible and fits a phone', async ({ page }) => {
  await page.goto('/')
  await expect(page.getByRole('heading', { name: '三查一访 办公台' })).toBeVisible()
  await expect(page.getByLabel('用户名')).toBeVisible()
  await expect(page.getByLabel('密码')).toBeVisible()
  await expectAccessible(page, 'the sign-in page')
  await screenshots(page, 'login')
})

test('every page an admin may open is accessible and fits a phone', async ({ page }) => {
  test.setTimeout(300_000) // twelve pages, each through axe and two full-page screenshots
  await signInToConsole(page, 'admin')
  const pages: [string, string, string][] = [
    ['工作台', '/', 'dashboard'],
    ['户档案', '/households?village=210922201203', 'households'],
    ['打印明白卡', '/print', 'print'],
    ['整改清单', '/findings', 'findings'],
    ['审核', '/review', 'review'],
    ['核查质量', '/integrity', 'integrity'],
    ['抽样', '/samples', 'samples'],
    ['导出', '/exports', 'exports'],
    ['用户管理', '/users', 'users'],
    ['审计日志', '/audit', 'audit'],
    ['规则', '/rules', 'rules'],
  ]
  for (const [title, path, name] of pages) {
    await page.goto(path)
    await expect(page.getByRole('heading', { level: 1, name: new RegExp(`^${title}`) })).toBeVisible()
    await page.waitForLoadState('networkidle')
    await expectAccessible(page, title)
    await screenshots(page, name)
  }
  // A household's own page, reached from the list.
  await page.goto('/households?village=210922201203')
  await page.locator('table a').first().click()
  await expect(page.getByRole('heading', { name: /家庭成员/ })).toBeVisible()
  await expect(page.getByAltText('本户明白卡')).toBeVisible()
  await page.waitForLoadState('networkidle')
  await expectAccessible(page, '户档案 of one household')
  await screenshots(page, 'household')
})
