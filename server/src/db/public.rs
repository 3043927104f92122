//! What the resident's QR page may read and write: the public view of a card
//! token, card token rotation, and residents' reports. Nothing here returns a
//! private field; [`PublicView`] has none to return.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{
    feedback, findings, helpers, household_members, households, retired_tokens, visits,
};
use super::{audit, now, AnyConnection};
use crate::error::{ApiError, Code};

/// What a QR page shows of a household: every field here is public by
/// DOMAIN.md § The QR page. There is no id, no ID number, no resident's
/// phone, no amount, no position, no health, no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicView {
    pub city: String,
    pub county: String,
    pub town: String,
    pub village: String,
    /// Surname and one `*` per remaining character (张**).
    pub head_masked: String,
    pub serial: String,
    pub card_version: i32,
    pub check_code: String,
    pub last_check: Option<PublicCheck>,
    /// 帮扶责任人: name, unit, official phone.
    pub helpers: Vec<(String, String, String)>,
    /// Policy categories received, no amounts.
    pub policy_categories: Vec<String>,
}

/// 谁检查: when, at which level, by whom (name and unit of the inspector).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicCheck {
    pub date: String,
    pub level: String,
    pub inspector: String,
}

/// What a token on a card stands for now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenState {
    Current(Box<PublicView>),
    /// The card was replaced (token rotated); the page says so and shows nothing else.
    Retired,
    Unknown,
}

/// A household a token points at, with what reports need.
pub struct TokenTarget {
    pub household_id: String,
    pub division_code: String,
}

/// A current token's household: id, village, household code, card version.
type Current = (String, String, String, i32);

/// The same two lookups for every token, known or not, so that answer times
/// say little about which tokens exist: the current household, and whether
/// the token was retired.
fn find(conn: &mut AnyConnection, token: &str) -> Result<(Option<Current>, bool), ApiError> {
    let current = households::table
        .filter(households::public_token.eq(token))
        .select((
            households::id,
            households::division_code,
            households::household_code,
            households::card_version,
        ))
        .first::<Current>(conn)
        .optional()?;
    let retired = retired_tokens::table
        .find(token)
        .count()
        .get_result::<i64>(conn)?
        > 0;
    Ok((current, retired))
}

/// The household behind a current token.
pub fn target(conn: &mut AnyConnection, token: &str) -> Result<Option<TokenTarget>, ApiError> {
    Ok(find(conn, token)?
        .0
        .map(|(household_id, division_code, _, _)| TokenTarget {
            household_id,
            division_code,
        }))
}

pub fn lookup(
    conn: &mut AnyConnection,
    token: &str,
    check_key: &str,
) -> Result<TokenState, ApiError> {
    let (current, retired) = find(conn, token)?;
    let Some((id, division, serial, card_version)) = current else {
        return Ok(if retired {
            TokenState::Retired
        } else {
            TokenState::Unknown
        });
    };
    let head: Option<String> = household_members::table
        .filter(household_members::household_id.eq(&id))
        .filter(household_members::relation.eq("head"))
        .select(household_members::name)
        .first(conn)
        .optional()?;
    let helpers: Vec<(String, String, String)> = helpers::table
        .filter(helpers::household_id.eq(&id))
        .order(helpers::position.asc())
        .select((helpers::name, helpers::unit, helpers::phone))
        .load(conn)?;
    let visit: Option<(String, String, NaiveDateTime)> = visits::table
        .filter(visits::household_id.eq(&id))
        .filter(visits::superseded_by.is_null())
        .filter(visits::review.ne("rejected"))
        .order((visits::ended_at.desc(), visits::seq.desc()))
        .select((visits::document, visits::level, visits::ended_at))
        .first(conn)
        .optional()?;
    let place = super::cards::place(conn, &division)?;
    let (last_check, policy_categories) = match visit {
        Some((document, level, ended_at)) => public_parts(&document, &level, ended_at),
        None => (None, Vec::new()),
    };
    Ok(TokenState::Current(Box::new(PublicView {
        city: place.city,
        county: place.county,
        town: place.town,
        village: place.village,
        head_masked: head.as_deref().map(mask_name).unwrap_or_default(),
        serial,
        card_version,
        check_code: crate::cards::check_code(check_key, token, card_version),
        last_check,
        helpers,
        policy_categories,
    })))
}

