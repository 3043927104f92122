//! 入户真实性: the visit itself was made as the campaign requires.

use super::{flag, Facts, Finding, FindingCode};
use crate::domain::visit::SignatureRole;

/// A supervisory visit to a household that already has two (原则上不超过2次). [CAMPAIGN]
pub(super) fn process_supervision_over_limit(f: &Facts) -> Vec<Finding> {
    let over = f.visit.level.is_supervisory()
        && f.ctx.prior_supervisory_visits >= f.cfg.max_supervisory_visits;
    flag(over, FindingCode::ProcessSupervisionOverLimit, "/level")
}

/// No co-inspector signed: practice is two people entering together and
/// co-signing (两个人共同入户…共同签字). [S38]
pub(super) fn process_single_inspector(f: &Facts) -> Vec<Finding> {
    let co_signed = f
        .visit
        .signatures
        .iter()
        .any(|s| s.role == SignatureRole::CoInspector);
    flag(
        !co_signed,
        FindingCode::ProcessSingleInspector,
        "/signatures",
    )
}

/// No position recorded at the household. [S35][S46]
pub(super) fn process_no_gps(f: &Facts) -> Vec<Finding> {
    flag(f.visit.geo.is_none(), FindingCode::ProcessNoGps, "/geo")
}

/// The position is more than 500 m from the household's known location: 疑似未入户.
/// [S35]; the 500 m [GUESS]
pub(super) fn process_gps_far(f: &Facts) -> Vec<Finding> {
    let far = match (f.visit.geo, f.ctx.known_location) {
        (Some(g), Some(known)) => {
            crate::domain::geo::distance_m((g.lat, g.lon), known) > f.cfg.gps_max_distance_m
        }
        _ => false,
    };
    flag(far, FindingCode::ProcessGpsFar, "/geo")
}

/// The visit lasted under 10 minutes (访谈开始/结束时间 recorded [S21]). [GUESS]
pub(super) fn process_too_short(f: &Facts) -> Vec<Finding> {
    let lasted = f.visit.ended_at - f.visit.started_at;
    flag(
        lasted < chrono::Duration::minutes(i64::from(f.cfg.min_visit_minutes)),
        FindingCode::ProcessTooShort,
        "/timing",
    )
}

/// The QR card scanned on the wall (二维码 on the 明白卡 [S33]) belongs to another household.
pub(super) fn process_card_mismatch(f: &Facts) -> Vec<Finding> {
    flag(
        f.ctx.card == super::CardScan::OtherHousehold,
        FindingCode::ProcessCardMismatch,
        "/card_scan",
    )
}

/// Great-circle (haversine) distance in metres between two WGS84 (lat, lon) points.
#[cfg(test)]
mod tests {
    use super::super::tests::{clean, found, found_with, raised};
    use super::*;
    use crate::checklist::{CardScan, HouseholdContext, Severity};
    use crate::domain::visit::VisitLevel;

    fn prior(visits: u32) -> HouseholdContext {
        HouseholdContext {
            prior_supervisory_visits: visits,
            ..HouseholdContext::default()
        }
    }

    #[test]
    fn a_third_supervisory_visit_is_over_the_limit() {
        let mut v = clean();
        v.level = VisitLevel::CountyCross;
        assert!(found_with(&v, &prior(1), FindingCode::ProcessSupervisionOverLimit).is_empty());
        assert_eq!(
            found_with(&v, &prior(2), FindingCode::ProcessSupervisionOverLimit),
            vec![Finding::new(FindingCode::ProcessSupervisionOverLimit).at("/level")]
        );
        v.level = VisitLevel::VillageSelf;
        assert!(
            found_with(&v, &prior(5), FindingCode::ProcessSupervisionOverLimit).is_empty(),
            "self-checks are not limited"
        );
    }

    #[test]
    fn without_a_co_inspector_only_one_inspector_signed() {
        let mut v = clean();
        v.signatures
            .retain(|s| s.role != SignatureRole::CoInspector);
        let got = found(&v, FindingCode::ProcessSingleInspector);
        assert_eq!(
            got,
            vec![Finding::new(FindingCode::ProcessSingleInspector).at("/signatures")]
        );
        assert_eq!(got[0].severity, Severity::Low);
    }

    /// The clean example's position moved `metres` north of a known location.
    fn north_of_known(metres: f64) -> (crate::domain::visit::Visit, HouseholdContext) {
        let mut v = clean();
        let known = (42.3853, 122.5399);
        let geo = v.geo.as_mut().expect("the clean example has a position");
        geo.lat = known.0 + (metres / 6_371_008.8).to_degrees();
        (
            v,
            HouseholdContext {
                known_location: Some(known),
                ..HouseholdContext::default()
            },
        )
    }

    #[test]
    fn a_position_more_than_500_m_from_the_known_location_is_far() {
        let (v, ctx) = north_of_known(499.0);
        assert!(found_with(&v, &ctx, FindingCode::ProcessGpsFar).is_empty());
        let (v, ctx) = north_of_known(501.0);
        let got = found_with(&v, &ctx, FindingCode::ProcessGpsFar);
        assert_eq!(
            got,
            vec![Finding::new(FindingCode::ProcessGpsFar).at("/geo")]
        );
        assert_eq!(got[0].severity, Severity::Medium);
    }

    #[test]
    fn no_position_is_no_gps_but_never_far() {
        let (mut v, ctx) = north_of_known(5_000.0);
        v.geo = None;
        assert!(found_with(&v, &ctx, FindingCode::ProcessGpsFar).is_empty());
        let got = found_with(&v, &ctx, FindingCode::ProcessNoGps);
        assert_eq!(
            got,
            vec![Finding::new(FindingCode::ProcessNoGps).at("/geo")]
        );
        assert_eq!(got[0].severity, Severity::Low);
    }

    #[test]
    fn a_visit_of_exactly_ten_minutes_is_long_enough() {
        let mut v = clean();
        v.ended_at = v.started_at + chrono::Duration::minutes(10);
        assert!(!raised(&v, FindingCode::ProcessTooShort));
        v.ended_at -= chrono::Duration::seconds(1);
        assert_eq!(
            found(&v, FindingCode::ProcessTooShort),
            vec![Finding::new(FindingCode::ProcessTooShort).at("/timing")]
        );
    }

    #[test]
    fn only_a_card_of_another_household_is_a_mismatch() {
        let card = |card| HouseholdContext {
            card,
            ..HouseholdContext::default()
        };
        let got = found_with(
            &clean(),
            &card(CardScan::OtherHousehold),
            FindingCode::ProcessCardMismatch,
        );
        assert_eq!(
            got,
            vec![Finding::new(FindingCode::ProcessCardMismatch).at("/card_scan")]
        );
        assert_eq!(got[0].severity, Severity::High);
        for scan in [CardScan::NotScanned, CardScan::Current, CardScan::Unknown] {
            assert!(
                found_with(&clean(), &card(scan), FindingCode::ProcessCardMismatch).is_empty(),
                "{scan:?}"
            );
        }
    }
}
