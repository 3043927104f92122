//! The household roster: households, their members and helpers, written
//! together in one transaction with an audit row.
//!
//! Phone sync pages by `sync_seq`, a counter bumped on every change. The
//! counter row is updated inside the writing transaction, so its row lock
//! makes writers take turns and sequence order equals commit order: a reader
//! paging by `sync_seq` never skips a change that commits behind its cursor.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::schema::{helpers, household_members, households};
use super::{audit, now, rfc3339, AnyConnection};
use crate::domain::household::{
    Datum, HelperInput, Household, HouseholdInput, LocationInput, Member,
};
use crate::domain::RegionCode;
use crate::error::{ApiError, Code, FieldError};

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = households)]
struct HouseholdRow {
    id: String,
    household_code: String,
    division_code: String,
    group_name: String,
    registered_year: i32,
    poverty_status: String,
    exit_year: Option<i32>,
    attribute: String,
    main_cause: String,
    other_causes: String,
    lat: Option<f64>,
    lon: Option<f64>,
    datum: Option<String>,
    public_token: String,
    card_version: i32,
    version: i32,
    sync_seq: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = household_members)]
struct MemberRow {
    household_id: String,
    member_no: i32,
    name: String,
    id_type: String,
    id_number: Option<String>,
    relation: String,
    sex: Option<String>,
    birth_date: Option<String>,
    pending_reason: Option<String>,
}

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = helpers)]
struct HelperRow {
    household_id: String,
    position: i32,
    name: String,
    unit: String,
    title: String,
    phone: String,
}

/// A household as the authenticated API shows it (it carries personal data:
/// never build a public response from it).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct HouseholdRecord {
    pub id: String,
    pub household_code: String,
    pub division_code: String,
    pub group_name: String,
    pub registered_year: i32,
    pub poverty_status: String,
    pub exit_year: Option<i32>,
    pub attribute: String,
    pub main_cause: String,
    pub other_causes: Vec<String>,
    pub members: Vec<MemberRecord>,
    pub helpers: Vec<HelperInput>,
    pub location: Option<LocationInput>,
    pub public_token: String,
    pub card_version: i32,
    pub version: i32,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MemberRecord {
    pub member_no: i32,
    pub name: String,
    pub id_type: String,
    pub id_number: Option<String>,
    pub relation: String,
    pub sex: Option<String>,
    pub birth_date: Option<String>,
    pub pending_reason: Option<String>,
}

/// Who makes a change, for the audit row.
pub struct Actor<'a>(pub &'a str);

/// Parses a roster entry and checks what needs the database (the village
/// must be registered), reporting every problem at once.
pub fn check(
    conn: &mut AnyConnection,
    input: HouseholdInput,
    today: NaiveDate,
) -> Result<Household, ApiError> {
    let village_known = match RegionCode::parse(&input.division_code) {
        Some(c) => super::regions::exists(conn, &c)?,
        None => true, // the parser reports the malformed code itself
    };
    let mut errors = match Household::parse(input, today) {
        Ok(h) if village_known => return Ok(h),
        Ok(_) => Vec::new(),
        Err(e) => e,
    };
    if !village_known {
        errors.insert(0, FieldError::new("/division_code", Code::RegionUnknown));
    }
    Err(ApiError::invalid(errors))
}

/// The household code must be free (or already this household's).
pub fn ensure_code_free(
    conn: &mut AnyConnection,
    h: &Household,
    own_id: Option<&str>,
) -> Result<(), ApiError> {
    let holder = households::table
        .filter(households::household_code.eq(&h.household_code))
        .select(households::id)
        .first::<String>(conn)
        .optional()?;
    match holder {
        Some(id) if Some(id.as_str()) != own_id => {
            Err(ApiError::conflict(Code::HouseholdCodeTaken))
        }
        _ => Ok(()),
    }
}

fn next_sync_seq(conn: &mut AnyConnection) -> Result<i64, ApiError> {
    super::next_counter(conn, "household_sync")
}

