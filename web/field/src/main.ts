import { createApp } from 'vue'
import App from './App.vue'
import { resume } from './account'
import { loadSyncState } from './sync'
import { startOutbox } from './outbox'
import { router } from './router'
import { watchForUpdates } from './updates'
import './style.css'

// Service workers, the camera and crypto.randomUUID exist only over HTTPS (or
// on this machine): say so plainly instead of failing later.
if (!window.isSecureContext) {
  document.getElementById('app')!.innerHTML =
    '<main class="insecure"><h1>请使用安全地址打开</h1><p>核查员手机端需要 https:// 地址才能离线使用、拍照和扫码。' +
    '请向县里的系统管理员索取以 https:// 开头的地址。</p></main>'
} else {
  void (async () => {
    await Promise.all([resume(), loadSyncState()])
    const app = createApp(App).use(router)
    // The first page is resolved before anything is drawn, so no field is shown twice.
    await router.isReady()
    app.mount('#app')
    startOutbox()
    watchForUpdates()
  })()
}
