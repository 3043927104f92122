// Starting and reopening visits: each gets its id (crypto.randomUUID) the
// moment it starts, and keeps it through drafts, the outbox and every resend.
import { db, type Draft, type HouseholdRecord } from './db'
import { newVisit } from './visit'

/**
 * The visit just started from the list, handed to the form in memory so that
 * opening it waits for no read; `stored` settles once IndexedDB has it.
 */
let justStarted: { draft: Draft; household: HouseholdRecord; stored: Promise<unknown> } | null = null

/** The draft `visitId` and its household: from memory once, right after it was started, else from IndexedDB. */
export async function openDraft(visitId: string): Promise<{ draft?: Draft; household?: HouseholdRecord; stored: Promise<unknown> }> {
  const started = justStarted
  justStarted = null
  if (started?.draft.visit_id === visitId) return started
  const draft = await db.drafts.get(visitId)
  const household = draft ? await db.households.get(draft.household_id) : undefined
  return { draft, household, stored: Promise.resolve() }
}

/** The latest visit this phone had stored for the household at the level (沿用上次). */
export async function previousVisit(householdId: string, level: string) {
  const sent = await db.sent.where('household_id').equals(householdId).sortBy('sent_at')
  return sent.filter((s) => s.level === level).pop()
}

/** Opens the household's draft at the level, or starts one. */
export async function startVisit(h: HouseholdRecord, level: string, reuse = false): Promise<string> {
  const open = (await db.drafts.where('household_id').equals(h.id).toArray()).find((d) => d.level === level)
  if (open) return open.visit_id
  const previous = reuse ? await previousVisit(h.id, level) : undefined
  const visit_id = crypto.randomUUID()
  const draft: Draft = { visit_id, household_id: h.id, level, doc: newVisit(h, level, previous?.body), section: 0, updated_at: Date.now() }
  // Written while the form opens; the form's first save waits for it.
  justStarted = { draft: structuredClone(draft), household: h, stored: db.drafts.put(draft) }
  return visit_id
}

/** A corrected visit after 需修改: a new id that `replaces` the rejected one. */
export async function correctVisit(rejectedId: string, document: Record<string, unknown>, level: string): Promise<string> {
  const h = await db.households.get(document.household_id as string)
  const visit_id = crypto.randomUUID()
  const doc = h ? { ...newVisit(h, level, document) } : structuredClone(document)
  doc.replaces = rejectedId
  await db.drafts.put({ visit_id, household_id: document.household_id as string, level, doc, section: 0, updated_at: Date.now() })
  return visit_id
}

/**
 * A visit in 需处理 goes back to the form under the same id, with the server's
 * messages on their fields; it stays in the outbox as 需处理 until resubmitted.
 */
export async function reopenQueued(visitId: string): Promise<void> {
  const q = await db.outbox.get(visitId)
  if (!q || (await db.drafts.get(visitId))) return
  await db.drafts.put({
    visit_id: q.visit_id,
    household_id: q.household_id,
    level: q.level,
    doc: q.body,
    section: 0,
    updated_at: Date.now(),
    server_problems: q.problems,
  })
}
