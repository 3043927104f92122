//! 两不愁: enough to eat and to wear.

use super::{Facts, Finding, FindingCode, Severity};

/// Food (吃得饱) or clothing (四季换洗衣物和御寒被褥) not secure; meat, eggs, milk or
/// soy not available at any time (随时能吃肉蛋奶或豆制品) is `low`. [S2][S3][S10]
pub(super) fn basic_food_clothing(f: &Facts) -> Vec<Finding> {
    let q = &f.visit.quality;
    [
        (q.food_secure, "/quality/food_secure", Severity::High),
        (
            q.clothing_secure,
            "/quality/clothing_secure",
            Severity::High,
        ),
        (q.protein_anytime, "/quality/protein_anytime", Severity::Low),
    ]
    .into_iter()
    .filter(|(secure, _, _)| !secure)
    .map(|(_, field, severity)| {
        Finding::new(FindingCode::BasicFoodClothing)
            .at(field)
            .with_severity(severity)
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::super::tests::{clean, found};
    use super::*;

    #[test]
    fn insecure_food_or_clothing_is_high_and_no_protein_anytime_is_low() {
        let mut v = clean();
        assert_eq!(found(&v, FindingCode::BasicFoodClothing), vec![]);
        v.quality.food_secure = false;
        v.quality.clothing_secure = false;
        v.quality.protein_anytime = false;
        let got: Vec<_> = found(&v, FindingCode::BasicFoodClothing)
            .into_iter()
            .map(|f| (f.field, f.severity))
            .collect();
        assert_eq!(
            got,
            [
                (Some("/quality/food_secure".to_string()), Severity::High),
                (Some("/quality/clothing_secure".to_string()), Severity::High),
                (Some("/quality/protein_anytime".to_string()), Severity::Low),
            ]
        );
    }
}
