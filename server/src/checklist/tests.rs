//! Fixtures shared by the rule tests (each section file tests its own rules),
//! and the tests of the checklist as a whole: the reference examples, the code
//! registry, the rule file and the income arithmetic.

use chrono::{DateTime, FixedOffset};
use proptest::prelude::*;

use super::*;
use crate::domain::visit::{
    ExcludedReason, Income, OperatingKind, PropertyKind, TransferKind, VisitInput, WageKind,
    MAX_LINE_FEN,
};

const CLEAN: &str = include_str!("../../../api-spec/examples/visit-clean.json");

/// The server clock of every test.
pub(super) fn now() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-28T12:00:00+08:00").expect("a fixed time")
}

/// An example visit document with its `household_id` filled in, parsed.
pub(super) fn example(doc: &str) -> Visit {
    let mut json: serde_json::Value = serde_json::from_str(doc).expect("example is JSON");
    json["household_id"] = "6f1c1c1e-0000-4000-8000-000000000001".into();
    let input: VisitInput = serde_json::from_value(json).expect("example has the visit shape");
    Visit::parse(input, now()).expect("example passes the hard checks")
}

/// `visit-clean.json`, parsed: zero findings.
pub(super) fn clean() -> Visit {
    example(CLEAN)
}

/// The findings of `code` under the default thresholds and context.
pub(super) fn found(visit: &Visit, code: FindingCode) -> Vec<Finding> {
    found_with(visit, &HouseholdContext::default(), code)
}

pub(super) fn found_with(visit: &Visit, ctx: &HouseholdContext, code: FindingCode) -> Vec<Finding> {
    evaluate(visit, &RuleConfig::default(), ctx)
        .into_iter()
        .filter(|f| f.code == code)
        .collect()
}

pub(super) fn raised(visit: &Visit, code: FindingCode) -> bool {
    !found(visit, code).is_empty()
}

fn codes(findings: &[Finding]) -> Vec<&'static str> {
    findings.iter().map(|f| f.code.as_str()).collect()
}

#[test]
fn the_clean_example_has_no_findings() {
    let v = clean();
    assert_eq!(
        evaluate(&v, &RuleConfig::default(), &HouseholdContext::default()),
        vec![]
    );
    // Its arithmetic, as DOMAIN.md spells it out.
    assert_eq!(
        income::net(&v.income),
        (3_600_000 - 1_000_000) + 1_200_000 - 400_000 + 60_000 + 80_000
    );
    assert_eq!(income::gross(&v.income), 4_940_000);
    assert_eq!(income::n(&v.members), 3);
}

#[test]
fn a_current_card_and_a_near_position_give_no_findings_either() {
    let ctx = HouseholdContext {
        card: CardScan::Current,
        known_location: Some((42.3853, 122.5399)),
        registered_member_count: Some(3),
        helpers_on_roster: 1,
        ..HouseholdContext::default()
    };
    assert_eq!(evaluate(&clean(), &RuleConfig::default(), &ctx), vec![]);
}

#[test]
fn each_finding_example_raises_its_family_only() {
    let cases: [(&str, &str, &[&str]); 10] = [
        (
            include_str!("../../../api-spec/examples/visit-finding-edu.json"),
            "edu",
            &["edu.dropout", "edu.exemption_unproven"],
        ),
        (
            include_str!("../../../api-spec/examples/visit-finding-med.json"),
            "med",
            &[
                "med.uninsured",
                "med.no_critical_illness_insurance",
                "med.chronic_unsigned",
                "med.expense_exceeds_income",
            ],
        ),
        (
            include_str!("../../../api-spec/examples/visit-finding-housing.json"),
            "housing",
            &["housing.unsafe"],
        ),
        (
            include_str!("../../../api-spec/examples/visit-finding-water.json"),
            "water",
            &[
                "water.quantity",
                "water.quality",
                "water.access",
                "water.reliability",
            ],
        ),
        (
            include_str!("../../../api-spec/examples/visit-finding-basic.json"),
            "basic",
            &["basic.food_clothing"; 2],
        ),
        (
            include_str!("../../../api-spec/examples/visit-finding-income.json"),
            "income",
            &[
                "income.support_share_high",
                "income.excluded_counted",
                "income.excluded_counted",
                "income.sum_mismatch",
                "income.sum_mismatch",
                "income.omission",
                "income.member_count_mismatch",
            ],
        ),
        (
            include_str!("../../../api-spec/examples/visit-finding-monitor.json"),
            "monitor",
            &["monitor.low_income", "monitor.drought_risk"],
        ),
        (
            include_str!("../../../api-spec/examples/visit-finding-record.json"),
            "record",
            &[
                "record.relation_sex",
                "record.card_field_missing",
                "record.card_field_missing",
            ],
        ),
        (
            include_str!("../../../api-spec/examples/visit-finding-process.json"),
            "process",
            &[
                "process.single_inspector",
                "process.no_gps",
                "process.too_short",
            ],
        ),
        (
            include_str!("../../../api-spec/examples/visit-finding-sat.json"),
            "sat",
            &[
                "sat.exit_not_acknowledged",
                "sat.dissatisfied",
                "sat.helper_unknown",
            ],
        ),
    ];
    for (doc, family, expected) in cases {
        let findings = evaluate(
            &example(doc),
            &RuleConfig::default(),
            &HouseholdContext::default(),
        );
        assert!(
            findings.iter().all(|f| f.code.family() == family),
            "{family}: {:?}",
            codes(&findings)
        );
        assert_eq!(codes(&findings), expected, "{family}");
    }
}

