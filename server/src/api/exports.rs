//! `GET /exports/{visits,findings}.{csv,xlsx}`: streamed exports that open
//! cleanly in Excel. Every export is an audit row; private columns are for
//! admins who ask for them.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::{param_error, params};
use crate::auth::AuthUser;
use crate::db::{audit, now};
use crate::domain::visit::VisitLevel;
use crate::domain::Role;
use crate::error::{ApiError, Code};
use crate::export::{self, Format, Kind, Options};
use crate::AppState;

#[derive(Deserialize)]
pub struct ExportQuery {
    scope: Option<String>,
    level: Option<String>,
    from: Option<String>,
    to: Option<String>,
    headers: Option<String>,
    private: Option<String>,
    all: Option<String>,
}

fn flag(name: &str, raw: Option<&str>) -> Result<bool, ApiError> {
    match raw {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(param_error(name, Code::QueryInvalid)),
    }
}

async fn export(
    state: web::Data<AppState>,
    user: AuthUser,
    q: ExportQuery,
    kind: Kind,
    format: Format,
) -> Result<HttpResponse, ApiError> {
    user.require_role(&[Role::VillageOffice, Role::Supervisor, Role::Admin])?;
    let scope = params::scope(&user, q.scope)?;
    let level = match q.level {
        Some(l) => {
            Some(VisitLevel::parse(&l).ok_or_else(|| param_error("level", Code::QueryInvalid))?)
        }
        None => None,
    };
    let headers = params::headers(q.headers.as_deref())?;
    let private = flag("private", q.private.as_deref())?;
    if private {
        user.require_role(&[Role::Admin])?;
    }
    let opts = Options {
        scope,
        level,
        from: params::instant("from", q.from)?,
        to: params::instant("to", q.to)?,
        headers,
        private,
        all: flag("all", q.all.as_deref())?,
    };
    let (stem, ext, content_type) = match (kind, format) {
        (Kind::Visits, Format::Csv) => ("visits", "csv", "text/csv; charset=utf-8"),
        (Kind::Visits, Format::Xlsx) => ("visits", "xlsx", XLSX),
        (Kind::Findings, Format::Csv) => ("findings", "csv", "text/csv; charset=utf-8"),
        (Kind::Findings, Format::Xlsx) => ("findings", "xlsx", XLSX),
    };
    let file = format!("{stem}.{ext}");
    let download = format!("attachment; filename=\"{}-{file}\"", opts.scope.as_str());
    let detail = serde_json::json!({
        "level": opts.level.map(VisitLevel::as_str), "from": opts.from.map(crate::db::rfc3339),
        "to": opts.to.map(crate::db::rfc3339), "private": private, "all": opts.all,
    })
    .to_string();
    let action = if private { "export_private" } else { "export" };
    record(&state, &user, opts.scope.as_str(), &file, action, detail).await?;
    let db = state.db.clone();
    let body = crate::stream::from_writer(move |w| export::write(&db, kind, format, &opts, w));
    Ok(attachment(content_type, &download, body))
}

/// Records an export in the audit log: who took which file of which scope,
/// with what options (`detail`).
pub async fn record(
    state: &AppState,
    user: &AuthUser,
    scope: &str,
    file: &str,
    action: &'static str,
    detail: String,
) -> Result<(), ApiError> {
    let (actor, scope, entity_id) = (user.username.clone(), scope.to_string(), file.to_string());
    state
        .db
        .write(move |c| {
            audit::record(
                c,
                audit::Entry {
                    at: now(),
                    actor: &actor,
                    entity: "export",
                    entity_id: &entity_id,
                    scope: Some(&scope),
                    action,
                    old_version: None,
                    new_version: None,
                    detail: &detail,
                },
            )
        })
        .await
}

/// A streamed file to download (`disposition`: the `Content-Disposition` value), never cached.
pub fn attachment(
    content_type: &str,
    disposition: &str,
    body: impl futures_util::Stream<Item = Result<actix_web::web::Bytes, std::io::Error>> + 'static,
) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CONTENT_DISPOSITION, disposition.to_string()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(body)
}

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub async fn visits_csv(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    export(state, user, q.into_inner(), Kind::Visits, Format::Csv).await
}

pub async fn visits_xlsx(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    export(state, user, q.into_inner(), Kind::Visits, Format::Xlsx).await
}

pub async fn findings_csv(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    export(state, user, q.into_inner(), Kind::Findings, Format::Csv).await
}

pub async fn findings_xlsx(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    export(state, user, q.into_inner(), Kind::Findings, Format::Xlsx).await
}
