//! The 清零 view: for a region and each region directly under it, how many
//! households each level has visited, what the findings stand at, and who
//! still has an open high-severity finding. Counted by grouped queries per
//! village (one per level, a few more for findings), never per household,
//! then rolled up.

use std::collections::HashMap;

use diesel::dsl::{count, count_star};
use diesel::prelude::*;
use serde::Serialize;

use super::schema::{findings, households, visits};
use super::AnyConnection;
use crate::domain::visit::VisitLevel;
use crate::domain::{RegionCode, RegionLevel};
use crate::error::ApiError;

const STATUSES: [&str; 3] = ["open", "rectified", "closed"];
const SEVERITIES: [&str; 4] = ["high", "medium", "low", "info"];

/// What one village (or a roll-up of villages) counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Counts {
    households: i64,
    /// Households with at least one current visit, per level (VisitLevel::ALL order).
    visited: [i64; 4],
    by_status: [i64; 3],
    by_severity: [i64; 4],
    open_high: i64,
    over_limit: i64,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.households += o.households;
        for i in 0..4 {
            self.visited[i] += o.visited[i];
            self.by_severity[i] += o.by_severity[i];
        }
        for i in 0..3 {
            self.by_status[i] += o.by_status[i];
        }
        self.open_high += o.open_high;
        self.over_limit += o.over_limit;
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LevelProgress {
    pub level: &'static str,
    pub visited: i64,
    pub target_share: f64,
    /// Households with ≥ 1 current visit at this level ÷ households.
    pub coverage: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RegionProgress {
    pub code: String,
    pub name: String,
    pub households: i64,
    pub levels: Vec<LevelProgress>,
    pub findings_by_status: HashMap<&'static str, i64>,
    pub findings_by_severity: HashMap<&'static str, i64>,
    pub households_with_open_high: i64,
    pub households_over_supervision_limit: i64,
}

fn render(code: &str, name: String, c: &Counts) -> RegionProgress {
    RegionProgress {
        code: code.to_string(),
        name,
        households: c.households,
        levels: VisitLevel::ALL
            .iter()
            .zip(c.visited)
            .map(|(l, visited)| LevelProgress {
                level: l.as_str(),
                visited,
                target_share: f64::from(l.target_share_permille()) / 1000.0,
                coverage: if c.households > 0 {
                    visited as f64 / c.households as f64
                } else {
                    0.0
                },
            })
            .collect(),
        findings_by_status: STATUSES.iter().copied().zip(c.by_status).collect(),
        findings_by_severity: SEVERITIES.iter().copied().zip(c.by_severity).collect(),
        households_with_open_high: c.open_high,
        households_over_supervision_limit: c.over_limit,
    }
}

/// Per-village counts under `scope`.
fn by_village(
    conn: &mut AnyConnection,
    scope: &RegionCode,
    max_supervisory: u32,
) -> Result<HashMap<String, Counts>, ApiError> {
    let (low, high) = scope.code_range();
    let mut v: HashMap<String, Counts> = HashMap::new();
    let rows: Vec<(String, i64)> = households::table
        .filter(households::division_code.between(&low, &high))
        .group_by(households::division_code)
        .select((households::division_code, count_star()))
        .load(conn)?;
    for (village, n) in rows {
        v.entry(village).or_default().households = n;
    }
    for (i, level) in VisitLevel::ALL.iter().enumerate() {
        let rows: Vec<(String, i64)> = visits::table
            .filter(visits::division_code.between(&low, &high))
            .filter(visits::level.eq(level.as_str()))
            .filter(visits::superseded_by.is_null())
            .filter(visits::review.ne("rejected"))
            .group_by(visits::division_code)
            .select((
                visits::division_code,
                count(visits::household_id).aggregate_distinct(),
            ))
            .load(conn)?;
        for (village, n) in rows {
            v.entry(village).or_default().visited[i] = n;
        }
    }
    let rows: Vec<(String, String, String, i64)> = findings::table
        .filter(findings::division_code.between(&low, &high))
        .group_by((
            findings::division_code,
            findings::status,
            findings::severity,
        ))
        .select((
            findings::division_code,
            findings::status,
            findings::severity,
            count_star(),
        ))
        .load(conn)?;
    for (village, status, severity, n) in rows {
        let c = v.entry(village).or_default();
        if let Some(i) = STATUSES.iter().position(|s| *s == status) {
            c.by_status[i] += n;
        }
        if let Some(i) = SEVERITIES.iter().position(|s| *s == severity) {
            c.by_severity[i] += n;
        }
    }
    let rows: Vec<(String, i64)> = findings::table
        .filter(findings::division_code.between(&low, &high))
        .filter(findings::status.eq("open"))
        .filter(findings::severity.eq("high"))
        .group_by(findings::division_code)
        .select((
            findings::division_code,
            count(findings::household_id).aggregate_distinct(),
        ))
        .load(conn)?;
    for (village, n) in rows {
        v.entry(village).or_default().open_high = n;
    }
    let supervisory: Vec<&str> = VisitLevel::ALL
        .iter()
        .filter(|l| l.is_supervisory())
        .map(|l| l.as_str())
        .collect();
    let rows: Vec<(String, String, i64)> = visits::table
        .filter(visits::division_code.between(&low, &high))
        .filter(visits::level.eq_any(&supervisory))
        .filter(visits::superseded_by.is_null())
        .filter(visits::review.ne("rejected"))
        .group_by((visits::division_code, visits::household_id))
        .select((visits::division_code, visits::household_id, count_star()))
        .load(conn)?;
    for (village, _, n) in rows {
        if n > i64::from(max_supervisory) {
            v.entry(village).or_default().over_limit += 1;
        }
    }
    Ok(v)
}

/// The scope's totals and one row per region directly under it.
pub fn progress(
    conn: &mut AnyConnection,
    scope: &RegionCode,
    max_supervisory: u32,
) -> Result<(RegionProgress, Vec<RegionProgress>), ApiError> {
    let villages = by_village(conn, scope, max_supervisory)?;
    let mut total = Counts::default();
    villages.values().for_each(|c| total.add(c));
    let name = super::regions::get(conn, scope)?
        .map(|r| r.name)
        .unwrap_or_default();
    let child_digits = match scope.level() {
        RegionLevel::Province => 4,
        RegionLevel::City => 6,
        RegionLevel::County => 9,
        RegionLevel::Town => 12,
        RegionLevel::Village => return Ok((render(scope.as_str(), name, &total), Vec::new())),
    };
    let mut children: HashMap<String, Counts> = HashMap::new();
    for (village, c) in &villages {
        let prefix = village.get(..child_digits).unwrap_or(village);
        children.entry(format!("{prefix:0<12}")).or_default().add(c);
    }
    // Registered children with no households yet count too (as zeros).
    let mut names = HashMap::new();
    for r in super::regions::children(conn, scope)? {
        children.entry(r.code.clone()).or_default();
        names.insert(r.code, r.name);
    }
    let mut rows: Vec<RegionProgress> = children
        .iter()
        .map(|(code, c)| render(code, names.get(code).cloned().unwrap_or_default(), c))
        .collect();
    rows.sort_by(|a, b| a.code.cmp(&b.code));
    Ok((render(scope.as_str(), name, &total), rows))
}
