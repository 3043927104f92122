//! Visits and their findings. A visit is stored once under the phone's
//! `visit_id` with its canonical JSON; the primary key, not a read before
//! the write, is what keeps two racing submissions from both landing.

use chrono::{DateTime, FixedOffset, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{blobs, findings, household_members, households, visit_blobs, visits};
use super::{now, AnyConnection};
use crate::auth::AuthUser;
use crate::checklist::{self, CardScan, Finding, HouseholdContext, RuleConfig};
use crate::domain::visit::{Visit, VisitInput, VisitLevel};
use crate::domain::RegionCode;
use crate::error::{ApiError, Code};

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = visits)]
pub struct VisitRow {
    pub id: String,
    pub household_id: String,
    pub division_code: String,
    pub level: String,
    pub inspector_user_id: String,
    pub inspector_username: String,
    pub body_sha256: String,
    pub document: String,
    pub verified_on_site: bool,
    pub rule_version: String,
    pub started_at: NaiveDateTime,
    pub ended_at: NaiveDateTime,
    pub received_at: NaiveDateTime,
    pub review: String,
    pub replaces: Option<String>,
    pub superseded_by: Option<String>,
    /// Commit order: what the visit list pages by.
    pub seq: i64,
    pub review_note: Option<String>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<NaiveDateTime>,
    /// *net* and *n* of the income rules, computed once at ingest.
    pub net_income_fen: i64,
    pub budget_members: i32,
    /// The visit's position (WGS84), read back by the inspector's next visits.
    pub geo_lat: Option<f64>,
    pub geo_lon: Option<f64>,
    /// [`checklist::Answers`]: what `process.answers_copied` compares.
    pub answers_sha256: Option<String>,
}

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = findings)]
pub struct FindingRow {
    pub id: String,
    /// `None` for a resident's report from the QR page.
    pub visit_id: Option<String>,
    pub household_id: String,
    pub division_code: String,
    pub position: i32,
    pub code: String,
    pub severity: String,
    pub field: Option<String>,
    pub member_no: Option<i32>,
    pub status: String,
    pub rule_version: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Creation order: what the findings list pages by.
    pub seq: i64,
}

/// A stored visit with what its receipt shows.
#[derive(Debug, Clone)]
pub struct Stored {
    pub visit: VisitRow,
    pub findings: Vec<FindingRow>,
    pub missing_blobs: Vec<String>,
}

/// A visit as received: its id, and its canonical JSON with that JSON's hash.
pub struct Submission {
    pub visit_id: uuid::Uuid,
    pub canonical: String,
    pub body_sha256: String,
}

