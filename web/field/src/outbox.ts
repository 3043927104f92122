// The outbox (FRONTEND.md): driven by the page — on start, on `online`, on
// becoming visible, on 发送 — one visit at a time (or one batch when many
// wait), images first by hash, backoff up to 5 minutes. A visit leaves only on
// the server's 200/201; 409/422 (and 403/404) put it in 需处理 with the
// server's messages; a 401 keeps it while the user signs in again.
import { reactive } from 'vue'
import { authedFetch, type FieldProblem } from '@shared/api'
import { session } from '@shared/session'
import { db, type Queued } from './db'
import { imagesOf } from './images'

export const MAX_BACKOFF_MS = 5 * 60_000
const FIRST_BACKOFF_MS = 5_000
const REQUEST_TIMEOUT_MS = 20_000
/** When this many are due, they go in one POST /visits/batch. */
const BATCH_FROM = 3
const BATCH_SIZE = 20

export const outboxState = reactive({ sending: false, lastError: null as string | null })

/** The wait before the next try after `attempts` failures: 5 s doubling, at most 5 min. */
export const backoff = (attempts: number) => Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** Math.max(0, attempts - 1))

type Outcome = { kind: 'stored'; status: number } | { kind: 'refused'; title: string; problems: FieldProblem[] } | { kind: 'retry'; why: string }

/** What a status means for a queued visit: only 200/201 lets it go. */
export function outcomeOf(status: number, body: unknown): Outcome {
  if (status === 200 || status === 201) return { kind: 'stored', status }
  const problem = (body ?? {}) as { title?: string; errors?: FieldProblem[] }
  if ([403, 404, 409, 413, 415, 422].includes(status)) {
    return { kind: 'refused', title: problem.title ?? `服务器拒收（${status}）`, problems: problem.errors ?? [] }
  }
  return { kind: 'retry', why: problem.title ?? `服务器暂时无法处理（${status}）` }
}

let timer: ReturnType<typeof setTimeout> | undefined
let running: Promise<void> | null = null

/** Sends whatever is due now; resolves when nothing due is left or the network failed. */
export function flush(): Promise<void> {
  running ??= drain().finally(() => {
    running = null
    void schedule()
  })
  return running
}

/** 发送: try everything now, whatever its backoff. */
export async function sendNow(): Promise<void> {
  await db.outbox.where('state').equals('queued').modify((q) => {
    if (q.username === session.user?.username) q.next_at = 0
  })
  await flush()
}

/** The signed-in user's queued visits; another user's wait for them to sign in. */
async function queuedOfUser(): Promise<Queued[]> {
  const queued = await db.outbox.where('state').equals('queued').sortBy('queued_at')
  return queued.filter((q) => q.username === session.user?.username)
}

async function due(): Promise<Queued[]> {
  const now = Date.now()
  return (await queuedOfUser()).filter((q) => q.next_at <= now)
}

async function drain() {
  outboxState.sending = true
  try {
    for (;;) {
      const ready = await due()
      if (!ready.length) return
      const group = ready.length >= BATCH_FROM ? ready.slice(0, BATCH_SIZE) : ready.slice(0, 1)
      const failed = await sendGroup(group)
      if (failed) {
        outboxState.lastError = failed
        return
      }
      outboxState.lastError = null
    }
  } finally {
    outboxState.sending = false
  }
}

