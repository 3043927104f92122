//! 查收入核实: the income arithmetic and the rules on it.
//!
//! *net* = Σwage(gross − cost) + Σoperating − Σoperating_cost + Σproperty + Σtransfer,
//! *gross* = Σwage gross + Σoperating + Σproperty + Σtransfer (the base of every
//! "share of" rule), *n* = members sharing the household budget (共享家庭收支人口);
//! the `excluded` lines never count. [S17][S39]
//!
//! Amounts are fen. Sums and products are `i128`, so neither a long list of
//! lines nor line × n × factor can overflow; per-capita comparisons multiply,
//! never divide.

use super::{flag, per_member, Facts, Finding, FindingCode};
use crate::domain::visit::{Income, OperatingKind, PropertyKind, TransferKind, VisitMember};

/// Transfers that are earmarked (有固定用途) or one-off (临时性) and so never income. [S18]
const NEVER_INCOME: [TransferKind; 4] = [
    TransferKind::HousingSubsidy,
    TransferKind::RelocationSubsidy,
    TransferKind::Condolence,
    TransferKind::TempAssist,
];

/// The sums of one visit's income lines, by category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub wage_gross: i128,
    pub wage_cost: i128,
    pub operating: i128,
    pub operating_cost: i128,
    pub property: i128,
    pub transfer: i128,
}

impl Totals {
    pub fn of(income: &Income) -> Totals {
        Totals {
            wage_gross: sum(income.wage.iter().map(|w| w.2)),
            wage_cost: sum(income.wage.iter().map(|w| w.3)),
            operating: sum(income.operating.iter().map(|o| o.1)),
            operating_cost: sum(income.operating_cost.iter().copied()),
            property: sum(income.property.iter().map(|p| p.1)),
            transfer: sum(income.transfer.iter().map(|t| t.1)),
        }
    }

    /// Wage, operating, property and transfer income, each before costs.
    pub fn categories(&self) -> [i128; 4] {
        [
            self.wage_gross,
            self.operating,
            self.property,
            self.transfer,
        ]
    }

    pub fn gross(&self) -> i128 {
        self.categories().iter().sum()
    }

    pub fn net(&self) -> i128 {
        self.gross() - self.wage_cost - self.operating_cost
    }
}

/// *gross* in fen; exact for anything `Visit::parse` accepts, saturating beyond.
pub fn gross(income: &Income) -> i64 {
    saturate(Totals::of(income).gross())
}

/// *net* in fen; exact for anything `Visit::parse` accepts, saturating beyond.
pub fn net(income: &Income) -> i64 {
    saturate(Totals::of(income).net())
}

/// *n*: members sharing the household budget.
pub fn n(members: &[VisitMember]) -> i64 {
    members.iter().filter(|m| m.shares_budget).count() as i64
}

/// Net below line × n: 人均纯收入未达标. [CAMPAIGN][S17]
pub(super) fn income_below_line(f: &Facts) -> Vec<Finding> {
    flag(
        f.money.net() < household_line(f),
        FindingCode::IncomeBelowLine,
        "/income",
    )
}

/// line × n ≤ net < 1.1 × line × n: just over the line (仅以超过收入标准为标准), so its
/// composition needs re-checking. [CAMPAIGN]; the 10% margin [GUESS]
pub(super) fn income_near_line(f: &Facts) -> Vec<Finding> {
    let (net, line) = (f.money.net(), household_line(f));
    flag(
        net >= line && below_share(net, f.cfg.near_line_permille, line),
        FindingCode::IncomeNearLine,
        "/income",
    )
}

/// Only one of wage/operating/property/transfer above zero, or the largest at 80%
/// of gross or more: 收入构成单一. [CAMPAIGN]; the 80% [GUESS]
pub(super) fn income_single_source(f: &Facts) -> Vec<Finding> {
    let categories = f.money.categories();
    let sources = categories.iter().filter(|c| **c > 0).count();
    let largest = categories.into_iter().max().unwrap_or(0);
    let gross = f.money.gross();
    let dominant = gross > 0 && !below_share(largest, f.cfg.single_source_permille, gross);
    flag(
        sources == 1 || dominant,
        FindingCode::IncomeSingleSource,
        "/income",
    )
}

/// Support from children (赡养, a transfer income [S16]) above 30% of net, or a
/// support line without its agreement reference (赡养协议). [S16]; the 30% [GUESS]
pub(super) fn income_support_share_high(f: &Facts) -> Vec<Finding> {
    let transfer = &f.visit.income.transfer;
    let support = sum(transfer
        .iter()
        .filter(|t| t.0 == TransferKind::SupportFromChildren)
        .map(|t| t.1));
    let high_share =
        support > 0 && above_share(support, f.cfg.support_share_permille, f.money.net());
    let mut findings = flag(
        high_share,
        FindingCode::IncomeSupportShareHigh,
        "/income/transfer",
    );
    findings.extend(
        transfer
            .iter()
            .enumerate()
            .filter(|(_, (kind, amount, agreement))| {
                *kind == TransferKind::SupportFromChildren && *amount > 0 && !agreement
            })
            .map(|(i, _)| {
                Finding::new(FindingCode::IncomeSupportShareHigh)
                    .at(format!("/income/transfer/{i}/agreement_ref"))
            }),
    );
    findings
}

