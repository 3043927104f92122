//! Visit integrity (防造假) in storage: what the cross-visit rules need for a
//! visit, each a bounded indexed lookup (the inspector's neighbouring visits
//! by `(inspector_user_id, started_at)`, the day's visits up to the limit,
//! the answers by `(inspector_user_id, answers_sha256)`, images by digest and
//! by dHash band); the dHash of each uploaded image, with the check of the
//! visits that were waiting for it; and the per-inspector report.

use std::collections::HashMap;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{findings, image_hashes, visit_blobs, visits};
use super::AnyConnection;
use crate::checklist::{self, Answers, History, NearVisit, RuleConfig};
use crate::domain::visit::{SignatureRole, Visit};
use crate::error::ApiError;

/// Images looked up together in one statement: a fixed number, so the
/// statement is the same every time (an `IN` list of any length would make
/// SQLite prepare it afresh); unused places hold a digest no image has.
const IMAGES_AT_ONCE: usize = 4;

/// The cross-visit facts for `visit` by the user `inspector`; `uploaded`:
/// the images it references that are stored already.
///
/// Two statements in all, as each is a round trip on PostgreSQL: one row of
/// subqueries (the inspector's nearest start times before and after, the
/// day's count, the same answers elsewhere, each image elsewhere), then the
/// visits at those times. Every
/// statement has a fixed shape and no `LIMIT`: through diesel's
/// multi-backend connection a `LIMIT` (like an `IN` list) makes SQLite
/// prepare the statement afresh on every run, which cost more than the
/// lookups themselves. A first row is found by `MIN`/`MAX` on an index
/// instead, an existence by `EXISTS`.
pub fn history(
    conn: &mut AnyConnection,
    visit: &Visit,
    inspector: &str,
    answers: &Answers,
    uploaded: &[String],
    cfg: &RuleConfig,
) -> Result<History, ApiError> {
    use diesel::dsl::{exists, max, min};
    let hid = visit.household_id.to_string();
    let start = visit.started_at.naive_utc();
    let mine = visits::inspector_user_id.eq(inspector);
    // The inspector's nearest start times before and after this one.
    let before = visits::table
        .filter(mine.and(visits::started_at.lt(start)))
        .select(max(visits::started_at))
        .single_value();
    let after = visits::table
        .filter(mine.and(visits::started_at.gt(start)))
        .select(min(visits::started_at))
        .single_value();
    // The day in the visit's own offset (the phone's clock), in UTC.
    let local = visit.started_at.naive_local();
    let midnight = local.date().and_hms_opt(0, 0, 0).unwrap_or(local);
    let day_start = midnight - (local - start);
    let day = day_start..day_start + Duration::days(1);
    let that_day = visits::table
        .filter(mine.and(visits::started_at.ge(day.start)))
        .filter(visits::started_at.lt(day.end))
        .count()
        .single_value();
    let same_answers = exists(
        visits::table.filter(
            mine.and(visits::answers_sha256.eq(&answers.sha256))
                .and(visits::household_id.ne(&hid)),
        ),
    );
    let candidates = image_candidates(conn, visit, uploaded, cfg)?;
    let shas: Vec<&str> = candidates.iter().map(|(sha, _)| sha.as_str()).collect();
    let mut places = shas.chunks(IMAGES_AT_ONCE);
    let [a, b, c, d] = padded(places.next().unwrap_or_default());
    type Row = (
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
        Option<i64>,
        bool,
        (bool, bool, bool, bool),
    );
    let query = diesel::select((
        before,
        after,
        that_day,
        same_answers,
        (
            linked_elsewhere(a, &hid),
            linked_elsewhere(b, &hid),
            linked_elsewhere(c, &hid),
            linked_elsewhere(d, &hid),
        ),
    ));
    let (before, after, that_day, same_answers, (a, b, c, d)) =
        super::native!(conn, |c| query.get_result::<Row>(c))?;
    let mut linked = vec![a, b, c, d];
    // More images than places (near duplicates of several photos): the rest.
    for more in places {
        let [a, b, c, d] = padded(more);
        let (a, b, c, d) = diesel::select((
            linked_elsewhere(a, &hid),
            linked_elsewhere(b, &hid),
            linked_elsewhere(c, &hid),
            linked_elsewhere(d, &hid),
        ))
        .get_result::<(bool, bool, bool, bool)>(conn)?;
        linked.extend([a, b, c, d]);
    }
    let mut images_elsewhere: Vec<(String, u32)> = candidates
        .into_iter()
        .zip(linked)
        .filter_map(|((_, photo), linked)| linked.then_some(photo))
        .collect();
    images_elsewhere.sort();
    images_elsewhere.dedup();
    // The visits from the one to the other: those at these two times and at
    // this one's own, as nothing else lies between.
    let query = visits::table
        .filter(
            mine.and(visits::started_at.between(before.unwrap_or(start), after.unwrap_or(start))),
        )
        .select((
            visits::household_id,
            visits::started_at,
            visits::ended_at,
            visits::geo_lat,
            visits::geo_lon,
        ));
    type Near = (
        String,
        NaiveDateTime,
        NaiveDateTime,
        Option<f64>,
        Option<f64>,
    );
    let near: Vec<Near> = super::native!(conn, |c| query.load(c))?;
    let mut neighbours: Vec<NearVisit> = Vec::new();
    for (household, s, e, lat, lon) in near {
        // One visit of another household per start time.
        if household != hid && !neighbours.iter().any(|n| n.started_at == s.and_utc()) {
            neighbours.push(NearVisit {
                started_at: s.and_utc(),
                ended_at: e.and_utc(),
                position: lat.zip(lon),
            });
        }
    }
    // The visit a correction replaces is the same visit, made again.
    let replaced_that_day = match visit.replaces {
        Some(old) => visits::table
            .find(old.to_string())
            .filter(mine)
            .select(visits::started_at)
            .get_result::<NaiveDateTime>(conn)
            .optional()?
            .is_some_and(|t| day.contains(&t)),
        None => false,
    };
    Ok(History {
        neighbours,
        images_elsewhere,
        answer_count: answers.count,
        answers_elsewhere: answers.count >= cfg.answers_min && same_answers,
        visits_that_day: u32::try_from(that_day.unwrap_or(0) - i64::from(replaced_that_day))
            .unwrap_or(u32::MAX),
    })
}

