// 同步: the households of the user's scope (a supervisor: of the chosen
// sample), through the server's incremental sync. The cursor is kept, so a
// resync fetches only what changed since.
import { reactive } from 'vue'
import { api, describe, ok } from '@shared/api'
import { db, getMeta, searchText, setMeta } from './db'

/** The app's version, as its build names it (vite.config.ts). */
declare const APP_VERSION: string

export const syncState = reactive({
  running: false,
  lastSync: null as number | null,
  rulesVersion: null as string | null,
  error: null as string | null,
  fetched: 0,
})

/** The sample a supervisor visits for; its level is the visits' level. */
export interface ChosenSample {
  id: string
  level: string
  scope: string
}

export async function loadSyncState() {
  syncState.lastSync = (await getMeta<number>('last_sync')) ?? null
  syncState.rulesVersion = (await getMeta<string>('rules_version')) ?? null
}

/**
 * An enrolled phone tells the office, after each sync, its app version and how
 * many visits it still holds: the console warns before revoking a phone that
 * has some. A report that fails is skipped; the next sync sends another.
 */
async function report(lastSync: number) {
  if (!(await getMeta<string>('device_id'))) return
  const unsent = await db.outbox.count()
  await api
    .POST('/api/v1/devices/report', { body: { app_version: APP_VERSION, unsent, last_sync_at: new Date(lastSync).toISOString() } })
    .catch(() => undefined)
}

const cursorKey = (sample: ChosenSample | null) => (sample ? `cursor:sample:${sample.id}` : 'cursor:scope')

export async function sync(sample: ChosenSample | null): Promise<number> {
  if (syncState.running) return 0
  syncState.running = true
  syncState.error = null
  syncState.fetched = 0
  try {
    let cursor = await getMeta<string>(cursorKey(sample))
    for (;;) {
      const page = await ok(
        api.GET('/api/v1/households', {
          params: { query: { limit: 500, ...(cursor ? { cursor } : {}), ...(sample ? { sample: sample.id } : {}) } },
        }),
      )
      await db.transaction('rw', db.households, db.meta, async () => {
        await db.households.bulkPut(page.items.map((h) => ({ ...h, search: searchText(h) })))
        await setMeta(cursorKey(sample), page.next_cursor)
      })
      syncState.fetched += page.items.length
      cursor = page.next_cursor
      if (!page.has_more) break
    }
    const rules = await ok(api.GET('/api/v1/rules', {}))
    syncState.rulesVersion = rules.version
    syncState.lastSync = Date.now()
    await setMeta('rules_version', syncState.rulesVersion)
    await setMeta('last_sync', syncState.lastSync)
    await report(syncState.lastSync)
    return syncState.fetched
  } catch (e) {
    syncState.error = describe(e)
    throw e
  } finally {
    syncState.running = false
  }
}
