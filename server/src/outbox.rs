//! 导出备份: a field app's outbox exported to one file (`sancha.outbox.v1`), for a
//! phone that cannot send it any more. [`import_file`] loads it through the very
//! ingest of `PUT /blobs/{sha256}` and `PUT /visits/{visit_id}` as one user: blobs
//! first, then visits, each on its own, so a bad item never stops the others and a
//! second run stores nothing twice. The report names items by position, id,
//! status and codes only, never by a value from the file.

use std::fmt;
use std::path::Path;

use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use base64::Engine;
use serde::Deserialize;
use serde_json::Value;

use crate::api::{store_blob, submit_visit};
use crate::auth::AuthUser;
use crate::db::users;
use crate::error::{ApiError, Code};
use crate::AppState;

/// The value of `format` in a backup file this module reads.
pub const FORMAT: &str = "sancha.outbox.v1";

/// A backup file as the field app writes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outbox {
    pub format: String,
    pub exported_at: chrono::DateTime<chrono::FixedOffset>,
    /// Who was signed in on the phone: the visits are submitted as this user
    /// unless the import names another.
    pub username: String,
    pub app_version: String,
    pub visits: Vec<OutboxVisit>,
    pub blobs: Vec<OutboxBlob>,
}

/// One queued `PUT /visits/{visit_id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboxVisit {
    /// The UUID the phone made; checked per item, like the path of a PUT.
    pub visit_id: String,
    /// The `sancha.visit.v1` document, exactly as the PUT takes it.
    pub body: Value,
}

/// One queued `PUT /blobs/{sha256}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboxBlob {
    pub sha256: String,
    pub content_type: String,
    /// The bytes in standard base64 (with padding).
    pub data_base64: String,
}

/// What happened to the items of one kind.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// Stored by this import (201 on the API).
    pub stored: usize,
    /// Already stored before, the same bytes or body (200 on the API).
    pub already: usize,
    /// Not stored: each has a [`Refusal`] in the report.
    pub refused: usize,
}

/// An item that was not stored, and why, as its PUT would have answered.
#[derive(Debug, Clone)]
pub struct Refusal {
    /// Where the item sits in the file: `/visits/3`, `/blobs/0`.
    pub item: String,
    /// The visit id or the blob's SHA-256, when it is well-formed.
    pub id: Option<String>,
    pub status: u16,
    pub code: Code,
    /// Each problem's JSON Pointer into the file, and its code.
    pub errors: Vec<(String, Code)>,
}

/// The outcome of one import.
#[derive(Debug, Clone)]
pub struct Report {
    /// The user the visits were submitted as.
    pub submitted_as: String,
    pub exported_at: String,
    pub app_version: String,
    pub visits: Tally,
    pub blobs: Tally,
    /// Blobs first, then visits, in file order.
    pub refused: Vec<Refusal>,
}

impl Report {
    /// Whether every item was stored now or before.
    pub fn is_clean(&self) -> bool {
        self.refused.is_empty()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "备份 / backup {FORMAT}: 导出于 / exported at {}, 应用版本 / app {}, 提交人 / submitted as {}",
            self.exported_at, self.app_version, self.submitted_as
        )?;
        for r in &self.refused {
            let kind = if r.item.starts_with("/blobs/") {
                "图片 / blob"
            } else {
                "走访 / visit"
            };
            write!(
                f,
                "未入库 / not stored: {kind} {} ({}): {} {}",
                r.id.as_deref().unwrap_or("-"),
                r.item,
                r.status,
                r.code.as_str()
            )?;
            for (pointer, code) in &r.errors {
                write!(f, "; {pointer} {}", code.as_str())?;
            }
            writeln!(f)?;
        }
        let line = |name: &str, t: &Tally| {
            format!(
                "{name}: 入库 / stored {}, 已有 / already there {}, 拒收 / refused {}",
                t.stored, t.already, t.refused
            )
        };
        writeln!(f, "{}", line("走访 / visits", &self.visits))?;
        write!(f, "{}", line("图片 / blobs", &self.blobs))
    }
}

/// Reads and parses a backup file; nothing is imported when this fails.
pub fn read(path: &Path) -> Result<Outbox, String> {
    let bytes = std::fs::read(path)
        .map_err(|e| format!("无法读取 / cannot read {}: {e}", path.display()))?;
    parse(&bytes)
}

