//! `GET /findings`: the rectification list (整改清单) of a scope.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::json::Json;
use super::{param_error, params};
use crate::auth::AuthUser;
use crate::checklist::FindingCode;
use crate::db::findings::{self, Filter, Listed, Move};
use crate::db::rfc3339;
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
    from: Option<String>,
    to: Option<String>,
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
        from: params::instant("from", q.from)?,
        to: params::instant("to", q.to)?,
    };
    let after = params::cursor(q.cursor)?;
    let limit = params::limit(q.limit)?;
    let (rows, has_more) = state
        .db
        .read(move |c| {
            let (rows, more) = findings::list(c, &scope, &filter, after, limit)?;
            Ok((findings::describe(c, rows)?, more))
        })
        .await?;
    let items: Vec<_> = rows.iter().map(|f| render(f, lang)).collect();
    let next_cursor = params::encode_cursor(rows.last().map_or(after, |r| r.row.seq));
    Ok(HttpResponse::Ok()
        .json(json!({"items": items, "next_cursor": next_cursor, "has_more": has_more})))
}

fn render(l: &Listed, lang: Lang) -> serde_json::Value {
    let f = &l.row;
    json!({
        "id": f.id, "household_id": f.household_id, "household_code": l.household_code,
        "division_code": f.division_code, "visit_id": f.visit_id, "level": l.level, "code": f.code,
        "severity": f.severity, "field": f.field, "member_no": f.member_no, "status": f.status,
        "message": FindingCode::parse(&f.code).map_or("", |c| c.message(lang)),
        "last_note": l.last_note, "rule_version": f.rule_version, "raised_at": rfc3339(f.created_at),
        "created_at": rfc3339(f.created_at), "updated_at": rfc3339(f.updated_at),
    })
}

/// `GET /findings/{id}/history`: how the finding was raised and every move
/// since (who, when, from, to, note), oldest first.
pub async fn history(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.to_string();
    let (f, steps) = state
        .db
        .read(move |c| findings::history(c, &id, &user))
        .await?;
    Ok(HttpResponse::Ok().json(json!({"finding_id": f.id, "status": f.status, "items": steps})))
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
        .write(move |c| {
            let row = findings::transition(c, &id, mv, &note, &user)?;
            let mut listed = findings::describe(c, vec![row])?;
            listed
                .pop()
                .ok_or_else(|| ApiError::internal("a moved finding vanished"))
        })
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
