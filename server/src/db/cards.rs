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