impl Submission {
    /// The submission of `body` under `visit_id`: the body as canonical JSON
    /// (keys sorted, no whitespace) and its SHA-256, which tells a resend
    /// from another body under the same id.
    pub fn of(visit_id: uuid::Uuid, body: &serde_json::Value) -> Submission {
        use sha2::Digest;
        let canonical = body.to_string();
        let body_sha256 = sha2::Sha256::digest(canonical.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Submission {
            visit_id,
            canonical,
            body_sha256,
        }
    }
}

pub fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<Stored>, ApiError> {
    // Key lookups use `get_result`, not `first`: diesel binds `first`'s
    // LIMIT as a parameter, and SQLite then prepares the statement afresh on
    // every run instead of reusing the cached one.
    let Some(visit) =
        super::native!(conn, |c| visits::table.find(id).get_result::<VisitRow>(c)).optional()?
    else {
        return Ok(None);
    };
    let findings = findings::table
        .filter(findings::visit_id.eq(id))
        .order(findings::position.asc())
        .load::<FindingRow>(conn)?;
    let missing_blobs = missing_blobs(conn, visit.seq)?;
    Ok(Some(Stored {
        visit,
        findings,
        missing_blobs,
    }))
}

/// The blobs a visit references that have not been uploaded yet.
fn missing_blobs(conn: &mut AnyConnection, visit_seq: i64) -> Result<Vec<String>, ApiError> {
    let wanted: Vec<String> = visit_blobs::table
        .filter(visit_blobs::visit_seq.eq(visit_seq))
        .select(visit_blobs::sha256)
        .order(visit_blobs::sha256.asc())
        .load(conn)?;
    let present: Vec<String> = blobs::table
        .filter(blobs::sha256.eq_any(&wanted))
        .select(blobs::sha256)
        .load(conn)?;
    Ok(wanted
        .into_iter()
        .filter(|s| !present.contains(s))
        .collect())
}

/// The answer to a resubmission of a stored visit: the same receipt for the
/// same body, 409 for another body under the same id; 403 for a caller
/// whose scope does not cover the visit, before anything about it shows.
pub fn replay(
    conn: &mut AnyConnection,
    user: &AuthUser,
    visit_id: &str,
    body_sha256: &str,
) -> Result<Option<Stored>, ApiError> {
    let Some(stored) = find(conn, visit_id)? else {
        return Ok(None);
    };
    user.require_scope_code(&stored.visit.division_code)?;
    if stored.visit.body_sha256 == body_sha256 {
        Ok(Some(stored))
    } else {
        Err(ApiError::conflict(Code::VisitIdConflict))
    }
}

/// A visit that passed every hard check, with what the checklist found.
pub struct Checked {
    pub visit: Visit,
    pub findings: Vec<Finding>,
    /// The household's own card was scanned: proof of presence.
    pub verified_on_site: bool,
    /// The household's village.
    pub division_code: String,
    /// Referenced images not uploaded yet (as of the check).
    pub missing_blobs: Vec<String>,
    pub answers: checklist::Answers,
}

/// Checks a visit the way a submission would, storing nothing: the
/// household, the caller's right to it, the hard errors, the findings.
/// `answers` is [`checklist::answers_fingerprint`] of the document `input` was read from.
pub fn check(
    conn: &mut AnyConnection,
    input: VisitInput,
    answers: checklist::Answers,
    user: &AuthUser,
    cfg: &RuleConfig,
    at: DateTime<FixedOffset>,
) -> Result<Checked, ApiError> {
    let household_id = match &input.household_id {
        crate::domain::visit::Lenient::Ok(id) => id.to_string(),
        crate::domain::visit::Lenient::Bad => {
            return Err(ApiError::invalid(
                Visit::parse(input, at).err().unwrap_or_default(),
            ))
        }
    };
    // The visit this one replaces does not count against the limit of
    // supervisory visits. (Taken before parsing: a malformed one fails the
    // parse below anyway.)
    let replaced = match &input.replaces {
        Some(crate::domain::visit::Lenient::Ok(r)) => r.to_string(),
        _ => String::new(),
    };
    let household =
        household_facts(conn, &household_id, &replaced)?.ok_or_else(ApiError::not_found)?;
    let division = household.division.clone();
    user.require_scope_code(&division)?;
    if let crate::domain::visit::Lenient::Ok(level) = &input.level {
        if !level.allowed(user.role) {
            return Err(ApiError::forbidden(Code::LevelForbidden));
        }
    }
    let visit = Visit::parse(input, at).map_err(ApiError::invalid)?;
    if let Some(old) = visit.replaces {
        let superseded_by: Option<Option<String>> = visits::table
            .find(old.to_string())
            .filter(visits::household_id.eq(&household_id))
            .select(visits::superseded_by)
            .get_result(conn)
            .optional()?;
        match superseded_by {
            None => {
                return Err(ApiError::invalid(vec![crate::error::FieldError::new(
                    "/replaces",
                    Code::ReplacesUnknown,
                )]))
            }
            Some(Some(_)) => return Err(ApiError::conflict(Code::VisitSuperseded)),
            Some(None) => {}
        }
    }
    let referenced = blob_refs(&visit);
    let present: Vec<String> = blobs::table
        .filter(blobs::sha256.eq_any(&referenced))
        .select(blobs::sha256)
        .load(conn)?;
    let mut ctx = load_context(conn, &visit, household)?;
    ctx.water_scarce = cfg.water_scarce(&division);
    ctx.history = super::integrity::history(conn, &visit, &user.user_id, &answers, &present, cfg)?;
    let findings = checklist::evaluate(&visit, cfg, &ctx);
    let missing_blobs = referenced
        .into_iter()
        .filter(|s| !present.contains(s))
        .collect();
    Ok(Checked {
        visit,
        findings,
        verified_on_site: ctx.card == CardScan::Current,
        division_code: division,
        missing_blobs,
        answers,
    })
}

/// A checked visit as the rows that store it, built before the writers'
/// turn. The commit-order `seq`s are given inside the storing transaction.
pub struct NewVisit {
    pub visit: VisitRow,
    pub findings: Vec<FindingRow>,
    /// The images it references, sorted, once each.
    pub blobs: Vec<String>,
    /// Of those, the ones not uploaded yet (as of the check).
    pub missing_blobs: Vec<String>,
}

impl NewVisit {
    /// What the receipt shows once the visit is stored.
    pub fn into_stored(self) -> Stored {
        Stored {
            visit: self.visit,
            findings: self.findings,
            missing_blobs: self.missing_blobs,
        }
    }
}

/// The rows for a checked visit.
pub fn prepare(sub: Submission, checked: Checked, user: &AuthUser, cfg: &RuleConfig) -> NewVisit {
    let Checked {
        visit,
        findings: found,
        verified_on_site,
        division_code: division,
        missing_blobs,
        answers,
    } = checked;
    let t = now();
    let id = sub.visit_id.to_string();
    let household_id = visit.household_id.to_string();
    let findings = (0..)
        .zip(&found)
        .map(|(position, f)| FindingRow {
            id: new_finding_id(),
            visit_id: Some(id.clone()),
            household_id: household_id.clone(),
            division_code: division.clone(),
            position,
            code: f.code.as_str().to_string(),
            severity: severity_str(f),
            field: f.field.clone(),
            member_no: f.member_no,
            status: "open".into(),
            rule_version: cfg.version.clone(),
            created_at: t,
            updated_at: t,
            seq: 0,
        })
        .collect();
    let visit_row = VisitRow {
        id,
        household_id,
        division_code: division,
        level: visit.level.as_str().to_string(),
        inspector_user_id: user.user_id.clone(),
        inspector_username: user.username.clone(),
        body_sha256: sub.body_sha256,
        document: sub.canonical,
        verified_on_site,
        rule_version: cfg.version.clone(),
        started_at: visit.started_at.naive_utc(),
        ended_at: visit.ended_at.naive_utc(),
        received_at: t,
        review: "unreviewed".into(),
        replaces: visit.replaces.map(|r| r.to_string()),
        superseded_by: None,
        seq: 0,
        review_note: None,
        reviewed_by: None,
        reviewed_at: None,
        net_income_fen: checklist::income::net(&visit.income),
        budget_members: i32::try_from(checklist::income::n(&visit.members)).unwrap_or(i32::MAX),
        geo_lat: visit.geo.map(|g| g.lat),
        geo_lon: visit.geo.map(|g| g.lon),
        answers_sha256: Some(answers.sha256),
    };
    NewVisit {
        visit: visit_row,
        findings,
        blobs: blob_refs(&visit),
        missing_blobs,
    }
}

/// A finding's id: a UUID whose leading bits are its creation time (v7), so
/// new ids go to the end of the findings' primary-key index instead of to
/// random pages of it. Random (v4) ids made that index the largest part of
/// what a group commit writes: 18% of the WAL pages in `sancha-load`.
pub fn new_finding_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Bind parameters per statement at most: SQLite allows 32,766, PostgreSQL
/// 65,535. A multi-row insert takes `MAX_BINDS / columns` rows at a time.
const MAX_BINDS: usize = 30_000;

/// Stores a group of visits in the caller's transaction, with a handful of
/// statements for the whole group rather than several per visit. For each
/// visit, `true` when it was stored; `false` when a submission of its id got
/// there first (the primary key decides, so a race stores one row). The
/// `seq`s are taken from the counter here, in the transaction, so they
/// follow commit order; a visit that lost its race leaves a gap.
pub fn insert_group(
    conn: &mut AnyConnection,
    group: &mut [NewVisit],
) -> Result<Vec<bool>, ApiError> {
    // A second submission of an id within one group lost its race to the first.
    let mut ids = std::collections::HashSet::new();
    let fresh: Vec<usize> = (0..group.len())
        .filter(|&i| ids.insert(group[i].visit.id.clone()))
        .collect();
    let n = fresh.len() as i64;
    let last = super::next_counter_by(conn, "visit_seq", n)?;
    for (&i, seq) in fresh.iter().zip(last - n + 1..) {
        group[i].visit.seq = seq;
    }
    let rows: Vec<&VisitRow> = fresh.iter().map(|&i| &group[i].visit).collect();
    let mut inserted = std::collections::HashSet::new();
    // A visit row has 26 columns, a finding 14, an image link 2.
    for chunk in rows.chunks(MAX_BINDS / 26) {
        inserted.extend(insert_new_visits(conn, chunk)?);
    }
    let mut stored = vec![false; group.len()];
    for &i in &fresh {
        stored[i] = inserted.contains(&group[i].visit.id);
    }
    let mut findings: Vec<&mut FindingRow> = Vec::new();
    let mut blobs: Vec<(i64, &str)> = Vec::new();
    for (v, _) in group.iter_mut().zip(&stored).filter(|(_, s)| **s) {
        if let Some(old) = &v.visit.replaces {
            diesel::update(
                visits::table
                    .find(old)
                    .filter(visits::household_id.eq(&v.visit.household_id)),
            )
            .set(visits::superseded_by.eq(&v.visit.id))
            .execute(conn)?;
        }
        blobs.extend(v.blobs.iter().map(|sha| (v.visit.seq, sha.as_str())));
        findings.extend(v.findings.iter_mut());
    }
    if !findings.is_empty() {
        let m = findings.len() as i64;
        let last = super::next_counter_by(conn, "finding_seq", m)?;
        for (f, seq) in findings.iter_mut().zip(last - m + 1..) {
            f.seq = seq;
        }
        let rows: Vec<&FindingRow> = findings.iter().map(|f| &**f).collect();
        for chunk in rows.chunks(MAX_BINDS / 14) {
            insert_findings(conn, chunk)?;
        }
    }
    for chunk in blobs.chunks(MAX_BINDS / 2) {
        insert_visit_blobs(conn, chunk)?;
    }
    Ok(stored)
}

/// Inserts the rows whose id is not stored yet; returns the ids it stored.
///
/// The multi-row statements run on the concrete connection, as diesel's
/// multi-backend connection offers no `ON CONFLICT`. PostgreSQL gets one
/// statement per chunk of rows: each statement is a round trip. SQLite gets
/// one cached statement per row: it has no round trips, and diesel would
/// split a multi-row insert of these rows into one statement per row anyway.
fn insert_new_visits(conn: &mut AnyConnection, rows: &[&VisitRow]) -> QueryResult<Vec<String>> {
    match conn {
        AnyConnection::Postgresql(c) => diesel::insert_into(visits::table)
            .values(rows.to_vec())
            .on_conflict_do_nothing()
            .returning(visits::id)
            .get_results(c),
        AnyConnection::Sqlite(c) => {
            let mut stored = Vec::with_capacity(rows.len());
            for row in rows {
                let n = diesel::insert_into(visits::table)
                    .values(*row)
                    .on_conflict_do_nothing()
                    .execute(c)?;
                if n == 1 {
                    stored.push(row.id.clone());
                }
            }
            Ok(stored)
        }
    }
}

/// Inserts findings, as [`insert_new_visits`] does.
fn insert_findings(conn: &mut AnyConnection, rows: &[&FindingRow]) -> QueryResult<()> {
    match conn {
        AnyConnection::Postgresql(c) => diesel::insert_into(findings::table)
            .values(rows.to_vec())
            .execute(c)
            .map(drop),
        AnyConnection::Sqlite(c) => rows.iter().try_for_each(|row| {
            diesel::insert_into(findings::table)
                .values(*row)
                .execute(c)
                .map(drop)
        }),
    }
}

/// Links visits to the images they reference, as [`insert_new_visits`] does.
fn insert_visit_blobs(conn: &mut AnyConnection, links: &[(i64, &str)]) -> QueryResult<()> {
    let row = |(visit_seq, sha): &(i64, &str)| {
        (
            visit_blobs::visit_seq.eq(*visit_seq),
            visit_blobs::sha256.eq(sha.to_string()),
        )
    };
    match conn {
        AnyConnection::Postgresql(c) => diesel::insert_into(visit_blobs::table)
            .values(links.iter().map(row).collect::<Vec<_>>())
            .execute(c)
            .map(drop),
        AnyConnection::Sqlite(c) => links.iter().try_for_each(|link| {
            diesel::insert_into(visit_blobs::table)
                .values(row(link))
                .execute(c)
                .map(drop)
        }),
    }
}

/// The images a visit references (photos, signatures), sorted, once each.
fn blob_refs(visit: &Visit) -> Vec<String> {
    let mut shas: Vec<String> = visit
        .photo_sha256
        .iter()
        .chain(
            visit
                .signatures
                .iter()
                .filter_map(|s| s.image_sha256.as_ref()),
        )
        .cloned()
        .collect();
    shas.sort();
    shas.dedup();
    debug_assert!(shas
        .iter()
        .all(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())));
    shas
}