/// 128 random bits, base64url: the QR card's token, unrelated to any id.
pub fn new_public_token() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 16];
    crate::auth::random_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn insert(
    conn: &mut AnyConnection,
    h: &Household,
    actor: Actor<'_>,
) -> Result<HouseholdRecord, ApiError> {
    ensure_code_free(conn, h, None)?;
    // The counter's row lock first, the clock second: timestamps then follow commit order.
    let sync_seq = next_sync_seq(conn)?;
    let t = now();
    let row = HouseholdRow {
        id: uuid::Uuid::new_v4().to_string(),
        public_token: new_public_token(),
        card_version: 1,
        version: 1,
        sync_seq,
        created_at: t,
        updated_at: t,
        ..household_columns(h)
    };
    diesel::insert_into(households::table)
        .values(&row)
        .execute(conn)?;
    insert_children(conn, &row.id, h)?;
    audit::record(
        conn,
        audit::Entry {
            at: t,
            actor: actor.0,
            entity: "household",
            entity_id: &row.id,
            scope: Some(&row.division_code),
            action: "create",
            old_version: None,
            new_version: Some(1),
            detail: "",
        },
    )?;
    get(conn, &row.id)?
        .ok_or_else(|| ApiError::internal("household vanished inside its own transaction"))
}

/// Full replace. `expected_version`, when given, must match the stored one (else 412).
pub fn replace(
    conn: &mut AnyConnection,
    id: &str,
    h: &Household,
    expected_version: Option<i32>,
    actor: Actor<'_>,
) -> Result<HouseholdRecord, ApiError> {
    let current = households::table
        .find(id)
        .first::<HouseholdRow>(conn)
        .optional()?
        .ok_or_else(ApiError::not_found)?;
    if expected_version.is_some_and(|v| v != current.version) {
        return Err(ApiError::new(
            actix_web::http::StatusCode::PRECONDITION_FAILED,
            Code::VersionMismatch,
        ));
    }
    ensure_code_free(conn, h, Some(id))?;
    let sync_seq = next_sync_seq(conn)?;
    let t = now();
    let row = HouseholdRow {
        id: current.id.clone(),
        public_token: current.public_token.clone(),
        card_version: current.card_version,
        version: current.version + 1,
        sync_seq,
        created_at: current.created_at,
        updated_at: t,
        ..household_columns(h)
    };
    diesel::update(households::table.find(id))
        .set((
            households::household_code.eq(&row.household_code),
            households::division_code.eq(&row.division_code),
            households::group_name.eq(&row.group_name),
            households::registered_year.eq(row.registered_year),
            households::poverty_status.eq(&row.poverty_status),
            households::exit_year.eq(row.exit_year),
            households::attribute.eq(&row.attribute),
            households::main_cause.eq(&row.main_cause),
            households::other_causes.eq(&row.other_causes),
            households::lat.eq(row.lat),
            households::lon.eq(row.lon),
            households::datum.eq(&row.datum),
            households::version.eq(row.version),
            households::sync_seq.eq(row.sync_seq),
            households::updated_at.eq(t),
        ))
        .execute(conn)?;
    diesel::delete(household_members::table.filter(household_members::household_id.eq(id)))
        .execute(conn)?;
    diesel::delete(helpers::table.filter(helpers::household_id.eq(id))).execute(conn)?;
    insert_children(conn, id, h)?;
    audit::record(
        conn,
        audit::Entry {
            at: t,
            actor: actor.0,
            entity: "household",
            entity_id: id,
            scope: Some(&row.division_code),
            action: "replace",
            old_version: Some(current.version),
            new_version: Some(row.version),
            detail: "",
        },
    )?;
    get(conn, id)?.ok_or_else(ApiError::not_found)
}

/// The columns that come from the roster entry itself.
fn household_columns(h: &Household) -> HouseholdRow {
    HouseholdRow {
        id: String::new(),
        household_code: h.household_code.clone(),
        division_code: h.division_code.as_str().to_string(),
        group_name: h.group_name.clone(),
        registered_year: h.registered_year,
        poverty_status: h.poverty_status.as_str().to_string(),
        exit_year: h.exit_year,
        attribute: h.attribute.as_str().to_string(),
        main_cause: h.main_cause.as_str().to_string(),
        other_causes: serde_json::to_string(&h.other_causes).unwrap_or_else(|_| "[]".into()),
        lat: h.location.map(|l| l.lat),
        lon: h.location.map(|l| l.lon),
        datum: h.location.map(|l| datum_str(l.datum).to_string()),
        public_token: String::new(),
        card_version: 0,
        version: 0,
        sync_seq: 0,
        created_at: NaiveDateTime::default(),
        updated_at: NaiveDateTime::default(),
    }
}

