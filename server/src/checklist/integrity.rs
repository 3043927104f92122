//! 防造假: rules that look across visits for ones that did not happen as
//! recorded. Each reads what the caller loaded into [`History`] (the
//! inspector's neighbouring visits, other households' images, the same
//! answers elsewhere, the day's count) with a few indexed lookups at ingest,
//! never a nightly batch. They see every visit stored before this one was
//! checked.
//!
//! [`History`]: super::History

use chrono::{DateTime, Duration, Utc};

use super::{flag, Facts, Finding, FindingCode, NearVisit};
use crate::domain::visit::SignatureRole;

/// The largest `photo_near_bits` the band index finds every match for:
/// 64 bits in four bands of 16, so two hashes at most 7 bits apart agree on
/// some band to within one bit (four bands of two or more would be 8).
pub const NEAR_BITS_REACH: u32 = 7;

/// Two of the inspector's visits, this one and a neighbour, imply a speed
/// between their positions above `max_travel_kmh`. The time is that between
/// the visits' midpoints (a position is taken during a visit, not at its
/// ends), at least a minute. [GUESS] for the 60 km/h.
pub(super) fn process_impossible_travel(f: &Facts) -> Vec<Finding> {
    let Some(geo) = f.visit.geo else {
        return Vec::new();
    };
    let this = (f.visit.started_at.to_utc(), f.visit.ended_at.to_utc());
    let too_fast = f.ctx.history.neighbours.iter().any(|n| {
        n.position.is_some_and(|at| {
            let km = crate::domain::geo::distance_m((geo.lat, geo.lon), at) / 1000.0;
            let hours = hours_between_midpoints(this, (n.started_at, n.ended_at));
            km / hours > f.cfg.max_travel_kmh
        })
    });
    flag(too_fast, FindingCode::ProcessImpossibleTravel, "/geo")
}

fn hours_between_midpoints(
    a: (DateTime<Utc>, DateTime<Utc>),
    b: (DateTime<Utc>, DateTime<Utc>),
) -> f64 {
    let mid = |(s, e): (DateTime<Utc>, DateTime<Utc>)| s + (e - s) / 2;
    let seconds = (mid(a) - mid(b)).num_seconds().abs().max(60);
    seconds as f64 / 3600.0
}

/// Of this visit and a neighbour, the later one starts more than
/// `overlap_tolerance_min` before the earlier one ended: one person was in
/// two households at once. Raised on the visit being checked, whichever of
/// the two started first.
pub(super) fn process_overlap(f: &Facts) -> Vec<Finding> {
    let tolerance = Duration::minutes(i64::from(f.cfg.overlap_tolerance_min));
    let this = NearVisit {
        started_at: f.visit.started_at.to_utc(),
        ended_at: f.visit.ended_at.to_utc(),
        position: None,
    };
    let overlaps = f.ctx.history.neighbours.iter().any(|n| {
        let (earlier, later) = if n.started_at <= this.started_at {
            (n, &this)
        } else {
            (&this, n)
        };
        earlier.ended_at - later.started_at > tolerance
    });
    flag(overlaps, FindingCode::ProcessOverlap, "/timing")
}

/// A photo that is in a visit of another household: the same file, or a
/// near duplicate (dHash within `photo_near_bits`). One finding per photo.
pub(super) fn process_photo_reused(f: &Facts) -> Vec<Finding> {
    let elsewhere = &f.ctx.history.images_elsewhere;
    f.visit
        .photo_sha256
        .iter()
        .enumerate()
        .filter(|(_, sha)| {
            elsewhere
                .iter()
                .any(|(s, bits)| s == *sha && *bits <= f.cfg.photo_near_bits)
        })
        .map(|(i, _)| Finding::new(FindingCode::ProcessPhotoReused).at(format!("/photos/{i}")))
        .collect()
}

