//! 户档案规范: the household record is complete and consistent
//! (档案信息填写错误、不全、不规范).

use super::{flag, per_member, Facts, Finding, FindingCode};
use crate::domain::household::{PovertyStatus, Relation};
use crate::domain::visit::VisitMember;
use crate::domain::Sex;

/// A member's ID number is registered to another household (from storage). [S45]
pub(super) fn record_duplicate_id(f: &Facts) -> Vec<Finding> {
    per_member(f.visit, FindingCode::RecordDuplicateId, "id_number", |m| {
        f.ctx.duplicate_id_member_nos.contains(&m.member_no)
    })
}

/// The relation to the head contradicts the member's sex (a male 儿媳, a spouse of
/// the head's own sex), or a son, daughter or grandchild is older than the head. [S45]
pub(super) fn record_relation_sex(f: &Facts) -> Vec<Finding> {
    let head = f
        .visit
        .members
        .iter()
        .find(|m| m.relation == Relation::Head);
    let head_sex = head.and_then(|h| h.sex);
    let head_birth = head.and_then(|h| h.birth_date);
    let contradicts_sex = |m: &VisitMember| matches!((implied_sex(m.relation, head_sex), m.sex), (Some(implied), Some(sex)) if implied != sex);
    let older_than_head = |m: &VisitMember| {
        is_descendant(m)
            && matches!((m.birth_date, head_birth), (Some(born), Some(head)) if born < head)
    };
    let code = FindingCode::RecordRelationSex;
    let mut findings = per_member(f.visit, code, "sex", contradicts_sex);
    findings.extend(per_member(f.visit, code, "birth_date", older_than_head));
    findings
}

/// A field the 明白卡 (the household's wall card) prints is missing: the main cause,
/// a helper (帮扶责任人) or a helper's phone, or the exit year of an exited household. [S30][S41]
pub(super) fn record_card_field_missing(f: &Facts) -> Vec<Finding> {
    let (v, code) = (f.visit, FindingCode::RecordCardFieldMissing);
    let mut findings = flag(
        v.household.main_cause.is_none(),
        code,
        "/household/main_cause",
    );
    findings.extend(flag(
        v.helpers.is_empty() && f.ctx.helpers_on_roster == 0,
        code,
        "/policy/helpers",
    ));
    findings.extend(
        v.helpers
            .iter()
            .enumerate()
            .filter(|(_, h)| h.phone.as_deref().is_none_or(|p| p.trim().is_empty()))
            .map(|(i, _)| Finding::new(code).at(format!("/policy/helpers/{i}/phone"))),
    );
    let exited = v.household.poverty_status == PovertyStatus::Exited;
    findings.extend(flag(
        exited && v.household.exit_year.is_none(),
        code,
        "/household/exit_year",
    ));
    findings
}

/// The sex a relation implies, if it implies one.
fn implied_sex(relation: Relation, head_sex: Option<Sex>) -> Option<Sex> {
    match relation {
        Relation::Son | Relation::SonInLaw => Some(Sex::M),
        Relation::Daughter | Relation::DaughterInLaw => Some(Sex::F),
        Relation::Spouse => head_sex.map(|s| if s == Sex::M { Sex::F } else { Sex::M }),
        _ => None,
    }
}

fn is_descendant(m: &VisitMember) -> bool {
    matches!(
        m.relation,
        Relation::Son | Relation::Daughter | Relation::Grandchild
    )
}

#[cfg(test)]
mod tests {
    use super::super::tests::{clean, found, found_with, raised};
    use super::*;
    use crate::checklist::{HouseholdContext, Severity};
    use crate::domain::visit::{Helper, Visit};

    #[test]
    fn an_id_registered_elsewhere_is_one_finding_per_member() {
        let ctx = HouseholdContext {
            duplicate_id_member_nos: vec![3, 3, 9],
            ..HouseholdContext::default()
        };
        let got = found_with(&clean(), &ctx, FindingCode::RecordDuplicateId);
        assert_eq!(
            got,
            vec![Finding::new(FindingCode::RecordDuplicateId)
                .at("/members/2/id_number")
                .member(3)]
        );
        assert_eq!(got[0].severity, Severity::High);
    }

    #[test]
    fn a_relation_that_implies_a_sex_must_match_it() {
        for (relation, sex, expected) in [
            (Relation::Son, Sex::F, true),
            (Relation::Son, Sex::M, false),
            (Relation::Daughter, Sex::M, true),
            (Relation::DaughterInLaw, Sex::M, true),
            (Relation::DaughterInLaw, Sex::F, false),
            (Relation::SonInLaw, Sex::F, true),
            (Relation::Spouse, Sex::M, true), // the head is male
            (Relation::Spouse, Sex::F, false),
            (Relation::Parent, Sex::F, false),
            (Relation::Sibling, Sex::M, false),
        ] {
            let mut v = clean();
            v.members[2].relation = relation;
            v.members[2].sex = Some(sex);
            let got = found(&v, FindingCode::RecordRelationSex);
            let want = Finding::new(FindingCode::RecordRelationSex)
                .at("/members/2/sex")
                .member(3);
            assert_eq!(
                got,
                if expected { vec![want] } else { vec![] },
                "{relation:?} {sex:?}"
            );
        }
        let mut v = clean();
        v.members[2].relation = Relation::Daughter;
        v.members[2].sex = None;
        assert!(!raised(&v, FindingCode::RecordRelationSex), "unknown sex");
    }

    #[test]
    fn a_child_older_than_the_head_is_flagged() {
        let mut v = clean(); // head born 1968-05-12
        let born = |s: &str| Some(s.parse().expect("a date"));
        v.members[2].birth_date = born("1968-05-12");
        assert!(!raised(&v, FindingCode::RecordRelationSex), "same day");
        v.members[2].birth_date = born("1968-05-11");
        assert_eq!(
            found(&v, FindingCode::RecordRelationSex),
            vec![Finding::new(FindingCode::RecordRelationSex)
                .at("/members/2/birth_date")
                .member(3)]
        );
        v.members[2].relation = Relation::Grandchild;
        assert!(raised(&v, FindingCode::RecordRelationSex));
        v.members[2].relation = Relation::Parent;
        assert!(!raised(&v, FindingCode::RecordRelationSex));
    }

    fn missing(v: &Visit, ctx: &HouseholdContext) -> Vec<String> {
        found_with(v, ctx, FindingCode::RecordCardFieldMissing)
            .into_iter()
            .filter_map(|f| f.field)
            .collect()
    }

    #[test]
    fn the_card_needs_a_main_cause_a_reachable_helper_and_the_exit_year() {
        let none = HouseholdContext::default();
        let mut v = clean();
        v.household.main_cause = None;
        v.household.exit_year = None;
        v.helpers.push(Helper {
            name: "刘洋".into(),
            phone: Some("  ".into()),
            known_by_household: true,
        });
        assert_eq!(
            missing(&v, &none),
            [
                "/household/main_cause",
                "/policy/helpers/1/phone",
                "/household/exit_year"
            ]
        );
        v.household.poverty_status = PovertyStatus::NotExited;
        assert_eq!(
            missing(&v, &none),
            ["/household/main_cause", "/policy/helpers/1/phone"]
        );
    }

    #[test]
    fn a_helper_on_the_roster_is_enough() {
        let mut v = clean();
        v.helpers.clear();
        assert_eq!(
            missing(&v, &HouseholdContext::default()),
            ["/policy/helpers"]
        );
        let roster = HouseholdContext {
            helpers_on_roster: 1,
            ..HouseholdContext::default()
        };
        assert_eq!(missing(&v, &roster), Vec::<String>::new());
    }
}
