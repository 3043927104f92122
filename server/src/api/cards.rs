//! Printing 明白卡: one household's card as PDF or PNG, and a region's print
//! run (one PDF per village; a town or larger comes as a ZIP, streamed village
//! by village so no whole county is ever held in memory). Every print is an
//! audit row.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use sancha_cardgen::Layout;
use serde::Deserialize;

use super::param_error;
use crate::auth::AuthUser;
use crate::cards::card_of;
use crate::db::cards::{self, CardSource};
use crate::db::households;
use crate::domain::{RegionCode, RegionLevel, Role};
use crate::error::{ApiError, Code};
use crate::print::{self, PrintRun};
use crate::AppState;

/// Who may print a region's cards (the enumerator's phone shows one card).
const PRINTERS: &[Role] = &[Role::VillageOffice, Role::Supervisor, Role::Admin];

#[derive(Deserialize)]
pub struct LayoutQuery {
    layout: Option<String>,
}

#[derive(Deserialize)]
pub struct RegionPrintQuery {
    layout: Option<String>,
    only: Option<String>,
}

fn pdf_layout(raw: Option<&str>, default: Layout) -> Result<Layout, ApiError> {
    match raw {
        None => Ok(default),
        Some("a4") => Ok(Layout::A4),
        Some("a6x4") => Ok(Layout::A6x4),
        Some(_) => Err(param_error("layout", Code::QueryInvalid)),
    }
}

/// The household (in the caller's scope) and its card.
async fn household_card(
    state: &AppState,
    user: &AuthUser,
    id: String,
) -> Result<(CardSource, sancha_cardgen::Card), ApiError> {
    let user = user.clone();
    let (src, place) = state
        .db
        .read(move |c| {
            let division = households::division_of(c, &id)?.ok_or_else(ApiError::not_found)?;
            user.require_scope_code(&division)?;
            let src = cards::household(c, &id)?.ok_or_else(ApiError::not_found)?;
            Ok((src, cards::place(c, &division)?))
        })
        .await?;
    let card = card_of(
        &src,
        &place,
        &state.cards,
        &state.rules,
        crate::clock::now_cn(),
    );
    Ok((src, card))
}

async fn audit(
    state: &AppState,
    user: &AuthUser,
    what: String,
    scope: String,
    layout: Layout,
    run: Vec<(String, i32)>,
) -> Result<(), ApiError> {
    let actor = user.username.clone();
    state
        .db
        .write(move |c| cards::record_print(c, &actor, &what, &scope, &layout.to_string(), &run))
        .await
}

/// `GET /households/{id}/card.pdf?layout=a4|a6x4` (A4 poster by default).
pub async fn household_pdf(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<uuid::Uuid>,
    q: web::Query<LayoutQuery>,
) -> Result<HttpResponse, ApiError> {
    let layout = pdf_layout(q.layout.as_deref(), Layout::A4)?;
    let (src, card) = household_card(&state, &user, id.to_string()).await?;
    let font = state.card_font;
    let serial = card.serial.clone();
    let (bytes, report) = web::block(move || print::pdf(&[card], layout, font))
        .await
        .map_err(ApiError::internal)??;
    let h = &src.household;
    audit(
        &state,
        &user,
        h.id.clone(),
        h.division_code.clone(),
        layout,
        vec![(h.id.clone(), h.card_version)],
    )
    .await?;
    Ok(print::response("application/pdf", &format!("card-{serial}.pdf"), &report).body(bytes))
}

/// `GET /households/{id}/card.png`: the electronic card for the phone.
pub async fn household_png(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (_, card) = household_card(&state, &user, id.to_string()).await?;
    let font = state.card_font;
    let serial = card.serial.clone();
    let (bytes, report) = web::block(move || print::png(&card, font))
        .await
        .map_err(ApiError::internal)??;
    Ok(print::response("image/png", &format!("card-{serial}.png"), &report).body(bytes))
}

