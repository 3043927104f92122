//! What the fuzz targets (`fuzz/`) drive, shared with the test that replays
//! their corpus on every `cargo test` (`server/tests/fuzz_corpus.rs`). Each
//! takes arbitrary bytes and must never panic.

use chrono::{FixedOffset, NaiveDate, TimeZone};

use crate::checklist::{self, HouseholdContext, RuleConfig};
use crate::domain::visit::{Visit, VisitInput};
use crate::domain::IdNumber;

/// A fixed "now", so a corpus replays the same way on any day.
fn now() -> chrono::DateTime<FixedOffset> {
    FixedOffset::east_opt(8 * 3600)
        .expect("UTC+8")
        .with_ymd_and_hms(2026, 11, 28, 12, 0, 0)
        .single()
        .expect("a valid time")
}

/// The visit parser and the whole checklist.
pub fn visit(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let Ok(input) = crate::api::json::from_value::<VisitInput>(value) else {
        return;
    };
    if let Ok(v) = Visit::parse(input, now()) {
        let ctx = HouseholdContext {
            registered_member_count: Some(3),
            helpers_on_roster: 1,
            ..HouseholdContext::default()
        };
        let _ = checklist::evaluate(&v, &RuleConfig::default(), &ctx);
    }
}

/// The roster import, CSV without a database.
pub fn roster_csv(data: &[u8]) {
    let _ = crate::import::parse_csv(data, now().date_naive());
}

/// The resident ID parser, on any text.
pub fn id_number(data: &[u8]) {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = IdNumber::parse(s, NaiveDate::from_ymd_opt(2026, 11, 28).expect("a date"));
    }
}