fn datum_str(d: Datum) -> &'static str {
    match d {
        Datum::WGS84 => "WGS84",
        Datum::GCJ02 => "GCJ02",
    }
}

fn insert_children(conn: &mut AnyConnection, id: &str, h: &Household) -> Result<(), ApiError> {
    // Row by row: diesel's multi-backend connection has no batch insert.
    for m in &h.members {
        diesel::insert_into(household_members::table)
            .values(&member_row(id, m))
            .execute(conn)?;
    }
    for (x, position) in h.helpers.iter().zip(1..) {
        let row = HelperRow {
            household_id: id.to_string(),
            position,
            name: x.name.trim().to_string(),
            unit: x.unit.trim().to_string(),
            title: x.title.trim().to_string(),
            phone: x.phone.trim().to_string(),
        };
        diesel::insert_into(helpers::table)
            .values(&row)
            .execute(conn)?;
    }
    Ok(())
}

fn member_row(household_id: &str, m: &Member) -> MemberRow {
    MemberRow {
        household_id: household_id.to_string(),
        member_no: m.member_no,
        name: m.name.clone(),
        id_type: m.id_type.as_str().to_string(),
        id_number: m.id_number.clone(),
        relation: m.relation.as_str().to_string(),
        sex: m.sex.map(|s| s.as_str().to_string()),
        birth_date: m.birth_date.map(|d| d.format("%Y-%m-%d").to_string()),
        pending_reason: m.pending_reason.clone(),
    }
}

pub fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<HouseholdRecord>, ApiError> {
    let row = households::table
        .find(id)
        .first::<HouseholdRow>(conn)
        .optional()?;
    Ok(match row {
        Some(row) => assemble(conn, vec![row])?.pop(),
        None => None,
    })
}

/// Every household of one village in print order: by group, then household code.
pub fn in_village(
    conn: &mut AnyConnection,
    village: &str,
) -> Result<Vec<HouseholdRecord>, ApiError> {
    let rows = households::table
        .filter(households::division_code.eq(village))
        .order((
            households::group_name.asc(),
            households::household_code.asc(),
        ))
        .load::<HouseholdRow>(conn)?;
    assemble(conn, rows)
}

/// The villages in `scope` that have households, in code order.
pub fn villages(conn: &mut AnyConnection, scope: &RegionCode) -> Result<Vec<String>, ApiError> {
    let (low, high) = scope.code_range();
    Ok(households::table
        .filter(households::division_code.between(low, high))
        .select(households::division_code)
        .distinct()
        .order(households::division_code.asc())
        .load(conn)?)
}

/// The village of a household, for scope checks before anything else is read.
pub fn division_of(conn: &mut AnyConnection, id: &str) -> Result<Option<String>, ApiError> {
    Ok(households::table
        .find(id)
        .select(households::division_code)
        .get_result::<String>(conn)
        .optional()?)
}

/// One page of the phone's incremental sync.
pub struct SyncPage {
    pub items: Vec<HouseholdRecord>,
    /// The sequence of the last item, to resume after.
    pub last_seq: Option<i64>,
    pub has_more: bool,
}

/// Households in `scope` changed after `after_seq` (and at or after
/// `since`; only those of `sample` when given: a supervisor's phone syncs
/// just the households it is to visit), in commit order.
pub fn sync_page(
    conn: &mut AnyConnection,
    scope: &RegionCode,
    since: Option<NaiveDateTime>,
    sample: Option<&str>,
    after_seq: i64,
    limit: i64,
) -> Result<SyncPage, ApiError> {
    let (low, high) = scope.code_range();
    let mut q = households::table
        .filter(households::division_code.between(low, high))
        .filter(households::sync_seq.gt(after_seq))
        .order(households::sync_seq.asc())
        .limit(limit + 1)
        .into_boxed();
    if let Some(since) = since {
        q = q.filter(households::updated_at.ge(since));
    }
    if let Some(sample) = sample {
        use super::schema::sample_households as sh;
        let picked = sh::table
            .filter(sh::sample_id.eq(sample.to_string()))
            .select(sh::household_id);
        q = q.filter(households::id.eq_any(picked));
    }
    let mut rows = q.load::<HouseholdRow>(conn)?;
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let last_seq = rows.last().map(|r| r.sync_seq);
    Ok(SyncPage {
        items: assemble(conn, rows)?,
        last_seq,
        has_more,
    })
}

