//! `POST /auth/token` and `POST /auth/refresh`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::json::Json;
use crate::auth::{AuthUser, ACCESS_TTL_SECS};
use crate::db::users;
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
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    refresh_token: String,
}

pub async fn token(
    state: web::Data<AppState>,
    Json(c): Json<Credentials>,
) -> Result<HttpResponse, ApiError> {
    let username: String = c.username.chars().take(64).collect();
    let window = chrono::Duration::minutes(FAILURE_WINDOW_MINUTES);
    let name = username.clone();
    let (failures, user) = state
        .db
        .read(move |conn| {
            Ok((
                users::recent_failures(conn, &name, window)?,
                users::authenticate(conn, &name, &c.password)?,
            ))
        })
        .await?;
    if failures >= MAX_FAILURES {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            Code::TooManyAttempts,
        ));
    }
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
            users::record_login(conn, &signed_in, "login")?;
            users::issue_refresh_token(conn, &signed_in.user_id)
        })
        .await?;
    respond(&state, &user, refresh)
}

pub async fn refresh(
    state: web::Data<AppState>,
    Json(r): Json<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let (user, refresh) = state
        .db
        .write(
            move |conn| match users::consume_refresh_token(conn, &r.refresh_token)? {
                Some(user) => {
                    let next = users::issue_refresh_token(conn, &user.user_id)?;
                    Ok(Some((user, next)))
                }
                None => Ok(None),
            },
        )
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, Code::InvalidRefreshToken))?;
    respond(&state, &user, refresh)
}

fn respond(
    state: &AppState,
    user: &AuthUser,
    refresh_token: String,
) -> Result<HttpResponse, ApiError> {
    let access_token = state.jwt.issue(user)?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(serde_json::json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": ACCESS_TTL_SECS,
            "refresh_token": refresh_token,
            "user": {"username": user.username, "role": user.role, "scope": user.scope},
        })))
}
