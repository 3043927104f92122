import { describe, expect, it } from 'vitest'
import example from '../../api-spec/examples/visit-clean.json'
import vectors from '../../api-spec/check-vectors.json'
import type { FieldProblem } from './api'
import codes from './codes.json'
import { checkVisit, idNumberProblem } from './checks'

interface Op {
  op: string
  path: string
  value?: unknown
}
interface Vector {
  name: string
  now?: string
  patch: Op[]
  errors: FieldProblem[]
}
const table = vectors as unknown as { now: string; vectors: Vector[] }

/** The `add`, `replace` and `remove` operations of an RFC 6902 patch, on a copy. */
function applyPatch(doc: unknown, patch: Op[]): unknown {
  const out = structuredClone(doc)
  for (const { op, path, value } of patch) {
    const keys = path.split('/').slice(1).map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'))
    const last = keys.pop()!
    const parent = keys.reduce((v: any, k) => v?.[k], out)
    if (typeof parent !== 'object' || parent === null) throw new Error(`${path}: no parent`)
    if (Array.isArray(parent)) {
      const i = last === '-' ? parent.length : Number(last)
      if (op === 'add') parent.splice(i, 0, value)
      else if (op === 'replace') parent[i] = value
      else parent.splice(i, 1)
    } else if (op === 'remove') delete parent[last]
    else parent[last] = value
  }
  return out
}

/** The errors as comparable strings, sorted: a set that keeps repeats. */
const asSet = (errors: FieldProblem[]) => errors.map((e) => `${e.field} ${e.code} ${e.message}`).sort()

describe('checkVisit answers every vector of api-spec/check-vectors.json as the server does', () => {
  it.each(table.vectors.map((v) => [v.name, v] as const))('%s', (_, v) => {
    const doc = applyPatch(example, v.patch)
    expect(asSet(checkVisit(doc, new Date(v.now ?? table.now)))).toEqual(asSet(v.errors))
  })

  it('has a vector for every hard error the checks give', () => {
    const covered = new Set(table.vectors.flatMap((v) => v.errors.map((e) => e.code)))
    expect(Object.keys(codes.hard_errors).filter((c) => !covered.has(c))).toEqual([])
  })
})

describe('idNumberProblem', () => {
  const now = new Date('2026-11-20T10:00:00+08:00')
  it('passes a valid number, lower-case x too', () => {
    expect(idNumberProblem('210922196805120119', 'resident_id', now)).toBeNull()
    expect(idNumberProblem('21092219700308048x', 'resident_id', now)).toBeNull()
  })
  it('names a wrong check character and a wrong format with the server message', () => {
    expect(idNumberProblem('210922196805120118', 'resident_id', now)).toEqual({
      code: 'id_number.checksum',
      message: '身份证号校验码错误',
    })
    expect(idNumberProblem('99092219680512011X', 'resident_id', now)?.code).toBe('id_number.format')
  })
  it('needs a number unless the police certificate is pending, and checks a disability card by its first 18', () => {
    expect(idNumberProblem(' ', 'resident_id', now)?.code).toBe('id_number.format')
    expect(idNumberProblem('', 'pending_police_cert', now)).toBeNull()
    expect(idNumberProblem('21092219680512011921', 'disability_cert', now)).toBeNull()
    expect(idNumberProblem('21092219680512011921', 'resident_id', now)?.code).toBe('id_number.format')
  })
})
