//! The household roster: create, read, full replace with `If-Match`, and
//! the phone's incremental sync.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::json::Json;
use super::params;
use crate::auth::AuthUser;
use crate::clock::today_cn;
use crate::db::households::{self, Actor, HouseholdRecord};
use crate::domain::household::HouseholdInput;
use crate::domain::{RegionCode, Role};
use crate::error::{ApiError, Code};
use crate::AppState;

/// Who may change the roster.
const EDITORS: &[Role] = &[Role::VillageOffice, Role::Admin];

pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    Json(input): Json<HouseholdInput>,
) -> Result<HttpResponse, ApiError> {
    user.require_role(EDITORS)?;
    if let Some(code) = RegionCode::parse(&input.division_code) {
        user.require_scope(&code)?;
    }
    let today = today_cn();
    let record = state
        .db
        .write(move |conn| {
            let h = households::check(conn, input, today)?;
            households::insert(conn, &h, Actor(&user.username))
        })
        .await?;
    Ok(with_etag(HttpResponse::Created(), &record)
        .insert_header((
            header::LOCATION,
            format!("/api/v1/households/{}", record.id),
        ))
        .json(record))
}

#[derive(Deserialize)]
pub struct GetQuery {
    mask: Option<String>,
}

/// `GET /households/{id}?mask=true|false`: the whole record (what phones
/// sync), or with `mask=true` every ID number masked, as the console shows it
/// until a click reveals one (`POST …/members/{member_no}/reveal`).
pub async fn get(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    q: web::Query<GetQuery>,
) -> Result<HttpResponse, ApiError> {
    let masked = match q.mask.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(super::param_error("mask", Code::QueryInvalid)),
    };
    let id = id.into_inner();
    let record = state
        .db
        .read(move |conn| households::get(conn, &id))
        .await?
        .ok_or_else(ApiError::not_found)?;
    user.require_scope_code(&record.division_code)?;
    let (actor, hid, scope) = (
        user.username.clone(),
        record.id.clone(),
        record.division_code.clone(),
    );
    let detail = if masked { "id_numbers_masked" } else { "" };
    state
        .db
        .write(move |c| crate::db::audit::read(c, &actor, "household", &hid, &scope, detail))
        .await?;
    let record = if masked { record.masked() } else { record };
    Ok(with_etag(HttpResponse::Ok(), &record).json(record))
}

/// Who may reveal an ID number in the console.
const REVEALERS: &[Role] = &[Role::VillageOffice, Role::Supervisor, Role::Admin];

/// `POST /households/{id}/members/{member_no}/reveal` → `{"id_number"}`:
/// one member's ID number, audited (who, which member; never the number).
pub async fn reveal(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(uuid::Uuid, i32)>,
) -> Result<HttpResponse, ApiError> {
    user.require_role(REVEALERS)?;
    let (id, member_no) = path.into_inner();
    let number = state
        .db
        .write(move |c| households::reveal_id_number(c, &id.to_string(), member_no, &user))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({ "id_number": number })))
}

pub async fn replace(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    id: web::Path<String>,
    Json(input): Json<HouseholdInput>,
) -> Result<HttpResponse, ApiError> {
    user.require_role(EDITORS)?;
    let expected = if_match_version(&req)?;
    if let Some(code) = RegionCode::parse(&input.division_code) {
        user.require_scope(&code)?;
    }
    let id = id.into_inner();
    let today = today_cn();
    let record = state
        .db
        .write(move |conn| {
            let current = households::division_of(conn, &id)?.ok_or_else(ApiError::not_found)?;
            user.require_scope_code(&current)?;
            let h = households::check(conn, input, today)?;
            households::replace(conn, &id, &h, expected, Actor(&user.username))
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), &record).json(record))
}

fn with_etag(
    mut b: actix_web::HttpResponseBuilder,
    r: &HouseholdRecord,
) -> actix_web::HttpResponseBuilder {
    b.insert_header((header::ETAG, format!("\"{}\"", r.version)));
    b
}

/// The version in `If-Match` (`"3"`, `W/"3"` or `3`; `*` for any); 428 when absent.
fn if_match_version(req: &HttpRequest) -> Result<Option<i32>, ApiError> {
    let raw = req
        .headers()
        .get(header::IF_MATCH)
        .ok_or_else(|| ApiError::new(StatusCode::PRECONDITION_REQUIRED, Code::VersionRequired))?;
    let value = raw.to_str().map(str::trim).unwrap_or("");
    if value == "*" {
        return Ok(None);
    }
    value
        .trim_start_matches("W/")
        .trim_matches('"')
        .parse()
        .map(Some)
        .map_err(|_| ApiError::new(StatusCode::PRECONDITION_FAILED, Code::VersionMismatch))
}

