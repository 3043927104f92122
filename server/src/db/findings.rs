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
    /// Raised at or after this instant.
    pub from: Option<chrono::NaiveDateTime>,
    /// Raised before this instant.
    pub to: Option<chrono::NaiveDateTime>,
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
    if let Some(t) = f.from {
        q = q.filter(findings::created_at.ge(t));
    }
    if let Some(t) = f.to {
        q = q.filter(findings::created_at.lt(t));
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

/// A finding with what a list row shows beside it: its household's code,
/// the level of the visit that raised it, and the note of its last move.
#[derive(Debug, Clone)]
pub struct Listed {
    pub row: FindingRow,
    pub household_code: String,
    pub level: Option<String>,
    pub last_note: Option<String>,
}

/// The note of a move's audit row (`{"from","to","note"}`).
fn note_of(detail: &str) -> Option<String> {
    serde_json::from_str::<serde_json::Value>(detail)
        .ok()?
        .get("note")?
        .as_str()
        .map(str::to_string)
}

/// [`Listed`] for each row, in three queries whatever the page size.
pub fn describe(conn: &mut AnyConnection, rows: Vec<FindingRow>) -> Result<Vec<Listed>, ApiError> {
    use super::schema::{audit_log, households, visits};
    use std::collections::HashMap;
    let household_ids: Vec<&str> = rows.iter().map(|r| r.household_id.as_str()).collect();
    let codes: HashMap<String, String> = households::table
        .filter(households::id.eq_any(&household_ids))
        .select((households::id, households::household_code))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let visit_ids: Vec<&str> = rows.iter().filter_map(|r| r.visit_id.as_deref()).collect();
    let levels: HashMap<String, String> = visits::table
        .filter(visits::id.eq_any(&visit_ids))
        .select((visits::id, visits::level))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    // Oldest first, so the last one seen for each finding is its last move.
    let mut notes: HashMap<String, String> = HashMap::new();
    for (id, detail) in audit_log::table
        .filter(audit_log::entity.eq("finding"))
        .filter(audit_log::entity_id.eq_any(&ids))
        .order(audit_log::id.asc())
        .select((audit_log::entity_id, audit_log::detail))
        .load::<(String, String)>(conn)?
    {
        if let Some(n) = note_of(&detail) {
            notes.insert(id, n);
        }
    }
    Ok(rows
        .into_iter()
        .map(|row| Listed {
            household_code: codes.get(&row.household_id).cloned().unwrap_or_default(),
            level: row.visit_id.as_ref().and_then(|v| levels.get(v).cloned()),
            last_note: notes.remove(&row.id),
            row,
        })
        .collect())
}

/// One step of a finding's history.
#[derive(Debug, Clone, serde::Serialize, PartialEq)]
pub struct Step {
    /// `raised`, `rectified`, `closed` or `reopened`.
    pub action: &'static str,
    pub at: String,
    /// Who: the inspector whose visit raised it, the user who moved it;
    /// `None` for a resident's report (anonymous).
    pub actor: Option<String>,
    pub from: Option<String>,
    pub to: String,
    pub note: Option<String>,
}

/// A finding (in the caller's scope) and every move it made, oldest first:
/// its raising (from the finding and its visit) and each move's audit row.
pub fn history(
    conn: &mut AnyConnection,
    id: &str,
    user: &crate::auth::AuthUser,
) -> Result<(FindingRow, Vec<Step>), ApiError> {
    use super::schema::visits;
    let f = findings::table
        .find(id)
        .first::<FindingRow>(conn)
        .optional()?
        .ok_or_else(ApiError::not_found)?;
    user.require_scope_code(&f.division_code)?;
    let inspector = match &f.visit_id {
        Some(v) => visits::table
            .find(v)
            .select(visits::inspector_username)
            .first::<String>(conn)
            .optional()?,
        None => None,
    };
    let mut steps = vec![Step {
        action: "raised",
        at: super::rfc3339(f.created_at),
        actor: inspector,
        from: None,
        to: "open".into(),
        note: None,
    }];
    for r in super::audit::for_entity(conn, "finding", id)? {
        let action = match r.action.as_str() {
            "rectify" => "rectified",
            "close" => "closed",
            "reopen" => "reopened",
            _ => continue,
        };
        let detail: serde_json::Value = serde_json::from_str(&r.detail).unwrap_or_default();
        let text = |k: &str| detail.get(k).and_then(|v| v.as_str()).map(str::to_string);
        steps.push(Step {
            action,
            at: super::rfc3339(r.at),
            actor: Some(r.actor),
            from: text("from"),
            to: text("to").unwrap_or_default(),
            note: text("note"),
        });
    }
    Ok((f, steps))
}