/// The public parts of a stored visit: who checked and when, and the policy
/// categories. The document is read for exactly these and dropped.
fn public_parts(
    document: &str,
    level: &str,
    ended_at: NaiveDateTime,
) -> (Option<PublicCheck>, Vec<String>) {
    use crate::domain::visit::{BenefitCategory, VisitLevel};
    let doc: serde_json::Value = serde_json::from_str(document).unwrap_or_default();
    let inspector = doc["signatures"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["role"] == "inspector");
    let name = inspector
        .and_then(|s| s["name"].as_str())
        .unwrap_or_default();
    let unit = inspector
        .and_then(|s| s["unit"].as_str())
        .unwrap_or_default();
    let china = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    let check = PublicCheck {
        date: ended_at
            .and_utc()
            .with_timezone(&china)
            .format("%Y-%m-%d")
            .to_string(),
        level: VisitLevel::parse(level)
            .map_or("", |l| l.label_zh())
            .to_string(),
        inspector: if unit.is_empty() {
            name.to_string()
        } else {
            format!("{name}（{unit}）")
        },
    };
    let mut categories: Vec<String> = Vec::new();
    for b in doc["policy"]["benefits"].as_array().into_iter().flatten() {
        if let Some(c) = b["category"].as_str().and_then(BenefitCategory::parse) {
            let label = c.label_zh().to_string();
            if !categories.contains(&label) {
                categories.push(label);
            }
        }
    }
    (Some(check), categories)
}

/// 张建国 → 张**: the surname and one `*` for each other character.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.trim().chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

/// Replaces a household's card token: the old one answers 410 from now on,
/// the card version goes up (a reprint is needed), phones sync the change.
pub fn rotate_token(
    conn: &mut AnyConnection,
    household_id: &str,
    actor: &str,
) -> Result<String, ApiError> {
    let (old, version, division): (String, i32, String) = households::table
        .find(household_id)
        .select((
            households::public_token,
            households::card_version,
            households::division_code,
        ))
        .first(conn)
        .optional()?
        .ok_or_else(ApiError::not_found)?;
    let at = now();
    diesel::insert_into(retired_tokens::table)
        .values((
            retired_tokens::token.eq(&old),
            retired_tokens::household_id.eq(household_id),
            retired_tokens::card_version.eq(version),
            retired_tokens::retired_at.eq(at),
        ))
        .execute(conn)?;
    let token = super::households::new_public_token();
    let seq = super::next_counter(conn, "household_sync")?;
    diesel::update(households::table.find(household_id))
        .set((
            households::public_token.eq(&token),
            households::card_version.eq(version + 1),
            households::sync_seq.eq(seq),
            households::updated_at.eq(at),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        audit::Entry {
            at,
            actor,
            entity: "household",
            entity_id: household_id,
            scope: Some(&division),
            action: "rotate_card_token",
            old_version: Some(version),
            new_version: Some(version + 1),
            detail: "card_version",
        },
    )?;
    Ok(token)
}

/// A resident's report as the page received it.
pub struct Report<'a> {
    pub token: &'a str,
    pub client_key: &'a str,
    pub kind: &'a str,
    pub text: &'a str,
    pub contact: Option<&'a str>,
}

/// At most this many reports per card token and per client address a day.
pub const REPORTS_PER_TOKEN_PER_DAY: i64 = 5;
pub const REPORTS_PER_CLIENT_PER_DAY: i64 = 20;

