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
    strategy: Option<String>,
}

fn render(s: &Sample) -> serde_json::Value {
    json!({
        "id": s.id, "scope": s.scope, "level": s.level.as_str(), "rate": f64::from(s.rate_permille) / 1000.0,
        "seed": s.seed, "excluded": s.excluded, "strategy": s.strategy.as_str(), "risk_picked": s.risk_picked, "created_by": s.created_by, "created_at": rfc3339(s.created_at),
        "households": s.households,
    })
}

/// `POST /samples` `{"scope","level","rate","seed","strategy"}` (supervisor, admin).
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
    let strategy = match b.strategy.as_deref() {
        None => Some(samples::Strategy::Random),
        Some(s) => samples::Strategy::parse(s),
    };
    if strategy.is_none() {
        errors.push(FieldError::new("/strategy", Code::SchemaInvalid));
    }
    let (Some(scope), Some(level), Some(rate_permille), Some(strategy), true) =
        (scope, level, rate_permille, strategy, errors.is_empty())
    else {
        return Err(ApiError::invalid(errors));
    };
    user.require_scope(&scope)?;
    let plan = samples::Plan {
        level,
        rate_permille,
        seed: b.seed,
        strategy,
    };
    let rules = state.rules.clone();
    let sample = state
        .db
        .write(move |c| samples::create(c, &scope, &plan, &rules, &user.username))
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

/// The sample (in the caller's scope), or 404 / 403.
async fn sample_in_scope(
    state: &AppState,
    user: &AuthUser,
    id: uuid::Uuid,
) -> Result<Sample, ApiError> {
    let id = id.to_string();
    let sample = state
        .db
        .read(move |c| samples::get(c, &id))
        .await?
        .ok_or_else(ApiError::not_found)?;
    user.require_scope_code(&sample.scope)?;
    Ok(sample)
}

/// `GET /samples/{id}`: the sample with its households by village.
pub async fn get(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let sample = sample_in_scope(&state, &user, id.into_inner()).await?;
    let sid = sample.id.clone();
    let villages = state
        .db
        .read(move |c| {
            let all = samples::households_page(c, &sid, 0, i64::MAX)?;
            let mut villages: Vec<(String, Vec<samples::SampleHousehold>)> = Vec::new();
            for h in all {
                match villages.last_mut() {
                    Some((code, list)) if *code == h.division_code => list.push(h),
                    _ => villages.push((h.division_code.clone(), vec![h])),
                }
            }
            villages
                .into_iter()
                .map(|(code, households)| {
                    let name = crate::db::cards::place(c, &code)?.village;
                    Ok(json!({"code": code, "name": name, "households": households}))
                })
                .collect::<Result<Vec<_>, ApiError>>()
        })
        .await?;
    let mut body = render(&sample);
    body["villages"] = villages.into();
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize)]
pub struct ExportQuery {
    headers: Option<String>,
}

async fn export(
    state: web::Data<AppState>,
    user: AuthUser,
    id: uuid::Uuid,
    q: ExportQuery,
    format: crate::export::Format,
) -> Result<HttpResponse, ApiError> {
    use crate::export::Format;
    user.require_role(&[Role::VillageOffice, Role::Supervisor, Role::Admin])?;
    let headers = params::headers(q.headers.as_deref())?;
    let sample = sample_in_scope(&state, &user, id).await?;
    let (ext, content_type) = match format {
        Format::Csv => ("csv", "text/csv; charset=utf-8"),
        Format::Xlsx => ("xlsx", super::exports::XLSX),
    };
    let file = format!("sample-households.{ext}");
    let detail = json!({ "sample_id": sample.id }).to_string();
    super::exports::record(&state, &user, &sample.scope, &file, "export", detail).await?;
    let db = state.db.clone();
    let sid = sample.id;
    let body = crate::stream::from_writer(move |w| {
        crate::export::write_sample(&db, &sid, format, headers, w)
    });
    let download = format!(
        "attachment; filename=\"sample-{}-households.{ext}\"",
        sample.scope
    );
    Ok(super::exports::attachment(content_type, &download, body))
}

/// `GET /samples/{id}/households.csv`: the sample's households (抽查名单).
pub async fn households_csv(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<uuid::Uuid>,
    q: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    export(
        state,
        user,
        id.into_inner(),
        q.into_inner(),
        crate::export::Format::Csv,
    )
    .await
}

/// `GET /samples/{id}/households.xlsx`.
pub async fn households_xlsx(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<uuid::Uuid>,
    q: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    export(
        state,
        user,
        id.into_inner(),
        q.into_inner(),
        crate::export::Format::Xlsx,
    )
    .await
}
