// What the phone keeps, in IndexedDB (Dexie): the synced households, drafts,
// the outbox, the visits this phone has had stored, and the images by SHA-256.
// Nothing here is cleared on sign-out but the households: unsent work is never
// deleted silently.
import Dexie, { type EntityTable } from 'dexie'
import type { FieldProblem } from '@shared/api'
import type { components } from '@shared/api-schema'

export type HouseholdRecord = components['schemas']['HouseholdRecord']
export type VisitDocument = components['schemas']['VisitDocument']

/** A visit being filled in. `doc` is a partial sancha.visit.v1 document. */
export interface Draft {
  visit_id: string
  household_id: string
  level: string
  doc: Record<string, unknown>
  section: number
  updated_at: number
  /** The server's 409/422 messages of a visit reopened from 需处理. */
  server_problems?: FieldProblem[]
}

/** A submitted visit waiting for the server's 200/201. */
export interface Queued {
  visit_id: string
  /** Who submitted it: only they may send it (谁检查、谁签字、谁负责), whoever signs in on this phone. */
  username: string
  household_id: string
  level: string
  body: Record<string, unknown>
  /** `queued` is sent by the outbox; `problem` (需处理) waits for a fix. */
  state: 'queued' | 'problem'
  problems: FieldProblem[]
  problem_title: string | null
  attempts: number
  next_at: number
  queued_at: number
}

/** A visit the server acknowledged; kept for 已提交 and 沿用上次. */
export interface Sent {
  visit_id: string
  household_id: string
  level: string
  body: Record<string, unknown>
  sent_at: number
}

export interface StoredBlob {
  sha256: string
  type: string
  data: Blob
  uploaded: boolean
}

export interface Meta {
  key: string
  value: unknown
}

export type HouseholdRow = HouseholdRecord & { search: string }

export class FieldDb extends Dexie {
  households!: EntityTable<HouseholdRow, 'id'>
  drafts!: EntityTable<Draft, 'visit_id'>
  outbox!: EntityTable<Queued, 'visit_id'>
  sent!: EntityTable<Sent, 'visit_id'>
  blobs!: EntityTable<StoredBlob, 'sha256'>
  meta!: EntityTable<Meta, 'key'>

  constructor(name = 'sancha-field') {
    super(name)
    this.version(1).stores({
      households: 'id, household_code',
      drafts: 'visit_id, household_id',
      outbox: 'visit_id, household_id, state, queued_at',
      sent: 'visit_id, household_id, sent_at',
      blobs: 'sha256',
      meta: 'key',
    })
  }
}

export const db = new FieldDb()

export async function getMeta<T>(key: string): Promise<T | undefined> {
  return (await db.meta.get(key))?.value as T | undefined
}

export const setMeta = (key: string, value: unknown) => db.meta.put({ key, value })

/** What a household's search matches: head's name, code, group. */
export function searchText(h: HouseholdRecord): string {
  const head = h.members.find((m) => m.relation === 'head')?.name ?? ''
  return [head, h.household_code, h.group_name].join(' ').toLowerCase()
}
