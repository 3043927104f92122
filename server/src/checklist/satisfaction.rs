//! 访满意度: whether the household accepts its exit and is satisfied with the help.

use super::{flag, Facts, Finding, FindingCode};
use crate::domain::household::PovertyStatus;
use crate::domain::visit::{AnswerCode, AnswerValue};

/// An exited household that does not accept its exit (不认可脱贫); each lowers
/// 群众认可度, which must reach 90%. [S43]
pub(super) fn sat_exit_not_acknowledged(f: &Facts) -> Vec<Finding> {
    let exited = f.visit.household.poverty_status == PovertyStatus::Exited;
    flag(
        exited && !f.visit.revisit.acknowledges_exit,
        FindingCode::SatExitNotAcknowledged,
        "/revisit/acknowledges_exit",
    )
}

/// Any answer `dissatisfied` or `very_dissatisfied`, one finding each. [S42][S43]
pub(super) fn sat_dissatisfied(f: &Facts) -> Vec<Finding> {
    f.visit
        .revisit
        .answers
        .iter()
        .enumerate()
        .filter(|(_, (_, value))| value.is_dissatisfied())
        .map(|(i, _)| {
            Finding::new(FindingCode::SatDissatisfied).at(format!("/revisit/answers/{i}/value"))
        })
        .collect()
}

/// The household knows none of its helpers (帮扶责任人), or answers `KNOW_HELPER = no`. [S32][S42]
pub(super) fn sat_helper_unknown(f: &Facts) -> Vec<Finding> {
    let v = f.visit;
    let says_no = v
        .revisit
        .answers
        .iter()
        .position(|a| *a == (AnswerCode::KnowHelper, AnswerValue::No));
    let knows_none = !v.helpers.is_empty() && !v.helpers.iter().any(|h| h.known_by_household);
    match says_no {
        Some(i) => {
            vec![Finding::new(FindingCode::SatHelperUnknown)
                .at(format!("/revisit/answers/{i}/value"))]
        }
        None => flag(knows_none, FindingCode::SatHelperUnknown, "/policy/helpers"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{clean, found, raised};
    use super::*;
    use crate::domain::visit::Helper;

    #[test]
    fn an_exited_household_that_does_not_accept_its_exit_is_flagged() {
        let mut v = clean();
        v.revisit.acknowledges_exit = false;
        assert_eq!(
            found(&v, FindingCode::SatExitNotAcknowledged),
            vec![Finding::new(FindingCode::SatExitNotAcknowledged).at("/revisit/acknowledges_exit")]
        );
        v.household.poverty_status = PovertyStatus::NotExited;
        assert!(
            !raised(&v, FindingCode::SatExitNotAcknowledged),
            "no exit to accept"
        );
    }

    #[test]
    fn each_dissatisfied_answer_is_a_finding() {
        let mut v = clean();
        v.revisit.answers = vec![
            (AnswerCode::SatTeam, AnswerValue::Dissatisfied),
            (AnswerCode::SatHelper, AnswerValue::Neutral),
            (AnswerCode::AckCadre, AnswerValue::VeryDissatisfied),
        ];
        let fields: Vec<_> = found(&v, FindingCode::SatDissatisfied)
            .into_iter()
            .filter_map(|f| f.field)
            .collect();
        assert_eq!(
            fields,
            ["/revisit/answers/0/value", "/revisit/answers/2/value"]
        );
    }

    #[test]
    fn a_household_that_knows_none_of_its_helpers_is_flagged_once() {
        let mut v = clean();
        v.helpers.push(Helper {
            name: "刘洋".into(),
            phone: None,
            known_by_household: false,
        });
        assert!(
            !raised(&v, FindingCode::SatHelperUnknown),
            "one of two is known"
        );
        v.helpers[0].known_by_household = false;
        assert_eq!(
            found(&v, FindingCode::SatHelperUnknown),
            vec![Finding::new(FindingCode::SatHelperUnknown).at("/policy/helpers")]
        );
        v.revisit.answers[2] = (AnswerCode::KnowHelper, AnswerValue::No);
        assert_eq!(
            found(&v, FindingCode::SatHelperUnknown),
            vec![Finding::new(FindingCode::SatHelperUnknown).at("/revisit/answers/2/value")]
        );
        v.helpers.clear();
        assert!(
            raised(&v, FindingCode::SatHelperUnknown),
            "the answer alone"
        );
        v.revisit.answers.clear();
        assert!(
            !raised(&v, FindingCode::SatHelperUnknown),
            "no helpers, no answer"
        );
    }
}