#[test]
fn the_registry_holds_every_code_of_the_table_once() {
    let table = [
        "edu.dropout",
        "edu.exemption_unproven",
        "med.uninsured",
        "med.no_critical_illness_insurance",
        "med.chronic_unsigned",
        "med.expense_exceeds_income",
        "housing.unsafe",
        "housing.unassessed",
        "water.quantity",
        "water.quality",
        "water.access",
        "water.reliability",
        "basic.food_clothing",
        "income.below_line",
        "income.near_line",
        "income.single_source",
        "income.support_share_high",
        "income.excluded_counted",
        "income.sum_mismatch",
        "income.omission",
        "income.member_count_mismatch",
        "monitor.low_income",
        "monitor.drought_risk",
        "record.duplicate_id",
        "record.relation_sex",
        "record.card_field_missing",
        "process.supervision_over_limit",
        "process.single_inspector",
        "process.no_gps",
        "process.gps_far",
        "process.too_short",
        "process.card_mismatch",
        "process.impossible_travel",
        "process.overlap",
        "process.photo_reused",
        "process.signature_reused",
        "process.answers_copied",
        "process.daily_volume",
        "sat.exit_not_acknowledged",
        "sat.dissatisfied",
        "sat.helper_unknown",
        "resident.feedback",
    ];
    assert_eq!(
        FindingCode::ALL
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>(),
        table
    );
    for code in FindingCode::ALL {
        assert_eq!(FindingCode::parse(code.as_str()), Some(*code));
        assert!(!code.message(Lang::Zh).is_empty() && !code.message(Lang::En).is_empty());
    }
    // One rule per code, except the one the QR page raises.
    assert_eq!(RULES.len(), FindingCode::ALL.len() - 1);
}

#[test]
fn default_severities_follow_the_table() {
    use FindingCode::*;
    let high = [
        EduDropout,
        MedUninsured,
        MedExpenseExceedsIncome,
        HousingUnsafe,
        WaterQuantity,
        BasicFoodClothing,
        IncomeBelowLine,
        IncomeExcludedCounted,
        MonitorDroughtRisk,
        RecordDuplicateId,
        ProcessCardMismatch,
        ProcessImpossibleTravel,
        ProcessPhotoReused,
        ProcessSignatureReused,
        SatExitNotAcknowledged,
    ];
    let low = [
        ProcessSingleInspector,
        ProcessNoGps,
        ProcessTooShort,
        ProcessDailyVolume,
    ];
    for code in FindingCode::ALL {
        let expected = if high.contains(code) {
            Severity::High
        } else if low.contains(code) {
            Severity::Low
        } else {
            Severity::Medium
        };
        assert_eq!(code.default_severity(), expected, "{}", code.as_str());
    }
}

#[test]
fn findings_serialise_with_stable_codes_and_lowercase_severities() {
    let f = Finding::new(FindingCode::WaterQuantity)
        .at("/quality/water/quantity_lpd")
        .member(2);
    assert_eq!(
        serde_json::to_value(&f).expect("serialises"),
        serde_json::json!({"code": "water.quantity", "severity": "high", "field": "/quality/water/quantity_lpd", "member_no": 2})
    );
    assert_eq!(
        serde_json::to_value(Severity::Info).expect("serialises"),
        "info"
    );
}

#[test]
fn a_rule_file_overrides_only_what_it_names() {
    assert_eq!(RuleConfig::from_toml_str(""), Ok(RuleConfig::default()));
    assert_eq!(RuleConfig::default().version, "2026.2");
    let cfg =
        RuleConfig::from_toml_str("version = \"2026.2\"\nwater_min_lpd = 40\n").expect("valid");
    assert_eq!(
        cfg,
        RuleConfig {
            version: "2026.2".into(),
            water_min_lpd: 40,
            ..RuleConfig::default()
        }
    );
}