/// `shas` in [`IMAGES_AT_ONCE`] places, the unused ones empty (no image's digest).
fn padded<'a>(shas: &[&'a str]) -> [&'a str; IMAGES_AT_ONCE] {
    let mut places = [""; IMAGES_AT_ONCE];
    places[..shas.len()].copy_from_slice(shas);
    places
}

/// Whether the image `sha` is in a visit of a household other than `hid`.
fn linked_elsewhere<'a>(
    sha: &'a str,
    hid: &'a str,
) -> diesel::dsl::exists<
    diesel::dsl::Filter<
        diesel::dsl::Filter<
            diesel::dsl::InnerJoinOn<
                visit_blobs::table,
                visits::table,
                diesel::dsl::Eq<visits::seq, visit_blobs::visit_seq>,
            >,
            diesel::dsl::Eq<visit_blobs::sha256, &'a str>,
        >,
        diesel::dsl::NotEq<visits::household_id, &'a str>,
    >,
> {
    diesel::dsl::exists(
        visit_blobs::table
            .inner_join(visits::table.on(visits::seq.eq(visit_blobs::visit_seq)))
            .filter(visit_blobs::sha256.eq(sha))
            .filter(visits::household_id.ne(hid)),
    )
}

/// The images to look for in other households' visits, each with the image
/// of this visit it stands for and how many dHash bits apart (0: itself):
/// the visit's photos and respondent's signature, and the near duplicates
/// of the photos uploaded already (their hashes are known).
fn image_candidates(
    conn: &mut AnyConnection,
    visit: &Visit,
    uploaded: &[String],
    cfg: &RuleConfig,
) -> Result<Vec<(String, (String, u32))>, ApiError> {
    let respondent = visit
        .signatures
        .iter()
        .filter(|s| s.role == SignatureRole::Respondent)
        .filter_map(|s| s.image_sha256.clone());
    let own: Vec<String> = visit
        .photo_sha256
        .iter()
        .cloned()
        .chain(respondent)
        .collect();
    let mut candidates: Vec<(String, (String, u32))> =
        own.iter().map(|s| (s.clone(), (s.clone(), 0))).collect();
    let photos_uploaded: Vec<&String> = visit
        .photo_sha256
        .iter()
        .filter(|p| uploaded.contains(p))
        .collect();
    if photos_uploaded.is_empty() {
        return Ok(candidates);
    }
    let hashes: Vec<(String, i64)> = image_hashes::table
        .filter(image_hashes::sha256.eq_any(photos_uploaded))
        .select((image_hashes::sha256, image_hashes::dhash))
        .load(conn)?;
    for (photo, hash) in hashes {
        for (near, bits) in near_duplicates(conn, hash as u64, cfg.photo_near_bits)? {
            if !own.contains(&near) && !candidates.iter().any(|(c, _)| *c == near) {
                candidates.push((near, (photo.clone(), bits)));
            }
        }
    }
    Ok(candidates)
}