/** Sends one visit or one batch; returns why it must wait, if it must. */
async function sendGroup(group: Queued[]): Promise<string | null> {
  try {
    for (const q of group) {
      const refused = await uploadImages(q)
      if (refused) {
        await settle(q, refused)
        return null
      }
    }
    if (group.length === 1) {
      const q = group[0]
      const res = await send(`/api/v1/visits/${q.visit_id}`, 'PUT', q.body)
      await settle(q, outcomeOf(res.status, await bodyOf(res)))
    } else {
      const res = await send('/api/v1/visits/batch', 'POST', {
        visits: group.map((q) => ({ visit_id: q.visit_id, visit: q.body })),
      })
      if (res.status !== 200) {
        const outcome = outcomeOf(res.status, await bodyOf(res))
        // A batch the server cannot take at all is retried as single visits.
        await Promise.all(group.map((q) => settle(q, outcome.kind === 'refused' ? { kind: 'retry', why: outcome.title } : outcome)))
      } else {
        const { results } = (await res.json()) as { results: { visit_id: string; status: number; body: unknown }[] }
        for (const q of group) {
          const r = results.find((x) => x.visit_id === q.visit_id)
          await settle(q, r ? outcomeOf(r.status, r.body) : { kind: 'retry', why: '服务器未答复此条' })
        }
      }
    }
    const after = await db.outbox.bulkGet(group.map((q) => q.visit_id))
    const waiting = after.find((q) => q && q.state === 'queued' && q.attempts > 0)
    return waiting ? '发送失败，稍后自动重试' : null
  } catch {
    // The network failed or timed out: nothing is known, everything stays.
    await Promise.all(group.map((q) => settle(q, { kind: 'retry', why: 'network' })))
    return '网络不通，恢复后自动发送'
  }
}

async function uploadImages(q: Queued): Promise<Outcome | null> {
  for (const sha256 of imagesOf(q.body)) {
    const blob = await db.blobs.get(sha256)
    if (!blob || blob.uploaded) continue
    const res = await authedFetch(
      new Request(`${location.origin}/api/v1/blobs/${sha256}`, {
        method: 'PUT',
        headers: { 'Content-Type': blob.type },
        body: blob.data,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      }),
    )
    const outcome = outcomeOf(res.status, await bodyOf(res))
    if (outcome.kind === 'retry') throw new Error(outcome.why)
    if (outcome.kind === 'refused') return { ...outcome, title: `图片无法上传：${outcome.title}` }
    await db.blobs.update(sha256, { uploaded: true })
  }
  return null
}

function send(path: string, method: string, body: unknown): Promise<Response> {
  return authedFetch(
    new Request(location.origin + path, {
      method,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    }),
  )
}

async function bodyOf(res: Response): Promise<unknown> {
  try {
    return await res.json()
  } catch {
    return null
  }
}

async function settle(q: Queued, outcome: Outcome) {
  if (outcome.kind === 'stored') {
    await db.transaction('rw', db.outbox, db.sent, async () => {
      await db.sent.put({ visit_id: q.visit_id, household_id: q.household_id, level: q.level, body: q.body, sent_at: Date.now() })
      await db.outbox.delete(q.visit_id)
    })
  } else if (outcome.kind === 'refused') {
    await db.outbox.update(q.visit_id, { state: 'problem', problems: outcome.problems, problem_title: outcome.title })
  } else {
    const attempts = q.attempts + 1
    await db.outbox.update(q.visit_id, { attempts, next_at: Date.now() + backoff(attempts) })
  }
}

async function schedule() {
  clearTimeout(timer)
  const queued = await queuedOfUser()
  if (!queued.length) return
  const wait = Math.max(0, Math.min(...queued.map((q) => q.next_at)) - Date.now())
  timer = setTimeout(() => void flush(), Math.min(wait, MAX_BACKOFF_MS) + 50)
}

/** Puts a finished visit in the outbox, replacing its draft, in one step. */
export async function enqueue(visitId: string, householdId: string, level: string, body: Record<string, unknown>) {
  await db.transaction('rw', db.drafts, db.outbox, async () => {
    const existing = await db.outbox.get(visitId)
    await db.outbox.put({
      visit_id: visitId,
      username: session.user?.username ?? '',
      household_id: householdId,
      level,
      body,
      state: 'queued',
      problems: [],
      problem_title: null,
      attempts: 0,
      next_at: 0,
      queued_at: existing?.queued_at ?? Date.now(),
    })
    await db.drafts.delete(visitId)
  })
  void flush()
}

/** The page drives the outbox: at start, back online, and back in view. */
export function startOutbox() {
  addEventListener('online', () => void sendNow())
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') void flush()
  })
  void flush()
}
