//! 防返贫监测: households at risk of falling back into poverty, as candidates for
//! monitoring (2020 rules: 脱贫不稳定户 and 边缘易致贫户).

use super::income::{below_share, sum, times_n};
use super::{flag, Facts, Finding, FindingCode};
use crate::domain::visit::OperatingKind;

/// Net below 1.5 × the national line (4000 yuan in 2020 money) × n. [S23][S25]
pub(super) fn monitor_low_income(f: &Facts) -> Vec<Finding> {
    let threshold = times_n(f, f.cfg.national_line_fen);
    flag(
        below_share(f.money.net(), f.cfg.monitor_permille, threshold),
        FindingCode::MonitorLowIncome,
        "/income",
    )
}

/// Planting at 50% of gross or more, no member in 低保, and hit by drought or a
/// crop loss of 30% or more: the Fuxin drought risk (因灾). [CAMPAIGN][S23]; the
/// 50% and 30% [GUESS]
pub(super) fn monitor_drought_risk(f: &Facts) -> Vec<Finding> {
    let v = f.visit;
    let planting = sum(v
        .income
        .operating
        .iter()
        .filter(|o| o.0 == OperatingKind::Planting)
        .map(|o| o.1));
    let mainly_planting =
        planting > 0 && !below_share(planting, f.cfg.planting_share_permille, f.money.gross());
    let no_dibao = !v.members.iter().any(|m| m.in_dibao);
    let hit = v.quality.drought || v.quality.crop_loss_pct >= f.cfg.crop_loss_pct;
    flag(
        mainly_planting && no_dibao && hit,
        FindingCode::MonitorDroughtRisk,
        "/quality/disaster",
    )
}

#[cfg(test)]
mod tests {
    use super::super::tests::{clean, found, raised};
    use super::*;
    use crate::checklist::Severity;
    use crate::domain::visit::{Income, TransferKind, Visit, WageKind};

    #[test]
    fn net_below_one_and_a_half_national_lines_is_a_monitoring_candidate() {
        // 1.5 × 4,000 yuan × 3 members = 18,000 yuan.
        let mut v = clean();
        for (fen, expected) in [(1_799_999, true), (1_800_000, false)] {
            v.income = Income {
                transfer: vec![(TransferKind::Pension, fen, false)],
                ..Income::default()
            };
            assert_eq!(
                raised(&v, FindingCode::MonitorLowIncome),
                expected,
                "{fen} fen"
            );
        }
        v.income.transfer[0].1 = 0;
        assert_eq!(
            found(&v, FindingCode::MonitorLowIncome),
            vec![Finding::new(FindingCode::MonitorLowIncome).at("/income")]
        );
    }

    /// Planting and wage income (member 3), in a drought year.
    fn farm(planting: i64, wage: i64) -> Visit {
        let mut v = clean();
        v.income = Income {
            wage: vec![(3, WageKind::Migrant, wage, 0)],
            operating: vec![(OperatingKind::Planting, planting)],
            ..Income::default()
        };
        v.quality.drought = true;
        v
    }

    #[test]
    fn half_of_gross_from_planting_in_a_drought_is_a_risk() {
        let got = found(&farm(500, 500), FindingCode::MonitorDroughtRisk);
        assert_eq!(
            got,
            vec![Finding::new(FindingCode::MonitorDroughtRisk).at("/quality/disaster")]
        );
        assert_eq!(got[0].severity, Severity::High);
        assert!(!raised(&farm(499, 501), FindingCode::MonitorDroughtRisk));
        assert!(
            !raised(&farm(0, 0), FindingCode::MonitorDroughtRisk),
            "no income, no planting"
        );
    }

    #[test]
    fn a_crop_loss_of_30_percent_counts_as_a_disaster() {
        let mut v = farm(1_000, 0);
        v.quality.drought = false;
        v.quality.crop_loss_pct = 29;
        assert!(!raised(&v, FindingCode::MonitorDroughtRisk));
        v.quality.crop_loss_pct = 30;
        assert!(raised(&v, FindingCode::MonitorDroughtRisk));
    }

    #[test]
    fn a_household_in_dibao_is_not_a_drought_risk() {
        let mut v = farm(1_000, 0);
        v.members[1].in_dibao = true;
        assert!(!raised(&v, FindingCode::MonitorDroughtRisk));
    }
}
