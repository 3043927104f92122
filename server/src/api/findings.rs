//! `GET /findings`: the rectification list (整改清单) of a scope.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::json::Json;
use super::{param_error, params};
use crate::auth::AuthUser;
use crate::checklist::FindingCode;
use crate::db::findings::{self, Filter, Move};
use crate::db::rfc3339;
use crate::db::visits::FindingRow;
use crate::domain::Role;
use crate::error::{ApiError, Code, Lang};
use crate::AppState;

#[derive(Deserialize)]
pub struct ListQuery {
    scope: Option<String>,
    status: Option<String>,
    code: Option<String>,
    severity: Option<String>,
    household_id: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

fn one_of(name: &str, raw: Option<String>, allowed: &[&str]) -> Result<Option<String>, ApiError> {
    match raw {
        Some(v) if !allowed.contains(&v.as_str()) => Err(param_error(name, Code::QueryInvalid)),
        other => Ok(other),
    }
}

/// `GET /findings?scope=&status=&code=&severity=&household_id=&cursor=`.
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    lang: Lang,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let scope = params::scope(&user, q.scope)?;
    let codes: Vec<&str> = FindingCode::ALL.iter().map(|c| c.as_str()).collect();
    let filter = Filter {
        status: one_of("status", q.status, &["open", "rectified", "closed"])?,
        code: one_of("code", q.code, &codes)?,
        severity: one_of("severity", q.severity, &["high", "medium", "low", "info"])?,
        household_id: q.household_id,
    };
    let after = params::cursor(q.cursor)?;
    let limit = params::limit(q.limit)?;
    let (rows, has_more) = state
        .db
        .read(move |c| findings::list(c, &scope, &filter, after, limit))
        .await?;
    let items: Vec<_> = rows.iter().map(|f| render(f, lang)).collect();
    let next_cursor = params::encode_cursor(rows.last().map_or(after, |r| r.seq));
    Ok(HttpResponse::Ok()
        .json(json!({"items": items, "next_cursor": next_cursor, "has_more": has_more})))
}

fn render(f: &FindingRow, lang: Lang) -> serde_json::Value {
    json!({
        "id": f.id, "household_id": f.household_id, "visit_id": f.visit_id, "code": f.code,
        "severity": f.severity, "field": f.field, "member_no": f.member_no, "status": f.status,
        "message": FindingCode::parse(&f.code).map_or("", |c| c.message(lang)),
        "rule_version": f.rule_version, "created_at": rfc3339(f.created_at), "updated_at": rfc3339(f.updated_at),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    #[serde(default)]
    note: String,
}

async fn transition(
    state: &AppState,
    user: AuthUser,
    lang: Lang,
    id: String,
    mv: Move,
    body: NoteBody,
) -> Result<HttpResponse, ApiError> {
    let roles: &[Role] = match mv {
        Move::Rectify => &[Role::VillageOffice, Role::Admin],
        Move::Close | Move::Reopen => &[Role::Supervisor, Role::Admin],
    };
    user.require_role(roles)?;
    let note = body.note.trim().to_string();
    if note.is_empty() || note.chars().count() > 1000 {
        return Err(ApiError::invalid(vec![crate::error::FieldError::new(
            "/note",
            Code::NoteRequired,
        )]));
    }
    let row = state
        .db
        .write(move |c| findings::transition(c, &id, mv, &note, &user))
        .await?;
    Ok(HttpResponse::Ok().json(render(&row, lang)))
}

/// `POST /findings/{id}/rectify` `{"note"}`: open → rectified (village office).
pub async fn rectify(
    state: web::Data<AppState>,
    user: AuthUser,
    lang: Lang,
    id: web::Path<uuid::Uuid>,
    Json(b): Json<NoteBody>,
) -> Result<HttpResponse, ApiError> {
    transition(&state, user, lang, id.to_string(), Move::Rectify, b).await
}

/// `POST /findings/{id}/close` `{"note"}`: rectified → closed (supervisor).
pub async fn close(
    state: web::Data<AppState>,
    user: AuthUser,
    lang: Lang,
    id: web::Path<uuid::Uuid>,
    Json(b): Json<NoteBody>,
) -> Result<HttpResponse, ApiError> {
    transition(&state, user, lang, id.to_string(), Move::Close, b).await
}

/// `POST /findings/{id}/reopen` `{"note"}`: rectified | closed → open (supervisor).
pub async fn reopen(
    state: web::Data<AppState>,
    user: AuthUser,
    lang: Lang,
    id: web::Path<uuid::Uuid>,
    Json(b): Json<NoteBody>,
) -> Result<HttpResponse, ApiError> {
    transition(&state, user, lang, id.to_string(), Move::Reopen, b).await
}
