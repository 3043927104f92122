//! Regions (行政区划) by their 12-digit code.

use diesel::prelude::*;
use serde::Serialize;

use super::schema::regions;
use super::{audit, now, AnyConnection};
use crate::domain::RegionCode;
use crate::error::ApiError;

#[derive(Debug, Queryable, Insertable)]
#[diesel(table_name = regions)]
struct RegionRow {
    code: String,
    name: String,
    parent_code: Option<String>,
    level: String,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
}

/// A region as the API shows it.
#[derive(Debug, Serialize, PartialEq)]
pub struct Region {
    pub code: String,
    pub name: String,
    pub level: String,
    pub parent: Option<String>,
}

impl From<RegionRow> for Region {
    fn from(r: RegionRow) -> Region {
        Region {
            code: r.code,
            name: r.name,
            level: r.level,
            parent: r.parent_code,
        }
    }
}

/// Creates or renames a region; `true` when it was created.
pub fn upsert(
    conn: &mut AnyConnection,
    code: &RegionCode,
    name: &str,
    actor: &str,
) -> Result<bool, ApiError> {
    let existing = regions::table
        .find(code.as_str())
        .select(regions::name)
        .first::<String>(conn)
        .optional()?;
    let t = now();
    let action = match existing {
        Some(old) if old == name => return Ok(false),
        Some(_) => {
            diesel::update(regions::table.find(code.as_str()))
                .set((regions::name.eq(name), regions::updated_at.eq(t)))
                .execute(conn)?;
            "rename"
        }
        None => {
            let row = RegionRow {
                code: code.as_str().to_string(),
                name: name.to_string(),
                parent_code: code.parent().map(|p| p.as_str().to_string()),
                level: code.level().as_str().to_string(),
                created_at: t,
                updated_at: t,
            };
            diesel::insert_into(regions::table)
                .values(&row)
                .execute(conn)?;
            "create"
        }
    };
    audit::record(
        conn,
        audit::Entry {
            at: t,
            actor,
            entity: "region",
            entity_id: code.as_str(),
            scope: Some(code.as_str()),
            action,
            old_version: None,
            new_version: None,
            detail: "",
        },
    )?;
    Ok(action == "create")
}

pub fn children(conn: &mut AnyConnection, parent: &RegionCode) -> Result<Vec<Region>, ApiError> {
    let rows = regions::table
        .filter(regions::parent_code.eq(parent.as_str()))
        .order(regions::code.asc())
        .load::<RegionRow>(conn)?;
    Ok(rows.into_iter().map(Region::from).collect())
}

pub fn get(conn: &mut AnyConnection, code: &RegionCode) -> Result<Option<Region>, ApiError> {
    Ok(regions::table
        .find(code.as_str())
        .first::<RegionRow>(conn)
        .optional()?
        .map(Region::from))
}

pub fn exists(conn: &mut AnyConnection, code: &RegionCode) -> Result<bool, ApiError> {
    use diesel::dsl::count_star;
    Ok(regions::table
        .filter(regions::code.eq(code.as_str()))
        .select(count_star())
        .first::<i64>(conn)?
        > 0)
}
