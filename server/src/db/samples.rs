//! Supervision samples (抽查): which households a supervisory level visits.
//! Stratified by village, deterministic for the same seed and data, never a
//! household that already has its two supervisory visits. A `risk` sample
//! takes each village's count the same way but draws first the households
//! whose visits look invented (`db::integrity::household_risk`).

use std::collections::HashMap;

use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::schema::{households, sample_households, samples, visits};
use super::{audit, now, AnyConnection};
use crate::domain::visit::VisitLevel;
use crate::domain::RegionCode;
use crate::error::ApiError;

/// How a sample orders each village's households before taking its count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// By the seed alone.
    Random,
    /// Flagged households first (riskiest first), then by the seed.
    Risk,
}

impl Strategy {
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Random => "random",
            Strategy::Risk => "risk",
        }
    }

    pub fn parse(s: &str) -> Option<Strategy> {
        match s {
            "random" => Some(Strategy::Random),
            "risk" => Some(Strategy::Risk),
            _ => None,
        }
    }
}

/// What a new sample is to be.
pub struct Plan {
    pub level: VisitLevel,
    pub rate_permille: i32,
    pub seed: i64,
    pub strategy: Strategy,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub id: String,
    pub scope: String,
    pub level: VisitLevel,
    pub rate_permille: i32,
    pub seed: i64,
    /// Households left out because they already have their supervisory visits.
    pub excluded: i32,
    pub strategy: Strategy,
    /// Households taken for their risk, ahead of the seed's order.
    pub risk_picked: i32,
    pub created_by: String,
    pub created_at: chrono::NaiveDateTime,
    pub households: Vec<String>,
}

/// Each household's current supervisory visits (not superseded, not rejected) in `scope`.
pub fn supervisory_counts(
    conn: &mut AnyConnection,
    scope: &RegionCode,
) -> Result<HashMap<String, u32>, ApiError> {
    let (low, high) = scope.code_range();
    let supervisory: Vec<&str> = VisitLevel::ALL
        .iter()
        .filter(|l| l.is_supervisory())
        .map(|l| l.as_str())
        .collect();
    let ids: Vec<String> = visits::table
        .filter(visits::division_code.between(low, high))
        .filter(visits::level.eq_any(&supervisory))
        .filter(visits::superseded_by.is_null())
        .filter(visits::review.ne("rejected"))
        .select(visits::household_id)
        .load(conn)?;
    let mut counts = HashMap::new();
    for id in ids {
        *counts.entry(id).or_insert(0) += 1;
    }
    Ok(counts)
}

/// The order a seed puts households in: a keyed hash, so the same seed and
/// data always give the same sample and nobody can steer it.
fn draw_order(seed: i64, household_id: &str) -> [u8; 32] {
    Sha256::digest(format!("{seed}\n{household_id}")).into()
}

/// A household's standing in a `risk` sample: its weighted `process.*`
/// findings, and whether it is flagged (a high or medium one, or a risky
/// inspector visited it). Households not in the map stand at `(0, false)`.
pub type Risk = HashMap<String, (u32, bool)>;

/// Picks `ceil(rate × households)` of each village from those with fewer
/// than `max_visits` supervisory visits: flagged households first, riskiest
/// first, then in the seed's order. Returns the picks, how many were
/// excluded for their visits, and how many were taken for their risk. With
/// an empty `risk` this is the seed's order alone.
pub fn draw(
    villages: &[(String, Vec<String>)],
    visits: &HashMap<String, u32>,
    risk: &Risk,
    rate_permille: i32,
    seed: i64,
    max_visits: u32,
) -> (Vec<String>, i32, i32) {
    let mut picked = Vec::new();
    let (mut excluded, mut for_risk) = (0, 0);
    for (_, households) in villages {
        let want = (households.len() * rate_permille as usize).div_ceil(1000);
        let mut eligible: Vec<&String> = households
            .iter()
            .filter(|h| visits.get(*h).copied().unwrap_or(0) < max_visits)
            .collect();
        excluded += (households.len() - eligible.len()) as i32;
        let standing = |h: &String| match risk.get(h) {
            Some(&(score, true)) => (false, std::cmp::Reverse(score)),
            _ => (true, std::cmp::Reverse(0)),
        };
        eligible.sort_by_key(|h| (standing(h), draw_order(seed, h)));
        let taken: Vec<&String> = eligible.into_iter().take(want).collect();
        for_risk += taken.iter().filter(|h| !standing(h).0).count() as i32;
        picked.extend(taken.into_iter().cloned());
    }
    (picked, excluded, for_risk)
}