/// Whether one of `shas` is in a visit of a household other than `hid`.
/// The first such link answers: an image in thousands of visits (a
/// fabricator's one photo) costs no more than one in two.
fn used_elsewhere(conn: &mut AnyConnection, shas: &[String], hid: &str) -> Result<bool, ApiError> {
    Ok(visit_blobs::table
        .inner_join(visits::table.on(visits::seq.eq(visit_blobs::visit_seq)))
        .filter(visit_blobs::sha256.eq_any(shas))
        .filter(visits::household_id.ne(hid))
        .select(visits::household_id)
        .limit(1)
        .get_result::<String>(conn)
        .optional()?
        .is_some())
}

/// Stored images within `max_bits` of `hash` (itself included), by the band
/// index: four lookups, each of the band's value and its 16 one-bit neighbours.
fn near_duplicates(
    conn: &mut AnyConnection,
    hash: u64,
    max_bits: u32,
) -> Result<Vec<(String, u32)>, ApiError> {
    if checklist::is_flat(hash) {
        return Ok(Vec::new());
    }
    let [b0, b1, b2, b3] = checklist::band_neighbours(hash);
    let rows: Vec<(String, i64)> = image_hashes::table
        .filter(
            image_hashes::band0
                .eq_any(b0)
                .or(image_hashes::band1.eq_any(b1))
                .or(image_hashes::band2.eq_any(b2))
                .or(image_hashes::band3.eq_any(b3)),
        )
        .select((image_hashes::sha256, image_hashes::dhash))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|(_, h)| !checklist::is_flat(*h as u64))
        .map(|(s, h)| (s, checklist::dhash_distance(hash, h as u64)))
        .filter(|(_, bits)| *bits <= max_bits)
        .collect())
}

/// Records a newly uploaded image's dHash, then checks the stored visits
/// that have it as a photo and no `process.photo_reused` on it yet: a near
/// duplicate of another household's photo raises one now. Runs in the
/// upload's transaction. Returns the findings raised.
pub fn image_uploaded(
    conn: &mut AnyConnection,
    sha256: &str,
    dhash: u64,
    cfg: &RuleConfig,
) -> Result<usize, ApiError> {
    let [band0, band1, band2, band3] = checklist::dhash_bands(dhash);
    diesel::insert_into(image_hashes::table)
        .values((
            image_hashes::sha256.eq(sha256),
            image_hashes::dhash.eq(dhash as i64),
            image_hashes::band0.eq(band0),
            image_hashes::band1.eq(band1),
            image_hashes::band2.eq(band2),
            image_hashes::band3.eq(band3),
        ))
        .execute(conn)?;
    let waiting: Vec<(String, String, String, String)> = visit_blobs::table
        .inner_join(visits::table.on(visits::seq.eq(visit_blobs::visit_seq)))
        .filter(visit_blobs::sha256.eq(sha256))
        .select((
            visits::id,
            visits::household_id,
            visits::division_code,
            visits::document,
        ))
        .load(conn)?;
    if waiting.is_empty() {
        return Ok(0);
    }
    let near: Vec<String> = near_duplicates(conn, dhash, cfg.photo_near_bits)?
        .into_iter()
        .map(|(s, _)| s)
        .filter(|s| s != sha256)
        .collect();
    let mut raised = 0;
    for (visit_id, household_id, division, document) in waiting {
        let photos = photo_digests(&document);
        let Some(index) = photos.iter().position(|p| p == sha256) else {
            continue; // a signature, not a photo
        };
        let field = format!("/photos/{index}");
        let code = checklist::FindingCode::ProcessPhotoReused.as_str();
        let already: i64 = findings::table
            .filter(findings::visit_id.eq(&visit_id))
            .filter(findings::code.eq(code))
            .filter(findings::field.eq(&field))
            .count()
            .get_result(conn)?;
        let elsewhere = !near.is_empty() && used_elsewhere(conn, &near, &household_id)?;
        if already > 0 || !elsewhere {
            continue;
        }
        let position: Option<i32> = findings::table
            .filter(findings::visit_id.eq(&visit_id))
            .select(diesel::dsl::max(findings::position))
            .get_result(conn)?;
        let at = super::now();
        diesel::insert_into(findings::table)
            .values(&super::visits::FindingRow {
                id: super::visits::new_finding_id(),
                visit_id: Some(visit_id),
                household_id,
                division_code: division,
                position: position.map_or(0, |p| p + 1),
                code: code.to_string(),
                severity: "high".into(),
                field: Some(field),
                member_no: None,
                status: "open".into(),
                rule_version: cfg.version.clone(),
                created_at: at,
                updated_at: at,
                seq: super::next_counter(conn, "finding_seq")?,
            })
            .execute(conn)?;
        raised += 1;
    }
    Ok(raised)
}

