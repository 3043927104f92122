//! The roster import over HTTP (`POST /imports/households`), the same checks
//! and all-or-nothing store as `sancha import households`, and its empty
//! templates.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::json::TimedBytes;
use crate::auth::AuthUser;
use crate::domain::{RegionCode, Role};
use crate::error::{ApiError, Code, FieldError, Lang};
use crate::import::{self, Report, RowError};
use crate::AppState;

/// Roster files above this are refused with 413: some 100,000 member rows.
pub const IMPORT_LIMIT: usize = 16 << 20;

const XLSX: &str = super::exports::XLSX;

#[derive(Deserialize)]
pub struct ImportQuery {
    dry_run: Option<String>,
}

/// `POST /imports/households?dry_run=true|false` with a CSV (`text/csv`) or
/// XLSX body: every bad row at once (422), nothing stored unless every row
/// is good; 403 naming the rows whose village is outside the caller's scope.
pub async fn households(
    state: web::Data<AppState>,
    user: AuthUser,
    lang: Lang,
    req: HttpRequest,
    q: web::Query<ImportQuery>,
    body: TimedBytes,
) -> Result<HttpResponse, ApiError> {
    user.require_role(&[Role::VillageOffice, Role::Admin])?;
    let dry_run = match q.dry_run.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(super::param_error("dry_run", Code::QueryInvalid)),
    };
    let mime = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let table = match mime.as_str() {
        "text/csv" => import::read_csv(&body.0),
        XLSX => import::read_xlsx(&body.0),
        _ => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                Code::UnsupportedMediaType,
            ))
        }
    }
    .map_err(|_| ApiError::invalid(vec![FieldError::new("", Code::ImportUnreadable)]))?;
    let db = state.db.clone();
    let report = web::block(move || {
        let in_scope = |code: &str| RegionCode::parse(code).is_none_or(|c| user.scope.contains(&c));
        import::import_table(
            &db,
            &table,
            dry_run,
            crate::clock::today_cn(),
            &user.username,
            &in_scope,
        )
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(answer(&report, lang))
}

/// 200 with the counts when every row is good, else a problem listing the
/// rows: 403 for those outside the scope (only those), 422 for the rest.
fn answer(report: &Report, lang: Lang) -> HttpResponse {
    if report.errors.is_empty() {
        return HttpResponse::Ok().json(json!({
            "dry_run": report.dry_run, "stored": !report.dry_run,
            "households": report.households, "members": report.members,
        }));
    }
    let outside: Vec<&RowError> = report
        .errors
        .iter()
        .filter(|e| e.code == Code::OutOfScope)
        .collect();
    let (status, code, errors) = if outside.is_empty() {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Code::ValidationFailed,
            report.errors.iter().collect(),
        )
    } else {
        (StatusCode::FORBIDDEN, Code::OutOfScope, outside)
    };
    let errors: Vec<_> = errors
        .into_iter()
        .map(|e| {
            let column = e.column.replace('~', "~0").replace('/', "~1");
            json!({
                "field": format!("/rows/{}/{column}", e.row), "row": e.row, "column": e.column,
                "code": e.code, "message": e.code.message(lang),
            })
        })
        .collect();
    HttpResponse::build(status)
        .content_type("application/problem+json")
        .insert_header((
            header::CONTENT_LANGUAGE,
            if lang == Lang::En { "en" } else { "zh-CN" },
        ))
        .json(json!({
            "type": format!("urn:sancha:problem:{}", code.as_str()), "title": code.message(lang),
            "status": status.as_u16(), "code": code, "errors": errors,
            "households": report.households, "members": report.members,
        }))
}

/// `GET /imports/template.csv`: the roster's Chinese header row.
pub async fn template_csv(_user: AuthUser) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"roster-template.csv\"",
        ))
        .body(import::template_csv())
}

/// `GET /imports/template.xlsx`: the same as a workbook, code columns as text.
pub async fn template_xlsx(_user: AuthUser) -> Result<HttpResponse, ApiError> {
    let bytes = web::block(import::template_xlsx)
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type(XLSX)
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"roster-template.xlsx\"",
        ))
        .body(bytes))
}
