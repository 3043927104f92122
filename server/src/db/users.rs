//! Users, refresh tokens and failed sign-ins.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::schema::{login_failures, refresh_tokens, users};
use super::{audit, now, rfc3339, AnyConnection};
use crate::auth::{self, AuthUser};
use crate::domain::{RegionCode, Role};
use crate::error::{ApiError, Code};

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = users)]
struct UserRow {
    id: String,
    username: String,
    password_hash: String,
    role: String,
    scope: String,
    disabled: bool,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// A user as the API shows it (no hash).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UserView {
    pub username: String,
    pub role: String,
    pub scope: String,
    pub disabled: bool,
    pub version: i32,
    pub created_at: String,
}

impl From<UserRow> for UserView {
    fn from(r: UserRow) -> UserView {
        UserView {
            username: r.username,
            role: r.role,
            scope: r.scope,
            disabled: r.disabled,
            version: r.version,
            created_at: rfc3339(r.created_at),
        }
    }
}

/// A user to create, already checked.
pub struct NewUser {
    pub username: String,
    pub password_hash: String,
    pub role: Role,
    pub scope: RegionCode,
}

pub fn create(conn: &mut AnyConnection, u: NewUser, actor: &str) -> Result<UserView, ApiError> {
    let taken = users::table
        .filter(users::username.eq(&u.username))
        .count()
        .get_result::<i64>(conn)?
        > 0;
    if taken {
        return Err(ApiError::conflict(Code::UsernameTaken));
    }
    let t = now();
    let row = UserRow {
        id: uuid::Uuid::new_v4().to_string(),
        username: u.username,
        password_hash: u.password_hash,
        role: u.role.as_str().to_string(),
        scope: u.scope.as_str().to_string(),
        disabled: false,
        version: 1,
        created_at: t,
        updated_at: t,
    };
    diesel::insert_into(users::table)
        .values(&row)
        .execute(conn)?;
    let detail = format!("role={} scope={}", row.role, row.scope);
    audit::record(
        conn,
        audit::Entry {
            at: t,
            actor,
            entity: "user",
            entity_id: &row.id,
            scope: Some(&row.scope),
            action: "create",
            old_version: None,
            new_version: Some(1),
            detail: &detail,
        },
    )?;
    Ok(row.into())
}

/// The user, if the username and password are right and the user is enabled.
pub fn authenticate(
    conn: &mut AnyConnection,
    username: &str,
    password: &str,
) -> Result<Option<AuthUser>, ApiError> {
    let row = row_of(conn, username)?;
    let ok = auth::verify_password(password, row.as_ref().map(|r| r.password_hash.as_str()));
    Ok(row.filter(|r| ok && !r.disabled).and_then(to_auth_user))
}

fn to_auth_user(r: UserRow) -> Option<AuthUser> {
    Some(AuthUser {
        user_id: r.id,
        username: r.username,
        role: Role::parse(&r.role)?,
        scope: RegionCode::parse(&r.scope)?,
        device_id: None,
    })
}

/// The enabled user with this id, as a signed-in user (without a device).
pub fn auth_user_by_id(conn: &mut AnyConnection, id: &str) -> Result<Option<AuthUser>, ApiError> {
    let row = users::table.find(id).first::<UserRow>(conn).optional()?;
    Ok(row.filter(|r| !r.disabled).and_then(to_auth_user))
}

/// The user's stored row, if there is one by that name.
fn row_of(conn: &mut AnyConnection, username: &str) -> Result<Option<UserRow>, ApiError> {
    Ok(users::table
        .filter(users::username.eq(username))
        .first::<UserRow>(conn)
        .optional()?)
}

/// The user as a signed-in [`AuthUser`], without a password: for the demo
/// seed, which acts as its users.
pub fn auth_user(conn: &mut AnyConnection, username: &str) -> Result<Option<AuthUser>, ApiError> {
    Ok(row_of(conn, username)?.and_then(to_auth_user))
}

pub fn find(conn: &mut AnyConnection, username: &str) -> Result<Option<UserView>, ApiError> {
    Ok(row_of(conn, username)?.map(UserView::from))
}

/// Users whose scope lies inside `scope`.
pub fn list(conn: &mut AnyConnection, scope: &RegionCode) -> Result<Vec<UserView>, ApiError> {
    let rows = users::table
        .filter(users::scope.like(format!("{}%", scope.prefix())))
        .order(users::username.asc())
        .load::<UserRow>(conn)?;
    Ok(rows.into_iter().map(UserView::from).collect())
}

