//! `PUT /blobs/{sha256}` (photos and signature images, uploaded last, on
//! Wi-Fi) and reading them back with their thumbnails.

use actix_web::http::{header, StatusCode};
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use super::param_error;
use crate::auth::AuthUser;
use crate::blobs::{derive, image_format, unavailable};
use crate::db::visits;
use crate::error::{ApiError, Code, FieldError};
use crate::AppState;

/// Uploads above this are refused with 413.
pub const BLOB_LIMIT: usize = 10 << 20;

fn digest(path: &str) -> Result<String, ApiError> {
    let ok = path.len() == 64 && path.bytes().all(|b| b.is_ascii_hexdigit());
    if ok {
        Ok(path.to_ascii_lowercase())
    } else {
        Err(param_error("sha256", Code::BlobHashMismatch))
    }
}

pub async fn put(
    state: web::Data<AppState>,
    _user: AuthUser,
    req: HttpRequest,
    sha: web::Path<String>,
    super::json::TimedBytes(body): super::json::TimedBytes,
) -> Result<HttpResponse, ApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let created = store(&state, &sha, content_type, body).await?;
    Ok(HttpResponse::build(if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    })
    .finish())
}

/// Stores a blob exactly as `PUT /blobs/{sha256}` does: the digest, type,
/// size and image checks, the bytes and their thumbnail, then the row.
/// `true` when it is new, `false` when it was already stored. Also used by
/// the import of a phone's backup (`crate::outbox`).
pub async fn store(
    state: &AppState,
    sha: &str,
    content_type: &str,
    body: Bytes,
) -> Result<bool, ApiError> {
    let sha = digest(sha)?;
    let format = image_format(content_type).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Code::UnsupportedMediaType,
        )
    })?;
    if body.len() > BLOB_LIMIT {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            Code::PayloadTooLarge,
        ));
    }
    let actual: String = Sha256::digest(&body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if actual != sha {
        return Err(ApiError::invalid(vec![FieldError::new(
            "",
            Code::BlobHashMismatch,
        )]));
    }
    let size = body.len();
    let (store, key) = (state.blobs.clone(), sha.clone());
    let content_type = image_format_name(format);
    let dhash = web::block(move || {
        let derived = derive(&body, format)
            .ok_or_else(|| ApiError::invalid(vec![FieldError::new("", Code::BlobNotImage)]))?;
        // The image, then its thumbnail, then the row: a row always has both.
        store.put(&key, &body, content_type).map_err(unavailable)?;
        store
            .put(&format!("{key}.thumb.jpg"), &derived.thumb, "image/jpeg")
            .map_err(unavailable)?;
        Ok::<_, ApiError>(derived.dhash)
    })
    .await
    .map_err(ApiError::internal)??;
    let rules = state.rules.clone();
    state
        .db
        .write(move |c| {
            let created = visits::insert_blob(c, &sha, content_type, size)?;
            if created {
                // A photo the visits were waiting for: is it another household's?
                crate::db::integrity::image_uploaded(c, &sha, dhash, &rules)?;
            }
            Ok(created)
        })
        .await
}

fn image_format_name(f: image::ImageFormat) -> &'static str {
    match f {
        image::ImageFormat::Png => "image/png",
        image::ImageFormat::WebP => "image/webp",
        _ => "image/jpeg",
    }
}

async fn read(
    state: &AppState,
    user: &AuthUser,
    sha: &str,
    thumb: bool,
) -> Result<HttpResponse, ApiError> {
    let sha = digest(sha)?;
    let key = sha.clone();
    let (content_type, villages) = state.db.read(move |c| visits::blob_access(c, &key)).await?;
    let content_type = content_type.ok_or_else(ApiError::not_found)?;
    if !villages.iter().any(|v| user.require_scope_code(v).is_ok()) {
        return Err(ApiError::forbidden(Code::OutOfScope));
    }
    let store = state.blobs.clone();
    let key = if thumb {
        format!("{sha}.thumb.jpg")
    } else {
        sha
    };
    // Streamed from the store as it arrives. Whether it is there at all is
    // known by the first chunk, before the status is sent.
    let mut body = Box::pin(crate::stream::from_writer(move |out| {
        if store.copy_to(&key, out)? {
            Ok(())
        } else {
            Err(std::io::ErrorKind::NotFound.into())
        }
    }));
    let first = match body.next().await {
        Some(Ok(chunk)) => chunk,
        Some(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ApiError::not_found())
        }
        Some(Err(e)) => return Err(unavailable(e)),
        None => Bytes::new(),
    };
    Ok(HttpResponse::Ok()
        .content_type(if thumb {
            "image/jpeg".to_string()
        } else {
            content_type
        })
        .insert_header((header::CACHE_CONTROL, "private, max-age=86400, immutable"))
        .streaming(futures_util::stream::once(async { Ok(first) }).chain(body)))
}

pub async fn get(
    state: web::Data<AppState>,
    user: AuthUser,
    sha: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    read(&state, &user, &sha, false).await
}

pub async fn get_thumbnail(
    state: web::Data<AppState>,
    user: AuthUser,
    sha: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    read(&state, &user, &sha, true).await
}