/// An earmarked or one-off benefit (危改/搬迁补助, 慰问金, 临时救助) recorded as transfer
/// income, or a declared net that includes the excluded lines: 政策性补贴错算. [S18]
pub(super) fn income_excluded_counted(f: &Facts) -> Vec<Finding> {
    let income = &f.visit.income;
    let mut findings: Vec<Finding> = income
        .transfer
        .iter()
        .enumerate()
        .filter(|(_, (kind, amount, _))| NEVER_INCOME.contains(kind) && *amount > 0)
        .map(|(i, _)| {
            Finding::new(FindingCode::IncomeExcludedCounted)
                .at(format!("/income/transfer/{i}/kind"))
        })
        .collect();
    let excluded_present = income.excluded.iter().any(|x| x.1 > 0);
    findings.extend(flag(
        income.declared_includes_excluded && excluded_present,
        FindingCode::IncomeExcludedCounted,
        "/income/declared/includes_excluded",
    ));
    findings
}

/// The declared transfer total or declared net differs from the computed one by
/// more than 1 yuan: 转移收入/纯收入错算. [CAMPAIGN]
pub(super) fn income_sum_mismatch(f: &Facts) -> Vec<Finding> {
    let income = &f.visit.income;
    let differs = |declared: Option<i64>, computed: i128| {
        declared
            .is_some_and(|d| (i128::from(d) - computed).abs() > i128::from(f.cfg.sum_tolerance_fen))
    };
    let mut findings = flag(
        differs(income.declared_transfer_total_fen, f.money.transfer),
        FindingCode::IncomeSumMismatch,
        "/income/declared/transfer_total_fen",
    );
    findings.extend(flag(
        differs(income.declared_net_fen, f.money.net()),
        FindingCode::IncomeSumMismatch,
        "/income/declared/net_fen",
    ));
    findings
}

/// 漏统: a member employed for some months with no wage line; a member in 低保 or
/// 特困供养 with no `dibao`/`tekun` transfer; farmland but neither planting income nor
/// land rent. [CAMPAIGN][S39][S44]
pub(super) fn income_omission(f: &Facts) -> Vec<Finding> {
    let (visit, income) = (f.visit, &f.visit.income);
    let earns = |no: i32| income.wage.iter().any(|w| w.0 == no && w.2 > 0);
    let receives = |kind: TransferKind| income.transfer.iter().any(|t| t.0 == kind && t.1 > 0);
    let code = FindingCode::IncomeOmission;
    let mut findings = per_member(visit, code, "employment/months", |m| {
        m.employment_months > 0 && !earns(m.member_no)
    });
    findings.extend(per_member(visit, code, "in_dibao", |m| {
        m.in_dibao && !receives(TransferKind::Dibao)
    }));
    findings.extend(per_member(visit, code, "in_tekun", |m| {
        m.in_tekun && !receives(TransferKind::Tekun)
    }));
    let plants = income
        .operating
        .iter()
        .any(|o| o.0 == OperatingKind::Planting && o.1 > 0);
    let rents = income
        .property
        .iter()
        .any(|p| p.0 == PropertyKind::LandRent && p.1 > 0);
    findings.extend(flag(
        income.farmland_mu > 0.0 && !plants && !rents,
        code,
        "/income/land_mu/farmland",
    ));
    findings
}

/// *n* differs from the registered member count (roster first, else the visit's):
/// 人口不一致. [S39]
pub(super) fn income_member_count_mismatch(f: &Facts) -> Vec<Finding> {
    let registered = f
        .ctx
        .registered_member_count
        .unwrap_or(f.visit.household.registered_member_count);
    flag(
        n(&f.visit.members) != i64::from(registered),
        FindingCode::IncomeMemberCountMismatch,
        "/household/registered_member_count",
    )
}

/// `per_person` × *n*, the household's threshold for a per-person line.
pub(super) fn times_n(f: &Facts, per_person_fen: i64) -> i128 {
    i128::from(per_person_fen) * i128::from(n(&f.visit.members))
}

/// line × *n*.
fn household_line(f: &Facts) -> i128 {
    times_n(f, f.cfg.income_line_fen)
}

/// `part` < `permille`‰ of `whole`.
pub(super) fn below_share(part: i128, permille: u32, whole: i128) -> bool {
    part * 1000 < i128::from(permille) * whole
}

