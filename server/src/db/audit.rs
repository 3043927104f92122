//! The audit log behind 谁检查、谁签字、谁负责: every change of a household,
//! user or region, written in the same transaction as the change. `detail`
//! names fields and states, never personal values.

use diesel::prelude::*;

use super::schema::audit_log;
use super::AnyConnection;
use crate::error::ApiError;

#[derive(Debug, Insertable)]
#[diesel(table_name = audit_log)]
pub struct Entry<'a> {
    pub at: chrono::NaiveDateTime,
    pub actor: &'a str,
    pub entity: &'a str,
    pub entity_id: &'a str,
    /// The region the event concerns (a household's village, a user's
    /// scope, a print's region), for scoped reading of the log.
    pub scope: Option<&'a str>,
    pub action: &'a str,
    pub old_version: Option<i32>,
    pub new_version: Option<i32>,
    pub detail: &'a str,
}

#[derive(Debug, Queryable, serde::Serialize)]
pub struct Row {
    pub id: i64,
    #[serde(serialize_with = "ser_time")]
    pub at: chrono::NaiveDateTime,
    pub actor: String,
    pub entity: String,
    pub entity_id: String,
    pub action: String,
    pub old_version: Option<i32>,
    pub new_version: Option<i32>,
    pub detail: String,
    pub scope: Option<String>,
}

fn ser_time<S: serde::Serializer>(t: &chrono::NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&super::rfc3339(*t))
}

pub fn record(conn: &mut AnyConnection, entry: Entry<'_>) -> Result<(), ApiError> {
    diesel::insert_into(audit_log::table)
        .values(&entry)
        .execute(conn)?;
    Ok(())
}

/// A read of one record with personal data (a household's ID numbers, a
/// visit's document): who looked, when.
pub fn private_read(
    conn: &mut AnyConnection,
    actor: &str,
    entity: &str,
    entity_id: &str,
    scope: &str,
) -> Result<(), ApiError> {
    read(conn, actor, entity, entity_id, scope, "")
}

/// [`private_read`] with a non-personal `detail`, e.g. `id_numbers_masked`.
pub fn read(
    conn: &mut AnyConnection,
    actor: &str,
    entity: &str,
    entity_id: &str,
    scope: &str,
    detail: &str,
) -> Result<(), ApiError> {
    record(
        conn,
        Entry {
            at: super::now(),
            actor,
            entity,
            entity_id,
            scope: Some(scope),
            action: "read",
            old_version: None,
            new_version: None,
            detail,
        },
    )
}

/// The trail of one entity, oldest first.
pub fn for_entity(
    conn: &mut AnyConnection,
    entity: &str,
    entity_id: &str,
) -> Result<Vec<Row>, ApiError> {
    Ok(audit_log::table
        .filter(audit_log::entity.eq(entity))
        .filter(audit_log::entity_id.eq(entity_id))
        .order(audit_log::id.asc())
        .load::<Row>(conn)?)
}

/// What the audit list is filtered by.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub since: Option<chrono::NaiveDateTime>,
}

/// One page of the log in `scope`, oldest first, after row `after_id`.
pub fn list(
    conn: &mut AnyConnection,
    scope: &crate::domain::RegionCode,
    f: &Filter,
    after_id: i64,
    limit: i64,
) -> Result<(Vec<Row>, bool), ApiError> {
    let (low, high) = scope.code_range();
    let mut q = audit_log::table
        .filter(audit_log::scope.between(low, high))
        .filter(audit_log::id.gt(after_id))
        .order(audit_log::id.asc())
        .limit(limit + 1)
        .into_boxed();
    if let Some(a) = &f.actor {
        q = q.filter(audit_log::actor.eq(a.clone()));
    }
    if let Some(a) = &f.action {
        q = q.filter(audit_log::action.eq(a.clone()));
    }
    if let Some(t) = f.since {
        q = q.filter(audit_log::at.ge(t));
    }
    let mut rows = q.load::<Row>(conn)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}
