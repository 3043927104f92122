//! `GET /progress?scope=`: the 清零 view of a region and its children.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::params;
use crate::auth::AuthUser;
use crate::db::progress;
use crate::error::ApiError;
use crate::AppState;

#[derive(Deserialize)]
pub struct ProgressQuery {
    scope: Option<String>,
}

pub async fn get(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<ProgressQuery>,
) -> Result<HttpResponse, ApiError> {
    let scope = params::scope(&user, q.into_inner().scope)?;
    let max = state.rules.max_supervisory_visits;
    let (total, children) = state
        .db
        .read(move |c| progress::progress(c, &scope, max))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "region": total, "children": children })))
}
