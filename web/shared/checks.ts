// The hard errors of a sancha.visit.v1 document that need no storage, found on the
// phone before it sends: the codes, JSON Pointers and messages of the server's 422
// (the shape check of server/src/api/json.rs, then `Visit::parse` in
// server/src/domain/visit.rs). api-spec/check-vectors.json is run against both
// (server/tests/check_vectors.rs and checks.test.ts), so the two cannot drift.
// Enum values, messages and province codes come from codes.json, which a Rust test
// keeps equal to the server's registries.
import codes from './codes.json'
import type { FieldProblem } from './api'
import type { components } from './api-schema'

type Code = keyof typeof codes.hard_errors
type Problem = Omit<FieldProblem, 'field'>
type Table = Exclude<keyof typeof codes, 'finding_codes' | 'hard_errors' | 'provinces'>
// The document after the shape check: every object and list is where SHAPE puts
// it, but any leaf may still hold a wrong value, so the rules test each one they read.
type Checked = any

const messageOf = (code: Code): Problem => ({ code, message: codes.hard_errors[code] })
const problem = (field: string, code: Code): FieldProblem => ({ field, ...messageOf(code) })

/** One money line may not exceed 10,000,000 yuan (`MAX_LINE_FEN`). */
const MAX_LINE_FEN = 1_000_000_000
/** How far in the server's future a visit time may lie (`CLOCK_SKEW_MINUTES`). */
const CLOCK_SKEW_MS = 10 * 60_000
/** `MAX_MEMBERS` of server/src/domain/household.rs. */
const MAX_MEMBERS = 30
const SCHEMA_VERSION = 'sancha.visit.v1'

// ---- leaf values: what serde (and chrono, uuid) accept for each Rust type ------------
// Differences, none in a document the app writes: JSON.parse reads 60.0 as 60, which
// serde refuses for an integer (JSON.stringify never writes 60.0); chrono also reads
// relaxed dates and times (1968-5-12, spaces, `UTC`, a leap second) and keeps
// nanoseconds, where a Date keeps milliseconds.

type Test = (v: unknown) => boolean
const str: Test = (v) => typeof v === 'string'
const bool: Test = (v) => typeof v === 'boolean'
const f64: Test = (v) => typeof v === 'number'
const i32: Test = (v) => Number.isInteger(v) && (v as number) >= -(2 ** 31) && (v as number) < 2 ** 31
const i64: Test = (v) => Number.isInteger(v) && (v as number) >= -(2 ** 63) && (v as number) < 2 ** 63
const sha256: Test = (v) => typeof v === 'string' && /^[0-9a-f]{64}$/i.test(v)
const H = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
const UUID = new RegExp(`^(?:[0-9a-f]{32}|${H}|\\{${H}\\}|urn:uuid:${H})$`, 'i')
const uuid: Test = (v) => typeof v === 'string' && UUID.test(v)
const date: Test = (v) => typeof v === 'string' && isDate(v)
const time: Test = (v) => typeof v === 'string' && instantOf(v) !== undefined
const oneOf = (table: Table): Test => (v) => typeof v === 'string' && Object.hasOwn(codes[table], v)

function isRealDate(y: number, m: number, d: number): boolean {
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
  return days !== undefined && d >= 1 && d <= days
}

/** `YYYY-MM-DD` of a real day. */
function isDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s)
  return m !== null && isRealDate(+m[1]!, +m[2]!, +m[3]!)
}

/** Milliseconds since the epoch of an RFC 3339 time with its offset; undefined otherwise. */
function instantOf(s: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(?:[Zz]|([+-])(\d{2}):?(\d{2}))$/.exec(s)
  if (!m) return undefined
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number]
  const [offH, offM] = [Number(m[9] ?? 0), Number(m[10] ?? 0)]
  if (!isRealDate(y, mo, d) || h > 23 || mi > 59 || sec > 59 || offH > 23 || offM > 59) return undefined
  const t = new Date(Date.UTC(2000, mo - 1, d, h, mi, sec, Number(m[7] ?? 0) * 1000))
  t.setUTCFullYear(y)
  return t.getTime() - (m[8] === '-' ? -1 : 1) * (offH * 60 + offM) * 60_000
}

