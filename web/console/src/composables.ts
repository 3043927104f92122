// Small pieces the pages share.
import { ref } from 'vue'
import { describe } from '@shared/api'

export { describe }

/**
 * Cursor paging over a list endpoint: `load(cursor)` fetches one page; the
 * stack of cursors seen gives 上一页 without asking the server to count.
 */
export function useCursorPages<T>(load: (cursor: string) => Promise<{ items: T[]; next_cursor: string; has_more: boolean }>) {
  const items = ref<T[]>([]) as { value: T[] }
  const cursors = ref<string[]>([''])
  const hasMore = ref(false)
  const loading = ref(false)
  const error = ref('')

  async function fetchAt(index: number) {
    loading.value = true
    error.value = ''
    try {
      const page = await load(cursors.value[index])
      items.value = page.items
      hasMore.value = page.has_more
      cursors.value = cursors.value.slice(0, index + 1)
      if (page.has_more) cursors.value.push(page.next_cursor)
    } catch (e) {
      error.value = describe(e)
    } finally {
      loading.value = false
    }
  }

  const page = ref(0)
  const first = () => { page.value = 0; return fetchAt(0) }
  const next = () => { if (hasMore.value) { page.value++; return fetchAt(page.value) } }
  const previous = () => { if (page.value > 0) { page.value--; return fetchAt(page.value) } }
  const reload = () => fetchAt(page.value)
  return { items, hasMore, loading, error, page, first, next, previous, reload }
}

/** Reads a download, reporting bytes as they arrive, and hands it to the browser. */
export async function saveResponse(res: Response, fallbackName: string, onBytes?: (n: number) => void) {
  const reader = res.body?.getReader()
  const parts: BlobPart[] = []
  let received = 0
  if (reader) {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      parts.push(value)
      received += value.length
      onBytes?.(received)
    }
  }
  const blob = new Blob(parts, { type: res.headers.get('Content-Type') ?? 'application/octet-stream' })
  const name = filenameOf(res.headers.get('Content-Disposition')) ?? fallbackName
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 60_000)
  return { name, bytes: received }
}

function filenameOf(disposition: string | null): string | null {
  if (!disposition) return null
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition)
  if (star) return decodeURIComponent(star[1])
  const plain = /filename="?([^";]+)"?/i.exec(disposition)
  return plain ? plain[1] : null
}

export const formatBytes = (n: number) =>
  n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`

/** True on a phone-sized screen (under 720 px), kept current as the window changes. */
export function useNarrow() {
  const query = window.matchMedia('(max-width: 720px)')
  const narrow = ref(query.matches)
  query.addEventListener('change', (e) => (narrow.value = e.matches))
  return narrow
}
