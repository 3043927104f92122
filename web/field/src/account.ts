// Signing in on a phone, with a password or by scanning the office's
// enrolment sheet (扫码登记, no password: the phone becomes a device the office
// can revoke alone). The refresh token is an HttpOnly cookie that lives on
// the device for 30 days; the user (name, role, scope — no personal data) is
// kept too, so the app opens signed in with no signal. When the server refuses
// the refresh (expired, revoked) the app asks to sign in again and every
// unsent visit stays where it is.
import { enrolDevice, login, logout, refresh } from '@shared/api'
import { session, type User } from '@shared/session'
import { db, getMeta, setMeta } from './db'
import { deviceModel } from './device'

export const storage = { persisted: null as boolean | null }

/** The signed-in user as a plain object (IndexedDB cannot store Vue's proxies). */
const keepUser = () => setMeta('user', { ...session.user! })

/** At start: a fresh access token if the network allows, else the kept user. */
export async function resume(): Promise<boolean> {
  if (navigator.onLine && (await refresh())) {
    await keepUser()
    return true
  }
  const kept = await getMeta<User>('user')
  if (!kept) return false
  session.user = kept
  return true
}

export async function signIn(username: string, password: string): Promise<User> {
  return started(await getMeta<User>('user'), await login(username, password))
}

/** 扫码登记: this phone becomes a device of the code's user, with no password. */
export async function enrol(code: string, name: string): Promise<User> {
  const before = await getMeta<User>('user')
  const { user, deviceId } = await enrolDevice(code, name, deviceModel(navigator.userAgent))
  await setMeta('device_id', deviceId)
  return started(before, user)
}

/** After a sign-in or an enrolment: keep the user, and ask to keep the data. */
async function started(before: User | undefined, user: User): Promise<User> {
  // Another person on this phone: their households are not this one's. Unsent visits stay.
  if (before && before.username !== user.username) await db.households.clear()
  await keepUser()
  storage.persisted = await askPersistence()
  await setMeta('persisted', storage.persisted)
  return user
}

/** Asks the browser not to evict this app's data; the answer is shown on 我的. */
async function askPersistence(): Promise<boolean | null> {
  if (!navigator.storage?.persist) return null
  return (await navigator.storage.persisted()) || navigator.storage.persist()
}

/** 退出登录: the households and the kept user go; drafts, the outbox and their images stay. */
export async function signOut() {
  await logout().catch(() => undefined)
  await db.transaction('rw', db.households, db.meta, async () => {
    await db.households.clear()
    await db.meta.where('key').startsWith('cursor:').delete()
    await db.meta.bulkDelete(['user', 'sample', 'last_sync', 'device_id'])
  })
}