/** The day and year of `now` on the server's clock, which runs on China time. */
function chinaDay(now: Date): { today: string; year: number } {
  const cn = new Date(now.getTime() + 8 * 3600_000)
  return { today: cn.toISOString().slice(0, 10), year: cn.getUTCFullYear() }
}

// ---- value rules that need nothing but the value -------------------------------------

type Rule = (v: Checked) => Code | undefined
const within = (lo: number, hi: number): Rule => (v) => (v < lo || v > hi ? 'range' : undefined)
const money: Rule = (v) => (v < 0 ? 'money.negative' : v > MAX_LINE_FEN ? 'money.too_large' : undefined)

/** 统计用区划代码: a 12-digit code or its significant prefix, and a village's. */
function regionProblem(v: string): Code | undefined {
  const s = v.trim()
  if (!/^\d*$/.test(s) || ![2, 4, 6, 9, 12].includes(s.length) || !codes.provinces.includes(s.slice(0, 2))) {
    return 'region.code_invalid'
  }
  const padded = s.padEnd(12, '0')
  const significant = [2, 4, 6, 9].find((n) => /^0*$/.test(padded.slice(n))) ?? 12
  // A prefix with trailing zeros inside its own level ("210900") is not a county.
  if (s.length !== 12 && significant < s.length) return 'region.code_invalid'
  return significant === 12 ? undefined : 'region.not_village'
}

// ---- the document's shape, as the Rust structs declare it ----------------------------

/** A leaf: required (`L<T>`) or optional (`Option<L<T>>`, absent or null). */
interface Leaf {
  test: Test
  optional: boolean
  rule?: Rule
}
/** A list (`Vec<_>`): left out means empty unless required; null is a shape error. */
interface List {
  list: Test | Shape
  required: boolean
}
/** A nested object (a struct, or `Option<struct>` absent or null). */
interface Part {
  shape: Shape
  optional: boolean
}
type Node = Leaf | List | Part
type Shape = Record<string, Node>
/** Every field of the spec's schema, no other (checked against api-schema.d.ts). */
type ShapeOf<T> = { [K in keyof T]-?: Node }

const req = (test: Test, rule?: Rule): Leaf => ({ test, optional: false, rule })
const opt = (test: Test, rule?: Rule): Leaf => ({ test, optional: true, rule })
const list = (of: Test | Shape, required = false): List => ({ list: of, required })
const part = (shape: Shape, optional = false): Part => ({ shape, optional })
const fen = req(i64, money)
const optFen = opt(i64, money)