/// Disables or enables a user; disabling revokes every refresh token.
pub fn set_disabled(
    conn: &mut AnyConnection,
    username: &str,
    disabled: bool,
    actor: &str,
) -> Result<UserView, ApiError> {
    let row = row_of(conn, username)?.ok_or_else(ApiError::not_found)?;
    if row.disabled == disabled {
        return Ok(row.into());
    }
    let t = now();
    diesel::update(users::table.find(&row.id))
        .set((
            users::disabled.eq(disabled),
            users::version.eq(row.version + 1),
            users::updated_at.eq(t),
        ))
        .execute(conn)?;
    if disabled {
        revoke_all(conn, &row.id)?;
        super::devices::revoke_all_of(conn, &row.id, actor)?;
    }
    audit::record(
        conn,
        audit::Entry {
            at: t,
            actor,
            entity: "user",
            entity_id: &row.id,
            scope: Some(&row.scope),
            action: if disabled { "disable" } else { "enable" },
            old_version: Some(row.version),
            new_version: Some(row.version + 1),
            detail: "",
        },
    )?;
    Ok(UserView {
        disabled,
        version: row.version + 1,
        ..row.into()
    })
}

/// Sets a new password (already hashed) for the user and revokes every
/// refresh token they hold, so sessions elsewhere end at their access
/// token's expiry. The audit row names who and when, never the password.
pub fn set_password(
    conn: &mut AnyConnection,
    username: &str,
    password_hash: &str,
    actor: &str,
) -> Result<UserView, ApiError> {
    let row = row_of(conn, username)?.ok_or_else(ApiError::not_found)?;
    let t = now();
    diesel::update(users::table.find(&row.id))
        .set((
            users::password_hash.eq(password_hash),
            users::version.eq(row.version + 1),
            users::updated_at.eq(t),
        ))
        .execute(conn)?;
    revoke_all(conn, &row.id)?;
    audit::record(
        conn,
        audit::Entry {
            at: t,
            actor,
            entity: "user",
            entity_id: &row.id,
            scope: Some(&row.scope),
            action: "password_reset",
            old_version: Some(row.version),
            new_version: Some(row.version + 1),
            detail: "",
        },
    )?;
    Ok(UserView {
        version: row.version + 1,
        ..row.into()
    })
}

/// Stores a new refresh token for the user (bound to `device`, when the
/// session is an enrolled phone's) and returns it.
pub fn issue_refresh_token(
    conn: &mut AnyConnection,
    user_id: &str,
    device: Option<&str>,
) -> Result<String, ApiError> {
    let (token, hash) = auth::new_refresh_token();
    let t = now();
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::token_hash.eq(hash),
            refresh_tokens::user_id.eq(user_id),
            refresh_tokens::issued_at.eq(t),
            refresh_tokens::expires_at.eq(t + Duration::days(auth::REFRESH_TTL_DAYS)),
            refresh_tokens::revoked.eq(false),
            refresh_tokens::device_id.eq(device),
        ))
        .execute(conn)?;
    Ok(token)
}

/// Spends a refresh token: the user (with the token's device) when it is
/// valid, unused and unexpired and the user is enabled. Presenting a spent
/// token again revokes every token of that user (it was copied). A token of
/// a revoked device is refused with [`Code::DeviceRevoked`], so the phone can
/// say why; every other refusal is [`Code::InvalidRefreshToken`].
pub fn consume_refresh_token(
    conn: &mut AnyConnection,
    token: &str,
) -> Result<Result<AuthUser, Code>, ApiError> {
    let hash = auth::hash_refresh_token(token);
    type Found = (
        String,
        NaiveDateTime,
        Option<NaiveDateTime>,
        bool,
        Option<String>,
    );
    let found = refresh_tokens::table
        .find(&hash)
        .select((
            refresh_tokens::user_id,
            refresh_tokens::expires_at,
            refresh_tokens::used_at,
            refresh_tokens::revoked,
            refresh_tokens::device_id,
        ))
        .first::<Found>(conn)
        .optional()?;
    let invalid = Err(Code::InvalidRefreshToken);
    let Some((user_id, expires_at, used_at, revoked, device)) = found else {
        return Ok(invalid);
    };
    if let Some(device) = &device {
        if super::devices::is_revoked(conn, device)? {
            return Ok(Err(Code::DeviceRevoked));
        }
    }
    let t = now();
    if used_at.is_some() {
        revoke_all(conn, &user_id)?;
        return Ok(invalid);
    }
    if revoked || expires_at <= t {
        return Ok(invalid);
    }
    let spent = diesel::update(
        refresh_tokens::table
            .find(&hash)
            .filter(refresh_tokens::used_at.is_null()),
    )
    .set(refresh_tokens::used_at.eq(t))
    .execute(conn)?;
    if spent != 1 {
        return Ok(invalid);
    }
    let row = users::table.find(&user_id).first::<UserRow>(conn)?;
    let user = Some(row).filter(|r| !r.disabled).and_then(to_auth_user);
    Ok(user
        .map(|u| AuthUser {
            device_id: device,
            ..u
        })
        .ok_or(Code::InvalidRefreshToken))
}

