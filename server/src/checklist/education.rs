//! 义务教育有保障: every child of compulsory-school age is in school.

use super::{age, per_member, Facts, Finding, FindingCode, Severity};
use crate::domain::visit::{SchoolStatus, VisitMember};

/// A child aged 6–15 (适龄少年儿童) not in primary or junior secondary school, home
/// teaching (送教上门) or a certified physical exemption; exactly 6 may defer a year
/// (义务教育法 §11), so that age is `info`. [S2][S7][S8][S19]
pub(super) fn edu_dropout(f: &Facts) -> Vec<Finding> {
    let (min, max) = (f.cfg.school_age_min, f.cfg.school_age_max);
    f.visit
        .members
        .iter()
        .enumerate()
        .filter_map(|(i, m)| {
            let age = age(f.visit, m).filter(|a| (min..=max).contains(a))?;
            if in_compulsory_schooling(m) {
                return None;
            }
            let finding = Finding::new(FindingCode::EduDropout)
                .at(super::member_field(i, "school_status"))
                .member(m.member_no);
            Some(if age == min {
                finding.with_severity(Severity::Info)
            } else {
                finding
            })
        })
        .collect()
}

/// Home teaching or physical exemption without the county expert committee's
/// certificate (县级残疾人教育专家委员会认定). [S2][S8]
pub(super) fn edu_exemption_unproven(f: &Facts) -> Vec<Finding> {
    per_member(
        f.visit,
        FindingCode::EduExemptionUnproven,
        "exempt_cert_ref",
        |m| is_exempt(m.school_status) && m.exempt_cert_ref.is_none(),
    )
}

/// In school, home-taught or exempt. A 15-year-old already in senior high or
/// vocational school (many are, on 31 December of their first year) is in
/// school too, not a dropout.
fn in_compulsory_schooling(m: &VisitMember) -> bool {
    use SchoolStatus::*;
    matches!(
        m.school_status,
        Primary | JuniorSecondary | SeniorSecondary | Vocational
    ) || is_exempt(m.school_status)
}

fn is_exempt(s: SchoolStatus) -> bool {
    matches!(s, SchoolStatus::HomeTeaching | SchoolStatus::ExemptPhysical)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{clean, found};
    use super::*;
    use crate::domain::visit::Visit;

    /// The clean example with its third member (the son) made a child.
    fn child(born: &str, status: SchoolStatus) -> Visit {
        let mut v = clean();
        v.members[2].birth_date = Some(born.parse().expect("a date"));
        v.members[2].school_status = status;
        v
    }

    fn severities(v: &Visit) -> Vec<Severity> {
        found(v, FindingCode::EduDropout)
            .iter()
            .map(|f| f.severity)
            .collect()
    }

    #[test]
    fn a_child_of_7_to_15_out_of_school_is_a_dropout() {
        // Ages are taken on 2026-12-31.
        let v = child("2011-01-01", SchoolStatus::DroppedOut);
        let got = found(&v, FindingCode::EduDropout);
        assert_eq!(
            got,
            vec![Finding::new(FindingCode::EduDropout)
                .at("/members/2/school_status")
                .member(3)]
        );
        assert_eq!(got[0].severity, Severity::High);
        assert_eq!(
            severities(&child("2019-12-31", SchoolStatus::NotStudent)),
            [Severity::High]
        );
    }

    #[test]
    fn outside_ages_6_to_15_there_is_no_dropout() {
        assert_eq!(
            severities(&child("2010-12-31", SchoolStatus::DroppedOut)),
            []
        ); // 16
        assert_eq!(
            severities(&child("2021-01-01", SchoolStatus::Preschool)),
            []
        );
        // 5
    }

    #[test]
    fn a_child_of_exactly_6_not_enrolled_is_only_info() {
        assert_eq!(
            severities(&child("2020-12-31", SchoolStatus::Preschool)),
            [Severity::Info]
        );
    }

    #[test]
    fn school_home_teaching_and_exemption_count_as_schooling() {
        for status in [
            SchoolStatus::Primary,
            SchoolStatus::JuniorSecondary,
            SchoolStatus::SeniorSecondary,
            SchoolStatus::Vocational,
            SchoolStatus::HomeTeaching,
            SchoolStatus::ExemptPhysical,
        ] {
            assert_eq!(severities(&child("2014-06-01", status)), [], "{status:?}");
        }
    }

    #[test]
    fn without_a_birth_date_no_age_is_known() {
        let mut v = child("2014-06-01", SchoolStatus::DroppedOut);
        v.members[2].birth_date = None;
        assert_eq!(severities(&v), []);
    }

    #[test]
    fn an_exemption_needs_its_certificate() {
        for status in [SchoolStatus::HomeTeaching, SchoolStatus::ExemptPhysical] {
            let mut v = child("2014-06-01", status);
            assert_eq!(
                found(&v, FindingCode::EduExemptionUnproven),
                vec![Finding::new(FindingCode::EduExemptionUnproven)
                    .at("/members/2/exempt_cert_ref")
                    .member(3)]
            );
            v.members[2].exempt_cert_ref = Some("彰残教鉴〔2026〕12号".into());
            assert_eq!(found(&v, FindingCode::EduExemptionUnproven), vec![]);
        }
    }
}
