//! The server's clock in China time (UTC+8), which visit times, birth dates
//! and card dates are checked and printed against. Every layer may read it.

/// Now, in China time.
pub fn now_cn() -> chrono::DateTime<chrono::FixedOffset> {
    chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset"))
}

/// Today in China (UTC+8): bounds birth dates and years.
pub fn today_cn() -> chrono::NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
}

/// A stored UTC time to the minute in China time, as printed: "2026-12-03 09:30".
pub fn minute_cn(t: chrono::NaiveDateTime) -> String {
    (t + chrono::Duration::hours(8))
        .format("%Y-%m-%d %H:%M")
        .to_string()
}