fn severity_str(f: &Finding) -> String {
    serde_json::to_value(f.severity)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// A household's row and the counts a check needs (a count is `None` only
/// in the type: SQL's scalar subqueries may be NULL, a count never is).
#[derive(Queryable)]
struct HouseholdFacts {
    division: String,
    lat: Option<f64>,
    lon: Option<f64>,
    datum: Option<String>,
    public_token: String,
    registered_members: Option<i64>,
    helpers_on_roster: Option<i64>,
    /// Current supervisory visits, the one being replaced excluded.
    prior_supervisory: Option<i64>,
}

/// Reads [`HouseholdFacts`] in one statement, the counts as subqueries:
/// each statement is a round trip on PostgreSQL.
fn household_facts(
    conn: &mut AnyConnection,
    hid: &str,
    replaced: &str,
) -> Result<Option<HouseholdFacts>, ApiError> {
    use super::schema::helpers;
    let registered = household_members::table
        .filter(household_members::household_id.eq(hid))
        .count()
        .single_value();
    let on_roster = helpers::table
        .filter(helpers::household_id.eq(hid))
        .count()
        .single_value();
    let prior = visits::table
        .filter(visits::household_id.eq(hid))
        // Supervisory: every level but the village's own check, as
        // `VisitLevel::is_supervisory` says. (A fixed statement, which SQLite
        // keeps prepared; an `IN (…)` list is parsed again every time.)
        .filter(visits::level.ne(VisitLevel::VillageSelf.as_str()))
        .filter(visits::superseded_by.is_null())
        .filter(visits::review.ne("rejected"))
        .filter(visits::id.ne(replaced))
        .count()
        .single_value();
    let query = households::table.find(hid).select((
        households::division_code,
        households::lat,
        households::lon,
        households::datum,
        households::public_token,
        registered,
        on_roster,
        prior,
    ));
    Ok(super::native!(conn, |c| query.get_result(c)).optional()?)
}

/// What the checklist needs from storage, read once per visit.
fn load_context(
    conn: &mut AnyConnection,
    visit: &Visit,
    household: HouseholdFacts,
) -> Result<HouseholdContext, ApiError> {
    let hid = visit.household_id.to_string();
    let known_location =
        household
            .lat
            .zip(household.lon)
            .map(|(lat, lon)| match household.datum.as_deref() {
                Some("GCJ02") => crate::domain::geo::gcj02_to_wgs84(lat, lon),
                _ => (lat, lon),
            });
    let ids: Vec<&str> = visit
        .members
        .iter()
        .filter_map(|m| m.id_number.as_deref())
        .collect();
    let elsewhere: Vec<String> = household_members::table
        .filter(household_members::id_number.eq_any(&ids))
        .filter(household_members::household_id.ne(&hid))
        .select(household_members::id_number.assume_not_null())
        .load(conn)?;
    let duplicate_id_member_nos = visit
        .members
        .iter()
        .filter(|m| m.id_number.as_ref().is_some_and(|n| elsewhere.contains(n)))
        .map(|m| m.member_no)
        .collect();
    let card = match &visit.card_scan {
        None => CardScan::NotScanned,
        Some(t) if *t == household.public_token => CardScan::Current,
        Some(t) => {
            let other = households::table
                .filter(households::public_token.eq(t))
                .count()
                .get_result::<i64>(conn)?;
            if other > 0 {
                CardScan::OtherHousehold
            } else {
                CardScan::Unknown
            }
        }
    };
    Ok(HouseholdContext {
        duplicate_id_member_nos,
        prior_supervisory_visits: u32::try_from(household.prior_supervisory.unwrap_or(0))
            .unwrap_or(u32::MAX),
        known_location,
        card,
        registered_member_count: i32::try_from(household.registered_members.unwrap_or(0)).ok(),
        water_scarce: false, // set from the rule configuration by the caller
        helpers_on_roster: household
            .helpers_on_roster
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(0),
        history: Default::default(), // loaded by the caller
    })
}

/// What a visit list is filtered by.
#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    pub household_id: Option<String>,
    pub level: Option<VisitLevel>,
    pub since: Option<NaiveDateTime>,
    /// Only visits this user submitted (`mine=true`).
    pub inspector_user_id: Option<String>,
    /// `unreviewed | approved | rejected`.
    pub review: Option<String>,
}