/// The respondent's signature image (the same file) is in a visit of another
/// household: a signature is drawn anew in every household.
pub(super) fn process_signature_reused(f: &Facts) -> Vec<Finding> {
    let elsewhere = &f.ctx.history.images_elsewhere;
    f.visit
        .signatures
        .iter()
        .enumerate()
        .filter(|(_, s)| s.role == SignatureRole::Respondent)
        .filter(|(_, s)| {
            s.image_sha256
                .as_ref()
                .is_some_and(|sha| elsewhere.iter().any(|(e, bits)| e == sha && *bits == 0))
        })
        .map(|(i, _)| {
            Finding::new(FindingCode::ProcessSignatureReused).at(format!("/signatures/{i}"))
        })
        .collect()
}

/// The revisit answers, quality section and income lines are exactly those
/// of the same inspector's visit of another household, with at least
/// `answers_min` non-empty answers (short identical answers are common).
pub(super) fn process_answers_copied(f: &Facts) -> Vec<Finding> {
    let h = &f.ctx.history;
    flag(
        h.answers_elsewhere && h.answer_count >= f.cfg.answers_min,
        FindingCode::ProcessAnswersCopied,
        "/revisit",
    )
}

/// The inspector's visits that day, this one included, are more than `daily_max_visits`.
pub(super) fn process_daily_volume(f: &Facts) -> Vec<Finding> {
    flag(
        f.ctx.history.visits_that_day >= f.cfg.daily_max_visits,
        FindingCode::ProcessDailyVolume,
        "/timing",
    )
}

/// The sections `process.answers_copied` compares.
const ANSWER_SECTIONS: [&str; 3] = ["/revisit/answers", "/quality", "/income"];

/// What `process.answers_copied` compares, taken from the document as sent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Answers {
    /// SHA-256 of the canonical JSON of the revisit answers, quality section and income lines.
    pub sha256: String,
    /// Non-empty answers among them: leaves that are not null, false, 0 or "".
    pub count: u32,
}

