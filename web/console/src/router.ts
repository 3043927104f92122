// The console's pages, and which roles may open each (the README's role table).
import type { Component } from 'vue'
import { createRouter, createWebHistory } from 'vue-router'
import { session, type Role } from '@shared/session'

export interface Page {
  path: string
  name: string
  title: string
  roles: Role[]
  nav: boolean
  component: () => Promise<{ default: Component }>
}

const OFFICE: Role[] = ['village_office', 'supervisor', 'admin']
const SUPERVISION: Role[] = ['supervisor', 'admin']

export const PAGES: Page[] = [
  { path: '/', name: 'dashboard', title: '工作台', roles: OFFICE, nav: true, component: () => import('./pages/DashboardPage.vue') },
  { path: '/households', name: 'households', title: '户档案', roles: OFFICE, nav: true, component: () => import('./pages/HouseholdsPage.vue') },
  { path: '/households/:id', name: 'household', title: '户档案', roles: OFFICE, nav: false, component: () => import('./pages/HouseholdPage.vue') },
  { path: '/print', name: 'print', title: '打印明白卡', roles: OFFICE, nav: true, component: () => import('./pages/PrintPage.vue') },
  { path: '/findings', name: 'findings', title: '整改清单', roles: OFFICE, nav: true, component: () => import('./pages/FindingsPage.vue') },
  { path: '/review', name: 'review', title: '审核', roles: SUPERVISION, nav: true, component: () => import('./pages/ReviewPage.vue') },
  { path: '/integrity', name: 'integrity', title: '核查质量', roles: SUPERVISION, nav: true, component: () => import('./pages/IntegrityPage.vue') },
  { path: '/samples', name: 'samples', title: '抽样', roles: SUPERVISION, nav: true, component: () => import('./pages/SamplesPage.vue') },
  { path: '/exports', name: 'exports', title: '导出', roles: OFFICE, nav: true, component: () => import('./pages/ExportsPage.vue') },
  { path: '/users', name: 'users', title: '用户管理', roles: ['admin', 'village_office'], nav: true, component: () => import('./pages/UsersPage.vue') },
  { path: '/audit', name: 'audit', title: '审计日志', roles: SUPERVISION, nav: true, component: () => import('./pages/AuditPage.vue') },
  { path: '/rules', name: 'rules', title: '规则', roles: OFFICE, nav: true, component: () => import('./pages/RulesPage.vue') },
]

export const mayOpen = (page: Page) => !!session.user && page.roles.includes(session.user.role)

export const router = createRouter({
  history: createWebHistory('/'),
  routes: [
    ...PAGES.map((p) => ({ path: p.path, name: p.name, component: p.component, meta: { page: p } })),
    { path: '/:rest(.*)*', name: 'missing', component: () => import('./pages/MissingPage.vue') },
  ],
})

router.afterEach((to) => {
  const page = to.meta.page as Page | undefined
  document.title = page ? `${page.title} · 三查一访 办公台` : '三查一访 办公台'
})