/// Stores a report as a `resident.feedback` finding on the household (the
/// rectification flow of any finding) with its text; returns the reference
/// shown to the resident. 429 beyond the daily limits.
pub fn report(
    conn: &mut AnyConnection,
    target: &TokenTarget,
    r: &Report<'_>,
    rule_version: &str,
) -> Result<String, ApiError> {
    // Both limits decided as one on every replica (token first, then client: one order, no deadlock).
    super::limits::serialize_on(conn, &format!("report-token:{}", r.token))?;
    super::limits::serialize_on(conn, &format!("report-client:{}", r.client_key))?;
    let at = now();
    let day_ago = at - chrono::Duration::days(1);
    let by_token: i64 = feedback::table
        .filter(feedback::token.eq(r.token))
        .filter(feedback::created_at.gt(day_ago))
        .count()
        .get_result(conn)?;
    let by_client: i64 = feedback::table
        .filter(feedback::client_key.eq(r.client_key))
        .filter(feedback::created_at.gt(day_ago))
        .count()
        .get_result(conn)?;
    if by_token >= REPORTS_PER_TOKEN_PER_DAY || by_client >= REPORTS_PER_CLIENT_PER_DAY {
        return Err(ApiError::new(
            actix_web::http::StatusCode::TOO_MANY_REQUESTS,
            Code::TooManyRequests,
        ));
    }
    let finding_id = super::visits::new_finding_id();
    diesel::insert_into(findings::table)
        .values(&super::visits::FindingRow {
            id: finding_id.clone(),
            visit_id: None,
            household_id: target.household_id.clone(),
            division_code: target.division_code.clone(),
            position: 0,
            code: crate::checklist::FindingCode::ResidentFeedback
                .as_str()
                .to_string(),
            severity: "medium".into(),
            field: None,
            member_no: None,
            status: "open".into(),
            rule_version: rule_version.to_string(),
            created_at: at,
            updated_at: at,
            seq: super::next_counter(conn, "finding_seq")?,
        })
        .execute(conn)?;
    let reference = reference_of(&finding_id);
    diesel::insert_into(feedback::table)
        .values((
            feedback::id.eq(uuid::Uuid::new_v4().to_string()),
            feedback::reference.eq(&reference),
            feedback::household_id.eq(&target.household_id),
            feedback::finding_id.eq(&finding_id),
            feedback::token.eq(r.token),
            feedback::client_key.eq(r.client_key),
            feedback::kind.eq(r.kind),
            feedback::text.eq(r.text),
            feedback::contact.eq(r.contact),
            feedback::created_at.eq(at),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        audit::Entry {
            at,
            actor: "resident",
            entity: "finding",
            entity_id: &finding_id,
            scope: Some(&target.division_code),
            action: "create",
            old_version: None,
            new_version: None,
            detail: "resident.feedback",
        },
    )?;
    Ok(reference)
}

/// A short reference a resident can read over the phone: "F" and 7
/// characters without 0/O/1/I.
fn reference_of(finding_id: &str) -> String {
    let bits = uuid::Uuid::parse_str(finding_id)
        .map(|u| u.as_u128())
        .unwrap_or_default();
    format!("F{}", crate::cards::readable_code(bits, 7))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_masked_after_the_surname() {
        assert_eq!(mask_name("张建国"), "张**");
        assert_eq!(mask_name("李娜"), "李*");
        assert_eq!(mask_name("欧阳娜娜"), "欧***");
        assert_eq!(mask_name(" "), "");
    }

    #[test]
    fn references_are_short_and_readable() {
        let r = reference_of("6f1c1c1e-0000-4000-8000-00000000beef");
        assert_eq!(r.len(), 8);
        assert!(
            r.starts_with('F') && r[1..].chars().all(|c| !"01IO".contains(c)),
            "{r}"
        );
        assert_ne!(r, reference_of("6f1c1c1e-0000-4000-8000-00000000bef0"));
    }
}
