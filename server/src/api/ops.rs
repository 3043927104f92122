//! Operations endpoints: liveness with the backend in use, and metrics.

use actix_web::{web, HttpResponse};
use diesel::connection::SimpleConnection;

use crate::error::ApiError;
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

/// `GET /metrics`: Prometheus text.
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render())
}
