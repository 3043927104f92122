// The outbox against a scripted server, on fake-indexeddb: a visit leaves only
// on 200/201; 5xx and a dropped connection keep it with a growing backoff;
// 422 moves it to 需处理 with the server's messages; images go first by hash.
import 'fake-indexeddb/auto'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

vi.hoisted(() => {
  ;(globalThis as unknown as { location: URL }).location = new URL('http://sancha.test/app/')
})
import { db } from './db'
import { backoff, enqueue, flush, MAX_BACKOFF_MS, outcomeOf, sendNow } from './outbox'
import { keepImage } from './images'
import { signedIn } from '@shared/session'

type Handler = (req: Request) => Response | Promise<Response>
let seen: string[] = []
function server(handler: Handler) {
  vi.stubGlobal('fetch', async (req: Request) => {
    seen.push(`${req.method} ${new URL(req.url).pathname}`)
    return handler(req)
  })
}
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status })
const body = (photo?: string) => ({ household_id: 'h1', level: 'village_self', photos: photo ? [{ kind: 'house_front', sha256: photo }] : [] })

beforeEach(async () => {
  seen = []
  signedIn({ username: 'enumerator', role: 'enumerator', scope: '210922201203' }, 'token')
  await Promise.all([db.outbox.clear(), db.sent.clear(), db.blobs.clear(), db.drafts.clear()])
})
afterEach(() => vi.unstubAllGlobals())

describe('what a status means', () => {
  it('lets a visit go on 200 and 201 only', () => {
    expect(outcomeOf(201, {}).kind).toBe('stored')
    expect(outcomeOf(200, {}).kind).toBe('stored')
    for (const s of [202, 204, 408, 429, 500, 502, 503]) expect(outcomeOf(s, {}).kind).toBe('retry')
    for (const s of [403, 404, 409, 422]) expect(outcomeOf(s, {}).kind).toBe('refused')
  })
  it('backs off from 5 s, doubling, to at most 5 minutes', () => {
    expect(backoff(1)).toBe(5_000)
    expect(backoff(2)).toBe(10_000)
    expect(backoff(20)).toBe(MAX_BACKOFF_MS)
  })
})

describe('the outbox', () => {
  it('uploads the photo first, then the visit, and keeps what was stored', async () => {
    const sha = await keepImage(new Blob(['jpeg bytes'], { type: 'image/jpeg' }))
    server((req) => (req.method === 'PUT' && req.url.includes('/blobs/') ? new Response(null, { status: 201 }) : json(201, { id: 'v1' })))
    await enqueue('v1', 'h1', 'village_self', body(sha))
    await flush()
    expect(seen).toEqual([`PUT /api/v1/blobs/${sha}`, 'PUT /api/v1/visits/v1'])
    expect(await db.outbox.count()).toBe(0)
    expect((await db.sent.get('v1'))?.household_id).toBe('h1')
    expect((await db.blobs.get(sha))?.uploaded).toBe(true)
  })

  it('keeps a visit through a 503 and a dropped connection, then sends it', async () => {
    let n = 0
    server(() => {
      n++
      if (n === 1) return json(503, { title: '服务暂不可用' })
      if (n === 2) throw new TypeError('Failed to fetch')
      return json(200, { id: 'v2' })
    })
    await enqueue('v2', 'h1', 'village_self', body())
    await flush()
    let q = await db.outbox.get('v2')
    expect(q?.state).toBe('queued')
    expect(q?.attempts).toBe(1)
    expect(q!.next_at).toBeGreaterThan(Date.now())
    await sendNow()
    q = await db.outbox.get('v2')
    expect(q?.attempts).toBe(2)
    await sendNow()
    expect(await db.outbox.get('v2')).toBeUndefined()
    expect(await db.sent.get('v2')).toBeDefined()
  })

  it('puts a refused visit in 需处理 with the messages on their fields', async () => {
    server(() => json(422, { title: '核查记录有误', errors: [{ field: '/members/0/id_number', code: 'id_number.checksum', message: '身份证号校验位错误' }] }))
    await enqueue('v3', 'h1', 'village_self', body())
    await flush()
    const q = await db.outbox.get('v3')
    expect(q?.state).toBe('problem')
    expect(q?.problems[0].field).toBe('/members/0/id_number')
    expect(await db.sent.count()).toBe(0)
  })

  it('sends many waiting visits in one batch and keeps the item the server refused', async () => {
    server(async (req) => {
      const { visits } = (await req.json()) as { visits: { visit_id: string }[] }
      return json(200, {
        results: visits.map((v) =>
          v.visit_id === 'b2' ? { visit_id: v.visit_id, status: 422, body: { title: '有误', errors: [] } } : { visit_id: v.visit_id, status: 201, body: {} },
        ),
      })
    })
    await db.outbox.bulkPut(
      ['b1', 'b2', 'b3'].map((id, i) => ({
        visit_id: id, username: 'enumerator', household_id: `h${i}`, level: 'village_self', body: body(), state: 'queued' as const,
        problems: [], problem_title: null, attempts: 0, next_at: 0, queued_at: i,
      })),
    )
    await flush()
    expect(seen).toEqual(['POST /api/v1/visits/batch'])
    expect((await db.outbox.toArray()).map((q) => [q.visit_id, q.state])).toEqual([['b2', 'problem']])
    expect((await db.sent.toArray()).map((s) => s.visit_id).sort()).toEqual(['b1', 'b3'])
  })

  it('sends only the signed-in user\'s visits; another user\'s wait for them', async () => {
    server(() => json(201, {}))
    await db.outbox.put({
      visit_id: 'theirs', username: 'enum-210922201204', household_id: 'h1', level: 'village_self', body: body(),
      state: 'queued', problems: [], problem_title: null, attempts: 0, next_at: 0, queued_at: 0,
    })
    await enqueue('mine', 'h2', 'village_self', body())
    await flush()
    expect(seen).toEqual(['PUT /api/v1/visits/mine'])
    expect((await db.outbox.toArray()).map((q) => q.visit_id)).toEqual(['theirs'])
  })
})
