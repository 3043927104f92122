//! Findings (整改清单): what the checklist raised and what residents
//! reported, listed by scope for the village office and supervisors.

use diesel::prelude::*;

use super::schema::findings;
use super::visits::FindingRow;
use super::AnyConnection;
use crate::domain::RegionCode;
use crate::error::ApiError;

/// What a findings list is filtered by.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub status: Option<String>,
    pub code: Option<String>,
    pub severity: Option<String>,
    pub household_id: Option<String>,
}

/// One page of findings in `scope`, in creation order after `after_seq`.
pub fn list(conn: &mut AnyConnection, scope: &RegionCode, f: &Filter, after_seq: i64, limit: i64) -> Result<(Vec<FindingRow>, bool), ApiError> {
    let (low, high) = scope.code_range();
    let mut q = findings::table
        .filter(findings::division_code.between(low, high))
        .filter(findings::seq.gt(after_seq))
        .order(findings::seq.asc())
        .limit(limit + 1)
        .into_boxed();
    if let Some(s) = &f.status {
        q = q.filter(findings::status.eq(s.clone()));
    }
    if let Some(c) = &f.code {
        q = q.filter(findings::code.eq(c.clone()));
    }
    if let Some(s) = &f.severity {
        q = q.filter(findings::severity.eq(s.clone()));
    }
    if let Some(h) = &f.household_id {
        q = q.filter(findings::household_id.eq(h.clone()));
    }
    let mut rows = q.load::<FindingRow>(conn)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}
