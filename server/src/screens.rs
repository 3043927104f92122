//! The screens: the office console (办公台) at `/` and the field app
//! (核查员手机端) at `/app/`, built from `web/` and embedded at compile time by
//! `build.rs`. This module only serves files; every action the screens offer is
//! an `/api/v1` call. It imports nothing from `api` but the error type.

use actix_web::http::{header, Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse};

use crate::error::{ApiError, Code};

/// One embedded file, with its build-time compressed forms.
pub struct Asset {
    pub path: &'static str,
    pub raw: &'static [u8],
    pub gzip: Option<&'static [u8]>,
    pub brotli: Option<&'static [u8]>,
}

mod assets {
    use super::Asset;
    include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));
}

/// The policy of `FRONTEND.md`: nothing but this origin, no inline script,
/// never framed. The field app also runs the QR decoder's WASM.
const CONSOLE_CSP: &str = "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; \
     worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const FIELD_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     img-src 'self' data: blob:; media-src 'self' blob:; worker-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

struct Bundle {
    files: &'static [Asset],
    csp: &'static str,
}

const CONSOLE: Bundle = Bundle {
    files: assets::CONSOLE,
    csp: CONSOLE_CSP,
};
const FIELD: Bundle = Bundle {
    files: assets::FIELD,
    csp: FIELD_CSP,
};

/// Everything no route matched: a file of a bundle, the bundle's
/// `index.html` for its client-side routes, or the API's 404.
pub async fn serve(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let path = req.path();
    if path == "/api" || path.starts_with("/api/") {
        return Err(ApiError::not_found());
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            Code::MethodNotAllowed,
        ));
    }
    if path == "/app" {
        return Ok(HttpResponse::MovedPermanently()
            .insert_header((header::LOCATION, "/app/"))
            .finish());
    }
    let (bundle, rest) = match path.strip_prefix("/app/") {
        Some(rest) => (&FIELD, rest),
        None => (&CONSOLE, path.trim_start_matches('/')),
    };
    let asset = match find(bundle, rest) {
        Some(a) => a,
        // A client-side route (no extension) gets the page that routes it.
        None if !rest.rsplit('/').next().unwrap_or_default().contains('.') => {
            find(bundle, "index.html").ok_or_else(ApiError::not_found)?
        }
        None => return Err(ApiError::not_found()),
    };
    Ok(respond(&req, bundle, asset))
}

fn find(bundle: &Bundle, path: &str) -> Option<&'static Asset> {
    let path = if path.is_empty() { "index.html" } else { path };
    bundle.files.iter().find(|a| a.path == path)
}

fn respond(req: &HttpRequest, bundle: &Bundle, asset: &'static Asset) -> HttpResponse {
    let accepts = |coding: &str| {
        req.headers()
            .get_all(header::ACCEPT_ENCODING)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|item| {
                let mut parts = item.split(';').map(str::trim);
                parts.next() == Some(coding) && !parts.any(|p| p.replace(' ', "") == "q=0")
            })
    };
    // Hashed file names never change their content; everything else is
    // looked at again, so a new build reaches the browser at once.
    let cache = if asset.path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut res = HttpResponse::Ok();
    res.insert_header((header::CONTENT_TYPE, content_type(asset.path)))
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::VARY, "Accept-Encoding"))
        .insert_header((header::CONTENT_SECURITY_POLICY, bundle.csp))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"));
    let body = match (asset.brotli, asset.gzip) {
        (Some(br), _) if accepts("br") => {
            res.insert_header((header::CONTENT_ENCODING, "br"));
            br
        }
        (_, Some(gz)) if accepts("gzip") => {
            res.insert_header((header::CONTENT_ENCODING, "gzip"));
            gz
        }
        _ => asset.raw,
    };
    res.body(body)
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "wasm" => "application/wasm",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}
