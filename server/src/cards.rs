//! The 明白卡 (clarity card): what one household's card prints, decided from
//! its roster entry and its current visit. Pure: the renderer
//! (`sancha-cardgen`) lays the [`Card`] out, the database layer loads the
//! [`CardSource`]. Never an ID number, a resident's phone or a disease.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate};
use sancha_cardgen::{Card, Checked, Helper, Income, Location, Member, Policy, QualityCheck};
use sha2::{Digest, Sha256};

use crate::checklist::{income, RuleConfig};
use crate::db::cards::{CardSource, CurrentVisit, Place};
use crate::domain::household::{Cause, PovertyStatus, Relation};
use crate::domain::visit::{SignatureRole, Visit, VisitInput, VisitLevel};
use crate::domain::IdNumber;

/// The national poverty-alleviation supervision line (扶贫监督举报电话).
const COMPLAINT_LINE: &str = "如有问题请拨打扶贫监督举报电话 12317，或扫码反映";
const NOT_COUNTED: &str = "不含专项资金、一次性补助等不计入收入的项目";

/// What every card of this server shares.
#[derive(Debug, Clone)]
pub struct CardSettings {
    /// `SANCHA_PUBLIC_BASE_URL`: the QR code encodes `{base}/c/{token}`.
    pub public_base_url: String,
    /// The key of the check codes (kept in the database).
    pub check_key: String,
}

impl CardSettings {
    /// The only thing a card's QR code encodes.
    pub fn qr_url(&self, public_token: &str) -> String {
        format!(
            "{}/c/{public_token}",
            self.public_base_url.trim_end_matches('/')
        )
    }
}

/// Six characters printed under the QR code and shown on the QR page, so a
/// printed card can be matched to the current record by eye. Keyed, so that
/// nobody can print a convincing card for a token without the server.
pub fn check_code(key: &str, public_token: &str, card_version: i32) -> String {
    let digest = Sha256::digest(format!(
        "sancha-card-check\n{key}\n{public_token}\n{card_version}"
    ));
    readable_code(
        u128::from(u32::from_be_bytes([
            digest[0], digest[1], digest[2], digest[3],
        ])),
        6,
    )
}

/// `len` characters of `bits`, five bits each, from an alphabet without
/// 0/O and 1/I: codes people read aloud over the phone without mistakes.
pub fn readable_code(mut bits: u128, len: usize) -> String {
    const ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    (0..len)
        .map(|_| {
            let c = ALPHABET[(bits & 31) as usize] as char;
            bits >>= 5;
            c
        })
        .collect()
}

/// The card of one household, as of `now` (China time).
pub fn card_of(
    src: &CardSource,
    place: &Place,
    settings: &CardSettings,
    rules: &RuleConfig,
    now: DateTime<FixedOffset>,
) -> Card {
    let h = &src.household;
    let today = now.date_naive();
    let visit = src
        .visit
        .as_ref()
        .and_then(|v| parse_visit(v, now).map(|parsed| (v, parsed)));
    let status = match (PovertyStatus::parse(&h.poverty_status), h.exit_year) {
        (Some(PovertyStatus::Exited), Some(year)) => format!("已脱贫（{year}年）"),
        (Some(s), _) => s.label_zh().to_string(),
        (None, _) => h.poverty_status.clone(),
    };
    Card {
        location: Location {
            city: place.city.clone(),
            county: place.county.clone(),
            town: place.town.clone(),
            village: place.village.clone(),
            group: h.group_name.clone(),
        },
        serial: h.household_code.clone(),
        version: u32::try_from(h.card_version).unwrap_or(0),
        head_name: h
            .members
            .iter()
            .find(|m| m.relation == Relation::Head.as_str())
            .map(|m| m.name.clone())
            .unwrap_or_default(),
        household_size: u32::try_from(h.members.len()).unwrap_or(u32::MAX),
        status,
        main_cause: Cause::parse(&h.main_cause)
            .map_or_else(|| h.main_cause.clone(), |c| c.label_zh().to_string()),
        members: h
            .members
            .iter()
            .map(|m| Member {
                name: m.name.clone(),
                relation: Relation::parse(&m.relation)
                    .map_or_else(|| m.relation.clone(), |r| r.label_zh().to_string()),
                age: birth_date(m.birth_date.as_deref(), m.id_number.as_deref(), today)
                    .and_then(|b| age_on(b, today)),
            })
            .collect(),
        helpers: h
            .helpers
            .iter()
            .map(|x| Helper {
                name: x.name.clone(),
                unit: x.unit.clone(),
                phone: x.phone.clone(),
            })
            .collect(),
        policies: visit.as_ref().map(|(_, v)| policies(v)).unwrap_or_default(),
        income: visit.as_ref().map(|(_, v)| income_summary(v, rules)),
        quality: visit
            .as_ref()
            .map(|(stored, v)| quality(stored, v))
            .unwrap_or_default(),
        checked: visit.as_ref().map(|(stored, v)| checked(stored, v)),
        qr_url: settings.qr_url(&h.public_token),
        check_code: check_code(&settings.check_key, &h.public_token, h.card_version),
        complaint_line: COMPLAINT_LINE.to_string(),
    }
}

