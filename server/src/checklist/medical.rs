//! 基本医疗有保障: insured, with critical-illness cover, chronic patients under a
//! family doctor, and medical costs the household can carry.

use super::{flag, per_member, Facts, Finding, FindingCode};
use crate::domain::visit::{ChronicKind, MedicalInsurance};

/// A member without basic medical insurance; newborns being enrolled and those in
/// military service are exempt (their own `medical_insurance` values). [S2]
pub(super) fn med_uninsured(f: &Facts) -> Vec<Finding> {
    per_member(
        f.visit,
        FindingCode::MedUninsured,
        "medical_insurance",
        |m| m.medical_insurance == MedicalInsurance::None,
    )
}

/// An insured member without 大病保险 (critical-illness insurance). [S10][S44]
pub(super) fn med_no_critical_illness_insurance(f: &Facts) -> Vec<Finding> {
    per_member(
        f.visit,
        FindingCode::MedNoCriticalIllnessInsurance,
        "critical_illness_insurance",
        |m| {
            matches!(
                m.medical_insurance,
                MedicalInsurance::Resident | MedicalInsurance::Employee
            ) && !m.critical_illness_insurance
        },
    )
}

/// A member with hypertension, diabetes, tuberculosis or severe mental disorder
/// (the four listed chronic diseases) and no family-doctor contract (家庭医生签约). [S4]
pub(super) fn med_chronic_unsigned(f: &Facts) -> Vec<Finding> {
    per_member(
        f.visit,
        FindingCode::MedChronicUnsigned,
        "family_doctor_signed",
        |m| m.chronic_kinds.iter().any(|k| *k != ChronicKind::Other) && !m.family_doctor_signed,
    )
}

/// Out-of-pocket medical spending above the household's net income: the rigid
/// expense that triggers 防返贫 monitoring. [S23]
pub(super) fn med_expense_exceeds_income(f: &Facts) -> Vec<Finding> {
    let spent = f.visit.income.medical_oop_fen.filter(|fen| *fen > 0);
    let exceeds = spent.is_some_and(|fen| i128::from(fen) > f.money.net());
    flag(
        exceeds,
        FindingCode::MedExpenseExceedsIncome,
        "/income/rigid_expense/medical_oop_fen",
    )
}

#[cfg(test)]
mod tests {
    use super::super::tests::{clean, found, raised};
    use super::*;
    use crate::checklist::Severity;

    #[test]
    fn a_member_without_insurance_is_uninsured_unless_exempt() {
        let mut v = clean();
        v.members[1].medical_insurance = MedicalInsurance::None;
        let got = found(&v, FindingCode::MedUninsured);
        assert_eq!(
            got,
            vec![Finding::new(FindingCode::MedUninsured)
                .at("/members/1/medical_insurance")
                .member(2)]
        );
        for exempt in [
            MedicalInsurance::ExemptNewborn,
            MedicalInsurance::ExemptMilitary,
        ] {
            v.members[1].medical_insurance = exempt;
            assert!(!raised(&v, FindingCode::MedUninsured));
        }
    }

    #[test]
    fn only_an_insured_member_needs_critical_illness_insurance() {
        let mut v = clean();
        v.members[0].critical_illness_insurance = false;
        for (insurance, expected) in [
            (MedicalInsurance::Resident, true),
            (MedicalInsurance::Employee, true),
            (MedicalInsurance::None, false),
            (MedicalInsurance::ExemptNewborn, false),
        ] {
            v.members[0].medical_insurance = insurance;
            assert_eq!(
                raised(&v, FindingCode::MedNoCriticalIllnessInsurance),
                expected,
                "{insurance:?}"
            );
        }
    }

    #[test]
    fn the_four_listed_chronic_diseases_need_a_family_doctor() {
        let mut v = clean();
        v.members[2].family_doctor_signed = false; // as in the clean example
        for kind in [
            ChronicKind::Hypertension,
            ChronicKind::Diabetes,
            ChronicKind::Tuberculosis,
            ChronicKind::SevereMental,
        ] {
            v.members[2].chronic_kinds = vec![kind];
            let got = found(&v, FindingCode::MedChronicUnsigned);
            assert_eq!(
                got,
                vec![Finding::new(FindingCode::MedChronicUnsigned)
                    .at("/members/2/family_doctor_signed")
                    .member(3)]
            );
        }
        v.members[2].family_doctor_signed = true;
        assert!(!raised(&v, FindingCode::MedChronicUnsigned));
        v.members[2].family_doctor_signed = false;
        v.members[2].chronic_kinds = vec![ChronicKind::Other];
        assert!(!raised(&v, FindingCode::MedChronicUnsigned));
    }

    #[test]
    fn medical_spending_above_net_income_is_flagged() {
        let mut v = clean();
        let net = crate::checklist::income::net(&v.income);
        v.income.medical_oop_fen = Some(net);
        assert!(!raised(&v, FindingCode::MedExpenseExceedsIncome));
        v.income.medical_oop_fen = Some(net + 1);
        let got = found(&v, FindingCode::MedExpenseExceedsIncome);
        assert_eq!(
            got,
            vec![Finding::new(FindingCode::MedExpenseExceedsIncome)
                .at("/income/rigid_expense/medical_oop_fen")]
        );
        assert_eq!(got[0].severity, Severity::High);
    }

    #[test]
    fn a_loss_without_medical_spending_is_not_a_medical_finding() {
        let mut v = clean();
        v.income.operating_cost = vec![10_000_000];
        v.income.medical_oop_fen = None;
        assert!(!raised(&v, FindingCode::MedExpenseExceedsIncome));
        v.income.medical_oop_fen = Some(0);
        assert!(!raised(&v, FindingCode::MedExpenseExceedsIncome));
    }
}
