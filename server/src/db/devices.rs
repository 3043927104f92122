//! Phones enrolled by QR code (手机登记): enrolment codes, the devices they
//! make, what each device last reported, and revocation.
//!
//! A code is 128 random bits, bound to one user, stored only as its SHA-256,
//! good once and until it expires. Trading it makes a device and a refresh
//! token bound to it; revoking the device revokes exactly those tokens. No
//! code ever reaches a log or an audit row.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::schema::{devices, enrolment_failures, enrolments, refresh_tokens, users};
use super::{audit, now, rfc3339, users as user_rows, AnyConnection};
use crate::auth::{self, AuthUser};
use crate::domain::{RegionCode, Role};
use crate::error::{ApiError, Code, FieldError};

/// Failed enrolments allowed per client address in [`FAILURE_WINDOW_MINUTES`].
pub const MAX_FAILURES: i64 = 10;
pub const FAILURE_WINDOW_MINUTES: i64 = 15;

/// A code just made: the only moment it exists in clear.
#[derive(Debug, Clone, Serialize)]
pub struct Issued {
    pub username: String,
    pub role: Role,
    pub scope: String,
    /// The name of the scope's region (or its code when it has none).
    pub scope_name: String,
    pub code: String,
    pub expires_at: String,
    #[serde(skip)]
    pub expires: NaiveDateTime,
}

/// A device as the console shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Queryable)]
pub struct DeviceView {
    pub id: String,
    pub username: String,
    pub name: String,
    pub model: String,
    pub enrolled_at: String,
    pub last_seen_at: Option<String>,
    pub app_version: Option<String>,
    pub unsent: Option<i32>,
    pub last_sync_at: Option<String>,
    pub revoked_at: Option<String>,
    pub revoked_by: Option<String>,
}

type DeviceRow = (
    String,
    String,
    String,
    String,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<String>,
    Option<i32>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<String>,
);

fn view(
    (id, username, name, model, enrolled, seen, version, unsent, sync, revoked, by): DeviceRow,
) -> DeviceView {
    DeviceView {
        id,
        username,
        name,
        model,
        enrolled_at: rfc3339(enrolled),
        last_seen_at: seen.map(rfc3339),
        app_version: version,
        unsent,
        last_sync_at: sync.map(rfc3339),
        revoked_at: revoked.map(rfc3339),
        revoked_by: by,
    }
}

macro_rules! device_columns {
    () => {
        (
            devices::id,
            users::username,
            devices::name,
            devices::model,
            devices::enrolled_at,
            devices::last_seen_at,
            devices::app_version,
            devices::unsent,
            devices::last_sync_at,
            devices::revoked_at,
            devices::revoked_by,
        )
    };
}

/// The user `username` as the office may act on them: existing, enabled
/// (unless `allow_disabled`), inside `actor`'s scope and of a rank no higher.
fn target_user(
    conn: &mut AnyConnection,
    actor: &AuthUser,
    username: &str,
    allow_disabled: bool,
) -> Result<Result<(String, Role, RegionCode), Code>, ApiError> {
    let row: Option<(String, String, String, bool)> = users::table
        .filter(users::username.eq(username))
        .select((users::id, users::role, users::scope, users::disabled))
        .first(conn)
        .optional()?;
    let Some((id, role, scope, disabled)) = row else {
        return Ok(Err(Code::UserUnknown));
    };
    let (Some(role), Some(scope)) = (Role::parse(&role), RegionCode::parse(&scope)) else {
        return Ok(Err(Code::UserUnknown));
    };
    actor.require_scope(&scope)?;
    if role.rank() > actor.role.rank() {
        return Err(ApiError::forbidden(Code::RoleForbidden));
    }
    if disabled && !allow_disabled {
        return Ok(Err(Code::UserDisabled));
    }
    Ok(Ok((id, role, scope)))
}

