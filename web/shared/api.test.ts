// The client's session handling against a scripted fetch: a 401 is refreshed
// once through the cookie and the request retried with the new token; a
// failed refresh waits for the user to sign in again, then retries.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

// The client is made for the page's origin when it loads.
vi.hoisted(() => {
  ;(globalThis as unknown as { location: URL }).location = new URL('http://sancha.test/findings')
})
import { authedFetch, ok, api, ApiProblem } from './api'
import { session, signedIn, signedOut } from './session'

type Handler = (req: Request) => Response | Promise<Response>
let calls: { url: string; auth: string | null }[] = []

function script(handler: Handler) {
  vi.stubGlobal('fetch', async (input: RequestInfo, init?: RequestInit) => {
    const req = input instanceof Request ? input : new Request(new URL(String(input), 'http://sancha.test'), init)
    calls.push({ url: new URL(req.url).pathname, auth: req.headers.get('Authorization') })
    return handler(req)
  })
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': status < 400 ? 'application/json' : 'application/problem+json' } })
const tokenBody = (t: string) => ({ access_token: t, user: { username: 'village', role: 'village_office', scope: '210922201203' } })

beforeEach(() => {
  calls = []
  signedIn({ username: 'village', role: 'village_office', scope: '210922201203' }, 'old')
})
afterEach(() => {
  vi.unstubAllGlobals()
  signedOut()
})

describe('authedFetch', () => {
  it('refreshes once on 401 and retries with the new token', async () => {
    script((req) => {
      const path = new URL(req.url).pathname
      if (path === '/api/v1/auth/refresh') return json(200, tokenBody('new'))
      return req.headers.get('Authorization') === 'Bearer new' ? json(200, { items: [] }) : json(401, { code: 'auth.unauthenticated' })
    })
    const res = await authedFetch(new Request('http://sancha.test/api/v1/findings'))
    expect(res.status).toBe(200)
    expect(calls).toEqual([
      { url: '/api/v1/findings', auth: 'Bearer old' },
      { url: '/api/v1/auth/refresh', auth: null },
      { url: '/api/v1/findings', auth: 'Bearer new' },
    ])
    expect(session.accessToken).toBe('new')
  })

  it('keeps a request waiting while the user signs in again, then sends it', async () => {
    script((req) => {
      const path = new URL(req.url).pathname
      if (path === '/api/v1/auth/refresh') return json(401, { code: 'auth.invalid_refresh_token' })
      return req.headers.get('Authorization') === 'Bearer fresh' ? json(200, { ok: true }) : json(401, {})
    })
    const pending = authedFetch(new Request('http://sancha.test/api/v1/findings/x/rectify', { method: 'POST', body: '{"note":"已整改"}' }))
    await vi.waitFor(() => expect(session.expired).toBe(true))
    signedIn({ username: 'village', role: 'village_office', scope: '210922201203' }, 'fresh')
    const res = await pending
    expect(res.status).toBe(200)
    expect(session.expired).toBe(false)
    expect(calls.at(-1)).toEqual({ url: '/api/v1/findings/x/rectify', auth: 'Bearer fresh' })
  })

  it('does not refresh for the auth endpoints themselves', async () => {
    script(() => json(401, { code: 'auth.invalid_credentials' }))
    const res = await authedFetch(new Request('http://sancha.test/api/v1/auth/token', { method: 'POST' }))
    expect(res.status).toBe(401)
    expect(calls).toHaveLength(1)
  })
})

describe('ok', () => {
  it('throws the server problem with every field error', async () => {
    script(() => json(422, { code: 'request.validation_failed', title: '提交的数据有误', errors: [{ field: '/note', code: 'finding.note_required', message: '请填写说明' }] }))
    const err = await ok(api.POST('/api/v1/findings/{id}/rectify', { params: { path: { id: 'x' } }, body: { note: '' } })).catch((e) => e)
    expect(err).toBeInstanceOf(ApiProblem)
    expect(err.status).toBe(422)
    expect(err.errors).toEqual([{ field: '/note', code: 'finding.note_required', message: '请填写说明' }])
  })
})
