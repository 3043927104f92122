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
pub fn list(
    conn: &mut AnyConnection,
    scope: &RegionCode,
    f: &Filter,
    after_seq: i64,
    limit: i64,
) -> Result<(Vec<FindingRow>, bool), ApiError> {
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

/// A move in the rectification flow (边检查、边整改 until 清零).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// open → rectified (village office).
    Rectify,
    /// rectified → closed (supervisor).
    Close,
    /// rectified | closed → open (supervisor).
    Reopen,
}

impl Move {
    pub fn as_str(self) -> &'static str {
        match self {
            Move::Rectify => "rectify",
            Move::Close => "close",
            Move::Reopen => "reopen",
        }
    }

    fn from(self) -> &'static [&'static str] {
        match self {
            Move::Rectify => &["open"],
            Move::Close => &["rectified"],
            Move::Reopen => &["rectified", "closed"],
        }
    }

    fn to(self) -> &'static str {
        match self {
            Move::Rectify => "rectified",
            Move::Close => "closed",
            Move::Reopen => "open",
        }
    }
}

/// Moves a finding (in the caller's scope) and writes the audit row: who,
/// when, from, to, note. Any other move is 409 naming the current status.
pub fn transition(
    conn: &mut AnyConnection,
    id: &str,
    mv: Move,
    note: &str,
    user: &crate::auth::AuthUser,
) -> Result<FindingRow, ApiError> {
    use crate::error::Code;
    let f = findings::table
        .find(id)
        .first::<FindingRow>(conn)
        .optional()?
        .ok_or_else(ApiError::not_found)?;
    user.require_scope_code(&f.division_code)?;
    if !mv.from().contains(&f.status.as_str()) {
        return Err(ApiError::conflict(Code::FindingState).with_detail(
            format!("当前状态：{}", f.status),
            format!("current status: {}", f.status),
        ));
    }
    let at = super::now();
    diesel::update(findings::table.find(id))
        .set((findings::status.eq(mv.to()), findings::updated_at.eq(at)))
        .execute(conn)?;
    let detail = serde_json::json!({"from": f.status, "to": mv.to(), "note": note}).to_string();
    super::audit::record(
        conn,
        super::audit::Entry {
            at,
            actor: &user.username,
            entity: "finding",
            entity_id: id,
            scope: Some(&f.division_code),
            action: mv.as_str(),
            old_version: None,
            new_version: None,
            detail: &detail,
        },
    )?;
    Ok(FindingRow {
        status: mv.to().to_string(),
        updated_at: at,
        ..f
    })
}