/// Loads members and helpers of many households in two queries.
fn assemble(
    conn: &mut AnyConnection,
    rows: Vec<HouseholdRow>,
) -> Result<Vec<HouseholdRecord>, ApiError> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut members: HashMap<String, Vec<MemberRecord>> = HashMap::new();
    for m in household_members::table
        .filter(household_members::household_id.eq_any(&ids))
        .order((
            household_members::household_id,
            household_members::member_no,
        ))
        .load::<MemberRow>(conn)?
    {
        members
            .entry(m.household_id)
            .or_default()
            .push(MemberRecord {
                member_no: m.member_no,
                name: m.name,
                id_type: m.id_type,
                id_number: m.id_number,
                relation: m.relation,
                sex: m.sex,
                birth_date: m.birth_date,
                pending_reason: m.pending_reason,
            });
    }
    let mut helper_map: HashMap<String, Vec<HelperInput>> = HashMap::new();
    for x in helpers::table
        .filter(helpers::household_id.eq_any(&ids))
        .order((helpers::household_id, helpers::position))
        .load::<HelperRow>(conn)?
    {
        helper_map
            .entry(x.household_id)
            .or_default()
            .push(HelperInput {
                name: x.name,
                unit: x.unit,
                title: x.title,
                phone: x.phone,
            });
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let location = match (r.lat, r.lon) {
                (Some(lat), Some(lon)) => Some(LocationInput {
                    lat,
                    lon,
                    datum: if r.datum.as_deref() == Some("GCJ02") {
                        Datum::GCJ02
                    } else {
                        Datum::WGS84
                    },
                }),
                _ => None,
            };
            HouseholdRecord {
                members: members.remove(&r.id).unwrap_or_default(),
                helpers: helper_map.remove(&r.id).unwrap_or_default(),
                other_causes: serde_json::from_str(&r.other_causes).unwrap_or_default(),
                location,
                created_at: rfc3339(r.created_at),
                updated_at: rfc3339(r.updated_at),
                id: r.id,
                household_code: r.household_code,
                division_code: r.division_code,
                group_name: r.group_name,
                registered_year: r.registered_year,
                poverty_status: r.poverty_status,
                exit_year: r.exit_year,
                attribute: r.attribute,
                main_cause: r.main_cause,
                public_token: r.public_token,
                card_version: r.card_version,
                version: r.version,
            }
        })
        .collect())
}

/// What the office's household search (户档案) filters by.
#[derive(Debug, Clone)]
pub struct Search {
    pub scope: RegionCode,
    /// Part of a household code or of the head's name.
    pub text: Option<String>,
    pub status: Option<String>,
    /// A 村民小组, exactly.
    pub group: Option<String>,
    /// 1-based.
    pub page: i64,
    pub per_page: i64,
}

/// One household as the search lists it: what a roster table shows, no ID numbers.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SearchRow {
    pub id: String,
    pub household_code: String,
    pub division_code: String,
    pub head_name: Option<String>,
    pub group_name: String,
    pub poverty_status: String,
    pub member_count: i64,
    pub card_version: i32,
    /// For each visit level, whether a visit of it stands for the household
    /// now (neither superseded nor rejected).
    pub standing_visits: serde_json::Map<String, serde_json::Value>,
}

type Backend = <AnyConnection as diesel::Connection>::Backend;

/// `%text%` for LIKE, with the pattern characters in `text` escaped by `\`.
fn contains_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

fn search_query(s: &Search) -> households::BoxedQuery<'static, Backend> {
    let (low, high) = s.scope.code_range();
    let mut q = households::table
        .filter(households::division_code.between(low, high))
        .into_boxed();
    if let Some(t) = &s.text {
        let pattern = contains_pattern(t);
        let heads = household_members::table
            .filter(household_members::relation.eq("head"))
            .filter(household_members::name.like(pattern.clone()).escape('\\'))
            .select(household_members::household_id);
        q = q.filter(
            households::household_code
                .like(pattern)
                .escape('\\')
                .or(households::id.eq_any(heads)),
        );
    }
    if let Some(st) = &s.status {
        q = q.filter(households::poverty_status.eq(st.clone()));
    }
    if let Some(g) = &s.group {
        q = q.filter(households::group_name.eq(g.clone()));
    }
    q
}