/// One page of visits in a scope, in commit order after `after_seq`.
pub fn list(
    conn: &mut AnyConnection,
    scope: &RegionCode,
    f: &ListFilter,
    after_seq: i64,
    limit: i64,
) -> Result<(Vec<VisitRow>, bool), ApiError> {
    let (low, high) = scope.code_range();
    let mut q = visits::table
        .filter(visits::division_code.between(low, high))
        .filter(visits::seq.gt(after_seq))
        .order(visits::seq.asc())
        .limit(limit + 1)
        .into_boxed();
    if let Some(h) = &f.household_id {
        q = q.filter(visits::household_id.eq(h.clone()));
    }
    if let Some(l) = f.level {
        q = q.filter(visits::level.eq(l.as_str()));
    }
    if let Some(s) = f.since {
        q = q.filter(visits::received_at.ge(s));
    }
    if let Some(u) = &f.inspector_user_id {
        q = q.filter(visits::inspector_user_id.eq(u.clone()));
    }
    if let Some(r) = &f.review {
        q = q.filter(visits::review.eq(r.clone()));
    }
    let mut rows = q.load::<VisitRow>(conn)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}

/// Records an uploaded blob; `true` when it was new. Two racing uploads of
/// one blob both succeed: the primary key keeps one row.
pub fn insert_blob(
    conn: &mut AnyConnection,
    sha256: &str,
    content_type: &str,
    size: usize,
) -> Result<bool, ApiError> {
    let inserted = diesel::insert_into(blobs::table)
        .values((
            blobs::sha256.eq(sha256),
            blobs::content_type.eq(content_type),
            blobs::size_bytes.eq(i64::try_from(size).unwrap_or(i64::MAX)),
            blobs::created_at.eq(now()),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(true),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// How many blobs are stored.
pub fn blob_count(conn: &mut AnyConnection) -> Result<u64, ApiError> {
    let n: i64 = blobs::table.count().get_result(conn)?;
    Ok(n.max(0) as u64)
}

/// Up to `limit` stored blobs (digest, content type) whose digest sorts after
/// `after`, in digest order: the pages of `sancha blobs migrate`.
pub fn blob_page(
    conn: &mut AnyConnection,
    after: &str,
    limit: i64,
) -> Result<Vec<(String, String)>, ApiError> {
    Ok(blobs::table
        .filter(blobs::sha256.gt(after))
        .order(blobs::sha256.asc())
        .limit(limit)
        .select((blobs::sha256, blobs::content_type))
        .load(conn)?)
}

/// An uploaded blob's content type, and the villages of the visits that reference it.
pub fn blob_access(
    conn: &mut AnyConnection,
    sha256: &str,
) -> Result<(Option<String>, Vec<String>), ApiError> {
    let content_type = blobs::table
        .find(sha256)
        .select(blobs::content_type)
        .first::<String>(conn)
        .optional()?;
    let visit_seqs: Vec<i64> = visit_blobs::table
        .filter(visit_blobs::sha256.eq(sha256))
        .select(visit_blobs::visit_seq)
        .load(conn)?;
    let villages = visits::table
        .filter(visits::seq.eq_any(&visit_seqs))
        .select(visits::division_code)
        .load(conn)?;
    Ok((content_type, villages))
}

/// A supervisor's decision on a visit in their scope. A rejected visit goes
/// back to its inspector; their corrected visit `replaces` it.
pub fn review(
    conn: &mut AnyConnection,
    id: &str,
    approve: bool,
    note: &str,
    user: &AuthUser,
) -> Result<VisitRow, ApiError> {
    let v = visits::table
        .find(id)
        .first::<VisitRow>(conn)
        .optional()?
        .ok_or_else(ApiError::not_found)?;
    user.require_scope_code(&v.division_code)?;
    if v.superseded_by.is_some() {
        return Err(ApiError::conflict(Code::VisitSuperseded));
    }
    let (decision, action) = if approve {
        ("approved", "approve")
    } else {
        ("rejected", "reject")
    };
    let at = now();
    diesel::update(visits::table.find(id))
        .set((
            visits::review.eq(decision),
            visits::review_note.eq(note),
            visits::reviewed_by.eq(&user.username),
            visits::reviewed_at.eq(at),
        ))
        .execute(conn)?;
    let detail = serde_json::json!({"from": v.review, "to": decision, "note": note}).to_string();
    super::audit::record(
        conn,
        super::audit::Entry {
            at,
            actor: &user.username,
            entity: "visit",
            entity_id: id,
            scope: Some(&v.division_code),
            action,
            old_version: None,
            new_version: None,
            detail: &detail,
        },
    )?;
    Ok(VisitRow {
        review: decision.to_string(),
        review_note: Some(note.to_string()),
        reviewed_by: Some(user.username.clone()),
        reviewed_at: Some(at),
        ..v
    })
}
