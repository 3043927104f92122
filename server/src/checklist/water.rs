//! 饮水安全有保障: the four indicators of 《农村饮水安全评价准则》 — quantity,
//! quality, access and reliability.

use super::{flag, Facts, Finding, FindingCode};
use crate::domain::visit::WaterQuality;

/// Fewer litres per person per day than the minimum (35, or 20 in water-scarce
/// villages). [S11][S12]
pub(super) fn water_quantity(f: &Facts) -> Vec<Finding> {
    let min = if f.ctx.water_scarce {
        f.cfg.water_min_lpd_scarce
    } else {
        f.cfg.water_min_lpd
    };
    flag(
        f.visit.quality.quantity_lpd < min,
        FindingCode::WaterQuantity,
        "/quality/water/quantity_lpd",
    )
}

/// Quality failed, or suspect (judged on site: 望闻问尝) with no test report. [S11]
pub(super) fn water_quality(f: &Facts) -> Vec<Finding> {
    let q = &f.visit.quality;
    let bad = match q.water_quality {
        WaterQuality::Fail => true,
        WaterQuality::Suspect => !q.has_quality_report,
        WaterQuality::Ok => false,
    };
    flag(bad, FindingCode::WaterQuality, "/quality/water/quality")
}

/// Not piped to the home, and fetching takes a round trip over 20 minutes or goes
/// over 800 m horizontally or 80 m vertically. [S11][S12][S13]
pub(super) fn water_access(f: &Facts) -> Vec<Finding> {
    let (q, c) = (&f.visit.quality, f.cfg);
    let far = q.fetch_round_trip_min > c.water_max_round_trip_min
        || q.fetch_horizontal_m > c.water_max_horizontal_m
        || q.fetch_vertical_m > c.water_max_vertical_m;
    flag(
        !q.piped_to_home && far,
        FindingCode::WaterAccess,
        "/quality/water/piped_to_home",
    )
}

/// More than 36 days without water last year (保障率 about 90%). [S11]
pub(super) fn water_reliability(f: &Facts) -> Vec<Finding> {
    let days = f.visit.quality.shortage_days;
    flag(
        days > f.cfg.water_max_shortage_days,
        FindingCode::WaterReliability,
        "/quality/water/shortage_days_last_year",
    )
}

#[cfg(test)]
mod tests {
    use super::super::tests::{clean, found, found_with, raised};
    use super::*;
    use crate::checklist::{HouseholdContext, Severity};
    use crate::domain::visit::Visit;

    #[test]
    fn below_35_litres_is_too_little_and_below_20_in_a_water_scarce_village() {
        let mut v = clean();
        let scarce = HouseholdContext {
            water_scarce: true,
            ..HouseholdContext::default()
        };
        for (litres, normal, in_scarce) in [
            (35, false, false),
            (34, true, false),
            (20, true, false),
            (19, true, true),
        ] {
            v.quality.quantity_lpd = litres;
            assert_eq!(raised(&v, FindingCode::WaterQuantity), normal, "{litres} L");
            assert_eq!(
                !found_with(&v, &scarce, FindingCode::WaterQuantity).is_empty(),
                in_scarce,
                "{litres} L, scarce"
            );
        }
        assert_eq!(
            found(&v, FindingCode::WaterQuantity),
            vec![Finding::new(FindingCode::WaterQuantity).at("/quality/water/quantity_lpd")]
        );
    }

    #[test]
    fn failed_water_or_suspect_water_without_a_report_is_flagged() {
        let mut v = clean();
        for (quality, report, expected) in [
            (WaterQuality::Fail, true, true),
            (WaterQuality::Suspect, false, true),
            (WaterQuality::Suspect, true, false),
            (WaterQuality::Ok, false, false),
        ] {
            v.quality.water_quality = quality;
            v.quality.has_quality_report = report;
            assert_eq!(
                raised(&v, FindingCode::WaterQuality),
                expected,
                "{quality:?} report {report}"
            );
        }
    }

    #[test]
    fn unpiped_water_is_too_far_beyond_20_minutes_800_m_or_80_m_up() {
        let mut v = clean();
        v.quality.piped_to_home = false;
        type Setter = fn(&mut Visit, i32);
        let cases: [(Setter, i32); 3] = [
            (|v, x| v.quality.fetch_round_trip_min = x, 20),
            (|v, x| v.quality.fetch_horizontal_m = x, 800),
            (|v, x| v.quality.fetch_vertical_m = x, 80),
        ];
        for (set, limit) in cases {
            let mut v = v.clone();
            set(&mut v, limit);
            assert!(!raised(&v, FindingCode::WaterAccess), "at {limit}");
            set(&mut v, limit + 1);
            assert_eq!(
                found(&v, FindingCode::WaterAccess),
                vec![Finding::new(FindingCode::WaterAccess).at("/quality/water/piped_to_home")]
            );
            v.quality.piped_to_home = true;
            assert!(!raised(&v, FindingCode::WaterAccess), "piped");
        }
    }

    #[test]
    fn more_than_36_shortage_days_is_unreliable() {
        let mut v = clean();
        v.quality.shortage_days = 36;
        assert!(!raised(&v, FindingCode::WaterReliability));
        v.quality.shortage_days = 37;
        let got = found(&v, FindingCode::WaterReliability);
        assert_eq!(
            got,
            vec![Finding::new(FindingCode::WaterReliability)
                .at("/quality/water/shortage_days_last_year")]
        );
        assert_eq!(got[0].severity, Severity::Medium);
    }
}