/// The photo digests of a stored (canonical) visit document, in order.
fn photo_digests(document: &str) -> Vec<String> {
    let doc: serde_json::Value = serde_json::from_str(document).unwrap_or_default();
    doc["photos"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            p["sha256"]
                .as_str()
                .unwrap_or_default()
                .to_ascii_lowercase()
        })
        .collect()
}

/// One inspector's row of the integrity report (核查质量).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct InspectorRisk {
    pub inspector: String,
    pub visits: u32,
    pub median_minutes: f64,
    /// Visits verified on site by a scan of the household's own card, per mille.
    pub verified_permille: u32,
    /// Findings of each `process.*` code on the inspector's visits.
    pub findings: std::collections::BTreeMap<&'static str, u32>,
    /// [`risk_score`].
    pub risk: f64,
}

/// The weight of a `process.*` finding in the risk score, by severity.
fn weight(severity: &str) -> u32 {
    match severity {
        "high" => 10,
        "medium" => 3,
        "low" => 1,
        _ => 0,
    }
}

/// An inspector's risk: the weighted `process.*` findings per visit (high
/// 10, medium 3, low 1), plus 2 × the share of visits not verified on site
/// by a card scan; two decimals. One high finding per visit, as fabricated
/// visits get, scores 10 or more; an honest inspector who scans every card
/// scores about the low findings' share.
pub fn risk_score(visits: u32, weighted: u32, verified: u32) -> f64 {
    if visits == 0 {
        return 0.0;
    }
    let n = f64::from(visits);
    let score = f64::from(weighted) / n + 2.0 * (1.0 - f64::from(verified) / n);
    (score * 100.0).round() / 100.0
}

/// The current visits (not superseded) of a scope whose start lies in
/// `[from, to)` (UTC), as a boxed filter on `visits`.
macro_rules! current_visits {
    ($q:expr, $scope:expr, $from:expr, $to:expr) => {{
        let (low, high) = $scope.code_range();
        let mut q = $q
            .filter(visits::division_code.between(low, high))
            .filter(visits::superseded_by.is_null())
            .into_boxed();
        if let Some(from) = $from {
            q = q.filter(visits::started_at.ge(from));
        }
        if let Some(to) = $to {
            q = q.filter(visits::started_at.lt(to));
        }
        q
    }};
}

