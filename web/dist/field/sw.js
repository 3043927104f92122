// The field app's service worker: the app shell only (FRONTEND.md). Data lives
// in IndexedDB and requests to /api/ always go to the network, so the worker
// never answers for the server. A new worker waits until the page says no
// draft is open ("skip-waiting"); the page then reloads once.
const VERSION = '1762f875167f'
const SHELL = ["/app/","/app/manifest.webmanifest","/app/icon-192.png","/app/assets/CardScan-HOgY2_CC.js","/app/assets/EnrollPage-mT2uLwVe.js","/app/assets/HouseholdsPage-Deu8MFFX.js","/app/assets/LoginPage-BoxrWtab.js","/app/assets/MePage-DDgyv_c2.js","/app/assets/OutboxPage-D6_xDRvJ.js","/app/assets/RejectedPage-DeDj7XJe.js","/app/assets/VisitPage-DcnZAfTx.js","/app/assets/db-B9yu_elp.js","/app/assets/drafts-CADmN_xJ.js","/app/assets/form-BVJPxjSV.js","/app/assets/index-CTx6I1Ym.js","/app/assets/index-D8HQ_amC.css","/app/assets/ponyfill-D1xGApM1.js","/app/assets/visit-IgoTdLr6.js"]
const CACHE = `sancha-field-${VERSION}`
const LAZY = 'sancha-field-lazy'

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)))
})

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE && k !== LAZY).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  )
})

self.addEventListener('message', (event) => {
  if (event.data === 'skip-waiting') self.skipWaiting()
})

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url)
  if (event.request.method !== 'GET' || url.origin !== location.origin || !url.pathname.startsWith('/app/')) return
  if (event.request.mode === 'navigate') {
    // Every page of the app is the same index.html, from the cache first:
    // the app opens with no signal, and a new build arrives as a new worker.
    event.respondWith(caches.match('/app/').then((hit) => hit || fetch(event.request)))
    return
  }
  event.respondWith(
    caches.match(event.request).then(
      (hit) =>
        hit ||
        fetch(event.request).then((res) => {
          // Hashed files not in the shell (the QR decoder's WASM): kept once fetched.
          if (res.ok && url.pathname.startsWith('/app/assets/')) {
            const copy = res.clone()
            caches.open(LAZY).then((cache) => cache.put(event.request, copy))
          }
          return res
        }),
    ),
  )
})
