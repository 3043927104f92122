//! The JSON body extractor: 415 for a body that is not JSON, 413 past the
//! limit, 400 with line and column for malformed JSON, 422 `schema.invalid`
//! with a JSON Pointer when the JSON has the wrong shape.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::{header, StatusCode};
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, Code, FieldError};

/// JSON bodies above this are refused with 413.
pub const JSON_LIMIT: usize = 1 << 20;

/// A body must arrive within this: a client that sends a byte a second
/// (slow-loris) is cut off with 408 rather than holding a connection for
/// ever. Two minutes carry 8 MiB at 70 KB/s, a weak 3G link.
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// A request body read within [`BODY_TIMEOUT`] and the route's size limit
/// (`PayloadConfig`): 413 past the limit, 408 when too slow.
pub struct TimedBytes(pub Bytes);

impl FromRequest for TimedBytes {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<TimedBytes, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let body = Bytes::from_request(req, payload);
        Box::pin(async move {
            let read = actix_web::rt::time::timeout(BODY_TIMEOUT, body)
                .await
                .map_err(|_| ApiError::new(StatusCode::REQUEST_TIMEOUT, Code::RequestTimeout))?;
            read.map(TimedBytes).map_err(|e| {
                if e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, Code::PayloadTooLarge)
                } else {
                    ApiError::new(StatusCode::BAD_REQUEST, Code::MalformedJson)
                }
            })
        })
    }
}

/// A JSON request body, parsed as `T`.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Json<T>, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        if !is_json(req) {
            return Box::pin(async {
                Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    Code::UnsupportedMediaType,
                ))
            });
        }
        let body = TimedBytes::from_request(req, payload);
        Box::pin(async move { parse(&body.await?.0).map(Json) })
    }
}

/// An optional JSON request body: `None` when the body is empty (or only
/// whitespace), whatever its content type; otherwise exactly as [`Json`]:
/// 415 unless declared JSON, 400 when malformed, 422 when the shape is wrong.
pub struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned + 'static> FromRequest for OptionalJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<OptionalJson<T>, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let is_json = is_json(req);
        let body = TimedBytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = body.await?.0;
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Ok(OptionalJson(None));
            }
            if !is_json {
                return Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    Code::UnsupportedMediaType,
                ));
            }
            parse(&bytes).map(|v| OptionalJson(Some(v)))
        })
    }
}

/// Whether the request declares a JSON body (`application/json` or any
/// `application/*+json`).
fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| {
            let m = m.trim().to_ascii_lowercase();
            m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
        })
        .unwrap_or(false)
}

/// Parses JSON bytes as `T` with the errors described above.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::new(StatusCode::BAD_REQUEST, Code::MalformedJson).with_detail(
            format!("第 {} 行第 {} 列", e.line(), e.column()),
            format!("line {} column {}", e.line(), e.column()),
        )
    })?;
    from_value(value)
}

/// Reads parsed JSON as `T`: 422 `schema.invalid` with a JSON Pointer when
/// the shape is wrong.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let pointer = pointer_of(e.path());
        ApiError::invalid(vec![FieldError::new(pointer, Code::SchemaInvalid)])
    })
}

/// A serde path as a JSON Pointer (`/members/0/sex`).
pub fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        out.push('/');
        match seg {
            Segment::Seq { index } => out.push_str(&index.to_string()),
            Segment::Map { key } => out.push_str(&key.replace('~', "~0").replace('/', "~1")),
            Segment::Enum { variant } => out.push_str(variant),
            Segment::Unknown => {
                out.pop();
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::household::HouseholdInput;

    fn fields(e: ApiError) -> Vec<(String, &'static str)> {
        e.errors
            .into_iter()
            .map(|f| (f.field, f.code.as_str()))
            .collect()
    }

    #[test]
    fn wrong_type_points_at_the_field() {
        let body = br#"{"division_code":"210922201203","group_name":"x","household_code":"1","registered_year":"2014",
            "poverty_status":"exited","attribute":"general","main_cause":"illness","members":[]}"#;
        let e = parse::<HouseholdInput>(body).err().unwrap();
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            fields(e),
            vec![("/registered_year".into(), "schema.invalid")]
        );
    }

    #[test]
    fn nested_unknown_field_points_into_the_array() {
        let mut v: serde_json::Value =
            serde_json::from_str(include_str!("../../../api-spec/examples/household.json"))
                .unwrap();
        v["members"][1]["nickname"] = "x".into();
        let e = parse::<HouseholdInput>(v.to_string().as_bytes())
            .err()
            .unwrap();
        let f = fields(e);
        assert!(f[0].0.starts_with("/members/1"), "{f:?}");
    }

    #[test]
    fn malformed_json_is_400_with_position() {
        let e = parse::<HouseholdInput>(b"{\n  \"a\": }").err().unwrap();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert_eq!(e.detail.unwrap().1, "line 2 column 8");
    }
}
