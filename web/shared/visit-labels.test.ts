import { describe, expect, it } from 'vitest'
import { CODE_TABLES } from './labels'
import { VISIT_FIELDS, valueTable } from './visit-labels'

describe('valueTable', () => {
  it('tells apart one key in different containers', () => {
    expect(valueTable('wage', 'kind')).toBe('wage_kind')
    expect(valueTable('photos', 'kind')).toBe('photo_kind')
    expect(valueTable('water', 'quality')).toBe('water_quality')
    expect(valueTable('members', 'education')).toBe('education')
    expect(valueTable('quality', 'food_secure')).toBeUndefined()
  })

  it('names only tables that codes.json has, each with Chinese names', () => {
    const keys = ['poverty_status', 'main_cause', 'relation', 'education', 'school_status', 'health', 'chronic_kinds', 'labor',
      'medical_insurance', 'pension_insurance', 'category', 'verified_by', 'structure', 'grade', 'visible_defects', 'provider', 'datum']
    const scoped = [['employment', 'status'], ['employment', 'place'], ['wage', 'kind'], ['operating', 'kind'], ['property', 'kind'],
      ['transfer', 'kind'], ['excluded', 'reason'], ['renovation', 'kind'], ['water', 'source'], ['water', 'quality'],
      ['monitoring', 'type'], ['answers', 'code'], ['answers', 'value'], ['signatures', 'role'], ['signatures', 'method'], ['photos', 'kind']]
    for (const [container, key] of [...keys.map((k) => ['', k]), ...scoped]) {
      const table = valueTable(container, key)
      expect(table, `${container}/${key}`).toBeDefined()
      const names = Object.values(CODE_TABLES[table!] ?? {})
      expect(names.length, `codes.json has ${table}`).toBeGreaterThan(0)
      for (const n of names) expect(n).toMatch(/[\u4e00-\u9fff]|WGS|GCJ|级/)
    }
  })

  it('has a Chinese name for every field it labels', () => {
    for (const [k, zh] of Object.entries(VISIT_FIELDS)) expect(zh, k).toMatch(/[\u4e00-\u9fff]/)
  })
})