/// Parses a backup file: JSON, `format` [`FORMAT`], the envelope's shape.
/// Item contents (ids, bodies, hashes) are checked per item on import.
pub fn parse(bytes: &[u8]) -> Result<Outbox, String> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        format!(
            "备份文件不是有效的 JSON（第 {} 行第 {} 列）/ the backup file is not JSON (line {}, column {})",
            e.line(),
            e.column(),
            e.line(),
            e.column()
        )
    })?;
    match value.get("format").and_then(Value::as_str) {
        Some(FORMAT) => {}
        Some(other) => {
            let shown: String = other.chars().take(40).collect();
            return Err(format!(
                "不支持的备份格式 / unsupported backup format {shown:?} (expected {FORMAT})"
            ));
        }
        None => {
            return Err(format!(
                "不是 sancha 备份文件（缺少 format）/ not a sancha backup file: no \"format\" (expected {FORMAT})"
            ))
        }
    }
    serde_path_to_error::deserialize(value).map_err(|e: serde_path_to_error::Error<_>| {
        let at = match crate::api::json::pointer_of(e.path()) {
            p if p.is_empty() => "/".to_string(),
            p => p,
        };
        // serde names a missing or unknown key; other messages may quote a value.
        let inner = e.inner().to_string();
        let why = if inner.starts_with("missing field") || inner.starts_with("unknown field") {
            inner
        } else {
            "wrong type or value".into()
        };
        format!("备份文件结构有误 / malformed backup file at {at}: {why}")
    })
}

/// [`read`], then [`load`].
pub fn import_file(state: &AppState, path: &Path, as_user: Option<&str>) -> Result<Report, String> {
    load(state, read(path)?, as_user)
}

/// Imports a parsed backup as `as_user`, or else the file's `username`, who
/// must exist and be enabled. Runs the ingest on its own actix runtime, so
/// call it from a plain thread (the CLI, a test), not from inside one.
pub fn load(state: &AppState, outbox: Outbox, as_user: Option<&str>) -> Result<Report, String> {
    let username = as_user.unwrap_or(&outbox.username).to_string();
    let user = submitter(state, &username)?;
    Ok(actix_web::rt::System::new().block_on(import(state, outbox, &user)))
}

/// The enabled user named `username`, as if signed in.
fn submitter(state: &AppState, username: &str) -> Result<AuthUser, String> {
    let found = state
        .db
        .read_blocking(|c| Ok((users::find(c, username)?, users::auth_user(c, username)?)))
        .map_err(|e| format!("数据库错误 / database error: {}", e.code.as_str()))?;
    match found {
        (Some(view), _) if view.disabled => Err(format!(
            "用户 {username} 已停用，未导入任何数据 / user {username} is disabled: nothing imported"
        )),
        (Some(_), Some(user)) => Ok(user),
        _ => Err(format!(
            "没有用户 {username}，未导入任何数据 / no user named {username}: nothing imported"
        )),
    }
}

