//! What a 明白卡 is made from: the roster entry, the household's current
//! visit, the names of its places; and the audit row of every print.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::households::{self, HouseholdRecord};
use super::schema::{findings, regions, settings, visits};
use super::{audit, now, AnyConnection};
use crate::domain::RegionCode;
use crate::error::ApiError;

/// The visit that stands for the household now: the latest that is neither
/// superseded nor rejected.
#[derive(Debug, Clone)]
pub struct CurrentVisit {
    pub document: String,
    pub level: String,
    pub inspector_username: String,
    pub ended_at: NaiveDateTime,
    pub finding_codes: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct CardSource {
    pub household: HouseholdRecord,
    pub visit: Option<CurrentVisit>,
}

/// 市 县 乡 村 names of a village.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Place {
    pub city: String,
    pub county: String,
    pub town: String,
    pub village: String,
}

/// The key behind the cards' check codes, made on first use and kept.
pub fn check_key(conn: &mut AnyConnection) -> Result<String, ApiError> {
    const NAME: &str = "card_check_key";
    let read = |conn: &mut AnyConnection| {
        settings::table
            .find(NAME)
            .select(settings::value)
            .first::<String>(conn)
            .optional()
    };
    if let Some(key) = read(conn)? {
        return Ok(key);
    }
    let mut bytes = [0u8; 32];
    crate::auth::random_bytes(&mut bytes);
    let key: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    // Two servers starting at once: the primary key keeps the first key. The
    // insert has its own savepoint so that losing the race (an error that
    // aborts a PostgreSQL transaction) still lets the read below run.
    let _ = conn.transaction(|c| {
        diesel::insert_into(settings::table)
            .values((settings::name.eq(NAME), settings::value.eq(&key)))
            .execute(c)
    });
    read(conn)?.ok_or_else(|| ApiError::internal("the card key was not stored"))
}

/// One household with its current visit.
pub fn household(conn: &mut AnyConnection, id: &str) -> Result<Option<CardSource>, ApiError> {
    let Some(h) = households::get(conn, id)? else {
        return Ok(None);
    };
    Ok(with_visits(conn, vec![h])?.pop())
}

/// Every household of a village in print order, with their current visits.
pub fn village(conn: &mut AnyConnection, village: &str) -> Result<Vec<CardSource>, ApiError> {
    let hs = households::in_village(conn, village)?;
    with_visits(conn, hs)
}

fn with_visits(
    conn: &mut AnyConnection,
    hs: Vec<HouseholdRecord>,
) -> Result<Vec<CardSource>, ApiError> {
    let ids: Vec<&str> = hs.iter().map(|h| h.id.as_str()).collect();
    let rows: Vec<(String, String, String, String, String, NaiveDateTime)> = visits::table
        .filter(visits::household_id.eq_any(&ids))
        .filter(visits::superseded_by.is_null())
        .filter(visits::review.ne("rejected"))
        .order((visits::ended_at.asc(), visits::seq.asc()))
        .select((
            visits::id,
            visits::household_id,
            visits::document,
            visits::level,
            visits::inspector_username,
            visits::ended_at,
        ))
        .load(conn)?;
    // The latest visit of each household wins.
    let mut current: HashMap<String, (String, CurrentVisit)> = HashMap::new();
    for (id, household_id, document, level, inspector_username, ended_at) in rows {
        let v = CurrentVisit {
            document,
            level,
            inspector_username,
            ended_at,
            finding_codes: Vec::new(),
        };
        current.insert(household_id, (id, v));
    }
    let visit_ids: Vec<&str> = current.values().map(|(id, _)| id.as_str()).collect();
    let codes: Vec<(String, String)> = findings::table
        .filter(findings::visit_id.eq_any(&visit_ids))
        .select((findings::visit_id.assume_not_null(), findings::code))
        .load(conn)?;
    let mut by_visit: HashMap<String, Vec<String>> = HashMap::new();
    for (visit_id, code) in codes {
        by_visit.entry(visit_id).or_default().push(code);
    }
    Ok(hs
        .into_iter()
        .map(|household| {
            let visit = current.remove(&household.id).map(|(id, mut v)| {
                v.finding_codes = by_visit.remove(&id).unwrap_or_default();
                v
            });
            CardSource { household, visit }
        })
        .collect())
}