/// Parameters as text, parsed here so a bad one is named in the answer.
#[derive(Deserialize)]
pub struct SyncQuery {
    scope: Option<String>,
    updated_since: Option<String>,
    sample: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

/// `GET /households?scope=&updated_since=&sample=&limit=&cursor=`.
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<SyncQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let scope = params::scope(&user, q.scope)?;
    let since = params::instant("updated_since", q.updated_since)?;
    let limit = params::limit(q.limit)?;
    let after = params::cursor(q.cursor)?;
    let sample = q.sample;
    let page = state
        .db
        .read(move |conn| {
            households::sync_page(conn, &scope, since, sample.as_deref(), after, limit)
        })
        .await?;
    // The cursor is always given, so a phone that reached the end resumes
    // from it later and receives exactly what changed since.
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "items": page.items,
        "next_cursor": params::encode_cursor(page.last_seq.unwrap_or(after)),
        "has_more": page.has_more,
    })))
}

/// `POST /households/{id}/token/rotate`: a new card token; the old card's QR
/// page answers 410 from now on and the card must be reprinted.
pub async fn rotate_token(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    user.require_role(EDITORS)?;
    let id = id.to_string();
    let token = state
        .db
        .write(move |c| {
            let division = households::division_of(c, &id)?.ok_or_else(ApiError::not_found)?;
            user.require_scope_code(&division)?;
            crate::db::public::rotate_token(c, &id, &user.username)
        })
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "public_token": token })))
}

/// The body of `POST /households/search`: in a body, not a URL, because
/// `q` may hold a name and URLs reach logs and browser history.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchBody {
    scope: Option<String>,
    q: Option<String>,
    status: Option<String>,
    group: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

/// Longest `q` or `group` accepted, in characters.
const SEARCH_TEXT_MAX: usize = 64;
/// Largest page of the search.
pub const SEARCH_PER_PAGE_MAX: i64 = 100;

impl SearchBody {
    /// Every problem at once (422 with pointers), then the scope (403).
    fn check(self, user: &AuthUser) -> Result<households::Search, ApiError> {
        use crate::domain::household::PovertyStatus;
        use crate::error::FieldError;
        let mut errors = Vec::new();
        let scope = match self.scope.as_deref() {
            None => Some(user.scope.clone()),
            Some(s) => RegionCode::parse(s),
        };
        if scope.is_none() {
            errors.push(FieldError::new("/scope", Code::RegionCodeInvalid));
        }
        let text = |name: &str, v: Option<String>, errors: &mut Vec<FieldError>| {
            let v = v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
            if v.as_ref()
                .is_some_and(|s| s.chars().count() > SEARCH_TEXT_MAX)
            {
                errors.push(FieldError::new(name, Code::SchemaInvalid));
            }
            v
        };
        let q = text("/q", self.q, &mut errors);
        let group = text("/group", self.group, &mut errors);
        if self
            .status
            .as_deref()
            .is_some_and(|s| PovertyStatus::parse(s).is_none())
        {
            errors.push(FieldError::new("/status", Code::SchemaInvalid));
        }
        let page = self.page.unwrap_or(1);
        if !(1..=1_000_000).contains(&page) {
            errors.push(FieldError::new("/page", Code::Range));
        }
        let per_page = self.per_page.unwrap_or(20);
        if !(1..=SEARCH_PER_PAGE_MAX).contains(&per_page) {
            errors.push(FieldError::new("/per_page", Code::Range));
        }
        let Some(scope) = scope.filter(|_| errors.is_empty()) else {
            return Err(ApiError::invalid(errors));
        };
        user.require_scope(&scope)?;
        Ok(households::Search {
            scope,
            text: q,
            status: self.status,
            group,
            page,
            per_page,
        })
    }
}

/// `POST /households/search` `{"scope","q","status","group","page","per_page"}`:
/// the 户档案 list, paged on the server with the total.
pub async fn search(
    state: web::Data<AppState>,
    user: AuthUser,
    Json(body): Json<SearchBody>,
) -> Result<HttpResponse, ApiError> {
    let s = body.check(&user)?;
    let (page, per_page) = (s.page, s.per_page);
    let (items, total) = state.db.read(move |c| households::search(c, &s)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "items": items, "total": total, "page": page, "per_page": per_page,
    })))
}
