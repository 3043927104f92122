// The visit form is drawn from the visit's JSON Schema, reduced to this tree by
// scripts/visit-schema.mjs (web/shared/visit-schema.json), so every field the
// server takes is on the form with its Chinese name.
import type { InjectionKey } from 'vue'
import schema from '@shared/visit-schema.json'
import type { FieldProblem } from '@shared/api'
import { CODE_TABLES } from '@shared/labels'
import { VISIT_FIELDS, VISIT_ITEMS, valueTable } from '@shared/visit-labels'

export type SchemaNode =
  | { t: 'object'; nullable?: boolean; props: Prop[] }
  | { t: 'array'; min?: number; max?: number; items: SchemaNode }
  | { t: 'enum'; values: string[]; nullable?: boolean }
  | { t: 'string'; nullable?: boolean; format?: string }
  | { t: 'integer' | 'number'; nullable?: boolean; min?: number; max?: number }
  | { t: 'boolean'; nullable?: boolean }
  | { t: 'const'; value: unknown }

export type Prop = SchemaNode & { key: string; required: boolean }

export const VISIT_SCHEMA = schema as unknown as Extract<SchemaNode, { t: 'object' }>

/** The schema of one top-level section of the visit. */
export function sectionSchema(key: string): Prop {
  const p = VISIT_SCHEMA.props.find((x) => x.key === key)
  if (!p) throw new Error(`no section ${key}`)
  return p
}

export const fieldName = (key: string) => VISIT_FIELDS[key] ?? key
export const itemName = (key: string) => VISIT_ITEMS[key] ?? fieldName(key)

/** The Chinese name of an enum value of `key` inside `container`. */
export function valueName(container: string, key: string, value: string): string {
  const table = valueTable(container, key)
  return (table && CODE_TABLES[table]?.[value]) || value
}

/** An empty value of a node, for a new list item or an optional part filled in. */
export function emptyOf(node: SchemaNode): unknown {
  switch (node.t) {
    case 'object':
      return Object.fromEntries(
        node.props.filter((p) => p.t === 'array' || (p.t === 'object' && p.required)).map((p) => [p.key, emptyOf(p)]),
      )
    case 'array':
      return []
    default:
      return null
  }
}

/** Problems by JSON Pointer, for each field to show its own. */
export const PROBLEMS: InjectionKey<() => Map<string, FieldProblem[]>> = Symbol('problems')
/** The members of the visit, for fields that name one (`member_no`). */
export const MEMBERS: InjectionKey<() => { member_no: number; name: string }[]> = Symbol('members')

export function byField(problems: FieldProblem[]): Map<string, FieldProblem[]> {
  const map = new Map<string, FieldProblem[]>()
  for (const p of problems) map.set(p.field, [...(map.get(p.field) ?? []), p])
  return map
}

/** How many problems lie at or under `pointer`. */
export function countUnder(problems: FieldProblem[], pointer: string): number {
  return problems.filter((p) => p.field === pointer || p.field.startsWith(`${pointer}/`)).length
}

/** Yuan as typed (12.5) to integer fen (1250); null when empty or not a number. */
export function fenOf(yuan: string): number | null {
  if (yuan.trim() === '') return null
  const n = Number(yuan)
  return Number.isFinite(n) ? Math.round(n * 100) : null
}

export const yuanOf = (fen: unknown) => (typeof fen === 'number' ? String(fen / 100) : '')

/** A DOM id from a JSON Pointer. */
export const idOf = (pointer: string) => `f${pointer.replace(/[^A-Za-z0-9]/g, '-')}`

export const UNANSWERED = '此项必填，请填写'

/**
 * Every required field left empty, each on its own field. The server reports
 * a document's schema problems one object at a time; the form shows them all
 * at once, so the visitor sees each question still to answer.
 */
export function unanswered(value: unknown, node: SchemaNode = VISIT_SCHEMA, path = ''): FieldProblem[] {
  if (node.t === 'object' && value && typeof value === 'object') {
    const obj = value as Record<string, unknown>
    return node.props.flatMap((p) => {
      const v = obj[p.key]
      const nullable = 'nullable' in p && p.nullable
      const empty = v === undefined || v === '' || (v === null && !nullable && p.t !== 'object')
      if (empty && p.required && p.t !== 'const') return [{ field: `${path}/${p.key}`, code: 'schema.invalid', message: UNANSWERED }]
      return unanswered(v, p, `${path}/${p.key}`)
    })
  }
  if (node.t === 'array' && Array.isArray(value)) return value.flatMap((v, i) => unanswered(v, node.items, `${path}/${i}`))
  return []
}

/** Where a JSON Pointer points, in words: `/members/0/education` → 成员 1 · 文化程度. */
export function placeOf(pointer: string, sections: Record<string, string>): string {
  const parts = pointer.split('/').slice(1)
  const words: string[] = []
  parts.forEach((part, i) => {
    if (/^\d+$/.test(part)) words[words.length - 1] = `${itemName(parts[i - 1])} ${Number(part) + 1}`
    else words.push(i === 0 ? (sections[part] ?? fieldName(part)) : fieldName(part))
  })
  return words.join(' · ') || '整条记录'
}
