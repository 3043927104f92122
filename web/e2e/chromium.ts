// Debian's Chromium and its flags (FRONTEND.md): never a downloaded browser.
export const CHROMIUM = process.env.SANCHA_CHROMIUM ?? '/usr/bin/chromium'
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
]
