//! Operations endpoints: liveness with the backend in use, readiness, and metrics.

use actix_web::{web, HttpResponse};
use diesel::connection::SimpleConnection;

use crate::db::AnyConnection;
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
    let writable = state
        .db
        .write(|c| writable(c).map_err(crate::db::unavailable))
        .await;
    match writable {
        Ok(true) => {}
        Ok(false) => {
            return Err(unready(
                "数据库只读（备库）",
                "the database is read-only (a standby)",
            ))
        }
        Err(_) => return Err(unready("数据库不可写", "the database does not take writes")),
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

/// Whether a write commits here: a counter is bumped, and on PostgreSQL the
/// session must not be read-only (a standby, or a primary demoted under us).
fn writable(conn: &mut AnyConnection) -> diesel::QueryResult<bool> {
    use diesel::RunQueryDsl;
    if let AnyConnection::Postgresql(c) = conn {
        #[derive(diesel::QueryableByName)]
        struct Setting {
            #[diesel(sql_type = diesel::sql_types::Text)]
            value: String,
        }
        let s: Setting =
            diesel::sql_query("SELECT current_setting('transaction_read_only') AS value")
                .get_result(c)?;
        if s.value != "off" {
            return Ok(false);
        }
    }
    diesel::sql_query("UPDATE counters SET value = value + 1 WHERE name = 'readyz'")
        .execute(conn)?;
    Ok(true)
}

/// `GET /metrics`: Prometheus text.
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render())
}
