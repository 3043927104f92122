//! `GET /audit`: the trail behind 谁检查、谁签字、谁负责. Read-only: nothing
//! in the API or the CLI changes or deletes an audit row.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::params;
use crate::auth::AuthUser;
use crate::db::audit::{self, Filter};
use crate::domain::Role;
use crate::error::ApiError;
use crate::AppState;

#[derive(Deserialize)]
pub struct ListQuery {
    scope: Option<String>,
    actor: Option<String>,
    action: Option<String>,
    since: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

/// `GET /audit?scope=&actor=&action=&since=&cursor=` (supervisor, admin).
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require_role(&[Role::Supervisor, Role::Admin])?;
    let q = q.into_inner();
    let scope = params::scope(&user, q.scope)?;
    let filter = Filter {
        actor: q.actor,
        action: q.action,
        since: params::instant("since", q.since)?,
    };
    let after = params::cursor(q.cursor)?;
    let limit = params::limit(q.limit)?;
    let (rows, has_more) = state
        .db
        .read(move |c| audit::list(c, &scope, &filter, after, limit))
        .await?;
    let next_cursor = params::encode_cursor(rows.last().map_or(after, |r| r.id));
    Ok(HttpResponse::Ok()
        .json(json!({"items": rows, "next_cursor": next_cursor, "has_more": has_more})))
}
