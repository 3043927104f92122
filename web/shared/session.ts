// The signed-in user, held in memory only. The access token never touches
// storage; the refresh token is an HttpOnly cookie the script cannot read, so a
// reload signs back in with POST /auth/refresh and nothing else survives it.
import { reactive } from 'vue'
import { scopeOf } from './labels'

export type Role = 'enumerator' | 'village_office' | 'supervisor' | 'admin'

export interface User {
  username: string
  role: Role
  scope: string
}

export const session = reactive({
  user: null as User | null,
  accessToken: null as string | null,
  /** Set when a refresh failed: the screen asks to sign in again over the page it keeps. */
  expired: false,
  /** Set when the server said this phone was revoked (停用): no password helps, only enrolling again. */
  revoked: false,
})

type Waiter = () => void
let waiters: Waiter[] = []

/** Resolves once the user has signed in again after the session expired. */
export function untilSignedInAgain(): Promise<void> {
  session.expired = true
  return new Promise((resolve) => waiters.push(resolve))
}

export function signedIn(user: User, accessToken: string) {
  // Scopes are compared by prefix everywhere; the token carries the 12-digit code.
  session.user = { ...user, scope: scopeOf(user.scope) }
  session.accessToken = accessToken
  session.expired = false
  session.revoked = false
  const pending = waiters
  waiters = []
  pending.forEach((w) => w())
}

export function signedOut() {
  session.user = null
  session.accessToken = null
  session.expired = false
  session.revoked = false
  waiters = []
}