/// Stores the file's blobs, then its visits, each exactly as its PUT by
/// `user` would, and counts what happened.
pub async fn import(state: &AppState, outbox: Outbox, user: &AuthUser) -> Report {
    let mut report = Report {
        submitted_as: user.username.clone(),
        exported_at: outbox.exported_at.to_rfc3339(),
        app_version: outbox.app_version,
        visits: Tally::default(),
        blobs: Tally::default(),
        refused: Vec::new(),
    };
    // Blobs first, so a visit's receipt does not list them as missing.
    for (i, blob) in outbox.blobs.into_iter().enumerate() {
        let item = format!("/blobs/{i}");
        let well_formed =
            blob.sha256.len() == 64 && blob.sha256.bytes().all(|b| b.is_ascii_hexdigit());
        let id = well_formed.then(|| blob.sha256.to_ascii_lowercase());
        let answer = match base64::engine::general_purpose::STANDARD.decode(&blob.data_base64) {
            Ok(bytes) => {
                store_blob(state, &blob.sha256, &blob.content_type, Bytes::from(bytes)).await
            }
            Err(_) => Err(ApiError::invalid(vec![crate::error::FieldError::new(
                "/data_base64",
                Code::SchemaInvalid,
            )])),
        };
        match answer {
            Ok(true) => report.blobs.stored += 1,
            Ok(false) => report.blobs.already += 1,
            Err(e) => {
                report.blobs.refused += 1;
                report.refused.push(refusal(item.clone(), &item, id, &e));
            }
        }
    }
    for (i, visit) in outbox.visits.into_iter().enumerate() {
        let item = format!("/visits/{i}");
        // As the PUT's path: any form of UUID, else 404.
        let Ok(visit_id) = uuid::Uuid::parse_str(&visit.visit_id) else {
            report.visits.refused += 1;
            let e = ApiError {
                errors: vec![crate::error::FieldError::new(
                    "/visit_id",
                    Code::SchemaInvalid,
                )],
                ..ApiError::not_found()
            };
            report.refused.push(refusal(item.clone(), &item, None, &e));
            continue;
        };
        let answer = if too_large(&visit.body) {
            Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                Code::PayloadTooLarge,
            ))
        } else {
            submit_visit(state, user, visit_id, visit.body).await
        };
        match answer {
            Ok((StatusCode::CREATED, _)) => report.visits.stored += 1,
            Ok(_) => report.visits.already += 1,
            Err(e) => {
                report.visits.refused += 1;
                let body = format!("{item}/body");
                report
                    .refused
                    .push(refusal(item, &body, Some(visit_id.to_string()), &e));
            }
        }
    }
    tracing::info!(
        visits_stored = report.visits.stored,
        visits_already = report.visits.already,
        visits_refused = report.visits.refused,
        blobs_stored = report.blobs.stored,
        blobs_already = report.blobs.already,
        blobs_refused = report.blobs.refused,
        "backup imported"
    );
    report
}

/// Whether a visit body is over the limit a PUT's body has (compact JSON).
fn too_large(body: &Value) -> bool {
    serde_json::to_vec(body).map_or(true, |b| b.len() > crate::api::json::JSON_LIMIT)
}

/// A refusal of the item at `item`, with the error's pointers (relative to
/// what the PUT received) placed under `base` in the file.
fn refusal(item: String, base: &str, id: Option<String>, e: &ApiError) -> Refusal {
    let errors = e
        .errors
        .iter()
        .map(|f| {
            let pointer = match f.field.as_str() {
                "" => base.to_string(),
                p if p.starts_with('/') => format!("{base}{p}"),
                // A path parameter's name (`sha256`), as the API reports it.
                p => format!("{base}/{p}"),
            };
            (pointer, f.code)
        })
        .collect();
    Refusal {
        item,
        id,
        status: e.status.as_u16(),
        code: e.code,
        errors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(format: &str) -> String {
        format!(
            r#"{{"format": "{format}", "exported_at": "2026-12-01T10:00:00+08:00",
                "username": "enumerator", "app_version": "1.0.0", "visits": [], "blobs": []}}"#
        )
    }

    #[test]
    fn an_empty_backup_parses() {
        let outbox = parse(file(FORMAT).as_bytes()).unwrap();
        assert_eq!(outbox.username, "enumerator");
        assert!(outbox.visits.is_empty() && outbox.blobs.is_empty());
    }

    #[test]
    fn not_json_or_another_format_is_refused_whole() {
        let e = parse(b"{\"format\": ").unwrap_err();
        assert!(e.contains("not JSON (line 1, column 11)"), "{e}");
        let e = parse(file("sancha.outbox.v2").as_bytes()).unwrap_err();
        assert!(
            e.contains("unsupported backup format \"sancha.outbox.v2\""),
            "{e}"
        );
        let e = parse(b"[]").unwrap_err();
        assert!(e.contains("no \"format\""), "{e}");
    }

    #[test]
    fn a_wrong_envelope_names_the_place_not_the_value() {
        let text = file(FORMAT).replace(
            r#""visits": []"#,
            r#""visits": [{"visit_id": 7, "body": {}}]"#,
        );
        let e = parse(text.as_bytes()).unwrap_err();
        assert!(
            e.contains("at /visits/0/visit_id: wrong type or value"),
            "{e}"
        );
        let text = file(FORMAT).replace(r#""app_version": "1.0.0","#, r#""device": "x","#);
        let e = parse(text.as_bytes()).unwrap_err();
        assert!(e.contains("unknown field `device`"), "{e}");
    }
}
