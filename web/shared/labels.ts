// Chinese names of the API's codes and enums, for every screen. They come from
// codes.json, which a Rust test keeps equal to the server's registries
// (server/tests/screen_codes.rs); only the screens' own words are written here.
import codes from './codes.json'

/** Every table of codes.json but the finding codes: value → Chinese name. */
export const CODE_TABLES = codes as unknown as Record<string, Record<string, string>>

export const FINDING_CODES: Record<string, { zh: string; severity: string }> = codes.finding_codes
/** In the order the campaign checks: 村自查, 乡镇互检, 县区交叉互检, 市级督导. */
export const LEVELS: Record<string, string> = Object.fromEntries(
  ['village_self', 'town_mutual', 'county_cross', 'city_supervision'].map((l) => [l, (codes.visit_level as Record<string, string>)[l]]),
)
export const ROLES: Record<string, string> = codes.role
export const POVERTY_STATUSES: Record<string, string> = codes.poverty_status
export const ATTRIBUTES: Record<string, string> = codes.attribute
export const CAUSES: Record<string, string> = codes.cause
export const RELATIONS: Record<string, string> = codes.relation
export const ID_TYPES: Record<string, string> = codes.id_type
export const SEXES: Record<string, string> = codes.sex
export const BENEFITS: Record<string, string> = codes.benefit_category

export const findingName = (code: string) => FINDING_CODES[code]?.zh ?? code

export const SUPERVISORY_LEVELS = ['town_mutual', 'county_cross', 'city_supervision'] as const

/** Short names of the `process.*` codes, as the integrity report's columns
 * (the same as its CSV/XLSX headers, server/src/export.rs). */
export const PROCESS_SHORT: Record<string, string> = {
  'process.supervision_over_limit': '督导超次',
  'process.single_inspector': '单人签字',
  'process.no_gps': '无定位',
  'process.gps_far': '定位过远',
  'process.too_short': '时间过短',
  'process.card_mismatch': '卡户不符',
  'process.impossible_travel': '行程不可能',
  'process.overlap': '时间重叠',
  'process.photo_reused': '照片重复',
  'process.signature_reused': '签名重复',
  'process.answers_copied': '回答雷同',
  'process.daily_volume': '单日过多',
}

/** How a sample is drawn (`POST /samples` `strategy`). */
export const SAMPLE_STRATEGIES: Record<string, string> = { random: '随机抽取', risk: '风险优先' }

export const SEVERITIES: Record<string, string> = { high: '高', medium: '中', low: '低', info: '提示' }

export const FINDING_STATUSES: Record<string, string> = { open: '待整改', rectified: '已整改', closed: '已销号' }

export const REVIEW_STATES: Record<string, string> = {
  unreviewed: '待审核',
  approved: '已通过',
  rejected: '已退回',
}

export const label = (table: Record<string, string>, key: string | null | undefined) =>
  key == null ? '' : (table[key] ?? key)

/** The significant prefix of a 12-digit region code: its scope (2109, 210922201…). */
export function scopeOf(code: string): string {
  if (code.length !== 12) return code
  if (code.slice(9) !== '000') return code
  if (code.slice(6, 9) !== '000') return code.slice(0, 9)
  if (code.slice(4, 6) !== '00') return code.slice(0, 6)
  if (code.slice(2, 4) !== '00') return code.slice(0, 4)
  return code.slice(0, 2)
}

/** The region level of a scope, by its length. */
export function levelOfScope(scope: string): 'province' | 'city' | 'county' | 'town' | 'village' {
  return ({ 2: 'province', 4: 'city', 6: 'county', 9: 'town' } as const)[scope.length as 2 | 4 | 6 | 9] ?? 'village'
}

/** 2109**********0119: an ID number as the screens show it until 显示 is clicked. */
export function maskId(id: string | null | undefined): string {
  if (!id) return ''
  if (id.length <= 8) return '*'.repeat(id.length)
  return id.slice(0, 4) + '*'.repeat(id.length - 8) + id.slice(-4)
}

/** A UTC instant shown in China time, to the minute. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return ''
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  const cn = new Date(d.getTime() + 8 * 3600_000)
  const p = (n: number) => String(n).padStart(2, '0')
  return `${cn.getUTCFullYear()}-${p(cn.getUTCMonth() + 1)}-${p(cn.getUTCDate())} ${p(cn.getUTCHours())}:${p(cn.getUTCMinutes())}`
}

/**
 * A date picker's range as the API's `[from, to)` instants: from the first
 * day's China midnight to the one after the last day; nothing when unset.
 */
export function chinaDays(dates: [Date, Date] | null | undefined): { from?: string; to?: string } {
  if (!dates) return {}
  const midnight = (d: Date) => Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()) - 8 * 3600_000
  return {
    from: new Date(midnight(dates[0])).toISOString(),
    to: new Date(midnight(dates[1]) + 86_400_000).toISOString(),
  }
}

export const percent = (x: number) => `${Math.round(x * 1000) / 10}%`