pub fn create(
    conn: &mut AnyConnection,
    scope: &RegionCode,
    plan: &Plan,
    cfg: &crate::checklist::RuleConfig,
    actor: &str,
) -> Result<Sample, ApiError> {
    let Plan {
        level,
        rate_permille,
        seed,
        strategy,
    } = *plan;
    let (low, high) = scope.code_range();
    let rows: Vec<(String, String)> = households::table
        .filter(households::division_code.between(low, high))
        .order((
            households::division_code.asc(),
            households::household_code.asc(),
        ))
        .select((households::division_code, households::id))
        .load(conn)?;
    let mut villages: Vec<(String, Vec<String>)> = Vec::new();
    for (village, id) in rows {
        match villages.last_mut() {
            Some((v, ids)) if *v == village => ids.push(id),
            _ => villages.push((village, vec![id])),
        }
    }
    let counts = supervisory_counts(conn, scope)?;
    let risk = match strategy {
        Strategy::Random => Risk::new(),
        Strategy::Risk => super::integrity::household_risk(conn, scope, cfg.risky_inspector)?,
    };
    let (picked, excluded, risk_picked) = draw(
        &villages,
        &counts,
        &risk,
        rate_permille,
        seed,
        cfg.max_supervisory_visits,
    );
    let village_of: HashMap<&str, &str> = villages
        .iter()
        .flat_map(|(v, ids)| ids.iter().map(move |id| (id.as_str(), v.as_str())))
        .collect();
    let sample = Sample {
        id: uuid::Uuid::new_v4().to_string(),
        scope: scope.as_str().to_string(),
        level,
        rate_permille,
        seed,
        excluded,
        strategy,
        risk_picked,
        created_by: actor.to_string(),
        created_at: now(),
        households: picked,
    };
    diesel::insert_into(samples::table)
        .values((
            samples::id.eq(&sample.id),
            samples::scope.eq(&sample.scope),
            samples::level.eq(level.as_str()),
            samples::rate_permille.eq(rate_permille),
            samples::seed.eq(seed),
            samples::excluded.eq(excluded),
            samples::created_by.eq(actor),
            samples::created_at.eq(sample.created_at),
            samples::strategy.eq(strategy.as_str()),
            samples::risk_picked.eq(risk_picked),
        ))
        .execute(conn)?;
    for h in &sample.households {
        diesel::insert_into(sample_households::table)
            .values((
                sample_households::sample_id.eq(&sample.id),
                sample_households::household_id.eq(h),
                sample_households::division_code
                    .eq(village_of.get(h.as_str()).copied().unwrap_or_default()),
            ))
            .execute(conn)?;
    }
    let detail =
        serde_json::json!({"level": level.as_str(), "rate_permille": rate_permille, "seed": seed,
        "households": sample.households.len(), "excluded": excluded,
        "strategy": strategy.as_str(), "risk_picked": risk_picked})
        .to_string();
    audit::record(
        conn,
        audit::Entry {
            at: sample.created_at,
            actor,
            entity: "sample",
            entity_id: &sample.id,
            scope: Some(scope.as_str()),
            action: "create",
            old_version: None,
            new_version: None,
            detail: &detail,
        },
    )?;
    Ok(sample)
}

type SampleRow = (
    String,
    String,
    String,
    i32,
    i64,
    i32,
    String,
    chrono::NaiveDateTime,
    String,
    i32,
);

/// The columns of a [`SampleRow`], in its order.
#[rustfmt::skip]
const SAMPLE_COLUMNS: (
    samples::id, samples::scope, samples::level, samples::rate_permille,
    samples::seed, samples::excluded, samples::created_by, samples::created_at,
    samples::strategy, samples::risk_picked,
) = (
    samples::id, samples::scope, samples::level, samples::rate_permille,
    samples::seed, samples::excluded, samples::created_by, samples::created_at,
    samples::strategy, samples::risk_picked,
);

fn assemble(conn: &mut AnyConnection, rows: Vec<SampleRow>) -> Result<Vec<Sample>, ApiError> {
    let ids: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    let mut members: HashMap<String, Vec<String>> = HashMap::new();
    for (sample_id, household_id) in sample_households::table
        .filter(sample_households::sample_id.eq_any(&ids))
        .order((
            sample_households::sample_id,
            sample_households::division_code,
            sample_households::household_id,
        ))
        .select((
            sample_households::sample_id,
            sample_households::household_id,
        ))
        .load::<(String, String)>(conn)?
    {
        members.entry(sample_id).or_default().push(household_id);
    }
    Ok(rows
        .into_iter()
        .filter_map(
            |(
                id,
                scope,
                level,
                rate_permille,
                seed,
                excluded,
                created_by,
                created_at,
                strategy,
                risk_picked,
            )| {
                Some(Sample {
                    households: members.remove(&id).unwrap_or_default(),
                    level: VisitLevel::parse(&level)?,
                    strategy: Strategy::parse(&strategy)?,
                    risk_picked,
                    id,
                    scope,
                    rate_permille,
                    seed,
                    excluded,
                    created_by,
                    created_at,
                })
            },
        )
        .collect())
}

/// Samples of regions within `scope`, newest first.
pub fn list(conn: &mut AnyConnection, scope: &RegionCode) -> Result<Vec<Sample>, ApiError> {
    let (low, high) = scope.code_range();
    let rows = samples::table
        .filter(samples::scope.between(low, high))
        .order(samples::created_at.desc())
        .limit(200)
        .select(SAMPLE_COLUMNS)
        .load::<SampleRow>(conn)?;
    assemble(conn, rows)
}