type S = components['schemas']
const MEMBER: ShapeOf<S['VisitMember']> = {
  member_no: req(i32), name: req(str), id_type: req(oneOf('id_type')), id_number: opt(str), pending_reason: opt(str),
  relation: req(oneOf('relation')), sex: opt(oneOf('sex')), birth_date: opt(date), ethnicity: opt(str),
  education: req(oneOf('education')), school_status: req(oneOf('school_status')), school_name: opt(str),
  exempt_cert_ref: opt(str), health: req(oneOf('health')), chronic_kinds: list(oneOf('chronic_kind')),
  disability_cert_no: opt(str), labor: req(oneOf('labor')),
  employment: part({
    status: req(oneOf('employment_status')), months: req(i32, within(0, 12)), place: opt(oneOf('place')),
  } satisfies ShapeOf<S['VisitEmployment']>),
  medical_insurance: req(oneOf('medical_insurance')), critical_illness_insurance: req(bool),
  family_doctor_signed: req(bool), chronic_card: opt(bool), pension_insurance: req(oneOf('pension')),
  in_dibao: req(bool), in_tekun: req(bool), shares_budget: req(bool),
}
const HOUSEHOLD: ShapeOf<S['VisitHousehold']> = {
  division_code: req(str, regionProblem), group_name: req(str), registered_year: req(i32),
  poverty_status: req(oneOf('poverty_status')), exit_year: opt(i32), attribute: req(oneOf('attribute')),
  main_cause: opt(oneOf('cause')), other_causes: list(oneOf('cause')), registered_member_count: req(i32),
  monitoring: part({
    is_monitored: req(bool), type: opt(oneOf('monitor_type')), risk_types: list(str),
  } satisfies ShapeOf<S['VisitMonitoring']>, true),
}
const POLICY: ShapeOf<S['VisitPolicy']> = {
  helpers: list({
    name: req(str), unit: req(str), title: opt(str), phone: opt(str), known_by_household: req(bool),
    visits_last_12m: opt(i32),
  } satisfies ShapeOf<S['VisitHelper']>),
  benefits: list({
    category: req(oneOf('benefit_category')), item: req(str), member_no: opt(i32), amount_fen: fen,
    period: opt(str), earmarked: opt(bool), one_off: opt(bool), verified_by: list(oneOf('verified_by')),
    received_confirmed: opt(bool),
  } satisfies ShapeOf<S['VisitBenefit']>),
}
const INCOME: ShapeOf<S['VisitIncome']> = {
  wage: list({
    member_no: req(i32), kind: req(oneOf('wage_kind')), gross_fen: fen, cost_fen: optFen,
  } satisfies ShapeOf<S['WageLine']>),
  operating: list({ kind: req(oneOf('operating_kind')), item: opt(str), gross_fen: fen } satisfies ShapeOf<S['OperatingLine']>),
  operating_cost: list({ item: opt(str), amount_fen: fen } satisfies ShapeOf<S['AmountLine']>),
  property: list({ kind: req(oneOf('property_kind')), amount_fen: fen } satisfies ShapeOf<S['PropertyLine']>),
  transfer: list({
    kind: req(oneOf('transfer_kind')), amount_fen: fen, agreement_ref: opt(str),
  } satisfies ShapeOf<S['TransferLine']>),
  excluded: list({
    item: req(str), amount_fen: fen, reason: req(oneOf('excluded_reason')),
  } satisfies ShapeOf<S['ExcludedLine']>),
  declared: part({
    gross_fen: optFen, net_fen: optFen, per_capita_fen: optFen, transfer_total_fen: optFen, includes_excluded: opt(bool),
  } satisfies ShapeOf<S['DeclaredIncome']>, true),
  system_snapshot: part({
    net_fen: optFen, per_capita_fen: optFen, member_count: opt(i32), as_of: opt(date),
  } satisfies ShapeOf<S['IncomeSnapshot']>, true),
  rigid_expense: part({ medical_oop_fen: optFen, education_fen: optFen } satisfies ShapeOf<S['RigidExpense']>, true),
  land_mu: part({
    farmland: opt(f64, within(0, 100_000)), irrigated: opt(f64, within(0, 100_000)),
  } satisfies ShapeOf<S['LandHolding']>, true),
}
const QUALITY: ShapeOf<S['VisitQuality']> = {
  food_secure: req(bool), protein_anytime: req(bool), clothing_secure: req(bool),
  housing: part({
    owns_or_lives_safe: req(bool), structure: req(oneOf('structure')), built_year: opt(i32), grade: req(oneOf('grade')),
    appraisal: part({ by: opt(str), date: opt(date), ref: opt(str) } satisfies ShapeOf<S['HousingAppraisal']>, true),
    renovation: part({
      kind: req(oneOf('renovation_kind')), completed: opt(bool), completed_date: opt(date),
    } satisfies ShapeOf<S['HousingRenovation']>, true),
    visible_defects: list(oneOf('defect')),
  } satisfies ShapeOf<S['VisitHousing']>),
  water: part({
    source: req(oneOf('water_source')), piped_to_home: req(bool), quantity_lpd: req(i32, within(0, 1000)),
    quality: req(oneOf('water_quality')), quality_report_ref: opt(str),
    fetch_round_trip_min: opt(i32, within(0, 24 * 60)), fetch_horizontal_m: opt(i32, within(0, 100_000)),
    fetch_vertical_m: opt(i32, within(0, 10_000)), shortage_days_last_year: opt(i32, within(0, 366)),
  } satisfies ShapeOf<S['VisitWater']>),
  disaster: part({ drought: req(bool), crop_loss_pct: req(i32, within(0, 100)) } satisfies ShapeOf<S['VisitDisaster']>, true),
}
const SHAPE: ShapeOf<S['VisitDocument']> = {
  schema_version: req((v) => v === SCHEMA_VERSION), household_id: req(uuid), level: req(oneOf('visit_level')),
  income_year: req(i32), household: part(HOUSEHOLD), members: list(MEMBER, true), policy: part(POLICY),
  income: part(INCOME), quality: part(QUALITY),
  revisit: part({
    respondent_member_no: req(i32),
    answers: list({ code: req(oneOf('answer_code')), value: req(str) } satisfies ShapeOf<S['RevisitAnswer']>),
    acknowledges_exit: req(bool), complaint_text: opt(str),
  } satisfies ShapeOf<S['VisitRevisit']>),
  signatures: list({
    role: req(oneOf('signature_role')), staff_id: opt(str), name: opt(str), unit: opt(str), member_no: opt(i32),
    method: opt(oneOf('sign_method')), refusal_reason: opt(str), signed_at: opt(time), image_sha256: opt(sha256),
  } satisfies ShapeOf<S['VisitSignature']>, true),
  timing: part({ started_at: req(time), ended_at: req(time), submitted_at: opt(time) } satisfies ShapeOf<S['VisitTiming']>),
  geo: part({
    lat: req(f64), lon: req(f64), datum: opt(oneOf('datum')), accuracy_m: opt(f64), fix_at: opt(time),
    provider: opt(oneOf('provider')),
  } satisfies ShapeOf<S['VisitGeo']>, true),
  photos: list({
    kind: req(oneOf('photo_kind')), sha256: req(sha256), taken_at: opt(time), lat: opt(f64), lon: opt(f64),
    upload_ref: opt(str),
  } satisfies ShapeOf<S['VisitPhoto']>),
  client: part({
    app_version: opt(str), device_hash: opt(str), computed_findings: list(str),
  } satisfies ShapeOf<S['VisitClient']>, true),
  card_scan: opt(str),
  replaces: opt(uuid),
}

