//! `POST /samples` and `GET /samples`: the households a supervisory level visits.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::json::Json;
use super::params;
use crate::auth::AuthUser;
use crate::db::rfc3339;
use crate::db::samples::{self, Sample};
use crate::domain::visit::VisitLevel;
use crate::domain::{RegionCode, Role};
use crate::error::{ApiError, Code, FieldError};
use crate::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleBody {
    scope: String,
    level: String,
    rate: Option<f64>,
    #[serde(default)]
    seed: i64,
}

fn render(s: &Sample) -> serde_json::Value {
    json!({
        "id": s.id, "scope": s.scope, "level": s.level.as_str(), "rate": f64::from(s.rate_permille) / 1000.0,
        "seed": s.seed, "excluded": s.excluded, "created_by": s.created_by, "created_at": rfc3339(s.created_at),
        "households": s.households,
    })
}

/// `POST /samples` `{"scope","level","rate","seed"}` (supervisor, admin).
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    Json(b): Json<SampleBody>,
) -> Result<HttpResponse, ApiError> {
    user.require_role(&[Role::Supervisor, Role::Admin])?;
    let mut errors = Vec::new();
    let scope = RegionCode::parse(&b.scope);
    if scope.is_none() {
        errors.push(FieldError::new("/scope", Code::RegionCodeInvalid));
    }
    let level = VisitLevel::parse(&b.level).filter(|l| l.is_supervisory());
    if level.is_none() {
        errors.push(FieldError::new("/level", Code::SchemaInvalid));
    }
    let rate_permille = match b.rate {
        Some(r) if r > 0.0 && r <= 1.0 => Some((r * 1000.0).round() as i32),
        Some(_) => {
            errors.push(FieldError::new("/rate", Code::Range));
            None
        }
        None => level.map(VisitLevel::target_share_permille),
    };
    let (Some(scope), Some(level), Some(rate), true) =
        (scope, level, rate_permille, errors.is_empty())
    else {
        return Err(ApiError::invalid(errors));
    };
    user.require_scope(&scope)?;
    let max = state.rules.max_supervisory_visits;
    let sample = state
        .db
        .write(move |c| samples::create(c, &scope, level, rate, b.seed, max, &user.username))
        .await?;
    Ok(HttpResponse::Created().json(render(&sample)))
}

#[derive(Deserialize)]
pub struct ListQuery {
    scope: Option<String>,
}

/// `GET /samples?scope=`: the samples of regions in scope, newest first.
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let scope = params::scope(&user, q.into_inner().scope)?;
    let list = state.db.read(move |c| samples::list(c, &scope)).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": list.iter().map(render).collect::<Vec<_>>() })))
}