/// The stored document, typed. It was valid when stored; a document an older
/// parser accepted and this one refuses prints as "not checked yet".
fn parse_visit(v: &CurrentVisit, now: DateTime<FixedOffset>) -> Option<Visit> {
    let input: VisitInput = serde_json::from_str(&v.document).ok()?;
    match Visit::parse(input, now) {
        Ok(visit) => Some(visit),
        Err(errors) => {
            tracing::warn!(
                errors = errors.len(),
                "a stored visit no longer parses; its card shows no check"
            );
            None
        }
    }
}

fn birth_date(
    roster: Option<&str>,
    id_number: Option<&str>,
    today: NaiveDate,
) -> Option<NaiveDate> {
    roster
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .or_else(|| {
            id_number
                .and_then(|n| IdNumber::parse(n, today).ok())
                .map(|n| n.birth_date())
        })
}

fn age_on(birth: NaiveDate, day: NaiveDate) -> Option<u32> {
    let years = day.year()
        - birth.year()
        - i32::from((day.month(), day.day()) < (birth.month(), birth.day()));
    u32::try_from(years).ok()
}

fn policies(v: &Visit) -> Vec<Policy> {
    v.benefits
        .iter()
        .map(|b| Policy {
            category: b.category.label_zh().to_string(),
            item: b.item.clone(),
            amount: if b.amount_fen > 0 {
                format!("{}元", yuan(i128::from(b.amount_fen)))
            } else {
                String::new()
            },
        })
        .collect()
}

fn income_summary(v: &Visit, rules: &RuleConfig) -> Income {
    let net = i128::from(income::net(&v.income));
    let n = i128::from(income::n(&v.members));
    let line = i128::from(rules.income_line_fen);
    Income {
        year: format!("{}年", v.income_year),
        // Display only: the comparison below multiplies.
        per_capita: if n > 0 {
            format!("{}元/人", yuan(net / n))
        } else {
            "—".to_string()
        },
        line: format!("{}元/人", yuan(line)),
        above_line: n > 0 && net >= line * n,
        note: NOT_COUNTED.to_string(),
    }
}

/// ✓/✗ for 吃、穿、上学、看病、住房、饮水 (两不愁三保障 and safe water).
fn quality(stored: &CurrentVisit, v: &Visit) -> Vec<QualityCheck> {
    let raised = |prefixes: &[&str]| {
        stored
            .finding_codes
            .iter()
            .any(|c| prefixes.iter().any(|p| c.starts_with(p)))
    };
    [
        ("吃", v.quality.food_secure),
        ("穿", v.quality.clothing_secure),
        ("上学", !raised(&["edu.dropout"])),
        ("看病", !raised(&["med.uninsured"])),
        ("住房", !raised(&["housing.unsafe", "housing.unassessed"])),
        ("饮水", !raised(&["water."])),
    ]
    .into_iter()
    .map(|(label, ok)| QualityCheck {
        label: label.to_string(),
        ok,
    })
    .collect()
}

/// 谁检查: the inspector who signed (name and unit), or the account that submitted.
fn checked(stored: &CurrentVisit, v: &Visit) -> Checked {
    let signer = v
        .signatures
        .iter()
        .find(|s| s.role == SignatureRole::Inspector);
    let inspector = match signer.and_then(|s| s.name.clone()) {
        Some(name) => match signer.and_then(|s| s.unit.clone()) {
            Some(unit) => format!("{name}（{unit}）"),
            None => name,
        },
        None => stored.inspector_username.clone(),
    };
    let china = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    Checked {
        inspector,
        level: VisitLevel::parse(&stored.level)
            .map_or_else(|| stored.level.clone(), |l| l.label_zh().to_string()),
        date: stored
            .ended_at
            .and_utc()
            .with_timezone(&china)
            .format("%Y-%m-%d")
            .to_string(),
    }
}

/// Fen as yuan with thousands separators: 1234567 → "12,345.67".
pub fn yuan(fen: i128) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let fen = fen.unsigned_abs();
    let whole = (fen / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{:02}", fen % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_groups_thousands_and_keeps_fen() {
        assert_eq!(yuan(0), "0.00");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(500_000), "5,000.00");
        assert_eq!(yuan(123_456_789), "1,234,567.89");
        assert_eq!(yuan(-100_050), "-1,000.50");
    }

    #[test]
    fn check_codes_are_six_unambiguous_characters_that_change_with_version_and_key() {
        let a = check_code("k", "tok", 1);
        assert_eq!(a.len(), 6);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() && !"01IO".contains(c)),
            "{a}"
        );
        assert_eq!(a, check_code("k", "tok", 1));
        assert_ne!(a, check_code("k", "tok", 2));
        assert_ne!(a, check_code("other key", "tok", 1));
    }

    #[test]
    fn ages_are_whole_years_on_the_day() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(age_on(d(1968, 5, 12), d(2026, 5, 11)), Some(57));
        assert_eq!(age_on(d(1968, 5, 12), d(2026, 5, 12)), Some(58));
        assert_eq!(age_on(d(2030, 1, 1), d(2026, 5, 12)), None);
    }

    #[test]
    fn the_qr_url_is_the_base_and_the_token_only() {
        let s = CardSettings {
            public_base_url: "https://fx.example.cn/".into(),
            check_key: "k".into(),
        };
        assert_eq!(s.qr_url("AbC-_1"), "https://fx.example.cn/c/AbC-_1");
    }
}