/// One page of the search in print order (village, group, household code),
/// and how many households match in all.
pub fn search(conn: &mut AnyConnection, s: &Search) -> Result<(Vec<SearchRow>, i64), ApiError> {
    use super::schema::visits;
    let total: i64 = search_query(s).count().get_result(conn)?;
    let rows: Vec<(String, String, String, String, String, i32)> = search_query(s)
        .order((
            households::division_code.asc(),
            households::group_name.asc(),
            households::household_code.asc(),
        ))
        .limit(s.per_page)
        .offset((s.page - 1) * s.per_page)
        .select((
            households::id,
            households::household_code,
            households::division_code,
            households::group_name,
            households::poverty_status,
            households::card_version,
        ))
        .load(conn)?;
    let ids: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    let (heads, counts) = heads_and_sizes(conn, &ids)?;
    let standing: Vec<(String, String)> = visits::table
        .filter(visits::household_id.eq_any(&ids))
        .filter(visits::superseded_by.is_null())
        .filter(visits::review.ne("rejected"))
        .select((visits::household_id, visits::level))
        .distinct()
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(
            |(id, household_code, division_code, group_name, poverty_status, card_version)| {
                let standing_visits = crate::domain::visit::VisitLevel::ALL
                    .iter()
                    .map(|l| {
                        let has = standing
                            .iter()
                            .any(|(h, level)| *h == id && level == l.as_str());
                        (l.as_str().to_string(), serde_json::Value::Bool(has))
                    })
                    .collect();
                SearchRow {
                    member_count: counts.get(&id).copied().unwrap_or(0),
                    head_name: heads.get(&id).cloned(),
                    id,
                    household_code,
                    division_code,
                    group_name,
                    poverty_status,
                    card_version,
                    standing_visits,
                }
            },
        )
        .collect();
    Ok((items, total))
}

impl HouseholdRecord {
    /// The record with every member's ID number masked (`2109**********0119`):
    /// what the console shows until one is revealed.
    pub fn masked(mut self) -> HouseholdRecord {
        for m in &mut self.members {
            m.id_number = m.id_number.as_deref().map(crate::domain::id_number::mask);
        }
        self
    }
}

/// One member's ID number for the caller (in scope), with the audit row of
/// the reveal: who, which household and member, never the number. `None`
/// when the member has none (a police certificate pending).
pub fn reveal_id_number(
    conn: &mut AnyConnection,
    id: &str,
    member_no: i32,
    user: &crate::auth::AuthUser,
) -> Result<Option<String>, ApiError> {
    let division = division_of(conn, id)?.ok_or_else(ApiError::not_found)?;
    user.require_scope_code(&division)?;
    let number = household_members::table
        .find((id, member_no))
        .select(household_members::id_number)
        .first::<Option<String>>(conn)
        .optional()?
        .ok_or_else(ApiError::not_found)?;
    let detail = serde_json::json!({ "member_no": member_no }).to_string();
    audit::record(
        conn,
        audit::Entry {
            at: now(),
            actor: &user.username,
            entity: "household",
            entity_id: id,
            scope: Some(&division),
            action: "reveal_id_number",
            old_version: None,
            new_version: None,
            detail: &detail,
        },
    )?;
    Ok(number)
}

/// For a page of households: each one's head of household (name) and its
/// number of members, in two grouped queries.
pub fn heads_and_sizes(
    conn: &mut AnyConnection,
    ids: &[&str],
) -> Result<(HashMap<String, String>, HashMap<String, i64>), ApiError> {
    use diesel::dsl::count_star;
    let heads = household_members::table
        .filter(household_members::household_id.eq_any(ids))
        .filter(household_members::relation.eq("head"))
        .select((household_members::household_id, household_members::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let sizes = household_members::table
        .filter(household_members::household_id.eq_any(ids))
        .group_by(household_members::household_id)
        .select((household_members::household_id, count_star()))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    Ok((heads, sizes))
}