const isShape = (x: Test | Shape): x is Shape => typeof x !== 'function'
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const pointer = (at: string, key: string | number) => `${at}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`

/**
 * The first shape error as serde meets it, or undefined: keys in sorted order (the
 * server's JSON map is a BTreeMap), depth first, an unknown key at itself, a missing
 * required one at its object once all its keys are read. serde stops at the first.
 */
function shapeError(v: unknown, shape: Shape, at: string): string | undefined {
  if (!isObject(v)) return at
  for (const key of Object.keys(v).sort()) {
    const node = Object.hasOwn(shape, key) ? shape[key]! : undefined
    const x = v[key]
    const here = pointer(at, key)
    if (node === undefined) return here
    if ('shape' in node && !(node.optional && x === null)) {
      const e = shapeError(x, node.shape, here)
      if (e !== undefined) return e
    } else if ('list' in node) {
      if (!Array.isArray(x)) return here
      const of = node.list
      if (isShape(of)) {
        for (const [i, item] of x.entries()) {
          const e = shapeError(item, of, pointer(here, i))
          if (e !== undefined) return e
        }
      }
    }
  }
  const required = (n: Node) => ('list' in n ? n.required : !n.optional)
  return Object.entries(shape).some(([key, n]) => required(n) && !Object.hasOwn(v, key)) ? at : undefined
}

/** `schema.invalid` for each leaf of the wrong type, and each leaf's own rule. */
function leafProblems(v: Record<string, unknown>, shape: Shape, at: string, out: FieldProblem[]): void {
  for (const [key, node] of Object.entries(shape)) {
    const x = v[key]
    const here = pointer(at, key)
    if ('list' in node) {
      const of = node.list
      for (const [i, item] of ((x ?? []) as unknown[]).entries()) {
        if (isShape(of)) leafProblems(item as Record<string, unknown>, of, pointer(here, i), out)
        else if (!of(item)) out.push(problem(pointer(here, i), 'schema.invalid'))
      }
    } else if ('shape' in node) {
      if (x != null) leafProblems(x as Record<string, unknown>, node.shape, here, out)
    } else if (!(node.optional && x == null)) {
      const code = node.test(x) ? node.rule?.(x) : 'schema.invalid'
      if (code) out.push(problem(here, code))
    }
  }
}

// ---- ID numbers ----------------------------------------------------------------------

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
const CHECK_CHARS = '10X98765432'
/** The standard's own published example 440524188001010014 is born in 1880. */
const EARLIEST_BIRTH = '1870-01-01'

interface IdNumber {
  /** Upper-case, as the server compares them. */
  number: string
  sex: 'M' | 'F'
  birthDate: string
}

