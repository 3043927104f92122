// The service worker: installed after the first load; a new version waits and
// is offered (有新版本) only while no visit form is open, so an update never
// reloads over a draft. 修复应用 on 我的 is the kill switch: it removes the
// worker and its caches (never the data) and reloads from the server.
import { reactive } from 'vue'

export const update = reactive({ waiting: null as ServiceWorker | null })

export function watchForUpdates() {
  if (!('serviceWorker' in navigator)) return
  // The first worker claiming the page changes nothing on screen; only an
  // update the user accepted reloads it, once.
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (!accepted) return
    accepted = false
    location.reload()
  })
  void navigator.serviceWorker.register('/app/sw.js', { scope: '/app/' }).then((reg) => {
    if (!reg) return
    const offer = (w: ServiceWorker | null) => {
      if (w && navigator.serviceWorker.controller) update.waiting = w
    }
    offer(reg.waiting)
    reg.addEventListener('updatefound', () => {
      const w = reg.installing
      w?.addEventListener('statechange', () => w.state === 'installed' && offer(w))
    })
  })
}

let accepted = false

export function applyUpdate() {
  accepted = true
  update.waiting?.postMessage('skip-waiting')
}

export async function repairApp() {
  const regs = (await navigator.serviceWorker?.getRegistrations()) ?? []
  await Promise.all(regs.map((r) => r.unregister()))
  await Promise.all((await caches.keys()).filter((k) => k.startsWith('sancha-field')).map((k) => caches.delete(k)))
  location.reload()
}