#[test]
fn a_rule_file_with_an_unknown_key_or_a_wrong_type_is_refused() {
    assert!(RuleConfig::from_toml_str("water_min_lpd_typo = 40").is_err());
    assert!(RuleConfig::from_toml_str("water_min_lpd = \"forty\"").is_err());
    assert!(RuleConfig::from_toml_str("near_line_permille = -1").is_err());
    assert!(RuleConfig::from_toml_str("water_scarce_regions = [\"99\"]").is_err());
}

#[test]
fn water_scarce_regions_cover_their_villages() {
    let cfg =
        RuleConfig::from_toml_str("water_scarce_regions = [\"210922000000\"]").expect("valid");
    assert!(cfg.water_scarce("210922201203"));
    assert!(!cfg.water_scarce("210921201203"));
    assert!(!RuleConfig::default().water_scarce("210922201203"));
}

#[test]
fn thresholds_come_from_the_config() {
    let v = clean();
    let strict = RuleConfig {
        water_min_lpd: 61,
        income_line_fen: 2_000_000,
        ..RuleConfig::default()
    };
    let got = evaluate(&v, &strict, &HouseholdContext::default());
    assert_eq!(codes(&got), ["water.quantity", "income.below_line"]);
}

#[test]
fn amounts_beyond_any_accepted_visit_saturate_instead_of_overflowing() {
    let mut v = clean();
    v.income.wage = vec![(3, WageKind::Migrant, i64::MAX, 0); 1000];
    v.income.transfer = vec![(TransferKind::SupportFromChildren, i64::MAX, false); 1000];
    v.income.declared_net_fen = Some(i64::MIN);
    assert_eq!(income::gross(&v.income), i64::MAX);
    assert_eq!(income::net(&v.income), i64::MAX);
    v.income.operating_cost = vec![i64::MAX; 3000];
    assert_eq!(income::net(&v.income), i64::MIN);
    let _ = evaluate(&v, &RuleConfig::default(), &HouseholdContext::default());
}

fn fen() -> impl Strategy<Value = i64> {
    0..=MAX_LINE_FEN
}

fn lines<T: std::fmt::Debug>(line: impl Strategy<Value = T>) -> impl Strategy<Value = Vec<T>> {
    prop::collection::vec(line, 0..=200)
}

prop_compose! {
    fn any_income()(
        wage in lines((1..=3i32, fen(), fen())),
        operating in lines(fen()),
        operating_cost in lines(fen()),
        property in lines(fen()),
        transfer in lines((0..4usize, fen(), any::<bool>())),
        excluded in lines(fen()),
    ) -> Income {
        let kinds = [TransferKind::Pension, TransferKind::SupportFromChildren, TransferKind::Dibao, TransferKind::TempAssist];
        Income {
            wage: wage.into_iter().map(|(no, g, c)| (no, WageKind::Migrant, g, c)).collect(),
            operating: operating.into_iter().map(|a| (OperatingKind::Planting, a)).collect(),
            operating_cost,
            property: property.into_iter().map(|a| (PropertyKind::LandRent, a)).collect(),
            transfer: transfer.into_iter().map(|(k, a, agreed)| (kinds[k], a, agreed)).collect(),
            excluded: excluded.into_iter().map(|a| (ExcludedReason::OneOff, a)).collect(),
            ..Income::default()
        }
    }
}

proptest! {
    #[test]
    fn income_arithmetic_is_exact_and_never_panics(income in any_income()) {
        let total = |xs: Vec<i64>| xs.into_iter().map(i128::from).sum::<i128>();
        let wage_gross = total(income.wage.iter().map(|w| w.2).collect());
        let costs = total(income.wage.iter().map(|w| w.3).collect()) + total(income.operating_cost.clone());
        let others = total(income.operating.iter().map(|o| o.1).collect())
            + total(income.property.iter().map(|p| p.1).collect())
            + total(income.transfer.iter().map(|t| t.1).collect());
        let (gross, net) = (income::gross(&income), income::net(&income));
        prop_assert_eq!(i128::from(gross), wage_gross + others);
        prop_assert_eq!(i128::from(net), wage_gross + others - costs);
        prop_assert!(net <= gross);
        prop_assert!(gross >= 0);

        let mut v = clean();
        v.income = income;
        let findings = evaluate(&v, &RuleConfig::default(), &HouseholdContext::default());
        prop_assert!(findings.iter().all(|f| f.code.family() != "resident"));
    }
}