/// The names of a village and the regions above it; a region not registered
/// prints as its code.
pub fn place(conn: &mut AnyConnection, village: &str) -> Result<Place, ApiError> {
    let Some(code) = RegionCode::parse(village) else {
        return Ok(Place::default());
    };
    let mut chain = vec![code.clone()];
    while let Some(up) = chain.last().and_then(RegionCode::parent) {
        chain.push(up);
    }
    let codes: Vec<&str> = chain.iter().map(RegionCode::as_str).collect();
    let names: HashMap<String, String> = regions::table
        .filter(regions::code.eq_any(&codes))
        .select((regions::code, regions::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let name_at = |digits: usize| {
        chain
            .iter()
            .find(|c| c.prefix().len() == digits)
            .map(|c| {
                names
                    .get(c.as_str())
                    .cloned()
                    .unwrap_or_else(|| c.as_str().to_string())
            })
            .unwrap_or_default()
    };
    Ok(Place {
        city: name_at(4),
        county: name_at(6),
        town: name_at(9),
        village: name_at(12),
    })
}

/// Every household in `scope` with its card version: what a print run prints.
pub fn versions_in(
    conn: &mut AnyConnection,
    scope: &RegionCode,
) -> Result<Vec<(String, i32)>, ApiError> {
    use super::schema::households;
    let (low, high) = scope.code_range();
    Ok(households::table
        .filter(households::division_code.between(low, high))
        .order(households::id.asc())
        .select((households::id, households::card_version))
        .load(conn)?)
}

/// The audit row of a print: who printed which households at which card
/// versions. `what` is the household id or the region code; `scope` the region.
pub fn record_print(
    conn: &mut AnyConnection,
    actor: &str,
    what: &str,
    scope: &str,
    layout: &str,
    cards: &[(String, i32)],
) -> Result<(), ApiError> {
    let detail = serde_json::json!({ "layout": layout, "cards": cards }).to_string();
    audit::record(
        conn,
        audit::Entry {
            at: now(),
            actor,
            entity: "card_print",
            entity_id: what,
            scope: Some(scope),
            action: "print",
            old_version: None,
            new_version: None,
            detail: &detail,
        },
    )
}

/// One print from the audit log: who printed which cards, when.
#[derive(Debug, Clone)]
pub struct PrintRecord {
    pub id: i64,
    pub at: NaiveDateTime,
    pub actor: String,
    /// The region code of a print run, or the household id of one card.
    pub what: String,
    /// The region printed (a household's village for one card).
    pub scope: String,
    pub layout: String,
    /// Each household printed with the card version it was printed at.
    pub cards: Vec<(String, i32)>,
}

fn parse_print(
    (id, at, actor, what, scope, detail): (
        i64,
        NaiveDateTime,
        String,
        String,
        Option<String>,
        String,
    ),
) -> PrintRecord {
    #[derive(serde::Deserialize, Default)]
    struct Detail {
        #[serde(default)]
        layout: String,
        #[serde(default)]
        cards: Vec<(String, i32)>,
    }
    let d: Detail = serde_json::from_str(&detail).unwrap_or_default();
    PrintRecord {
        id,
        at,
        actor,
        what,
        scope: scope.unwrap_or_default(),
        layout: d.layout,
        cards: d.cards,
    }
}

/// Prints of regions (and households) within `scope`, newest first, before
/// audit row `before` (all when `None`); and whether there are more.
pub fn prints(
    conn: &mut AnyConnection,
    scope: &RegionCode,
    before: Option<i64>,
    limit: i64,
) -> Result<(Vec<PrintRecord>, bool), ApiError> {
    use super::schema::audit_log as a;
    let (low, high) = scope.code_range();
    let mut q = a::table
        .filter(a::entity.eq("card_print"))
        .filter(a::scope.between(low, high))
        .order(a::id.desc())
        .limit(limit + 1)
        .select((a::id, a::at, a::actor, a::entity_id, a::scope, a::detail))
        .into_boxed();
    if let Some(b) = before {
        q = q.filter(a::id.lt(b));
    }
    let mut rows: Vec<PrintRecord> = q.load(conn)?.into_iter().map(parse_print).collect();
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}

/// A household whose card changed since it was last printed (需重印).
#[derive(Debug, Clone, serde::Serialize, PartialEq)]
pub struct Reprint {
    pub id: String,
    pub household_code: String,
    pub division_code: String,
    pub group_name: String,
    pub head_name: Option<String>,
    pub card_version: i32,
    pub printed_version: i32,
    pub printed_at: String,
}

/// The households of `region`, in print order, whose current card version
/// differs from the one they were last printed at, by any print that covered
/// them (of the region, a region inside it, one containing it, or one card).
/// A household never printed has no card on the wall and is not listed.
pub fn reprint(conn: &mut AnyConnection, region: &RegionCode) -> Result<Vec<Reprint>, ApiError> {
    use super::schema::{audit_log as a, household_members as m, households as h};
    let (low, high) = region.code_range();
    let current: Vec<(String, String, String, String, i32)> = h::table
        .filter(h::division_code.between(&low, &high))
        .order((
            h::division_code.asc(),
            h::group_name.asc(),
            h::household_code.asc(),
        ))
        .select((
            h::id,
            h::household_code,
            h::division_code,
            h::group_name,
            h::card_version,
        ))
        .load(conn)?;
    let mut above = Vec::new();
    let mut up = region.parent();
    while let Some(r) = up {
        above.push(r.as_str().to_string());
        up = r.parent();
    }
    let prints: Vec<PrintRecord> = a::table
        .filter(a::entity.eq("card_print"))
        .filter(a::scope.between(&low, &high).or(a::scope.eq_any(&above)))
        .order(a::id.asc())
        .select((a::id, a::at, a::actor, a::entity_id, a::scope, a::detail))
        .load(conn)?
        .into_iter()
        .map(parse_print)
        .collect();
    let wanted: std::collections::HashSet<&str> = current.iter().map(|c| c.0.as_str()).collect();
    let mut last: HashMap<String, (i32, NaiveDateTime)> = HashMap::new();
    for p in prints {
        for (id, version) in p.cards {
            if wanted.contains(id.as_str()) {
                last.insert(id, (version, p.at));
            }
        }
    }
    let due: Vec<_> = current
        .into_iter()
        .filter_map(|c| match last.get(&c.0) {
            Some(&(printed, at)) if printed != c.4 => Some((c, printed, at)),
            _ => None,
        })
        .collect();
    let ids: Vec<&str> = due.iter().map(|(c, ..)| c.0.as_str()).collect();
    let heads: HashMap<String, String> = m::table
        .filter(m::household_id.eq_any(&ids))
        .filter(m::relation.eq("head"))
        .select((m::household_id, m::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    Ok(due
        .into_iter()
        .map(
            |((id, household_code, division_code, group_name, card_version), printed, at)| {
                Reprint {
                    head_name: heads.get(&id).cloned(),
                    id,
                    household_code,
                    division_code,
                    group_name,
                    card_version,
                    printed_version: printed,
                    printed_at: super::rfc3339(at),
                }
            },
        )
        .collect())
}