pub fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<Sample>, ApiError> {
    let rows = samples::table
        .filter(samples::id.eq(id))
        .select(SAMPLE_COLUMNS)
        .load::<SampleRow>(conn)?;
    Ok(assemble(conn, rows)?.pop())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn village(name: &str, n: usize) -> (String, Vec<String>) {
        (
            name.to_string(),
            (0..n).map(|i| format!("{name}-{i:03}")).collect(),
        )
    }

    #[test]
    fn each_village_gives_the_ceiling_of_its_share() {
        let villages = [village("a", 10), village("b", 3), village("c", 1)];
        let (picked, excluded, _) = draw(&villages, &HashMap::new(), &Risk::new(), 500, 7, 2);
        let count = |v: &str| picked.iter().filter(|h| h.starts_with(v)).count();
        assert_eq!((count("a"), count("b"), count("c")), (5, 2, 1));
        assert_eq!(excluded, 0);
        let (picked, _, _) = draw(&villages, &HashMap::new(), &Risk::new(), 300, 7, 2);
        assert_eq!(picked.len(), 3 + 1 + 1);
    }

    #[test]
    fn the_same_seed_draws_the_same_sample_and_another_seed_another() {
        let villages = [village("a", 100)];
        let (one, _, _) = draw(&villages, &HashMap::new(), &Risk::new(), 200, 42, 2);
        let (again, _, _) = draw(&villages, &HashMap::new(), &Risk::new(), 200, 42, 2);
        let (other, _, _) = draw(&villages, &HashMap::new(), &Risk::new(), 200, 43, 2);
        assert_eq!(one, again);
        assert_ne!(one, other);
    }

    #[test]
    fn households_with_two_supervisory_visits_are_never_drawn() {
        let villages = [village("a", 4)];
        let visits: HashMap<String, u32> =
            [("a-000".to_string(), 2), ("a-001".to_string(), 1)].into();
        let (picked, excluded, _) = draw(&villages, &visits, &Risk::new(), 1000, 1, 2);
        assert_eq!(excluded, 1);
        assert_eq!(picked.len(), 3);
        assert!(!picked.contains(&"a-000".to_string()));
    }

    #[test]
    fn a_risk_draw_takes_flagged_households_first_and_keeps_each_villages_count() {
        let villages = [village("a", 10), village("b", 4)];
        let risk: Risk = [
            ("a-007".to_string(), (3, true)),
            ("a-003".to_string(), (20, true)),
            ("a-001".to_string(), (1, false)), // a low finding only: not flagged
            ("b-002".to_string(), (10, true)),
        ]
        .into();
        let visits: HashMap<String, u32> = [("a-007".to_string(), 2)].into();
        let (picked, excluded, for_risk) = draw(&villages, &visits, &risk, 300, 5, 2);
        // ceil(30% of 10) and ceil(30% of 4); a-007 has its two visits already.
        assert_eq!(picked.len(), 3 + 2);
        assert_eq!((excluded, for_risk), (1, 2));
        assert_eq!(picked[0], "a-003");
        assert!(!picked.contains(&"a-007".to_string()));
        assert_eq!(picked[3], "b-002");
        // The rest follow the seed, as a random draw of what is left would.
        let (random, _, none) = draw(&villages, &visits, &Risk::new(), 300, 5, 2);
        assert_eq!(none, 0);
        let (again, _, _) = draw(&villages, &visits, &risk, 300, 5, 2);
        assert_eq!(picked, again);
        assert_ne!(picked, random);
    }
}

/// A household of a sample as its list shows it.
#[derive(Debug, Clone, serde::Serialize, PartialEq)]
pub struct SampleHousehold {
    pub id: String,
    pub household_code: String,
    pub division_code: String,
    pub group_name: String,
    pub head_name: Option<String>,
    pub poverty_status: String,
    pub member_count: i64,
}

/// Up to `limit` of a sample's households from `offset`, in print order
/// (village, group, household code).
pub fn households_page(
    conn: &mut AnyConnection,
    sample_id: &str,
    offset: i64,
    limit: i64,
) -> Result<Vec<SampleHousehold>, ApiError> {
    let picked = sample_households::table
        .filter(sample_households::sample_id.eq(sample_id.to_string()))
        .select(sample_households::household_id);
    let rows: Vec<(String, String, String, String, String)> = households::table
        .filter(households::id.eq_any(picked))
        .order((
            households::division_code.asc(),
            households::group_name.asc(),
            households::household_code.asc(),
        ))
        .limit(limit)
        .offset(offset)
        .select((
            households::id,
            households::household_code,
            households::division_code,
            households::group_name,
            households::poverty_status,
        ))
        .load(conn)?;
    let ids: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    let (heads, counts) = super::households::heads_and_sizes(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, household_code, division_code, group_name, poverty_status)| SampleHousehold {
                head_name: heads.get(&id).cloned(),
                member_count: counts.get(&id).copied().unwrap_or(0),
                id,
                household_code,
                division_code,
                group_name,
                poverty_status,
            },
        )
        .collect())
}
