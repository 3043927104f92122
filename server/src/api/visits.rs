//! Visits: idempotent submission (`PUT /visits/{visit_id}`), the offline
//! batch, validation without storing, and reading back.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::json::{self, Json};
use super::{param_error, params};
use crate::auth::AuthUser;
use crate::checklist::{Finding, FindingCode};
use crate::clock::now_cn;
use crate::db::rfc3339;
use crate::db::visits::{self, Stored, Submission};
use crate::domain::visit::{VisitInput, VisitLevel};
use crate::error::{ApiError, Code, Lang};
use crate::AppState;

/// A batch holds at most this many visits (and at most [`BATCH_LIMIT`] bytes).
pub const MAX_BATCH: usize = 200;
pub const BATCH_LIMIT: usize = 8 << 20;

fn message(code: &str, lang: Lang) -> &'static str {
    FindingCode::parse(code).map_or("", |c| c.message(lang))
}

/// The receipt a phone gets for a visit, in `lang`.
fn receipt(s: &Stored, lang: Lang) -> Value {
    json!({
        "id": s.visit.id,
        "household_id": s.visit.household_id,
        "level": s.visit.level,
        "received_at": rfc3339(s.visit.received_at),
        "verified_on_site": s.visit.verified_on_site,
        "findings": s.findings.iter().map(|f| json!({
            "id": f.id,
            "code": f.code,
            "severity": f.severity,
            "field": f.field,
            "member_no": f.member_no,
            "message": message(&f.code, lang),
        })).collect::<Vec<_>>(),
        "missing_blobs": s.missing_blobs,
    })
}

/// Submits one visit exactly as `PUT /visits/{visit_id}` does: the status
/// and the receipt, or the error. Also the ingest of a phone's backup
/// (`crate::outbox`).
pub async fn submit(
    state: &AppState,
    user: &AuthUser,
    visit_id: uuid::Uuid,
    value: Value,
) -> Result<(StatusCode, Stored), ApiError> {
    // One trip to the blocking pool for everything that only reads: the
    // canonical form, the resend check, parsing and the checklist. They run
    // in parallel, outside the writers' turn.
    let (rules, reader) = (state.rules.clone(), user.clone());
    let (sub, prepared) = state
        .db
        .read(move |c| {
            let sub = Submission::of(visit_id, &value);
            // A resend is answered from what is stored, without checking again.
            if let Some(stored) =
                visits::replay(c, &reader, &visit_id.to_string(), &sub.body_sha256)?
            {
                return Ok((sub, Err(stored)));
            }
            let answers = crate::checklist::answers_fingerprint(&value);
            let input: VisitInput = json::from_value(value)?;
            let checked = visits::check(c, input, answers, &reader, &rules, now_cn())?;
            Ok((sub, Ok(checked)))
        })
        .await?;
    let checked = match prepared {
        Err(stored) => return Ok((StatusCode::OK, stored)),
        Ok(checked) => checked,
    };
    let body_sha256 = sub.body_sha256.clone();
    let new = visits::prepare(sub, checked, user, &state.rules);
    match state.db.store_visit(new).await? {
        Some(stored) => Ok((StatusCode::CREATED, stored)),
        // Another request stored this id first: answer as a resend would.
        None => stored_answer(state, user, visit_id, &body_sha256)
            .await?
            .map(|s| (StatusCode::OK, s))
            .ok_or_else(|| ApiError::internal("a visit that raced is not stored")),
    }
}

async fn stored_answer(
    state: &AppState,
    user: &AuthUser,
    visit_id: uuid::Uuid,
    body_sha256: &str,
) -> Result<Option<Stored>, ApiError> {
    let (hash, user) = (body_sha256.to_string(), user.clone());
    state
        .db
        .read(move |c| visits::replay(c, &user, &visit_id.to_string(), &hash))
        .await
}

