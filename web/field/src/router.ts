import { createRouter, createWebHistory } from 'vue-router'
import { session } from '@shared/session'
import { takeEnrolmentLink } from './enrolment'

// An enrolment link (/app/#enroll=…): its code leaves the address before the
// router reads the address, which it does when it is made.
takeEnrolmentLink()

export const router = createRouter({
  history: createWebHistory('/app/'),
  routes: [
    { path: '/login', component: () => import('./pages/LoginPage.vue'), meta: { open: true, title: '登录' } },
    { path: '/enroll', component: () => import('./pages/EnrollPage.vue'), meta: { open: true, title: '扫码登记' } },
    { path: '/', component: () => import('./pages/HouseholdsPage.vue'), meta: { title: '农户' } },
    { path: '/visit/:id', component: () => import('./pages/VisitPage.vue'), meta: { title: '入户核查', form: true } },
    { path: '/outbox', component: () => import('./pages/OutboxPage.vue'), meta: { title: '待发送' } },
    { path: '/rejected', component: () => import('./pages/RejectedPage.vue'), meta: { title: '需修改' } },
    { path: '/me', component: () => import('./pages/MePage.vue'), meta: { title: '我的' } },
    { path: '/:rest(.*)*', redirect: '/' },
  ],
})

router.beforeEach((to) => {
  if (!to.meta.open && !session.user) return { path: '/login' }
})
