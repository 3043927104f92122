// Region names by code, for the tables that list codes (samples, users, the
// audit log, print runs): each parent's children are fetched once and kept.
import { reactive } from 'vue'
import { api, ok } from '@shared/api'
import { scopeOf } from '@shared/labels'

const names = reactive(new Map<string, string>())
const asked = new Set<string>()

function parentOf(scope: string): string | null {
  const up: Record<number, number> = { 12: 9, 9: 6, 6: 4, 4: 2 }
  return up[scope.length] ? scope.slice(0, up[scope.length]) : null
}

async function fill(parent: string) {
  if (asked.has(parent)) return
  asked.add(parent)
  try {
    const data = await ok(api.GET('/api/v1/regions', { params: { query: { parent } } }))
    for (const r of data.items ?? []) names.set(scopeOf(r.code), r.name)
  } catch {
    asked.delete(parent) // outside the user's scope, or offline: show the code
  }
}

/** The region's name once known (reactive), its code until then. */
export function regionName(code: string | null | undefined): string {
  if (!code) return ''
  const scope = scopeOf(code)
  const known = names.get(scope)
  if (known) return known
  const parent = parentOf(scope)
  if (parent) void fill(parent)
  return scope
}
