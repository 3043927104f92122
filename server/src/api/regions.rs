//! `PUT /regions/{code}` and `GET /regions?parent=`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::json::Json;
use super::param_error;
use crate::auth::AuthUser;
use crate::db::regions;
use crate::domain::{RegionCode, Role};
use crate::error::{ApiError, Code, FieldError};
use crate::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionBody {
    name: String,
}

#[derive(Deserialize)]
pub struct ListQuery {
    parent: Option<String>,
}

pub async fn put(
    state: web::Data<AppState>,
    user: AuthUser,
    code: web::Path<String>,
    Json(body): Json<RegionBody>,
) -> Result<HttpResponse, ApiError> {
    user.require_role(&[Role::Admin])?;
    let code =
        RegionCode::parse(&code).ok_or_else(|| param_error("code", Code::RegionCodeInvalid))?;
    user.require_scope(&code)?;
    let name = body.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(ApiError::invalid(vec![FieldError::new(
            "/name",
            Code::SchemaInvalid,
        )]));
    }
    let (created, region) = state
        .db
        .write(move |conn| {
            let created = regions::upsert(conn, &code, &name, &user.username)?;
            Ok((
                created,
                regions::get(conn, &code)?.ok_or_else(ApiError::not_found)?,
            ))
        })
        .await?;
    Ok(HttpResponse::build(if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    })
    .json(region))
}

pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let parent = match q.into_inner().parent {
        Some(p) => {
            RegionCode::parse(&p).ok_or_else(|| param_error("parent", Code::RegionCodeInvalid))?
        }
        None => user.scope.clone(),
    };
    let items = state
        .db
        .read(move |conn| regions::children(conn, &parent))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}
