//! `GET /integrity?scope=&from=&to=` (核查质量): per inspector, the visits,
//! their median length, the share verified on site by a card scan, the
//! `process.*` findings and a risk score, riskiest first; also as CSV and XLSX.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::params;
use crate::auth::AuthUser;
use crate::db::integrity::{self, InspectorRisk};
use crate::db::rfc3339;
use crate::domain::{RegionCode, Role};
use crate::error::ApiError;
use crate::export::Format;
use crate::AppState;

#[derive(Deserialize)]
pub struct IntegrityQuery {
    scope: Option<String>,
    from: Option<String>,
    to: Option<String>,
    headers: Option<String>,
}

struct Report {
    scope: RegionCode,
    from: Option<chrono::NaiveDateTime>,
    to: Option<chrono::NaiveDateTime>,
    inspectors: Vec<InspectorRisk>,
}

async fn report(state: &AppState, user: &AuthUser, q: IntegrityQuery) -> Result<Report, ApiError> {
    user.require_role(&[Role::Supervisor, Role::Admin])?;
    let scope = params::scope(user, q.scope)?;
    let from = params::instant("from", q.from)?;
    let to = params::instant("to", q.to)?;
    let s = scope.clone();
    let inspectors = state
        .db
        .read(move |c| integrity::report(c, &s, from, to))
        .await?;
    Ok(Report {
        scope,
        from,
        to,
        inspectors,
    })
}

/// `GET /integrity` (supervisor, admin).
pub async fn get(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<IntegrityQuery>,
) -> Result<HttpResponse, ApiError> {
    let r = report(&state, &user, q.into_inner()).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "scope": r.scope.as_str(),
        "from": r.from.map(rfc3339),
        "to": r.to.map(rfc3339),
        "inspectors": r.inspectors,
    })))
}

async fn export(
    state: web::Data<AppState>,
    user: AuthUser,
    mut q: IntegrityQuery,
    format: Format,
) -> Result<HttpResponse, ApiError> {
    let headers = params::headers(q.headers.take().as_deref())?;
    let r = report(&state, &user, q).await?;
    let (ext, content_type) = match format {
        Format::Csv => ("csv", "text/csv; charset=utf-8"),
        Format::Xlsx => ("xlsx", super::exports::XLSX),
    };
    let file = format!("integrity.{ext}");
    let detail =
        serde_json::json!({"from": r.from.map(rfc3339), "to": r.to.map(rfc3339)}).to_string();
    super::exports::record(&state, &user, r.scope.as_str(), &file, "export", detail).await?;
    let download = format!("attachment; filename=\"{}-{file}\"", r.scope.as_str());
    let rows = r.inspectors;
    let body = crate::stream::from_writer(move |w| {
        crate::export::write_integrity(&rows, format, headers, w)
    });
    Ok(super::exports::attachment(content_type, &download, body))
}

/// `GET /integrity.csv`.
pub async fn csv(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<IntegrityQuery>,
) -> Result<HttpResponse, ApiError> {
    export(state, user, q.into_inner(), Format::Csv).await
}

/// `GET /integrity.xlsx`.
pub async fn xlsx(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<IntegrityQuery>,
) -> Result<HttpResponse, ApiError> {
    export(state, user, q.into_inner(), Format::Xlsx).await
}