/// `part` > `permille`‰ of `whole`.
fn above_share(part: i128, permille: u32, whole: i128) -> bool {
    part * 1000 > i128::from(permille) * whole
}

pub(super) fn sum(amounts: impl Iterator<Item = i64>) -> i128 {
    amounts.map(i128::from).sum()
}

fn saturate(x: i128) -> i64 {
    i64::try_from(x).unwrap_or(if x < 0 { i64::MIN } else { i64::MAX })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{clean, found, found_with, raised};
    use super::*;
    use crate::checklist::{HouseholdContext, Severity};
    use crate::domain::visit::{ExcludedReason, Visit, WageKind};

    /// The clean example (n = 3, so line × n = 15,000 yuan) living on one pension line.
    fn on_pension(fen: i64) -> Visit {
        with_income(Income {
            transfer: vec![(TransferKind::Pension, fen, false)],
            ..Income::default()
        })
    }

    fn with_income(income: Income) -> Visit {
        let mut v = clean();
        v.income = income;
        v
    }

    /// Wage (member 3) and transfer income of the given kind.
    fn wage_and_transfer(wage: i64, kind: TransferKind, transfer: i64, agreement: bool) -> Visit {
        with_income(Income {
            wage: vec![(3, WageKind::Migrant, wage, 0)],
            transfer: vec![(kind, transfer, agreement)],
            ..Income::default()
        })
    }

    #[test]
    fn net_below_line_times_n_is_below_the_line() {
        let got = found(&on_pension(1_499_999), FindingCode::IncomeBelowLine);
        assert_eq!(
            got,
            vec![Finding::new(FindingCode::IncomeBelowLine).at("/income")]
        );
        assert_eq!(got[0].severity, Severity::High);
        assert!(!raised(
            &on_pension(1_500_000),
            FindingCode::IncomeBelowLine
        ));
    }

    #[test]
    fn net_from_the_line_to_just_under_110_percent_of_it_is_near_the_line() {
        for (fen, expected) in [
            (1_499_999, false),
            (1_500_000, true),
            (1_649_999, true),
            (1_650_000, false),
        ] {
            assert_eq!(
                raised(&on_pension(fen), FindingCode::IncomeNearLine),
                expected,
                "{fen} fen"
            );
        }
    }

    #[test]
    fn one_category_at_80_percent_of_gross_or_a_single_category_is_single_source() {
        for (wage, transfer, expected) in [
            (799, 201, false),
            (800, 200, true),
            (0, 1, true),
            (0, 0, false),
        ] {
            let v = wage_and_transfer(wage, TransferKind::Pension, transfer, false);
            assert_eq!(
                raised(&v, FindingCode::IncomeSingleSource),
                expected,
                "wage {wage}, transfer {transfer}"
            );
        }
    }

    #[test]
    fn support_from_children_above_30_percent_of_net_is_high() {
        let at_30 = wage_and_transfer(700, TransferKind::SupportFromChildren, 300, true);
        assert!(!raised(&at_30, FindingCode::IncomeSupportShareHigh));
        let above = wage_and_transfer(699, TransferKind::SupportFromChildren, 301, true);
        assert_eq!(
            found(&above, FindingCode::IncomeSupportShareHigh),
            vec![Finding::new(FindingCode::IncomeSupportShareHigh).at("/income/transfer")]
        );
    }

    #[test]
    fn support_from_children_needs_an_agreement() {
        let v = wage_and_transfer(10_000, TransferKind::SupportFromChildren, 100, false);
        assert_eq!(
            found(&v, FindingCode::IncomeSupportShareHigh),
            vec![Finding::new(FindingCode::IncomeSupportShareHigh)
                .at("/income/transfer/0/agreement_ref")]
        );
        let nothing_received =
            wage_and_transfer(10_000, TransferKind::SupportFromChildren, 0, false);
        assert!(!raised(
            &nothing_received,
            FindingCode::IncomeSupportShareHigh
        ));
    }

    #[test]
    fn earmarked_and_one_off_transfers_are_never_income() {
        for kind in NEVER_INCOME {
            let v = wage_and_transfer(1_000, kind, 1, false);
            let got = found(&v, FindingCode::IncomeExcludedCounted);
            assert_eq!(
                got,
                vec![Finding::new(FindingCode::IncomeExcludedCounted).at("/income/transfer/0/kind")]
            );
            assert_eq!(got[0].severity, Severity::High);
        }
        for kind in [
            TransferKind::Pension,
            TransferKind::Dibao,
            TransferKind::FarmSubsidy,
            TransferKind::EcoCompensation,
        ] {
            assert!(
                !raised(
                    &wage_and_transfer(1_000, kind, 1, false),
                    FindingCode::IncomeExcludedCounted
                ),
                "{kind:?}"
            );
        }
    }

    #[test]
    fn a_declared_net_including_excluded_lines_counts_them() {
        let mut v = clean();
        v.income.declared_includes_excluded = true;
        assert!(
            !raised(&v, FindingCode::IncomeExcludedCounted),
            "nothing was excluded"
        );
        v.income.excluded = vec![(ExcludedReason::Earmarked, 1_500_000)];
        assert_eq!(
            found(&v, FindingCode::IncomeExcludedCounted),
            vec![Finding::new(FindingCode::IncomeExcludedCounted)
                .at("/income/declared/includes_excluded")]
        );
        v.income.declared_includes_excluded = false;
        assert!(!raised(&v, FindingCode::IncomeExcludedCounted));
    }

    #[test]
    fn declared_sums_may_differ_from_computed_ones_by_one_yuan() {
        let mut v = clean(); // transfer 80,000 fen, net 3,540,000 fen
        for (declared, expected) in [
            (80_100, false),
            (79_900, false),
            (80_101, true),
            (79_899, true),
        ] {
            v.income.declared_transfer_total_fen = Some(declared);
            assert_eq!(
                raised(&v, FindingCode::IncomeSumMismatch),
                expected,
                "transfer {declared}"
            );
        }
        v.income.declared_transfer_total_fen = None;
        for (declared, expected) in [(3_540_100, false), (3_540_101, true), (3_539_899, true)] {
            v.income.declared_net_fen = Some(declared);
            assert_eq!(
                found(&v, FindingCode::IncomeSumMismatch),
                if expected {
                    vec![Finding::new(FindingCode::IncomeSumMismatch).at("/income/declared/net_fen")]
                } else {
                    vec![]
                },
                "net {declared}"
            );
        }
    }

    #[test]
    fn employment_without_a_wage_line_is_an_omission() {
        let mut v = clean(); // member 3 worked 10 months
        v.income.wage[0].2 = 0;
        let got = found(&v, FindingCode::IncomeOmission);
        assert_eq!(
            got,
            vec![Finding::new(FindingCode::IncomeOmission)
                .at("/members/2/employment/months")
                .member(3)]
        );
        v.members[2].employment_months = 0;
        assert!(!raised(&v, FindingCode::IncomeOmission));
    }

    #[test]
    fn dibao_or_tekun_without_its_transfer_is_an_omission() {
        for (kind, field) in [
            (TransferKind::Dibao, "in_dibao"),
            (TransferKind::Tekun, "in_tekun"),
        ] {
            let mut v = clean();
            if kind == TransferKind::Dibao {
                v.members[0].in_dibao = true;
            } else {
                v.members[0].in_tekun = true;
            }
            let got = found(&v, FindingCode::IncomeOmission);
            assert_eq!(
                got,
                vec![Finding::new(FindingCode::IncomeOmission)
                    .at(format!("/members/0/{field}"))
                    .member(1)]
            );
            v.income.transfer.push((kind, 1, false));
            assert!(!raised(&v, FindingCode::IncomeOmission), "{field}");
        }
    }

    #[test]
    fn farmland_without_planting_or_land_rent_is_an_omission() {
        let mut v = clean(); // 12 mu, planting
        v.income.operating.clear();
        assert_eq!(
            found(&v, FindingCode::IncomeOmission),
            vec![Finding::new(FindingCode::IncomeOmission).at("/income/land_mu/farmland")]
        );
        v.income.property.push((PropertyKind::LandRent, 50_000));
        assert!(!raised(&v, FindingCode::IncomeOmission));
        v.income.property.clear();
        v.income.farmland_mu = 0.0;
        assert!(!raised(&v, FindingCode::IncomeOmission));
    }

    #[test]
    fn members_sharing_the_budget_must_match_the_registered_count() {
        let mut v = clean();
        v.members[2].shares_budget = false; // n = 2, registered 3
        let got = found(&v, FindingCode::IncomeMemberCountMismatch);
        assert_eq!(
            got,
            vec![Finding::new(FindingCode::IncomeMemberCountMismatch)
                .at("/household/registered_member_count")]
        );
        let roster = |count| HouseholdContext {
            registered_member_count: Some(count),
            ..HouseholdContext::default()
        };
        assert!(
            found_with(&v, &roster(2), FindingCode::IncomeMemberCountMismatch).is_empty(),
            "the roster wins"
        );
        v.members[2].shares_budget = true;
        assert!(!found_with(&v, &roster(4), FindingCode::IncomeMemberCountMismatch).is_empty());
    }

    #[test]
    fn shares_compare_by_multiplying() {
        assert!(below_share(799, 800, 1000));
        assert!(!below_share(800, 800, 1000));
        assert!(above_share(301, 300, 1000));
        assert!(!above_share(300, 300, 1000));
        assert!(
            above_share(1, 300, -5),
            "any support is a high share of a negative net"
        );
    }
}