/// Makes one code per user in `usernames`, every problem at once: a user
/// unknown or disabled is a field error at `/usernames/{i}`; one outside the
/// actor's scope or above their rank is a 403.
pub fn create_enrolments(
    conn: &mut AnyConnection,
    actor: &AuthUser,
    usernames: &[String],
    ttl: Duration,
) -> Result<Vec<Issued>, ApiError> {
    let mut targets = Vec::new();
    let mut errors = Vec::new();
    for (i, name) in usernames.iter().enumerate() {
        match target_user(conn, actor, name, false)? {
            Ok(t) => targets.push((name.clone(), t)),
            Err(code) => errors.push(FieldError::new(format!("/usernames/{i}"), code)),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    let t = now();
    let expires = t + ttl;
    let mut issued = Vec::new();
    for (username, (user_id, role, scope)) in targets {
        let (code, hash) = auth::new_enrolment_code();
        diesel::insert_into(enrolments::table)
            .values((
                enrolments::code_hash.eq(&hash),
                enrolments::user_id.eq(&user_id),
                enrolments::created_by.eq(&actor.username),
                enrolments::created_at.eq(t),
                enrolments::expires_at.eq(expires),
            ))
            .execute(conn)?;
        let expires_at = rfc3339(expires);
        audit::record(
            conn,
            audit::Entry {
                at: t,
                actor: &actor.username,
                entity: "user",
                entity_id: &user_id,
                scope: Some(scope.as_str()),
                action: "enrolment_create",
                old_version: None,
                new_version: None,
                detail: &format!("expires_at={expires_at}"),
            },
        )?;
        let scope_name = super::regions::get(conn, &scope)?
            .map_or_else(|| scope.as_str().to_string(), |r| r.name);
        issued.push(Issued {
            username,
            role,
            scope: scope.as_str().to_string(),
            scope_name,
            code,
            expires_at,
            expires,
        });
    }
    Ok(issued)
}

/// A phone that traded its code: who it signs in as, the device, and the
/// first refresh token bound to it.
pub struct Enrolled {
    pub user: AuthUser,
    pub device: DeviceView,
    pub refresh_token: String,
}

/// Trades an enrolment code for a device. `Ok(Err(code))` is a refusal that
/// was recorded (counted for the throttle and audited) and must be committed;
/// `client` is the caller's address, used only for the throttle.
pub fn enrol(
    conn: &mut AnyConnection,
    code: &str,
    name: &str,
    model: &str,
    client: &str,
) -> Result<Result<Enrolled, Code>, ApiError> {
    super::limits::serialize_on(conn, &format!("enrol:{client}"))?;
    let t = now();
    let failures: i64 = enrolment_failures::table
        .filter(enrolment_failures::client.eq(client))
        .filter(enrolment_failures::at.gt(t - Duration::minutes(FAILURE_WINDOW_MINUTES)))
        .count()
        .get_result(conn)?;
    if failures >= MAX_FAILURES {
        return Ok(Err(Code::EnrolmentTooManyAttempts));
    }
    let hash = auth::hash_refresh_token(code);
    let found: Option<(String, NaiveDateTime, Option<NaiveDateTime>)> = enrolments::table
        .find(&hash)
        .select((
            enrolments::user_id,
            enrolments::expires_at,
            enrolments::used_at,
        ))
        .first(conn)
        .optional()?;
    let (user, device_id) = match spend(conn, &hash, &found, t)? {
        Ok(spent) => spent,
        Err(refusal) => {
            diesel::insert_into(enrolment_failures::table)
                .values((
                    enrolment_failures::client.eq(client),
                    enrolment_failures::at.eq(t),
                ))
                .execute(conn)?;
            let (user_id, scope) = match &found {
                Some((user_id, _, _)) => (user_id.clone(), scope_of(conn, user_id)?),
                None => ("-".to_string(), None),
            };
            audit::record(
                conn,
                audit::Entry {
                    at: t,
                    actor: "anonymous",
                    entity: "user",
                    entity_id: &user_id,
                    scope: scope.as_deref(),
                    action: "enrolment_failed",
                    old_version: None,
                    new_version: None,
                    detail: &format!("reason={}", refusal.as_str()),
                },
            )?;
            return Ok(Err(refusal));
        }
    };
    diesel::insert_into(devices::table)
        .values((
            devices::id.eq(&device_id),
            devices::user_id.eq(&user.user_id),
            devices::name.eq(name),
            devices::model.eq(model),
            devices::enrolled_at.eq(t),
            devices::last_seen_at.eq(t),
        ))
        .execute(conn)?;
    let refresh_token = user_rows::issue_refresh_token(conn, &user.user_id, Some(&device_id))?;
    audit::record(
        conn,
        audit::Entry {
            at: t,
            actor: &user.username,
            entity: "device",
            entity_id: &device_id,
            scope: Some(user.scope.as_str()),
            action: "enrol",
            old_version: None,
            new_version: None,
            detail: "",
        },
    )?;
    let device = get(conn, &device_id)?.ok_or_else(ApiError::not_found)?;
    Ok(Ok(Enrolled {
        user: AuthUser {
            device_id: Some(device_id),
            ..user
        },
        device,
        refresh_token,
    }))
}

/// Spends the code found under `hash`: its (enabled) user and the new
/// device's id, or why the code is refused.
fn spend(
    conn: &mut AnyConnection,
    hash: &str,
    found: &Option<(String, NaiveDateTime, Option<NaiveDateTime>)>,
    t: NaiveDateTime,
) -> Result<Result<(AuthUser, String), Code>, ApiError> {
    let Some((user_id, expires, used)) = found else {
        return Ok(Err(Code::EnrolmentUnknown));
    };
    if used.is_some() {
        return Ok(Err(Code::EnrolmentUsed));
    }
    if *expires <= t {
        return Ok(Err(Code::EnrolmentExpired));
    }
    // A code whose user was disabled since is as good as unknown.
    let Some(user) = user_rows::auth_user_by_id(conn, user_id)? else {
        return Ok(Err(Code::EnrolmentUnknown));
    };
    let device_id = uuid::Uuid::new_v4().to_string();
    let spent = diesel::update(
        enrolments::table
            .find(hash)
            .filter(enrolments::used_at.is_null()),
    )
    .set((
        enrolments::used_at.eq(t),
        enrolments::device_id.eq(&device_id),
    ))
    .execute(conn)?;
    // Zero rows: a simultaneous request spent it first.
    Ok(if spent == 1 {
        Ok((user, device_id))
    } else {
        Err(Code::EnrolmentUsed)
    })
}

fn scope_of(conn: &mut AnyConnection, user_id: &str) -> Result<Option<String>, ApiError> {
    Ok(users::table
        .find(user_id)
        .select(users::scope)
        .first(conn)
        .optional()?)
}

fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<DeviceView>, ApiError> {
    Ok(devices::table
        .inner_join(users::table)
        .filter(devices::id.eq(id))
        .select(device_columns!())
        .first::<DeviceRow>(conn)
        .optional()?
        .map(view))
}

/// The devices of `username`, newest first, if the actor may see that user.
pub fn list_of(
    conn: &mut AnyConnection,
    actor: &AuthUser,
    username: &str,
) -> Result<Vec<DeviceView>, ApiError> {
    let (user_id, _, _) =
        target_user(conn, actor, username, true)?.map_err(|_| ApiError::not_found())?;
    Ok(devices::table
        .inner_join(users::table)
        .filter(devices::user_id.eq(&user_id))
        .order(devices::enrolled_at.desc())
        .select(device_columns!())
        .load::<DeviceRow>(conn)?
        .into_iter()
        .map(view)
        .collect())
}

/// The ids of every device of `username`.
pub fn ids_of(conn: &mut AnyConnection, username: &str) -> Result<Vec<String>, ApiError> {
    Ok(devices::table
        .inner_join(users::table)
        .filter(users::username.eq(username))
        .select(devices::id)
        .load(conn)?)
}

/// Whether the device is revoked (an unknown device counts as revoked).
pub fn is_revoked(conn: &mut AnyConnection, id: &str) -> Result<bool, ApiError> {
    let revoked: Option<Option<NaiveDateTime>> = devices::table
        .find(id)
        .select(devices::revoked_at)
        .first(conn)
        .optional()?;
    Ok(revoked.is_none_or(|r| r.is_some()))
}

/// Revokes one device: its refresh tokens at once, its access tokens at their
/// next check ([`auth::Revocations`]). Revoking twice changes nothing.
pub fn revoke(
    conn: &mut AnyConnection,
    actor: &AuthUser,
    id: &str,
) -> Result<DeviceView, ApiError> {
    let device = get(conn, id)?.ok_or_else(ApiError::not_found)?;
    target_user(conn, actor, &device.username, true)?.map_err(|_| ApiError::not_found())?;
    if device.revoked_at.is_none() {
        let user_id: String = devices::table
            .find(id)
            .select(devices::user_id)
            .first(conn)?;
        revoke_rows(conn, &user_id, Some(id), &actor.username)?;
    }
    get(conn, id)?.ok_or_else(ApiError::not_found)
}

/// Revokes every device of a user (when the user is disabled).
pub fn revoke_all_of(conn: &mut AnyConnection, user_id: &str, actor: &str) -> Result<(), ApiError> {
    revoke_rows(conn, user_id, None, actor)
}

/// Revokes `device` of the user, or all of their live devices.
fn revoke_rows(
    conn: &mut AnyConnection,
    user_id: &str,
    device: Option<&str>,
    actor: &str,
) -> Result<(), ApiError> {
    let live: Vec<String> = devices::table
        .filter(devices::user_id.eq(user_id))
        .filter(devices::revoked_at.is_null())
        .select(devices::id)
        .load(conn)?;
    let scope = scope_of(conn, user_id)?;
    let t = now();
    for id in live
        .iter()
        .filter(|d| device.is_none_or(|one| one == d.as_str()))
    {
        diesel::update(devices::table.find(id))
            .set((devices::revoked_at.eq(t), devices::revoked_by.eq(actor)))
            .execute(conn)?;
        diesel::update(refresh_tokens::table.filter(refresh_tokens::device_id.eq(id)))
            .set(refresh_tokens::revoked.eq(true))
            .execute(conn)?;
        audit::record(
            conn,
            audit::Entry {
                at: t,
                actor,
                entity: "device",
                entity_id: id,
                scope: scope.as_deref(),
                action: "revoke",
                old_version: None,
                new_version: None,
                detail: "",
            },
        )?;
    }
    Ok(())
}

/// What a phone reports after each sync.
pub struct Report {
    pub app_version: String,
    pub unsent: i32,
    pub last_sync_at: Option<NaiveDateTime>,
}

/// Records a device's report (and that it was seen now).
pub fn report(conn: &mut AnyConnection, id: &str, r: Report) -> Result<(), ApiError> {
    diesel::update(devices::table.find(id))
        .set((
            devices::last_seen_at.eq(now()),
            devices::app_version.eq(r.app_version),
            devices::unsent.eq(r.unsent),
            devices::last_sync_at.eq(r.last_sync_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Marks the device seen now (a refresh of its session).
pub fn seen(conn: &mut AnyConnection, id: &str) -> Result<(), ApiError> {
    diesel::update(devices::table.find(id))
        .set(devices::last_seen_at.eq(now()))
        .execute(conn)?;
    Ok(())
}