/// Per inspector with visits in `scope` that started in `[from, to)`: the
/// report, riskiest first.
pub fn report(
    conn: &mut AnyConnection,
    scope: &crate::domain::RegionCode,
    from: Option<NaiveDateTime>,
    to: Option<NaiveDateTime>,
) -> Result<Vec<InspectorRisk>, ApiError> {
    let rows: Vec<(String, NaiveDateTime, NaiveDateTime, bool)> =
        current_visits!(visits::table, scope, from, to)
            .select((
                visits::inspector_username,
                visits::started_at,
                visits::ended_at,
                visits::verified_on_site,
            ))
            .load(conn)?;
    let found: Vec<(String, String, String)> = current_visits!(
        findings::table.inner_join(visits::table.on(findings::visit_id.eq(visits::id.nullable()))),
        scope,
        from,
        to
    )
    .filter(findings::code.like("process.%"))
    .select((
        visits::inspector_username,
        findings::code,
        findings::severity,
    ))
    .load(conn)?;
    let mut by: HashMap<String, (Vec<i64>, u32, u32, HashMap<String, u32>)> = HashMap::new();
    for (who, started, ended, verified) in rows {
        let e = by.entry(who).or_default();
        e.0.push((ended - started).num_seconds());
        e.1 += u32::from(verified);
    }
    for (who, code, severity) in found {
        if let Some(e) = by.get_mut(&who) {
            e.2 += weight(&severity);
            *e.3.entry(code).or_default() += 1;
        }
    }
    let process: Vec<&'static str> = checklist::FindingCode::ALL
        .iter()
        .filter(|c| c.family() == "process")
        .map(|c| c.as_str())
        .collect();
    let mut out: Vec<InspectorRisk> = by
        .into_iter()
        .map(|(inspector, (mut seconds, verified, weighted, counts))| {
            seconds.sort_unstable();
            let visits = u32::try_from(seconds.len()).unwrap_or(u32::MAX);
            let median = match seconds.len() {
                0 => 0.0,
                n if n % 2 == 1 => seconds[n / 2] as f64,
                n => (seconds[n / 2 - 1] + seconds[n / 2]) as f64 / 2.0,
            };
            InspectorRisk {
                inspector,
                visits,
                median_minutes: (median / 6.0).round() / 10.0,
                verified_permille: verified * 1000 / visits.max(1),
                findings: process
                    .iter()
                    .map(|c| (*c, counts.get(*c).copied().unwrap_or(0)))
                    .collect(),
                risk: risk_score(visits, weighted, verified),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.risk
            .total_cmp(&a.risk)
            .then(b.visits.cmp(&a.visits))
            .then(a.inspector.cmp(&b.inspector))
    });
    Ok(out)
}

/// What a `risk` sample ranks households by: the weighted `process.*`
/// findings on their current visits, and whether one of those is high or
/// medium or an inspector at or above `risky_inspector` visited them.
pub fn household_risk(
    conn: &mut AnyConnection,
    scope: &crate::domain::RegionCode,
    risky_inspector: f64,
) -> Result<HashMap<String, (u32, bool)>, ApiError> {
    let risky: std::collections::HashSet<String> = report(conn, scope, None, None)?
        .into_iter()
        .filter(|r| r.risk >= risky_inspector)
        .map(|r| r.inspector)
        .collect();
    let mut out: HashMap<String, (u32, bool)> = HashMap::new();
    let visited: Vec<(String, String)> = current_visits!(
        visits::table,
        scope,
        None::<NaiveDateTime>,
        None::<NaiveDateTime>
    )
    .select((visits::household_id, visits::inspector_username))
    .load(conn)?;
    for (household, inspector) in visited {
        if risky.contains(&inspector) {
            out.entry(household).or_default().1 = true;
        }
    }
    let found: Vec<(String, String)> = current_visits!(
        findings::table.inner_join(visits::table.on(findings::visit_id.eq(visits::id.nullable()))),
        scope,
        None::<NaiveDateTime>,
        None::<NaiveDateTime>
    )
    .filter(findings::code.like("process.%"))
    .select((visits::household_id, findings::severity))
    .load(conn)?;
    for (household, severity) in found {
        let e = out.entry(household).or_default();
        e.0 += weight(&severity);
        e.1 |= severity == "high" || severity == "medium";
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::risk_score;

    #[test]
    fn the_risk_score_weighs_findings_per_visit_and_unverified_visits() {
        assert_eq!(risk_score(0, 0, 0), 0.0);
        // Ten visits, all scanned, two low findings.
        assert_eq!(risk_score(10, 2, 10), 0.2);
        // The same, none scanned.
        assert_eq!(risk_score(10, 2, 0), 2.2);
        // Thirty invented visits: 29 high and 29 medium findings, 30 low, none scanned.
        assert_eq!(risk_score(30, 29 * 10 + 29 * 3 + 30, 0), 15.57);
    }
}
