//! The JSON API under `/api/v1`, plus `/healthz` and `/metrics`. Handlers
//! are thin: extract → call `domain`/`db` → respond. [`configure`] builds
//! every route and is shared by `main` and the tests.

mod audit;
mod auth;
mod blobs;
mod cards;
mod devices;
mod exports;
mod findings;
mod households;
mod imports;
mod integrity;
pub mod json;
pub mod metrics;
mod ops;
mod progress;
mod regions;
mod samples;
mod users;
mod visits;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};

use crate::error::{ApiError, Code, Lang};

/// Declares every route once: [`ROUTES`] (what the spec test compares with
/// `api-spec/openapi.yaml`) and their registration come from the same list.
/// Methods of one path share a resource, so a wrong method is a 405.
macro_rules! routes {
    ($($path:literal $(($data:expr))? { $($method:ident => $handler:path),* $(,)? })*) => {
        /// Every route as (method, path template).
        pub const ROUTES: &[(&str, &str)] = &[$($((stringify!($method), $path)),*),*];

        fn register(cfg: &mut web::ServiceConfig) {
            $(cfg.service(
                web::resource($path)
                    $(.app_data($data))?
                    $(.route(web::$method().to($handler)))*
                    .default_service(web::to(method_not_allowed)),
            );)*
        }
    };
}

routes! {
    "/c/{token}" { get => crate::public::page }
    "/c/{token}/report" { post => crate::public::report }
    "/static/page.css" { get => crate::public::stylesheet }
    "/healthz" { get => ops::healthz }
    "/readyz" { get => ops::readyz }
    "/metrics" { get => ops::metrics }
    "/api/v1/auth/token" { post => auth::token }
    "/api/v1/auth/refresh" { post => auth::refresh }
    "/api/v1/auth/logout" { post => auth::logout }
    "/api/v1/regions" { get => regions::list }
    "/api/v1/regions/{code}" { put => regions::put }
    "/api/v1/households" { post => households::create, get => households::list }
    // Before `{id}`, which would otherwise take "search" for an id.
    "/api/v1/households/search" { post => households::search }
    "/api/v1/households/{id}" { get => households::get, put => households::replace }
    "/api/v1/households/{id}/card.pdf" { get => cards::household_pdf }
    "/api/v1/households/{id}/token/rotate" { post => households::rotate_token }
    "/api/v1/households/{id}/members/{member_no}/reveal" { post => households::reveal }
    "/api/v1/households/{id}/card.png" { get => cards::household_png }
    "/api/v1/regions/{code}/cards.pdf" { get => cards::region_pdf }
    "/api/v1/regions/{code}/reprint" { get => cards::reprint }
    "/api/v1/prints" { get => cards::prints }
    "/api/v1/imports/households" (web::PayloadConfig::new(imports::IMPORT_LIMIT)) { post => imports::households }
    "/api/v1/imports/template.csv" { get => imports::template_csv }
    "/api/v1/imports/template.xlsx" { get => imports::template_xlsx }
    "/api/v1/users" { post => users::create, get => users::list }
    "/api/v1/users/{username}/disable" { post => users::disable }
    "/api/v1/users/{username}/enable" { post => users::enable }
    "/api/v1/users/{username}/password" { post => users::set_password }
    "/api/v1/users/{username}/devices" { get => devices::list }
    "/api/v1/enrolments" { post => devices::create }
    "/api/v1/enrolments/sheet.pdf" { post => devices::sheet }
    "/api/v1/devices" { post => devices::enrol }
    "/api/v1/devices/report" { post => devices::report }
    "/api/v1/devices/{id}/revoke" { post => devices::revoke }
    "/api/v1/visits/batch" (web::PayloadConfig::new(visits::BATCH_LIMIT)) { post => visits::batch }
    "/api/v1/visits/validate" { post => visits::validate }
    "/api/v1/visits/{visit_id}" { put => visits::put, get => visits::get }
    "/api/v1/visits" { get => visits::list }
    "/api/v1/rules" { get => visits::rules }
    "/api/v1/findings" { get => findings::list }
    "/api/v1/findings/{id}/history" { get => findings::history }
    "/api/v1/findings/{id}/rectify" { post => findings::rectify }
    "/api/v1/findings/{id}/close" { post => findings::close }
    "/api/v1/findings/{id}/reopen" { post => findings::reopen }
    "/api/v1/visits/{visit_id}/review" { post => visits::review }
    "/api/v1/audit" { get => audit::list }
    "/api/v1/samples" { post => samples::create, get => samples::list }
    "/api/v1/samples/{id}" { get => samples::get }
    "/api/v1/samples/{id}/households.csv" { get => samples::households_csv }
    "/api/v1/samples/{id}/households.xlsx" { get => samples::households_xlsx }
    "/api/v1/progress" { get => progress::get }
    "/api/v1/integrity" { get => integrity::get }
    "/api/v1/integrity.csv" { get => integrity::csv }
    "/api/v1/integrity.xlsx" { get => integrity::xlsx }
    "/api/v1/exports/visits.csv" { get => exports::visits_csv }
    "/api/v1/exports/visits.xlsx" { get => exports::visits_xlsx }
    "/api/v1/exports/findings.csv" { get => exports::findings_csv }
    "/api/v1/exports/findings.xlsx" { get => exports::findings_xlsx }
    "/api/v1/blobs/{sha256}" (web::PayloadConfig::new(blobs::BLOB_LIMIT)) { put => blobs::put, get => blobs::get }
    "/api/v1/blobs/{sha256}/thumbnail" { get => blobs::get_thumbnail }
}

