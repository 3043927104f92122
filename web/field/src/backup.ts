// 导出备份: the outbox — visits and their images — in one file the office
// loads with `sancha import visits FILE`, through the normal idempotent
// ingest, so a broken phone's visits still arrive exactly once.
import { session } from '@shared/session'
import { db } from './db'
import { imagesOf } from './images'
import { APP_VERSION, isoCn } from './visit'

export interface Backup {
  format: 'sancha.outbox.v1'
  exported_at: string
  username: string
  app_version: string
  visits: { visit_id: string; body: Record<string, unknown> }[]
  blobs: { sha256: string; content_type: string; data_base64: string }[]
}

async function base64(data: Blob): Promise<string> {
  const bytes = new Uint8Array(await data.arrayBuffer())
  let text = ''
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(text)
}

/** The signed-in user's unsent visits (a file is one user's: they are submitted as them). */
export async function backup(): Promise<Backup> {
  const username = session.user?.username ?? ''
  const outbox = (await db.outbox.orderBy('queued_at').toArray()).filter((q) => q.username === username)
  const hashes = [...new Set(outbox.flatMap((q) => imagesOf(q.body)))]
  const blobs = (await db.blobs.bulkGet(hashes)).filter((b) => b !== undefined)
  return {
    format: 'sancha.outbox.v1',
    exported_at: isoCn(),
    username,
    app_version: APP_VERSION,
    visits: outbox.map((q) => ({ visit_id: q.visit_id, body: q.body })),
    blobs: await Promise.all(blobs.map(async (b) => ({ sha256: b.sha256, content_type: b.type, data_base64: await base64(b.data) }))),
  }
}

/** Saves the backup as a file the phone keeps in its downloads. */
export async function downloadBackup(): Promise<number> {
  const data = await backup()
  const file = new Blob([JSON.stringify(data)], { type: 'application/json' })
  const a = document.createElement('a')
  a.href = URL.createObjectURL(file)
  a.download = `sancha-备份-${data.username}-${data.exported_at.slice(0, 16).replace(/[:T]/g, '')}.json`
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000)
  return data.visits.length
}
