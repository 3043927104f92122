import { describe, expect, it } from 'vitest'
import schema from '@shared/visit-schema.json'
import { VISIT_FIELDS } from '@shared/visit-labels'
import { emptyOf, fenOf, yuanOf, type SchemaNode } from './form'
import { fitted, imagesOf } from './images'
import { cardToken, finished, isoCn, newVisit } from './visit'
import type { HouseholdRecord } from './db'

describe('the form covers the schema', () => {
  it('names every field of sancha.visit.v1 in Chinese', () => {
    const missing: string[] = []
    const walk = (n: SchemaNode) => {
      if (n.t === 'object') for (const p of (n as Extract<SchemaNode, { t: 'object' }>).props) {
        if (!VISIT_FIELDS[p.key] && !['schema_version', 'household_id', 'level', 'income_year', 'household', 'members', 'policy', 'income', 'revisit', 'signatures', 'timing', 'geo', 'photos', 'client', 'card_scan', 'replaces', 'quality'].includes(p.key)) missing.push(p.key)
        walk(p)
      }
      if (n.t === 'array') walk(n.items)
    }
    walk(schema as unknown as SchemaNode)
    expect(missing).toEqual([])
  })
  it('makes empty list items with their lists', () => {
    const wage = { t: 'object', props: [{ key: 'kind', required: true, t: 'enum', values: ['a'] }, { key: 'lines', required: false, t: 'array', items: { t: 'string' } }] } as SchemaNode
    expect(emptyOf(wage)).toEqual({ lines: [] })
  })
})

describe('money, images, times and cards', () => {
  it('turns yuan into integer fen and back', () => {
    expect(fenOf('12.5')).toBe(1250)
    expect(fenOf('0.1')).toBe(10)
    expect(fenOf('')).toBeNull()
    expect(fenOf('abc')).toBeNull()
    expect(yuanOf(1250)).toBe('12.5')
  })
  it('keeps a photo within 1600 px on its long side', () => {
    expect(fitted(4000, 3000)).toEqual([1600, 1200])
    expect(fitted(1200, 1600)).toEqual([1200, 1600])
    expect(fitted(800, 600)).toEqual([800, 600])
  })
  it('lists the images a visit refers to once', () => {
    const a = 'a'.repeat(64)
    const b = 'b'.repeat(64)
    expect(imagesOf({ photos: [{ sha256: a }], signatures: [{ image_sha256: b }, { image_sha256: a }, { image_sha256: null }] })).toEqual([a, b])
  })
  it('writes China time with its offset', () => {
    expect(isoCn(new Date('2026-11-20T01:00:00Z'))).toBe('2026-11-20T09:00:00+08:00')
  })
  it('reads the token from a card URL or a bare token', () => {
    expect(cardToken('https://sancha.example.cn/c/q3V9xN2bL7mK4pR8sT1wYg')).toBe('q3V9xN2bL7mK4pR8sT1wYg')
    expect(cardToken('q3V9xN2bL7mK4pR8sT1wYg')).toBe('q3V9xN2bL7mK4pR8sT1wYg')
    expect(cardToken('https://example.com/other/path')).toBeNull()
    expect(cardToken('你好')).toBeNull()
  })
})

describe('a new visit', () => {
  const h = {
    id: 'h1', household_code: '1', division_code: '210922201203', group_name: '三组', registered_year: 2014,
    poverty_status: 'exited', exit_year: 2019, attribute: 'general', main_cause: 'illness', other_causes: [],
    members: [{ member_no: 1, name: '张建国', id_type: 'resident_id', id_number: '210922196805120119', relation: 'head', sex: 'M', birth_date: '1968-05-12', pending_reason: null }],
    helpers: [{ name: '王建军', unit: '农业农村局', title: '科员', phone: '13904180001' }],
    location: null, public_token: 't', card_version: 1, version: 1, created_at: '', updated_at: '',
  } as unknown as HouseholdRecord
  it('prefills the roster and leaves the answers to the visitor', () => {
    const v = newVisit(h, 'village_self') as any
    expect(v.schema_version).toBe('sancha.visit.v1')
    expect(v.members[0]).toMatchObject({ member_no: 1, name: '张建国', relation: 'head' })
    expect(v.members[0].education).toBeUndefined()
    expect(v.quality.food_secure).toBeUndefined()
    expect(v.household.registered_member_count).toBe(1)
    expect(v.timing.started_at).toMatch(/\+08:00$/)
  })
  it('starts from the previous visit when asked, with its own time and no old signatures', () => {
    const prev = { ...newVisit(h, 'village_self'), quality: { food_secure: true }, signatures: [{ role: 'inspector' }], timing: { started_at: 'old', ended_at: 'old' } }
    const v = newVisit(h, 'village_self', prev) as any
    expect(v.quality.food_secure).toBe(true)
    expect(v.signatures).toEqual([])
    expect(v.timing.started_at).not.toBe('old')
  })
  it('ends when it is submitted', () => {
    const v = finished({ timing: { started_at: '2026-11-20T09:00:00+08:00', ended_at: '2026-11-20T09:00:00+08:00' } }, new Date('2026-11-20T01:40:00Z')) as any
    expect(v.timing).toEqual({ started_at: '2026-11-20T09:00:00+08:00', ended_at: '2026-11-20T09:40:00+08:00', submitted_at: '2026-11-20T09:40:00+08:00' })
  })
})

describe('what is still to answer', () => {
  it('names each empty required field by its pointer, and nothing optional', async () => {
    const { unanswered, placeOf } = await import('./form')
    const doc = { members: [{ member_no: 1, name: '张建国', education: 'junior' }], timing: { started_at: 'x' } }
    const fields = unanswered(doc).map((p) => p.field)
    expect(fields).toContain('/members/0/school_status')
    expect(fields).toContain('/timing/ended_at')
    expect(fields).toContain('/policy')
    expect(fields).not.toContain('/members/0/education')
    expect(fields).not.toContain('/members/0/ethnicity')
    expect(fields).not.toContain('/timing/submitted_at')
    expect(placeOf('/members/0/education', { members: '家庭成员' })).toBe('成员 1 · 文化程度')
    expect(placeOf('', {})).toBe('整条记录')
  })
})