/// The [`Answers`] of a visit document.
pub fn answers_fingerprint(document: &serde_json::Value) -> Answers {
    use sha2::Digest;
    let sections: Vec<&serde_json::Value> = ANSWER_SECTIONS
        .iter()
        .map(|p| document.pointer(p).unwrap_or(&serde_json::Value::Null))
        .collect();
    let canonical = serde_json::to_string(&sections).unwrap_or_default();
    let sha = sha2::Sha256::digest(canonical.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Answers {
        sha256: sha,
        count: sections.iter().map(|v| non_empty_leaves(v)).sum(),
    }
}

fn non_empty_leaves(v: &serde_json::Value) -> u32 {
    use serde_json::Value;
    match v {
        Value::Null | Value::Bool(false) => 0,
        Value::Bool(true) => 1,
        Value::Number(n) => u32::from(n.as_f64() != Some(0.0)),
        Value::String(s) => u32::from(!s.is_empty()),
        Value::Array(items) => items.iter().map(non_empty_leaves).sum(),
        Value::Object(map) => map.values().map(non_empty_leaves).sum(),
    }
}

/// A dHash's four 16-bit bands, low bits first: what the index holds.
pub fn dhash_bands(hash: u64) -> [i32; 4] {
    [0, 1, 2, 3].map(|k| ((hash >> (16 * k)) & 0xFFFF) as i32)
}

/// The band values within one bit of each of `hash`'s bands: any hash at
/// most [`NEAR_BITS_REACH`] bits away has one of them in the same band.
pub fn band_neighbours(hash: u64) -> [Vec<i32>; 4] {
    dhash_bands(hash).map(|b| {
        std::iter::once(b)
            .chain((0..16).map(|bit| b ^ (1 << bit)))
            .collect()
    })
}

pub fn dhash_distance(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// A hash of a nearly uniform image (a covered lens, a blank page): too few
/// or too many gradient bits to tell one such photo from another, so it is
/// never compared.
pub fn is_flat(hash: u64) -> bool {
    let ones = hash.count_ones();
    !(8..=56).contains(&ones)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{clean, found_with};
    use super::super::{History, HouseholdContext, RuleConfig};
    use super::*;

    fn with(history: History) -> HouseholdContext {
        HouseholdContext {
            history,
            ..HouseholdContext::default()
        }
    }

    /// A neighbour of the clean example (09:00–09:40 +08:00 at 42.3853,
    /// 122.5399) that ran `start_min`…`end_min` minutes after 09:00 and lay
    /// `km` north.
    fn neighbour(start_min: i64, end_min: i64, km: Option<f64>) -> NearVisit {
        let nine = DateTime::parse_from_rfc3339("2026-11-20T09:00:00+08:00")
            .unwrap()
            .to_utc();
        NearVisit {
            started_at: nine + Duration::minutes(start_min),
            ended_at: nine + Duration::minutes(end_min),
            position: km.map(|km| (42.3853 + (km * 1000.0 / 6_371_008.8).to_degrees(), 122.5399)),
        }
    }

    fn near(n: NearVisit) -> HouseholdContext {
        with(History {
            neighbours: vec![n],
            ..History::default()
        })
    }

    #[test]
    fn travel_faster_than_60_kmh_between_midpoints_is_impossible() {
        // Midpoints 60 minutes apart (09:20 and 10:20).
        let code = FindingCode::ProcessImpossibleTravel;
        let v = clean();
        assert!(found_with(&v, &near(neighbour(60, 100, Some(59.9))), code).is_empty());
        let got = found_with(&v, &near(neighbour(60, 100, Some(60.1))), code);
        assert_eq!(got, vec![Finding::new(code).at("/geo")]);
        assert_eq!(got[0].severity, super::super::Severity::High);
        // Earlier neighbours count alike.
        assert!(!found_with(&v, &near(neighbour(-60, -20, Some(60.1))), code).is_empty());
        // No position on either side: nothing to judge.
        assert!(found_with(&v, &near(neighbour(60, 100, None)), code).is_empty());
        let mut no_geo = clean();
        no_geo.geo = None;
        assert!(found_with(&no_geo, &near(neighbour(60, 100, Some(500.0))), code).is_empty());
        // The same midpoint is a minute apart at least: 0.9 km is 54 km/h.
        assert!(found_with(&v, &near(neighbour(0, 40, Some(0.9))), code).is_empty());
        assert!(!found_with(&v, &near(neighbour(0, 40, Some(1.1))), code).is_empty());
    }

    #[test]
    fn a_visit_starting_over_two_minutes_before_the_previous_ended_overlaps() {
        let code = FindingCode::ProcessOverlap;
        let v = clean(); // 09:00–09:40
                         // The neighbour came first and ended 2 minutes, then 3, into this one.
        assert!(found_with(&v, &near(neighbour(-30, 2, None)), code).is_empty());
        assert_eq!(
            found_with(&v, &near(neighbour(-30, 3, None)), code),
            vec![Finding::new(code).at("/timing")]
        );
        // The neighbour came after and started 2, then 3, minutes before this one ended.
        assert!(found_with(&v, &near(neighbour(38, 60, None)), code).is_empty());
        assert!(!found_with(&v, &near(neighbour(37, 60, None)), code).is_empty());
        // Back to back is fine.
        assert!(found_with(&v, &near(neighbour(40, 80, None)), code).is_empty());
    }

    fn images(found: &[(&str, u32)]) -> HouseholdContext {
        with(History {
            images_elsewhere: found.iter().map(|(s, b)| (s.to_string(), *b)).collect(),
            ..History::default()
        })
    }

    #[test]
    fn a_photo_of_another_household_within_six_bits_is_reused() {
        let code = FindingCode::ProcessPhotoReused;
        let v = clean();
        let photo = v.photo_sha256[0].as_str();
        for bits in [0, 6] {
            assert_eq!(
                found_with(&v, &images(&[(photo, bits)]), code),
                vec![Finding::new(code).at("/photos/0")],
                "{bits} bits"
            );
        }
        assert!(found_with(&v, &images(&[(photo, 7)]), code).is_empty());
        assert!(found_with(&v, &images(&[]), code).is_empty());
    }

    #[test]
    fn only_the_respondents_own_signature_file_elsewhere_is_reused() {
        let code = FindingCode::ProcessSignatureReused;
        let v = clean();
        let sha = |role| {
            v.signatures
                .iter()
                .find(|s| s.role == role)
                .and_then(|s| s.image_sha256.clone())
                .unwrap()
        };
        let respondent = sha(SignatureRole::Respondent);
        let at = v
            .signatures
            .iter()
            .position(|s| s.role == SignatureRole::Respondent)
            .unwrap();
        assert_eq!(
            found_with(&v, &images(&[(&respondent, 0)]), code),
            vec![Finding::new(code).at(format!("/signatures/{at}"))]
        );
        assert!(found_with(&v, &images(&[(&respondent, 1)]), code).is_empty());
        // The inspector signs every visit: theirs elsewhere is no finding.
        let inspector = sha(SignatureRole::Inspector);
        assert!(found_with(&v, &images(&[(&inspector, 0)]), code).is_empty());
    }

    #[test]
    fn the_same_answers_elsewhere_count_from_twelve_non_empty_ones() {
        let code = FindingCode::ProcessAnswersCopied;
        let copied = |answer_count| {
            with(History {
                answers_elsewhere: true,
                answer_count,
                ..History::default()
            })
        };
        assert!(found_with(&clean(), &copied(11), code).is_empty());
        assert_eq!(
            found_with(&clean(), &copied(12), code),
            vec![Finding::new(code).at("/revisit")]
        );
        let unique = with(History {
            answer_count: 40,
            ..History::default()
        });
        assert!(found_with(&clean(), &unique, code).is_empty());
    }

    #[test]
    fn the_twenty_sixth_visit_of_a_day_is_too_many() {
        let code = FindingCode::ProcessDailyVolume;
        let day = |others| {
            with(History {
                visits_that_day: others,
                ..History::default()
            })
        };
        assert!(found_with(&clean(), &day(24), code).is_empty());
        let got = found_with(&clean(), &day(25), code);
        assert_eq!(got, vec![Finding::new(code).at("/timing")]);
        assert_eq!(got[0].severity, super::super::Severity::Low);
    }

    #[test]
    fn the_fingerprint_covers_answers_quality_and_income_only() {
        let doc: serde_json::Value =
            serde_json::from_str(include_str!("../../../api-spec/examples/visit-clean.json"))
                .unwrap();
        let Answers { sha256: sha, count } = answers_fingerprint(&doc);
        assert!(
            count >= 12,
            "the clean example has {count} non-empty answers"
        );
        let mut other_household = doc.clone();
        other_household["household_id"] = "someone else".into();
        other_household["timing"]["started_at"] = "2026-11-21T09:00:00+08:00".into();
        assert_eq!(
            answers_fingerprint(&other_household),
            Answers {
                sha256: sha.clone(),
                count
            }
        );
        let mut new_income = doc.clone();
        new_income["income"]["wage"][0]["gross_fen"] = 3_600_100.into();
        assert_ne!(answers_fingerprint(&new_income).sha256, sha);
        let mut emptier = doc.clone();
        emptier["quality"]["food_secure"] = false.into();
        assert_eq!(answers_fingerprint(&emptier).count, count - 1);
    }

    #[test]
    fn the_band_index_reaches_every_hash_within_seven_bits() {
        let base: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut rng = base;
        for _ in 0..2000 {
            // xorshift: a spread of bit patterns, 1 to 7 bits flipped.
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let mut other = base;
            let flips = 1 + (rng % 7) as u32;
            for k in 0..flips {
                other ^= 1 << ((rng >> (8 * k)) % 64);
            }
            let d = dhash_distance(base, other);
            let neighbours = band_neighbours(base);
            let reached = dhash_bands(other)
                .iter()
                .zip(&neighbours)
                .any(|(b, near)| near.contains(b));
            assert!(reached, "{base:016x} and {other:016x} are {d} bits apart");
        }
        assert_eq!(dhash_distance(0b1011, 0b0001), 2);
        assert!(is_flat(0) && is_flat(u64::MAX) && !is_flat(base));
    }

    #[test]
    fn a_rule_file_cannot_ask_for_matches_the_index_cannot_find() {
        assert!(RuleConfig::from_toml_str("photo_near_bits = 7").is_ok());
        let e = RuleConfig::from_toml_str("photo_near_bits = 8").unwrap_err();
        assert!(e.contains("photo_near_bits"), "{e}");
    }
}
