// The one typed client for both screens: generated from api-spec/openapi.yaml
// (npm run gen:api), same origin, bearer token from memory. A 401 refreshes the
// session once through the HttpOnly cookie and retries; if that fails the user
// signs in again over the current page, and the request goes on afterwards.
import createClient from 'openapi-fetch'
import type { paths } from './api-schema'
import { session, signedIn, signedOut, untilSignedInAgain, type User } from './session'

interface TokenResponse {
  access_token: string
  user: User
  /** The enrolled phone the session belongs to (扫码登记); absent for a password sign-in. */
  device_id?: string
}

/** The code of a phone the office revoked (停用此设备). */
export const DEVICE_REVOKED = 'auth.device_revoked'

/** Starts the session a token answer carries. */
async function sessionFrom(res: Response): Promise<TokenResponse> {
  const body: TokenResponse = await res.json()
  signedIn(body.user, body.access_token)
  return body
}

/** One problem of an RFC 9457 answer, as the server sends it. */
export interface FieldProblem {
  field: string
  code: string
  message: string
}

export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly errors: FieldProblem[],
  ) {
    super(title)
  }
}

/** Reads a problem+json answer into an error a screen can show. */
export async function problemOf(res: Response): Promise<ApiProblem> {
  try {
    const body = await res.json()
    return new ApiProblem(res.status, body.code ?? 'unknown', body.title ?? `请求失败（${res.status}）`, body.errors ?? [])
  } catch {
    const title = res.status >= 500 ? '服务器暂时无法处理，请稍后再试' : `请求失败（${res.status}）`
    return new ApiProblem(res.status, 'unknown', title, [])
  }
}

/** One line for a failed call: the server's title and its details, or the network. */
export function describe(e: unknown): string {
  if (!(e instanceof ApiProblem)) return '无法连接服务器，请检查网络后重试'
  const details = e.errors.map((f) => f.message).filter((m) => m && m !== e.title)
  return details.length ? `${e.title}：${[...new Set(details)].join('；')}` : e.title
}

let refreshing: Promise<boolean> | null = null

/** Trades the refresh cookie for a new access token; one at a time. */
export function refresh(): Promise<boolean> {
  refreshing ??= (async () => {
    try {
      const res = await fetch('/api/v1/auth/refresh', { method: 'POST', credentials: 'same-origin' })
      if (!res.ok) {
        if ((await problemOf(res)).code === DEVICE_REVOKED) session.revoked = true
        return false
      }
      await sessionFrom(res)
      return true
    } catch {
      return false
    } finally {
      refreshing = null
    }
  })()
  return refreshing
}

const isAuthCall = (url: string) => new URL(url, location.href).pathname.startsWith('/api/v1/auth/')

/** fetch with the bearer token, one refresh on 401, and a sign-in when that fails. */
export async function authedFetch(input: Request): Promise<Response> {
  const again = input.clone()
  const send = (req: Request) => {
    if (session.accessToken) req.headers.set('Authorization', `Bearer ${session.accessToken}`)
    return fetch(req)
  }
  const res = await send(input)
  if (res.status !== 401 || isAuthCall(input.url)) return res
  if (!(await refresh())) await untilSignedInAgain()
  return send(again)
}

export const api = createClient<paths>({ baseUrl: location.origin, fetch: authedFetch })

/** Unwraps an openapi-fetch result: the data, or the server's problem thrown. */
export async function ok<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call
  if (error !== undefined || !response.ok) {
    const body = (error ?? {}) as { code?: string; title?: string; errors?: FieldProblem[] }
    throw new ApiProblem(response.status, body.code ?? 'unknown', body.title ?? `请求失败（${response.status}）`, body.errors ?? [])
  }
  return data as T
}

export async function login(username: string, password: string): Promise<User> {
  const res = await fetch('/api/v1/auth/token', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password, refresh_cookie: true }),
  })
  if (!res.ok) throw await problemOf(res)
  return (await sessionFrom(res)).user
}

/** 扫码登记: trades an enrolment code for this phone's own session, with no password. */
export async function enrolDevice(code: string, name: string, model: string): Promise<{ user: User; deviceId: string }> {
  const res = await fetch('/api/v1/devices', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ code, name, model, refresh_cookie: true }),
  })
  if (!res.ok) throw await problemOf(res)
  const body = await sessionFrom(res)
  return { user: body.user, deviceId: body.device_id ?? '' }
}

export async function logout(): Promise<void> {
  try {
    await fetch('/api/v1/auth/logout', { method: 'POST', credentials: 'same-origin' })
  } finally {
    signedOut()
  }
}

/** GETs a file with the bearer token; for downloads and previews. */
export async function fetchFile(url: string, init: RequestInit = {}): Promise<Response> {
  const res = await authedFetch(new Request(url, init))
  if (!res.ok) throw await problemOf(res)
  return res
}