pub async fn put(
    state: web::Data<AppState>,
    user: AuthUser,
    lang: Lang,
    visit_id: web::Path<uuid::Uuid>,
    Json(value): Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let (status, stored) = submit(&state, &user, visit_id.into_inner(), value).await?;
    Ok(HttpResponse::build(status).json(receipt(&stored, lang)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Batch {
    visits: Vec<BatchItem>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchItem {
    visit_id: String,
    visit: Value,
}

/// `POST /visits/batch`: each item answered as its own PUT would be, each
/// committed on its own; one bad item never fails the others.
pub async fn batch(
    state: web::Data<AppState>,
    user: AuthUser,
    lang: Lang,
    Json(b): Json<Batch>,
) -> Result<HttpResponse, ApiError> {
    if b.visits.len() > MAX_BATCH {
        return Err(ApiError::invalid(vec![crate::error::FieldError::new(
            "/visits",
            Code::Range,
        )]));
    }
    let mut results = Vec::with_capacity(b.visits.len());
    for item in b.visits {
        let answer = match uuid::Uuid::parse_str(&item.visit_id) {
            Ok(id) => submit(&state, &user, id, item.visit).await,
            Err(_) => Err(ApiError::not_found()),
        };
        let (status, body) = match answer {
            Ok((status, stored)) => (status, receipt(&stored, lang)),
            Err(e) => (e.status, e.to_problem(lang)),
        };
        results.push(json!({"visit_id": item.visit_id, "status": status.as_u16(), "body": body}));
    }
    Ok(HttpResponse::Ok().json(json!({ "results": results })))
}

/// `POST /visits/validate`: the same checks, nothing stored.
pub async fn validate(
    state: web::Data<AppState>,
    user: AuthUser,
    lang: Lang,
    Json(value): Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let answers = crate::checklist::answers_fingerprint(&value);
    let input: VisitInput = json::from_value(value)?;
    let rules = state.rules.clone();
    let (findings, on_site) = state
        .db
        .read(move |c| {
            let checked = visits::check(c, input, answers, &user, &rules, now_cn())?;
            Ok((checked.findings, checked.verified_on_site))
        })
        .await?;
    let render = |f: &Finding| json!({"code": f.code.as_str(), "severity": f.severity, "field": f.field, "member_no": f.member_no, "message": f.code.message(lang)});
    Ok(HttpResponse::Ok().json(json!({
        "verified_on_site": on_site,
        "rule_version": state.rules.version,
        "findings": findings.iter().map(render).collect::<Vec<_>>(),
    })))
}

/// `GET /visits/{id}`: the stored canonical document, its findings and status.
pub async fn get(
    state: web::Data<AppState>,
    user: AuthUser,
    lang: Lang,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.to_string();
    let stored = state
        .db
        .read(move |c| visits::find(c, &id))
        .await?
        .ok_or_else(ApiError::not_found)?;
    user.require_scope_code(&stored.visit.division_code)?;
    let (actor, vid, scope) = (
        user.username.clone(),
        stored.visit.id.clone(),
        stored.visit.division_code.clone(),
    );
    state
        .db
        .write(move |c| crate::db::audit::private_read(c, &actor, "visit", &vid, &scope))
        .await?;
    let mut body = receipt(&stored, lang);
    for (f, row) in body["findings"]
        .as_array_mut()
        .into_iter()
        .flatten()
        .zip(&stored.findings)
    {
        f["status"] = row.status.clone().into();
    }
    body["inspector"] = stored.visit.inspector_username.clone().into();
    body["review"] = stored.visit.review.clone().into();
    body["review_note"] = stored.visit.review_note.clone().into();
    body["reviewed_by"] = stored.visit.reviewed_by.clone().into();
    body["replaces"] = stored.visit.replaces.clone().into();
    body["superseded_by"] = stored.visit.superseded_by.clone().into();
    body["rule_version"] = stored.visit.rule_version.clone().into();
    body["document"] = serde_json::from_str(&stored.visit.document).map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize)]
pub struct ListQuery {
    household_id: Option<String>,
    scope: Option<String>,
    level: Option<String>,
    since: Option<String>,
    mine: Option<String>,
    review: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

/// `GET /visits?household_id=&scope=&level=&since=&mine=&review=&cursor=`: paged, scoped.
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let scope = params::scope(&user, q.scope)?;
    let level = match q.level {
        Some(l) => {
            Some(VisitLevel::parse(&l).ok_or_else(|| param_error("level", Code::QueryInvalid))?)
        }
        None => None,
    };
    let mine = match q.mine.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(param_error("mine", Code::QueryInvalid)),
    };
    let review = match q.review {
        Some(r) if !["unreviewed", "approved", "rejected"].contains(&r.as_str()) => {
            return Err(param_error("review", Code::QueryInvalid))
        }
        r => r,
    };
    let filter = visits::ListFilter {
        household_id: q.household_id,
        level,
        since: params::instant("since", q.since)?,
        inspector_user_id: mine.then(|| user.user_id.clone()),
        review,
    };
    let after = params::cursor(q.cursor)?;
    let limit = params::limit(q.limit)?;
    let (rows, has_more) = state
        .db
        .read(move |c| visits::list(c, &scope, &filter, after, limit))
        .await?;
    // Always given, so a reader at the end resumes from it and sees only newer visits.
    let next_cursor = params::encode_cursor(rows.last().map_or(after, |r| r.seq));
    let items: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "id": r.id, "household_id": r.household_id, "level": r.level, "inspector": r.inspector_username,
                "received_at": rfc3339(r.received_at), "verified_on_site": r.verified_on_site,
                "review": r.review, "review_note": r.review_note, "superseded_by": r.superseded_by,
                "replaces": r.replaces,
            })
        })
        .collect();
    Ok(HttpResponse::Ok()
        .json(json!({"items": items, "next_cursor": next_cursor, "has_more": has_more})))
}

/// `GET /rules`: the active thresholds and their version.
pub async fn rules(state: web::Data<AppState>, _user: AuthUser) -> HttpResponse {
    HttpResponse::Ok().json(&*state.rules)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    decision: String,
    #[serde(default)]
    note: String,
}

/// `POST /visits/{id}/review` `{"decision":"approve|reject","note"}`
/// (supervisor, admin, in scope).
pub async fn review(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<uuid::Uuid>,
    Json(b): Json<ReviewBody>,
) -> Result<HttpResponse, ApiError> {
    user.require_role(&[crate::domain::Role::Supervisor, crate::domain::Role::Admin])?;
    let mut errors = Vec::new();
    let approve = match b.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => {
            errors.push(crate::error::FieldError::new(
                "/decision",
                Code::SchemaInvalid,
            ));
            false
        }
    };
    let note = b.note.trim().to_string();
    // A rejection goes back to the enumerator: it must say what to correct.
    if (!approve && note.is_empty()) || note.chars().count() > 1000 {
        errors.push(crate::error::FieldError::new("/note", Code::NoteRequired));
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    let id = id.to_string();
    let row = state
        .db
        .write(move |c| visits::review(c, &id, approve, &note, &user))
        .await?;
    Ok(HttpResponse::Ok().json(json!({
        "id": row.id, "review": row.review, "review_note": row.review_note,
        "reviewed_by": row.reviewed_by, "reviewed_at": row.reviewed_at.map(rfc3339),
    })))
}