/**
 * 公民身份号码 (GB 11643-1999): 17 digits of a known province and a real birth date
 * no later than `today`, then its ISO 7064 MOD 11-2 check character (x or X).
 */
function readIdNumber(id: string, today: string): IdNumber | 'id_number.format' | 'id_number.checksum' {
  const s = id.trim().replace(/[a-z]/g, (c) => c.toUpperCase())
  if (!/^\d{17}[\dX]$/.test(s) || !codes.provinces.includes(s.slice(0, 2))) return 'id_number.format'
  const birthDate = `${s.slice(6, 10)}-${s.slice(10, 12)}-${s.slice(12, 14)}`
  if (!isDate(birthDate) || birthDate < EARLIEST_BIRTH || birthDate > today) return 'id_number.format'
  const sum = WEIGHTS.reduce((acc, w, i) => acc + w * Number(s[i]), 0)
  if (CHECK_CHARS[sum % 11] !== s[17]) return 'id_number.checksum'
  return { number: s, sex: Number(s[16]) % 2 === 1 ? 'M' : 'F', birthDate }
}

/** A 残疾人证 number is the holder's ID plus two digits (category, grade): its first 18 count. */
function idPartOf(number: string, idType: string): string {
  const utf8Length = new TextEncoder().encode(number).length
  return idType === 'disability_cert' && utf8Length === 20 && /^[\x00-\x7f]{18}/.test(number) ? number.slice(0, 18) : number
}

/**
 * What the server says of one member's `id_number` on its own, or null when it is
 * fine: a blank one is missing unless `id_type` is `pending_police_cert`. (Whether it
 * repeats another member's, and agrees with `sex` and `birth_date`, `checkVisit` tells.)
 */
export function idNumberProblem(id: string, idType = 'resident_id', now = new Date()): Problem | null {
  if (id.trim() === '') return idType === 'pending_police_cert' ? null : messageOf('id_number.format')
  const read = readIdNumber(idPartOf(id, idType), chinaDay(now).today)
  return typeof read === 'string' ? messageOf(read) : null
}

// ---- rules across fields -------------------------------------------------------------

const nonBlank = (v: unknown) => typeof v === 'string' && v.trim() !== ''
/** A mainland China bounding box (lat 18–54, lon 73–136). */
const inChina = (lat: number, lon: number) => lat >= 18 && lat <= 54 && lon >= 73 && lon <= 136

function memberProblems(members: Checked[], today: string, out: FieldProblem[]): void {
  const seenNos: number[] = []
  const seenIds: string[] = []
  let heads = 0
  for (const [i, m] of members.entries()) {
    const at = (f: string) => `/members/${i}/${f}`
    if (i32(m.member_no)) {
      if (m.member_no < 1 || seenNos.includes(m.member_no)) out.push(problem(at('member_no'), 'members.ref'))
      seenNos.push(m.member_no)
    }
    if (m.relation === 'head') heads += 1
    if (!oneOf('id_type')(m.id_type)) continue
    if (!nonBlank(m.id_number)) {
      if (m.id_type !== 'pending_police_cert') out.push(problem(at('id_number'), 'id_number.format'))
      else if (!nonBlank(m.pending_reason)) out.push(problem(at('pending_reason'), 'schema.invalid'))
      continue
    }
    const id = readIdNumber(idPartOf(m.id_number, m.id_type), today)
    if (typeof id === 'string') {
      out.push(problem(at('id_number'), id))
      continue
    }
    if (oneOf('sex')(m.sex) && m.sex !== id.sex) out.push(problem(at('sex'), 'id_number.mismatch'))
    if (date(m.birth_date) && m.birth_date !== id.birthDate) out.push(problem(at('birth_date'), 'id_number.mismatch'))
    if (seenIds.includes(id.number)) out.push(problem(at('id_number'), 'id_number.duplicate'))
    seenIds.push(id.number)
  }
  // 1 to 30 members, exactly one of them the head.
  if (members.length === 0 || members.length > MAX_MEMBERS || heads !== 1) out.push(problem('/members', 'members.head'))
}

