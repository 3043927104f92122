// Making and finishing a visit document (sancha.visit.v1) on the phone.
import type { User } from '@shared/session'
import type { HouseholdRecord } from './db'

export const APP_VERSION = '1.0.0'

/** An instant as RFC 3339 in China time: 2026-11-20T09:00:00+08:00. */
export function isoCn(at: Date = new Date()): string {
  const cn = new Date(at.getTime() + 8 * 3600_000)
  return cn.toISOString().slice(0, 19) + '+08:00'
}

/** The level a user's visits are at: an enumerator's 村自查, a supervisor's the sample's. */
export function levelFor(user: User, sampleLevel: string | null): string {
  return user.role === 'supervisor' && sampleLevel ? sampleLevel : 'village_self'
}

/** The year whose income a visit records: the current year in China (visits run in its autumn). */
export function incomeYear(at: Date = new Date()): number {
  return new Date(at.getTime() + 8 * 3600_000).getUTCFullYear()
}

/**
 * A new visit of `h`: the registry data prefilled from the roster, every
 * question the visitor must answer left empty, `timing.started_at` now.
 * With `previous` (沿用上次) its answers are the starting point instead.
 */
export function newVisit(h: HouseholdRecord, level: string, previous?: Record<string, unknown>): Record<string, unknown> {
  const now = isoCn()
  const base = previous ? structuredClone(previous) : blankAnswers(h)
  return {
    ...base,
    schema_version: 'sancha.visit.v1',
    household_id: h.id,
    level,
    income_year: (base.income_year as number | undefined) ?? incomeYear(),
    household: {
      ...((base.household as object | undefined) ?? {}),
      division_code: h.division_code,
      group_name: h.group_name,
      registered_year: h.registered_year,
      poverty_status: h.poverty_status,
      exit_year: h.exit_year,
      attribute: h.attribute,
      main_cause: h.main_cause,
      other_causes: h.other_causes,
      registered_member_count: h.members.length,
    },
    signatures: [],
    photos: [],
    geo: null,
    card_scan: null,
    timing: { started_at: now, ended_at: now },
    client: { app_version: APP_VERSION },
    replaces: null,
  }
}

function blankAnswers(h: HouseholdRecord): Record<string, unknown> {
  return {
    household: { monitoring: { is_monitored: false, type: null, risk_types: [] } },
    members: h.members.map((m) => ({
      member_no: m.member_no,
      name: m.name,
      id_type: m.id_type,
      id_number: m.id_number,
      pending_reason: m.pending_reason,
      relation: m.relation,
      sex: m.sex,
      birth_date: m.birth_date,
      chronic_kinds: [],
      employment: { months: 0, place: null },
      shares_budget: true,
    })),
    policy: {
      helpers: h.helpers.map((x) => ({ name: x.name, unit: x.unit, title: x.title ?? null, phone: x.phone ?? null })),
      benefits: [],
    },
    income: { wage: [], operating: [], operating_cost: [], property: [], transfer: [], excluded: [] },
    quality: {
      housing: { renovation: { kind: 'none', completed: null, completed_date: null }, visible_defects: [] },
      water: {},
    },
    revisit: { answers: [], complaint_text: null },
  }
}

/** The document as sent: `ended_at` and `submitted_at` now. */
export function finished(doc: Record<string, unknown>, at: Date = new Date()): Record<string, unknown> {
  const out = structuredClone(doc)
  const timing = (out.timing ?? {}) as Record<string, unknown>
  out.timing = { ...timing, ended_at: isoCn(at), submitted_at: isoCn(at) }
  return out
}

/** The card's token from what the QR code holds: `https://…/c/{token}` or the bare token. */
export function cardToken(text: string): string | null {
  const bare = /^[A-Za-z0-9_-]{16,64}$/
  if (bare.test(text.trim())) return text.trim()
  try {
    const m = new URL(text).pathname.match(/\/c\/([A-Za-z0-9_-]{16,64})\/?$/)
    return m ? m[1] : null
  } catch {
    return null
  }
}