/// `GET /regions/{code}/cards.pdf?layout=a6x4&only=reprint`: a village's
/// print run as one PDF; a town or larger as a ZIP of one PDF per village;
/// with `only=reprint` just the cards that changed since they were printed.
pub async fn region_pdf(
    state: web::Data<AppState>,
    user: AuthUser,
    code: web::Path<String>,
    q: web::Query<RegionPrintQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require_role(PRINTERS)?;
    let layout = pdf_layout(q.layout.as_deref(), Layout::A6x4)?;
    let reprint_only = match q.only.as_deref() {
        None => false,
        Some("reprint") => true,
        Some(_) => return Err(param_error("only", Code::QueryInvalid)),
    };
    let scope =
        RegionCode::parse(&code).ok_or_else(|| param_error("code", Code::RegionCodeInvalid))?;
    user.require_scope(&scope)?;
    let (villages, run, only) = {
        let scope = scope.clone();
        state
            .db
            .read(move |c| {
                if !reprint_only {
                    return Ok((
                        households::villages(c, &scope)?,
                        cards::versions_in(c, &scope)?,
                        None,
                    ));
                }
                let due = cards::reprint(c, &scope)?;
                let mut villages: Vec<String> =
                    due.iter().map(|r| r.division_code.clone()).collect();
                villages.dedup();
                let run = due.iter().map(|r| (r.id.clone(), r.card_version)).collect();
                let only = due.into_iter().map(|r| r.id).collect();
                Ok((villages, run, Some(std::sync::Arc::new(only))))
            })
            .await?
    };
    if villages.is_empty() {
        return Err(ApiError::not_found());
    }
    audit(
        &state,
        &user,
        scope.as_str().to_string(),
        scope.as_str().to_string(),
        layout,
        run,
    )
    .await?;
    let job = PrintRun::new(
        state.db.clone(),
        state.cards.clone(),
        state.rules.clone(),
        state.card_font,
        layout,
    )
    .only(only);
    if scope.level() == RegionLevel::Village {
        let village = scope.as_str().to_string();
        let (name, bytes, report) = web::block(move || job.village(&village))
            .await
            .map_err(ApiError::internal)??;
        return Ok(print::response("application/pdf", &name, &report).body(bytes));
    }
    let name = format!("cards-{}.zip", scope.as_str());
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((header::CONTENT_DISPOSITION, print::disposition(&name)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(job.zip_stream(villages)))
}

#[derive(Deserialize)]
pub struct PrintsQuery {
    scope: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

/// `GET /prints?scope=&cursor=&limit=`: who printed which region (or one
/// card) when, how many households and at which card versions; newest first.
pub async fn prints(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<PrintsQuery>,
) -> Result<HttpResponse, ApiError> {
    use super::params;
    user.require_role(PRINTERS)?;
    let q = q.into_inner();
    let scope = params::scope(&user, q.scope)?;
    let before = Some(params::cursor(q.cursor)?).filter(|&c| c > 0);
    let limit = params::limit(q.limit)?;
    let (rows, has_more) = state
        .db
        .read(move |c| cards::prints(c, &scope, before, limit))
        .await?;
    let items: Vec<_> = rows.iter().map(render_print).collect();
    let next_cursor = rows
        .last()
        .map_or_else(String::new, |r| params::encode_cursor(r.id));
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "items": items, "next_cursor": next_cursor, "has_more": has_more,
    })))
}

fn render_print(p: &cards::PrintRecord) -> serde_json::Value {
    let mut versions: std::collections::BTreeMap<i32, usize> = Default::default();
    for (_, v) in &p.cards {
        *versions.entry(*v).or_default() += 1;
    }
    let one_card = RegionCode::parse(&p.what).is_none();
    serde_json::json!({
        "id": p.id, "at": crate::db::rfc3339(p.at), "actor": p.actor,
        "kind": if one_card { "household" } else { "region" },
        "region_code": p.scope, "household_id": one_card.then_some(&p.what),
        "layout": p.layout, "households": p.cards.len(),
        "card_versions": versions.iter().map(|(v, n)| serde_json::json!({"card_version": v, "households": n})).collect::<Vec<_>>(),
    })
}

/// `GET /regions/{code}/reprint`: the households whose card changed since
/// it was last printed (需重印), in print order.
pub async fn reprint(
    state: web::Data<AppState>,
    user: AuthUser,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require_role(PRINTERS)?;
    let region =
        RegionCode::parse(&code).ok_or_else(|| param_error("code", Code::RegionCodeInvalid))?;
    user.require_scope(&region)?;
    let code = region.as_str().to_string();
    let items = state.db.read(move |c| cards::reprint(c, &region)).await?;
    Ok(HttpResponse::Ok()
        .json(serde_json::json!({"region_code": code, "total": items.len(), "items": items})))
}
