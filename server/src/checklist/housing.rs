//! 住房安全有保障: no one lives in a dangerous house.

use super::{flag, Facts, Finding, FindingCode};
use crate::domain::visit::{Defect, Grade, Structure};

/// Grade C (局部危房) or D (整幢危房) and not renovated, or the household does not
/// live safely. [S9][S10]
pub(super) fn housing_unsafe(f: &Facts) -> Vec<Finding> {
    let q = &f.visit.quality;
    let dangerous = matches!(q.grade, Grade::C | Grade::D);
    flag(
        dangerous && (!q.renovation_completed || !q.owns_or_lives_safe),
        FindingCode::HousingUnsafe,
        "/quality/housing/grade",
    )
}

/// Unassessed, and earth/adobe or visibly damaged (leaks, wall cracks): needs a
/// housing-department appraisal. [S10][S22]
pub(super) fn housing_unassessed(f: &Facts) -> Vec<Finding> {
    let q = &f.visit.quality;
    let suspect = q.structure == Structure::EarthAdobe
        || q.visible_defects.iter().any(|d| *d != Defect::None);
    flag(
        q.grade == Grade::Unassessed && suspect,
        FindingCode::HousingUnassessed,
        "/quality/housing/grade",
    )
}

#[cfg(test)]
mod tests {
    use super::super::tests::{clean, found, raised};
    use super::*;
    use crate::domain::visit::Visit;

    fn house(grade: Grade, renovated: bool, lives_safe: bool) -> Visit {
        let mut v = clean();
        v.quality.grade = grade;
        v.quality.renovation_completed = renovated;
        v.quality.owns_or_lives_safe = lives_safe;
        v
    }

    #[test]
    fn a_grade_c_or_d_house_is_unsafe_until_renovated_and_lived_in_safely() {
        for grade in [Grade::C, Grade::D] {
            assert_eq!(
                found(&house(grade, false, true), FindingCode::HousingUnsafe),
                vec![Finding::new(FindingCode::HousingUnsafe).at("/quality/housing/grade")]
            );
            assert!(raised(
                &house(grade, true, false),
                FindingCode::HousingUnsafe
            ));
            assert!(!raised(
                &house(grade, true, true),
                FindingCode::HousingUnsafe
            ));
        }
        for grade in [Grade::A, Grade::B] {
            assert!(!raised(
                &house(grade, false, false),
                FindingCode::HousingUnsafe
            ));
        }
    }

    #[test]
    fn an_unassessed_adobe_or_damaged_house_needs_an_appraisal() {
        let mut v = house(Grade::Unassessed, false, true);
        assert!(
            !raised(&v, FindingCode::HousingUnassessed),
            "brick, no defects"
        );
        v.quality.visible_defects = vec![Defect::Leaks];
        assert_eq!(
            found(&v, FindingCode::HousingUnassessed),
            vec![Finding::new(FindingCode::HousingUnassessed).at("/quality/housing/grade")]
        );
        v.quality.visible_defects = vec![Defect::None];
        v.quality.structure = Structure::EarthAdobe;
        assert!(raised(&v, FindingCode::HousingUnassessed));
        v.quality.grade = Grade::B;
        assert!(!raised(&v, FindingCode::HousingUnassessed));
    }
}
