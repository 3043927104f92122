//! `POST /auth/token`, `POST /auth/refresh` and `POST /auth/logout`.
//!
//! The refresh token travels one of two ways. Phones and scripts get it in
//! the JSON body and send it back in the body. The browser console signs in
//! with `"refresh_cookie": true` and gets it only as an `HttpOnly; Secure;
//! SameSite=Strict` cookie scoped to `/api/v1/auth`: a reload keeps the
//! session, and no script on the page can read the token.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::json::{Json, OptionalJson};
use crate::auth::{AuthUser, ACCESS_TTL_SECS, REFRESH_TTL_DAYS};
use crate::db::{devices, users};
use crate::error::{ApiError, Code};
use crate::AppState;

/// Failed sign-ins allowed per username in [`FAILURE_WINDOW_MINUTES`].
pub const MAX_FAILURES: i64 = 10;
pub const FAILURE_WINDOW_MINUTES: i64 = 15;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    username: String,
    password: String,
    /// Hand the refresh token over as a cookie instead of in the body.
    #[serde(default)]
    refresh_cookie: bool,
}

/// The body of a refresh or a sign-out; empty (or absent) when the token
/// comes as the cookie.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    refresh_token: Option<String>,
}

/// The cookie that holds the browser console's refresh token.
pub const REFRESH_COOKIE: &str = "sancha_refresh";
/// The cookie is sent only to the auth endpoints, not with every API call.
pub const REFRESH_COOKIE_PATH: &str = "/api/v1/auth";

/// The `Set-Cookie` value for `token` (or, with an empty token and 0, the
/// one that clears it). Refresh tokens are base64url, safe in a cookie.
fn refresh_cookie(token: &str, max_age_secs: i64) -> String {
    format!(
        "{REFRESH_COOKIE}={token}; HttpOnly; Secure; SameSite=Strict; \
         Path={REFRESH_COOKIE_PATH}; Max-Age={max_age_secs}"
    )
}

/// The refresh token in the request's cookie, if any.
fn cookie_token(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == REFRESH_COOKIE)
        .map(|(_, value)| value.trim().trim_matches('"').to_string())
        .filter(|value| !value.is_empty())
}

pub async fn token(
    state: web::Data<AppState>,
    Json(c): Json<Credentials>,
) -> Result<HttpResponse, ApiError> {
    let username: String = c.username.chars().take(64).collect();
    let as_cookie = c.refresh_cookie;
    let window = chrono::Duration::minutes(FAILURE_WINDOW_MINUTES);
    let name = username.clone();
    let attempt = state
        .db
        .write(move |conn| users::reserve_attempt(conn, &name, window, MAX_FAILURES))
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::TOO_MANY_REQUESTS, Code::TooManyAttempts))?;
    let name = username.clone();
    let user = state
        .db
        .read(move |conn| users::authenticate(conn, &name, &c.password))
        .await?;
    let Some(user) = user else {
        state
            .db
            .write(move |conn| users::record_failure(conn, &username))
            .await?;
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            Code::InvalidCredentials,
        ));
    };
    let signed_in = user.clone();
    let refresh = state
        .db
        .write(move |conn| {
            users::attempt_succeeded(conn, attempt)?;
            users::record_login(conn, &signed_in, "login")?;
            users::issue_refresh_token(conn, &signed_in.user_id, None)
        })
        .await?;
    respond(&state, &user, refresh, as_cookie)
}

/// Spends the refresh token of the body, or else of the cookie, and answers
/// the way it came: a token from the body gets its successor in the body, a
/// token from the cookie gets a new cookie.
pub async fn refresh(
    state: web::Data<AppState>,
    req: HttpRequest,
    OptionalJson(body): OptionalJson<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let invalid = || ApiError::new(StatusCode::UNAUTHORIZED, Code::InvalidRefreshToken);
    let (token, by_cookie) = match body.and_then(|b| b.refresh_token) {
        Some(token) => (token, false),
        None => (cookie_token(&req).ok_or_else(invalid)?, true),
    };
    let (user, refresh) = state
        .db
        .write(move |conn| {
            Ok(match users::consume_refresh_token(conn, &token)? {
                Ok(user) => {
                    let device = user.device_id.as_deref();
                    let next = users::issue_refresh_token(conn, &user.user_id, device)?;
                    if let Some(device) = device {
                        devices::seen(conn, device)?;
                    }
                    Ok((user, next))
                }
                Err(code) => Err(code),
            })
        })
        .await?
        .map_err(|code| ApiError::new(StatusCode::UNAUTHORIZED, code))?;
    respond(&state, &user, refresh, by_cookie)
}

/// `POST /auth/logout`: revokes the refresh token of the body and of the
/// cookie and clears the cookie. Always 204, whether or not a token was
/// given or still live: signing out twice is not an error.
pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    OptionalJson(body): OptionalJson<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let tokens: Vec<String> = body
        .and_then(|b| b.refresh_token)
        .into_iter()
        .chain(cookie_token(&req))
        .collect();
    if !tokens.is_empty() {
        state
            .db
            .write(move |conn| {
                tokens
                    .iter()
                    .try_for_each(|t| users::revoke_refresh_token(conn, t))
            })
            .await?;
    }
    Ok(HttpResponse::NoContent()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::SET_COOKIE, refresh_cookie("", 0)))
        .finish())
}

fn respond(
    state: &AppState,
    user: &AuthUser,
    refresh_token: String,
    as_cookie: bool,
) -> Result<HttpResponse, ApiError> {
    session(StatusCode::OK, state, user, refresh_token, as_cookie)
}

/// A new session's answer: the access token, and the refresh token in the
/// body or (`as_cookie`) as the console's cookie. A phone's session names
/// its `device_id`.
pub(super) fn session(
    status: StatusCode,
    state: &AppState,
    user: &AuthUser,
    refresh_token: String,
    as_cookie: bool,
) -> Result<HttpResponse, ApiError> {
    let access_token = state.jwt.issue(user)?;
    let mut body = serde_json::json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": ACCESS_TTL_SECS,
        "user": {"username": user.username, "role": user.role, "scope": user.scope},
    });
    if let Some(device) = &user.device_id {
        body["device_id"] = device.as_str().into();
    }
    let mut res = HttpResponse::build(status);
    res.insert_header((header::CACHE_CONTROL, "no-store"));
    if as_cookie {
        res.insert_header((
            header::SET_COOKIE,
            refresh_cookie(&refresh_token, REFRESH_TTL_DAYS * 24 * 3600),
        ));
    } else {
        body["refresh_token"] = refresh_token.into();
    }
    Ok(res.json(body))
}
