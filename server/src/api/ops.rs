//! Operations endpoints: liveness with the backend in use, readiness, and metrics.

use actix_web::{web, HttpResponse};
use diesel::connection::SimpleConnection;

use crate::error::{ApiError, Code};
use crate::AppState;

/// `GET /healthz`: 200 when the database answers.
pub async fn healthz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state
        .db
        .read(|c| c.batch_execute("SELECT 1").map_err(crate::db::unavailable))
        .await?;
    Ok(HttpResponse::Ok()
        .json(serde_json::json!({"status": "ok", "db": state.db.backend().as_str()})))
}

/// `GET /readyz`: 200 only when this replica can take visits: the database
/// takes a write (on PostgreSQL, outside a read-only standby) and the blob
/// store takes a file. Otherwise 503 with the reason, so a load balancer sends
/// the phones elsewhere. `/healthz` stays the liveness check.
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let unready = |zh: &str, en: &str| {
        ApiError::new(
            actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
            Code::Unavailable,
        )
        .with_detail(zh.to_string(), en.to_string())
    };
    // A pooled connection takes writes (see `db::Manager::is_valid`), and a
    // write commits: on PostgreSQL, once a synchronous standby has it.
    let committed = state
        .db
        .write(|c| {
            use diesel::RunQueryDsl;
            diesel::sql_query("UPDATE counters SET value = value + 1 WHERE name = 'readyz'")
                .execute(c)
                .map_err(crate::db::unavailable)
        })
        .await;
    if committed.is_err() {
        return Err(unready("数据库不可写", "the database does not take writes"));
    }
    let blobs = state.blobs.clone();
    let stored = web::block(move || blobs.ready())
        .await
        .map_err(ApiError::internal)?;
    if let Err(e) = stored {
        tracing::error!(error = %e, "blob store not ready");
        return Err(unready(
            "图片存储不可用",
            "the image store does not take files",
        ));
    }
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({"status": "ready", "db": state.db.backend().as_str()})))
}

/// `GET /metrics`: Prometheus text.
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render())
}
