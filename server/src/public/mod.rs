//! The resident's QR page (`/c/{token}`): no sign-in, server-rendered HTML,
//! no script. It reads only [`PublicView`](crate::db::public::PublicView),
//! which has no private field; a report from its form becomes a
//! `resident.feedback` finding. Every answer carries the same strict headers.

mod html;

use std::net::IpAddr;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use maud::Markup;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::db::limits;
use crate::db::public::{self, PublicView, TokenState};
use crate::error::{ApiError, Code};
use crate::AppState;

pub use html::KINDS;

const STYLESHEET: &str = include_str!("page.css");

/// How long a rendered form may be submitted.
const FORM_LIFETIME_SECS: u64 = 2 * 3600;

/// Distinct unknown tokens one client may try per minute before 429, counted
/// in the database so every replica counts the same ([`limits::probe`]).
pub const UNKNOWN_TOKENS_PER_MINUTE: i64 = 30;

/// The headers of every answer under `/c/`: nothing cached, no referrer
/// leaves with the token, nothing but this site's own stylesheet loads.
fn respond(status: StatusCode, page: Markup) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Robots-Tag", "noindex"))
        .body(page.into_string())
}

fn client_ip(req: &HttpRequest) -> IpAddr {
    req.peer_addr()
        .map_or(IpAddr::from([0, 0, 0, 0]), |a| a.ip())
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn keyed(key: &str, parts: &[&str]) -> String {
    let mut h = Sha256::new();
    h.update(key.as_bytes());
    for p in parts {
        h.update([0]);
        h.update(p.as_bytes());
    }
    h.finalize()
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A per-render form token, `{issued}.{mac}`: a form posted from another
/// site, or long after the page was shown, is refused.
fn form_token(key: &str, token: &str, issued: u64) -> String {
    format!(
        "{issued}.{}",
        keyed(key, &["form", token, &issued.to_string()])
    )
}

fn form_token_valid(key: &str, token: &str, presented: &str, now: u64) -> bool {
    let Some((issued, _)) = presented.split_once('.') else {
        return false;
    };
    let Ok(issued) = issued.parse::<u64>() else {
        return false;
    };
    issued <= now + 60
        && now.saturating_sub(issued) <= FORM_LIFETIME_SECS
        && form_token(key, token, issued) == presented
}

/// `GET /static/page.css`.
pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(STYLESHEET)
}

/// The public view behind a card token, or the page to answer instead: 429
/// for a client guessing tokens, 410 for a replaced card, 404 for an unknown
/// one (and the guess counted).
async fn current_view(
    state: &AppState,
    client: IpAddr,
    token: &str,
) -> Result<Box<PublicView>, HttpResponse> {
    let key = state.cards.check_key.clone();
    let client_key = client_key(&key, client);
    let (t, ck) = (token.to_string(), client_key.clone());
    let looked_up = state
        .db
        .read(move |c| {
            if limits::probes_exhausted(c, &ck, UNKNOWN_TOKENS_PER_MINUTE)? {
                return Ok(None);
            }
            public::lookup(c, &t, &key).map(Some)
        })
        .await;
    match looked_up {
        Ok(None) => Err(respond(StatusCode::TOO_MANY_REQUESTS, html::too_many())),
        Ok(Some(TokenState::Current(view))) => Ok(view),
        Ok(Some(TokenState::Retired)) => Err(respond(StatusCode::GONE, html::void())),
        Ok(Some(TokenState::Unknown)) => {
            let token_key = keyed(&state.cards.check_key, &["probe", token]);
            let counted = state
                .db
                .write(move |c| {
                    limits::probe(c, &client_key, &token_key, UNKNOWN_TOKENS_PER_MINUTE)
                })
                .await;
            match counted {
                Ok(true) => Err(respond(StatusCode::NOT_FOUND, html::unknown())),
                Ok(false) => Err(respond(StatusCode::TOO_MANY_REQUESTS, html::too_many())),
                Err(e) => Err(failure(&e)),
            }
        }
        Err(e) => Err(failure(&e)),
    }
}

/// The client's address as stored: keyed, never in clear.
fn client_key(key: &str, client: IpAddr) -> String {
    keyed(key, &["client", &client.to_string()])
}

/// `GET /c/{token}`: the household's public page, the void-card page (410)
/// or the unknown-card page (404).
pub async fn page(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> HttpResponse {
    let token = token.into_inner();
    match current_view(&state, client_ip(&req), &token).await {
        Ok(view) => {
            let ft = form_token(&state.cards.check_key, &token, unix_now());
            respond(
                StatusCode::OK,
                html::household(&view, &token, &ft, &html::FormValues::default(), &[]),
            )
        }
        Err(answer) => answer,
    }
}

fn failure(e: &ApiError) -> HttpResponse {
    if e.status == StatusCode::TOO_MANY_REQUESTS {
        return respond(StatusCode::TOO_MANY_REQUESTS, html::too_many());
    }
    tracing::error!(code = e.code.as_str(), "public page failed");
    let mut answer = respond(StatusCode::SERVICE_UNAVAILABLE, html::failed());
    answer
        .headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
    answer
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReportForm {
    kind: String,
    text: String,
    contact: String,
    form_token: String,
}

/// The problems of a report, as codes (the page shows their messages).
fn check_report(f: &ReportForm) -> Vec<Code> {
    let mut errors = Vec::new();
    if !KINDS.iter().any(|(k, _)| *k == f.kind) {
        errors.push(Code::ReportKind);
    }
    let len = f.text.trim().chars().count();
    if len == 0 || len > 500 {
        errors.push(Code::ReportText);
    }
    let contact = f.contact.trim();
    let phone_like = contact
        .chars()
        .all(|c| c.is_ascii_digit() || "+- ".contains(c));
    let phone = phone_like && (7..=20).contains(&contact.len());
    if !contact.is_empty() && !phone {
        errors.push(Code::ReportContact);
    }
    errors
}

/// `POST /c/{token}/report`: a resident's report becomes a `resident.feedback`
/// finding; the answer is a thank-you page with a reference.
pub async fn report(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    // Whatever arrives is read as the page's form: a resident whose browser
    // sent something odd gets the page back with the problems listed, never a
    // JSON error.
    let form: ReportForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let token = token.into_inner();
    let client = client_ip(&req);
    let view = match current_view(&state, client, &token).await {
        Ok(view) => view,
        Err(answer) => return answer,
    };
    let mut errors = check_report(&form);
    if !form_token_valid(&state.cards.check_key, &token, &form.form_token, unix_now()) {
        errors.push(Code::ReportFormExpired);
    }
    if !errors.is_empty() {
        let messages: Vec<&str> = errors
            .iter()
            .map(|c| c.message(crate::error::Lang::Zh))
            .collect();
        let values = html::FormValues {
            kind: form.kind,
            text: form.text,
            contact: form.contact,
        };
        let ft = form_token(&state.cards.check_key, &token, unix_now());
        return respond(
            StatusCode::UNPROCESSABLE_ENTITY,
            html::household(&view, &token, &ft, &values, &messages),
        );
    }
    let client_key = client_key(&state.cards.check_key, client);
    let rule_version = state.rules.version.clone();
    let stored = state
        .db
        .write(move |c| {
            let target = public::target(c, &token)?.ok_or_else(ApiError::not_found)?;
            let contact = Some(form.contact.trim()).filter(|s| !s.is_empty());
            let r = public::Report {
                token: &token,
                client_key: &client_key,
                kind: &form.kind,
                text: form.text.trim(),
                contact,
            };
            public::report(c, &target, &r, &rule_version)
        })
        .await;
    match stored {
        Ok(reference) => respond(StatusCode::OK, html::thanks(&reference)),
        Err(e) if e.status == StatusCode::NOT_FOUND => {
            respond(StatusCode::NOT_FOUND, html::unknown())
        }
        Err(e) => failure(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_tokens_expire_and_bind_to_their_card() {
        let t = form_token("k", "tok", 1_000);
        assert!(form_token_valid("k", "tok", &t, 1_000 + FORM_LIFETIME_SECS));
        assert!(!form_token_valid(
            "k",
            "tok",
            &t,
            1_001 + FORM_LIFETIME_SECS
        ));
        assert!(!form_token_valid("k", "other", &t, 1_000));
        assert!(!form_token_valid("other key", "tok", &t, 1_000));
        assert!(!form_token_valid("k", "tok", "1000.forged", 1_000));
        assert!(!form_token_valid("k", "tok", "", 1_000));
    }

    #[test]
    fn reports_are_checked_field_by_field() {
        let ok = ReportForm {
            kind: "other".into(),
            text: "低保金没有到账".into(),
            contact: "139 0418 0001".into(),
            form_token: String::new(),
        };
        assert!(check_report(&ok).is_empty());
        let bad = ReportForm {
            kind: "x".into(),
            text: "字".repeat(501),
            contact: "call me".into(),
            form_token: String::new(),
        };
        assert_eq!(
            check_report(&bad),
            vec![Code::ReportKind, Code::ReportText, Code::ReportContact]
        );
        let blank = ReportForm {
            kind: "other".into(),
            text: "   ".into(),
            ..ReportForm::default()
        };
        assert_eq!(check_report(&blank), vec![Code::ReportText]);
    }
}