async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        Code::MethodNotAllowed,
    ))
}

pub use users::{check_new_user, UserBody};
// The ingest of `PUT /blobs/{sha256}` and `PUT /visits/{visit_id}`, shared with the
// import of a phone's backup (`crate::outbox`).
pub use blobs::store as store_blob;
pub use visits::submit as submit_visit;

/// Every route of the API, with the extractor settings they share. What no
/// route matches goes to the screens ([`crate::screens::serve`]).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::PayloadConfig::new(json::JSON_LIMIT))
        .app_data(web::QueryConfig::default().error_handler(|_, _| {
            ApiError::new(StatusCode::BAD_REQUEST, Code::QueryInvalid).into()
        }))
        .app_data(web::PathConfig::default().error_handler(|_, _| ApiError::not_found().into()));
    register(cfg);
}

/// The outermost middleware: re-renders problems in English when asked,
/// turns any error response that is not yet problem+json (actix's own 405,
/// an unmatched method) into one, and records request metrics.
pub async fn finish(
    req: ServiceRequest,
    next: actix_web::middleware::Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let lang = Lang::from_accept_language(
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let started = std::time::Instant::now();
    let metrics = req
        .app_data::<web::Data<crate::AppState>>()
        .map(|s| s.metrics.clone());
    let res = next.call(req).await?.map_into_boxed_body();
    let problem = res
        .response()
        .error()
        .and_then(|e| e.as_error::<ApiError>())
        .map(|e| e.render(lang));
    // Problems, and the QR page's own HTML error pages, are left as they are.
    let is_problem = res.headers().get(header::CONTENT_TYPE).is_some_and(|v| {
        v.as_bytes().starts_with(b"application/problem+json")
            || v.as_bytes().starts_with(b"text/html")
    });
    let status = res.status();
    let res = match problem {
        Some(body) if lang == Lang::En => res.into_response(body),
        None if (status.is_client_error() || status.is_server_error()) && !is_problem => {
            res.into_response(fallback_problem(status).render(lang))
        }
        _ => res,
    };
    if let Some(m) = metrics {
        let route = res
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".into());
        m.observe(
            res.request().method().as_str(),
            &route,
            res.status().as_u16(),
            started.elapsed(),
        );
    }
    Ok(res)
}

fn fallback_problem(status: StatusCode) -> ApiError {
    let code = match status {
        StatusCode::NOT_FOUND => Code::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => Code::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => Code::PayloadTooLarge,
        StatusCode::REQUEST_TIMEOUT => Code::RequestTimeout,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => Code::UnsupportedMediaType,
        StatusCode::BAD_REQUEST => Code::MalformedJson,
        StatusCode::UNAUTHORIZED => Code::Unauthenticated,
        s if s.is_client_error() => Code::QueryInvalid,
        _ => Code::Internal,
    };
    ApiError::new(
        if status.is_server_error() {
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            status
        },
        code,
    )
}

/// 400 for a bad path or query parameter; `field` is the parameter's name.
pub fn param_error(name: &str, code: Code) -> ApiError {
    ApiError {
        errors: vec![crate::error::FieldError::new(name, code)],
        ..ApiError::new(StatusCode::BAD_REQUEST, code)
    }
}

/// Query parameters shared by the paged lists.
pub mod params {
    use super::param_error;
    use crate::auth::AuthUser;
    use crate::domain::RegionCode;
    use crate::error::{ApiError, Code};

    /// `scope`: a region in the caller's scope, by default the caller's own.
    pub fn scope(user: &AuthUser, raw: Option<String>) -> Result<RegionCode, ApiError> {
        let scope = match raw {
            Some(s) => RegionCode::parse(&s)
                .ok_or_else(|| param_error("scope", Code::RegionCodeInvalid))?,
            None => user.scope.clone(),
        };
        user.require_scope(&scope)?;
        Ok(scope)
    }

    /// An RFC 3339 instant, as UTC.
    pub fn instant(
        name: &str,
        raw: Option<String>,
    ) -> Result<Option<chrono::NaiveDateTime>, ApiError> {
        raw.map(|s| {
            chrono::DateTime::parse_from_rfc3339(&s)
                .map(|t| t.naive_utc())
                .map_err(|_| param_error(name, Code::QueryInvalid))
        })
        .transpose()
    }

    /// `headers` of an export: `zh` (the default) or `en`.
    pub fn headers(raw: Option<&str>) -> Result<crate::error::Lang, ApiError> {
        match raw {
            None | Some("zh") => Ok(crate::error::Lang::Zh),
            Some("en") => Ok(crate::error::Lang::En),
            Some(_) => Err(param_error("headers", Code::QueryInvalid)),
        }
    }

    /// `limit`: 1–500, 100 by default.
    pub fn limit(raw: Option<String>) -> Result<i64, ApiError> {
        match raw {
            Some(l) => l
                .parse()
                .ok()
                .filter(|n| (1..=500).contains(n))
                .ok_or_else(|| param_error("limit", Code::QueryInvalid)),
            None => Ok(100),
        }
    }

    /// `cursor`: an opaque position in a commit-order sequence; 0 (the
    /// start) when absent or empty.
    pub fn cursor(raw: Option<String>) -> Result<i64, ApiError> {
        match raw.filter(|c| !c.is_empty()) {
            Some(c) => decode_cursor(&c).ok_or_else(|| param_error("cursor", Code::CursorInvalid)),
            None => Ok(0),
        }
    }

    pub fn encode_cursor(seq: i64) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("s{seq}"))
    }

    fn decode_cursor(c: &str) -> Option<i64> {
        use base64::Engine;
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(c)
            .ok()?;
        std::str::from_utf8(&raw)
            .ok()?
            .strip_prefix('s')?
            .parse()
            .ok()
            .filter(|n: &i64| *n >= 0)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn cursors_round_trip_and_garbage_is_refused() {
            use base64::Engine;
            assert_eq!(cursor(Some(encode_cursor(42))).ok(), Some(42));
            assert_eq!(cursor(None).ok(), Some(0));
            assert!(cursor(Some("not a cursor".into())).is_err());
            assert!(cursor(Some(
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("s-1")
            ))
            .is_err());
        }
    }
}
