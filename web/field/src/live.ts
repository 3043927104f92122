// Vue refs that follow IndexedDB: each changes when the rows it reads change.
import { liveQuery } from 'dexie'
import { onScopeDispose, shallowRef, type Ref } from 'vue'
import { db } from './db'

export function useLive<T>(query: () => Promise<T>, initial: T): Ref<T> {
  const value = shallowRef(initial) as Ref<T>
  const sub = liveQuery(query).subscribe({ next: (v) => (value.value = v) })
  onScopeDispose(() => sub.unsubscribe())
  return value
}

/** The counts always on screen: 待发送 and 需处理. */
export function useOutboxCounts() {
  return useLive(async () => {
    const all = await db.outbox.toArray()
    return { queued: all.filter((q) => q.state === 'queued').length, problem: all.filter((q) => q.state === 'problem').length }
  }, { queued: 0, problem: 0 })
}
