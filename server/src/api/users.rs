//! Users: create (admin, never wider or higher than oneself), list,
//! disable and enable.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::json::Json;
use crate::auth::{self, AuthUser};
use crate::db::users::{self, NewUser};
use crate::domain::{RegionCode, Role};
use crate::error::{ApiError, Code, FieldError};
use crate::AppState;

pub const MIN_PASSWORD_CHARS: usize = 8;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserBody {
    pub username: String,
    pub password: String,
    pub role: String,
    pub scope: String,
}

/// Checks a new user's fields, every problem at once, and hashes the password.
pub fn check_new_user(body: UserBody) -> Result<NewUser, ApiError> {
    let mut errors = Vec::new();
    let name_ok = (3..=64).contains(&body.username.len())
        && body
            .username
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if !name_ok {
        errors.push(FieldError::new("/username", Code::UsernameInvalid));
    }
    if body.password.chars().count() < MIN_PASSWORD_CHARS {
        errors.push(FieldError::new("/password", Code::PasswordTooShort));
    }
    let role = Role::parse(&body.role);
    if role.is_none() {
        errors.push(FieldError::new("/role", Code::RoleInvalid));
    }
    let scope = RegionCode::parse(&body.scope);
    if scope.is_none() {
        errors.push(FieldError::new("/scope", Code::RegionCodeInvalid));
    }
    match (role, scope) {
        (Some(role), Some(scope)) if errors.is_empty() => Ok(NewUser {
            username: body.username,
            password_hash: auth::hash_password(&body.password)?,
            role,
            scope,
        }),
        _ => Err(ApiError::invalid(errors)),
    }
}

/// Nobody creates a user with a higher role or a wider scope than their own.
fn may_create(creator: &AuthUser, role: Role, scope: &RegionCode) -> Result<(), ApiError> {
    if role.rank() > creator.role.rank() {
        return Err(ApiError::forbidden(Code::RoleForbidden));
    }
    creator.require_scope(scope)
}

pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    Json(body): Json<UserBody>,
) -> Result<HttpResponse, ApiError> {
    user.require_role(&[Role::Admin])?;
    let new = web::block(move || check_new_user(body))
        .await
        .map_err(ApiError::internal)??;
    may_create(&user, new.role, &new.scope)?;
    let view = state
        .db
        .write(move |conn| users::create(conn, new, &user.username))
        .await?;
    Ok(HttpResponse::Created().json(view))
}

#[derive(Deserialize)]
pub struct ListQuery {
    scope: Option<String>,
}

pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    // Offices list their users to enrol their phones; only admins change them.
    user.require_role(&[Role::VillageOffice, Role::Supervisor, Role::Admin])?;
    let scope = super::params::scope(&user, q.into_inner().scope)?;
    let items = state.db.read(move |conn| users::list(conn, &scope)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

pub async fn disable(
    state: web::Data<AppState>,
    user: AuthUser,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    set_disabled(state, user, name.into_inner(), true).await
}

pub async fn enable(
    state: web::Data<AppState>,
    user: AuthUser,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    set_disabled(state, user, name.into_inner(), false).await
}

async fn set_disabled(
    state: web::Data<AppState>,
    user: AuthUser,
    name: String,
    disabled: bool,
) -> Result<HttpResponse, ApiError> {
    user.require_role(&[Role::Admin])?;
    if disabled && name == user.username {
        return Err(ApiError::conflict(Code::SelfDisable));
    }
    let (view, devices) = state
        .db
        .write(move |conn| {
            let target = users::find(conn, &name)?.ok_or_else(ApiError::not_found)?;
            user.require_scope_code(&target.scope)?;
            let view = users::set_disabled(conn, &name, disabled, &user.username)?;
            Ok((view, crate::db::devices::ids_of(conn, &name)?))
        })
        .await?;
    // Disabling revoked the user's phones: this process refuses them at once.
    if disabled {
        devices.iter().for_each(|d| state.revocations.set(d, true));
    }
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    password: String,
}

/// `POST /users/{username}/password` `{"password"}`: an admin sets a user's
/// password (in scope; the rules of user creation), which ends the user's
/// refresh tokens.
pub async fn set_password(
    state: web::Data<AppState>,
    user: AuthUser,
    name: web::Path<String>,
    Json(body): Json<PasswordBody>,
) -> Result<HttpResponse, ApiError> {
    user.require_role(&[Role::Admin])?;
    if body.password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ApiError::invalid(vec![FieldError::new(
            "/password",
            Code::PasswordTooShort,
        )]));
    }
    let name = name.into_inner();
    let target = {
        let name = name.clone();
        state.db.read(move |c| users::find(c, &name)).await?
    }
    .ok_or_else(ApiError::not_found)?;
    user.require_scope_code(&target.scope)?;
    let hash = web::block(move || auth::hash_password(&body.password))
        .await
        .map_err(ApiError::internal)??;
    let view = state
        .db
        .write(move |c| users::set_password(c, &name, &hash, &user.username))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creator(role: Role, scope: &str) -> AuthUser {
        AuthUser {
            user_id: "u".into(),
            username: "u".into(),
            role,
            scope: RegionCode::parse(scope).unwrap(),
            device_id: None,
        }
    }

    #[test]
    fn never_higher_never_wider() {
        let county_sup = creator(Role::Supervisor, "210922");
        let village = RegionCode::parse("210922201203").unwrap();
        assert!(may_create(&county_sup, Role::Enumerator, &village).is_ok());
        assert!(may_create(&county_sup, Role::Supervisor, &village).is_ok());
        let e = may_create(&county_sup, Role::Admin, &village).unwrap_err();
        assert_eq!(e.code, Code::RoleForbidden);
        let e = may_create(
            &county_sup,
            Role::Enumerator,
            &RegionCode::parse("2109").unwrap(),
        )
        .unwrap_err();
        assert_eq!(e.code, Code::OutOfScope);
    }
}