function crossProblems(d: Checked, now: Date, out: FieldProblem[]): void {
  const add = (field: string, code: Code) => out.push(problem(field, code))
  const { today, year: thisYear } = chinaDay(now)

  const incomeYear: number | undefined = i32(d.income_year) ? d.income_year : undefined
  if (incomeYear !== undefined && (incomeYear < 2014 || incomeYear > thisYear)) add('/income_year', 'range')
  const visitYear = Math.min(Math.max(incomeYear ?? thisYear, 2014), thisYear)
  const built = d.quality.housing.built_year
  if (i32(built) && (built < 1900 || built > visitYear)) add('/quality/housing/built_year', 'range')

  const main = oneOf('cause')(d.household.main_cause) ? d.household.main_cause : undefined
  const others: string[] = (d.household.other_causes ?? []).filter(oneOf('cause'))
  if (others.length > 2 || others.some((c, i) => c === main || others.indexOf(c) < i)) {
    add('/household/other_causes', 'causes.too_many')
  }

  memberProblems(d.members, today, out)
  // References are checked against every member number sent, as the server does.
  const numbers: unknown[] = d.members.map((m: Checked) => m.member_no).filter(i32)
  const ref = (field: string, no: unknown) => {
    if (i32(no) && !numbers.includes(no)) add(field, 'members.ref')
  }
  for (const [i, b] of (d.policy.benefits ?? []).entries()) ref(`/policy/benefits/${i}/member_no`, b.member_no)
  for (const [i, w] of (d.income.wage ?? []).entries()) ref(`/income/wage/${i}/member_no`, w.member_no)
  ref('/revisit/respondent_member_no', d.revisit.respondent_member_no)
  for (const [i, s] of d.signatures.entries()) ref(`/signatures/${i}/member_no`, s.member_no)

  for (const [i, a] of (d.revisit.answers ?? []).entries()) {
    // The five-level scale, or yes/no for KNOW_HELPER alone.
    const yesNo = a.value === 'yes' || a.value === 'no'
    const fits = oneOf('answer_value')(a.value) && yesNo === (a.code === 'KNOW_HELPER')
    if (oneOf('answer_code')(a.code) && str(a.value) && !fits) add(`/revisit/answers/${i}/value`, 'schema.invalid')
  }

  const started = time(d.timing.started_at) ? instantOf(d.timing.started_at) : undefined
  const ended = time(d.timing.ended_at) ? instantOf(d.timing.ended_at) : undefined
  if (started !== undefined && ended !== undefined && ended < started) add('/timing/ended_at', 'timing.order')
  const latest = now.getTime() + CLOCK_SKEW_MS
  if (started !== undefined && started > latest) add('/timing/started_at', 'timing.order')
  if (ended !== undefined && ended > latest) add('/timing/ended_at', 'timing.order')

  // An inspector, and a respondent who signed (an image, not refused) or refused with a reason.
  const inspector = d.signatures.some((s: Checked) => s.role === 'inspector')
  const respondent = d.signatures.some((s: Checked) => {
    const refused = s.method === 'refused'
    return s.role === 'respondent' && (refused ? nonBlank(s.refusal_reason) : sha256(s.image_sha256))
  })
  if (!inspector || !respondent) add('/signatures', 'signature.missing')

  const geo = d.geo
  if (geo != null && f64(geo.lat) && f64(geo.lon) && !inChina(geo.lat, geo.lon)) {
    add(geo.lat >= 18 && geo.lat <= 54 ? '/geo/lon' : '/geo/lat', 'range')
  }
  for (const [i, p] of (d.photos ?? []).entries()) {
    if (f64(p.lat) && f64(p.lon) && !inChina(p.lat, p.lon)) add(`/photos/${i}/lat`, 'range')
  }
}

/**
 * Every hard error the server would answer for `doc` at `now` (its clock) that needs
 * no storage, with the server's pointer, code and message; [] when it would pass.
 * A shape error (unknown or missing field, a section of the wrong type) is the only
 * one reported, as on the server. Not here: the household's existence, the user's
 * scope and role, and `replaces` (the server's 404, 403 and `visit.replaces_unknown`).
 */
export function checkVisit(doc: unknown, now: Date): FieldProblem[] {
  const shape = shapeError(doc, SHAPE, '')
  if (shape !== undefined) return [problem(shape, 'schema.invalid')]
  const out: FieldProblem[] = []
  leafProblems(doc as Record<string, unknown>, SHAPE, '', out)
  crossProblems(doc, now, out)
  return out
}
