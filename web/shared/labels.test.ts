import { describe, expect, it } from 'vitest'
import { FINDING_CODES, LEVELS, PROCESS_SHORT, chinaDays, formatTime, levelOfScope, maskId, percent, scopeOf } from './labels'

describe('scopeOf', () => {
  it('cuts a 12-digit code to its significant prefix', () => {
    expect(scopeOf('210922201203')).toBe('210922201203')
    expect(scopeOf('210922201000')).toBe('210922201')
    expect(scopeOf('210922000000')).toBe('210922')
    expect(scopeOf('210900000000')).toBe('2109')
    expect(scopeOf('210000000000')).toBe('21')
  })
  it('leaves a prefix as it is', () => {
    expect(scopeOf('2109')).toBe('2109')
  })
  it('names the level of a scope by its length', () => {
    expect(['21', '2109', '210922', '210922201', '210922201203'].map(levelOfScope)).toEqual([
      'province', 'city', 'county', 'town', 'village',
    ])
  })
})

describe('maskId', () => {
  it('keeps the first and last four characters', () => {
    expect(maskId('210922196805120119')).toBe('2109**********0119')
  })
  it('hides a short number whole and shows nothing for none', () => {
    expect(maskId('1234567')).toBe('*******')
    expect(maskId(null)).toBe('')
  })
})

describe('formatTime', () => {
  it('shows a UTC instant in China time, whatever the browser zone', () => {
    expect(formatTime('2026-11-20T01:38:00.000Z')).toBe('2026-11-20 09:38')
    expect(formatTime('2026-12-01T20:05:00Z')).toBe('2026-12-02 04:05')
  })
  it('gives back what it cannot read', () => {
    expect(formatTime('not a time')).toBe('not a time')
    expect(formatTime(null)).toBe('')
  })
})

describe('the tables', () => {
  it('list the levels in the order the campaign checks them', () => {
    expect(Object.values(LEVELS)).toEqual(['村自查', '乡镇互检', '县区交叉互检', '市级督导'])
  })
  it('name every finding code in Chinese, with a severity', () => {
    expect(FINDING_CODES['income.below_line']).toEqual({ zh: '人均纯收入低于收入标准', severity: 'high' })
    for (const c of Object.values(FINDING_CODES)) {
      expect(c.zh).toMatch(/[\u4e00-\u9fff]/)
      expect(['high', 'medium', 'low', 'info']).toContain(c.severity)
    }
  })
  it('give every process code, and only those, a short name for the integrity report', () => {
    const process = Object.keys(FINDING_CODES).filter((c) => c.startsWith('process.')).sort()
    expect(Object.keys(PROCESS_SHORT).sort()).toEqual(process)
  })
  it('rounds a share to a tenth of a percent', () => {
    expect(percent(0.8567)).toBe('85.7%')
  })
})

describe('chinaDays', () => {
  it('turns picked days into China-time [from, to) instants', () => {
    // The picker gives local midnights; 1 and 2 December are meant.
    const range = chinaDays([new Date(2026, 11, 1), new Date(2026, 11, 2)])
    expect(range).toEqual({ from: '2026-11-30T16:00:00.000Z', to: '2026-12-02T16:00:00.000Z' })
  })
  it('gives nothing for no range', () => {
    expect(chinaDays(null)).toEqual({})
  })
})