/// Signs out: revokes one refresh token if it is still live (unused, not
/// revoked) and records a `logout` audit row for its user. An unknown,
/// spent or revoked token changes nothing, so signing out twice is harmless.
pub fn revoke_refresh_token(conn: &mut AnyConnection, token: &str) -> Result<(), ApiError> {
    let hash = auth::hash_refresh_token(token);
    let live = refresh_tokens::table
        .find(&hash)
        .filter(refresh_tokens::used_at.is_null())
        .filter(refresh_tokens::revoked.eq(false));
    let user_id: Option<String> = live
        .clone()
        .select(refresh_tokens::user_id)
        .get_result(conn)
        .optional()?;
    let Some(user_id) = user_id else {
        return Ok(());
    };
    if diesel::update(live)
        .set(refresh_tokens::revoked.eq(true))
        .execute(conn)?
        != 1
    {
        return Ok(());
    }
    let row = users::table.find(&user_id).first::<UserRow>(conn)?;
    match to_auth_user(row) {
        Some(user) => record_login(conn, &user, "logout"),
        None => Ok(()),
    }
}

pub(super) fn revoke_all(conn: &mut AnyConnection, user_id: &str) -> Result<(), ApiError> {
    diesel::update(refresh_tokens::table.filter(refresh_tokens::user_id.eq(user_id)))
        .set(refresh_tokens::revoked.eq(true))
        .execute(conn)?;
    Ok(())
}

/// Takes one of the sign-in attempts `username` has in `window`: the
/// attempt's row, counted as a failure until [`attempt_succeeded`] drops it;
/// `None` when `max` are counted already. Decided under the username's limit
/// key, so concurrent attempts on any number of replicas count as one.
pub fn reserve_attempt(
    conn: &mut AnyConnection,
    username: &str,
    window: Duration,
    max: i64,
) -> Result<Option<i64>, ApiError> {
    super::limits::serialize_on(conn, &format!("login:{username}"))?;
    let at = now();
    let counted: i64 = login_failures::table
        .filter(login_failures::username.eq(username))
        .filter(login_failures::at.gt(at - window))
        .count()
        .get_result(conn)?;
    if counted >= max {
        return Ok(None);
    }
    let id = diesel::insert_into(login_failures::table)
        .values((
            login_failures::username.eq(username),
            login_failures::at.eq(at),
        ))
        .returning(login_failures::id)
        .get_result(conn)?;
    Ok(Some(id))
}

/// The attempt signed in: it is not a failure.
pub fn attempt_succeeded(conn: &mut AnyConnection, attempt: i64) -> Result<(), ApiError> {
    diesel::delete(login_failures::table.find(attempt)).execute(conn)?;
    Ok(())
}

/// A failed sign-in (its attempt stays counted): an audit row in the user's
/// scope when the username exists.
pub fn record_failure(conn: &mut AnyConnection, username: &str) -> Result<(), ApiError> {
    let at = now();
    let scope: Option<String> = users::table
        .filter(users::username.eq(username))
        .select(users::scope)
        .first(conn)
        .optional()?;
    audit::record(
        conn,
        audit::Entry {
            at,
            actor: username,
            entity: "user",
            entity_id: username,
            scope: scope.as_deref(),
            action: "login_failed",
            old_version: None,
            new_version: None,
            detail: "",
        },
    )
}

/// A sign-in (or a refresh): an audit row.
pub fn record_login(
    conn: &mut AnyConnection,
    user: &AuthUser,
    action: &str,
) -> Result<(), ApiError> {
    audit::record(
        conn,
        audit::Entry {
            at: now(),
            actor: &user.username,
            entity: "user",
            entity_id: &user.user_id,
            scope: Some(user.scope.as_str()),
            action,
            old_version: None,
            new_version: None,
            detail: "",
        },
    )
}

/// Whether any user exists (the demo seeds only an empty database).
pub fn any(conn: &mut AnyConnection) -> Result<bool, ApiError> {
    Ok(users::table.count().get_result::<i64>(conn)? > 0)
}
