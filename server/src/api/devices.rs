//! Phones enrolled by QR code (手机登记): the office makes single-use codes
//! (as JSON, or as the printable enrolment sheet), a phone trades one for a
//! device-bound session, reports after each sync, and the office lists and
//! revokes a user's devices.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::json::Json;
use crate::auth::AuthUser;
use crate::db::devices::{self, Issued};
use crate::domain::Role;
use crate::error::{ApiError, Code, FieldError};
use crate::AppState;

/// Who may enrol phones and revoke them: the offices that hand phones out.
const OFFICE: &[Role] = &[Role::VillageOffice, Role::Supervisor, Role::Admin];
/// Users on one sheet (and one request) at most.
pub const MAX_USERS: usize = 200;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolmentRequest {
    usernames: Vec<String>,
}

/// The field app's link for a code. The code is in the fragment, which
/// browsers never send to a server, so it stays out of every access log.
fn enrol_url(state: &AppState, code: &str) -> String {
    format!(
        "{}/app/#enroll={code}",
        state.cards.public_base_url.trim_end_matches('/')
    )
}

async fn issue(
    state: &web::Data<AppState>,
    user: AuthUser,
    body: EnrolmentRequest,
) -> Result<Vec<Issued>, ApiError> {
    user.require_role(OFFICE)?;
    if body.usernames.is_empty() || body.usernames.len() > MAX_USERS {
        return Err(ApiError::invalid(vec![FieldError::new(
            "/usernames",
            Code::UsernamesInvalid,
        )]));
    }
    let ttl = state.enrolment_ttl;
    state
        .db
        .write(move |conn| devices::create_enrolments(conn, &user, &body.usernames, ttl))
        .await
}

/// `POST /enrolments`: one code per user, as JSON (for scripts).
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    Json(body): Json<EnrolmentRequest>,
) -> Result<HttpResponse, ApiError> {
    let issued = issue(&state, user, body).await?;
    let items: Vec<_> = issued
        .iter()
        .map(|i| {
            let mut v = serde_json::to_value(i).unwrap_or_default();
            v["url"] = enrol_url(&state, &i.code).into();
            v
        })
        .collect();
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({ "items": items })))
}

/// `POST /enrolments/sheet.pdf`: one code per user, printed as the
/// enrolment sheet (A6 slips, four to an A4 page).
pub async fn sheet(
    state: web::Data<AppState>,
    user: AuthUser,
    Json(body): Json<EnrolmentRequest>,
) -> Result<HttpResponse, ApiError> {
    let issued = issue(&state, user, body).await?;
    let slips: Vec<sancha_cardgen::Slip> = issued
        .iter()
        .map(|i| sancha_cardgen::Slip {
            url: enrol_url(&state, &i.code),
            username: i.username.clone(),
            role: i.role.label_zh().to_string(),
            scope: i.scope_name.clone(),
            expires: crate::clock::minute_cn(i.expires),
        })
        .collect();
    let font = state.card_font;
    let (pdf, report) = web::block(move || {
        let mut out = Vec::new();
        sancha_cardgen::write_sheet_pdf(&slips, font, &mut out).map(|r| (out, r))
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(|e| ApiError::internal(format!("enrolment sheet: {e}")))?;
    Ok(crate::print::response("application/pdf", "enrolment-sheet.pdf", &report).body(pdf))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolBody {
    code: String,
    /// What the phone's holder calls it (e.g. "张三的手机").
    #[serde(default)]
    name: String,
    /// The phone's model, as the browser tells it.
    #[serde(default)]
    model: String,
    /// Hand the refresh token over as a cookie (the field app) instead of in the body.
    #[serde(default)]
    refresh_cookie: bool,
}

const MAX_NAME_CHARS: usize = 64;
const MAX_MODEL_CHARS: usize = 128;

/// `POST /devices`: trades an enrolment code for a device and its session.
/// No password: the code is the proof, good once.
pub async fn enrol(
    state: web::Data<AppState>,
    req: HttpRequest,
    Json(body): Json<EnrolBody>,
) -> Result<HttpResponse, ApiError> {
    let mut errors = Vec::new();
    if body.name.chars().count() > MAX_NAME_CHARS {
        errors.push(FieldError::new("/name", Code::TextTooLong));
    }
    if body.model.chars().count() > MAX_MODEL_CHARS {
        errors.push(FieldError::new("/model", Code::TextTooLong));
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    let client = req
        .peer_addr()
        .map_or_else(|| "unknown".to_string(), |a| a.ip().to_string());
    let as_cookie = body.refresh_cookie;
    let enrolled = state
        .db
        .write(move |conn| devices::enrol(conn, body.code.trim(), &body.name, &body.model, &client))
        .await?
        .map_err(|code| {
            let status = if code == Code::EnrolmentTooManyAttempts {
                StatusCode::TOO_MANY_REQUESTS
            } else {
                StatusCode::UNAUTHORIZED
            };
            ApiError::new(status, code)
        })?;
    state.revocations.set(&enrolled.device.id, false);
    super::auth::session(
        StatusCode::CREATED,
        &state,
        &enrolled.user,
        enrolled.refresh_token,
        as_cookie,
    )
}

/// `GET /users/{username}/devices`.
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require_role(OFFICE)?;
    let name = name.into_inner();
    let items = state
        .db
        .read(move |conn| devices::list_of(conn, &user, &name))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({ "items": items })))
}

/// `POST /devices/{id}/revoke`: the device's next refresh is refused at
/// once, its access tokens here at once and on other replicas within
/// [`crate::auth::REVOCATION_TTL`].
pub async fn revoke(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require_role(OFFICE)?;
    let id = id.into_inner();
    let device_id = id.clone();
    let view = state
        .db
        .write(move |conn| devices::revoke(conn, &user, &id))
        .await?;
    state.revocations.set(&device_id, true);
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportBody {
    app_version: String,
    unsent: u32,
    /// When the phone last synced, by its own clock (RFC 3339).
    last_sync_at: Option<chrono::DateTime<chrono::FixedOffset>>,
}

/// `POST /devices/report`: an enrolled phone says, after each sync, which app
/// version it runs and how many visits it still holds.
pub async fn report(
    state: web::Data<AppState>,
    user: AuthUser,
    Json(body): Json<ReportBody>,
) -> Result<HttpResponse, ApiError> {
    let Some(device) = user.device_id else {
        return Err(ApiError::forbidden(Code::DeviceNotEnrolled));
    };
    if body.app_version.chars().count() > MAX_NAME_CHARS {
        return Err(ApiError::invalid(vec![FieldError::new(
            "/app_version",
            Code::TextTooLong,
        )]));
    }
    let r = devices::Report {
        app_version: body.app_version,
        unsent: i32::try_from(body.unsent).unwrap_or(i32::MAX),
        last_sync_at: body.last_sync_at.map(|t| t.naive_utc()),
    };
    state
        .db
        .write(move |conn| devices::report(conn, &device, r))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
