//! 公民身份号码 (GB 11643-1999): 6-digit address, 8-digit birth date,
//! 3-digit sequence (odd = male), ISO 7064 MOD 11-2 check character.

use chrono::NaiveDate;

use super::region::PROVINCES;
use crate::error::Code;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: &[u8; 11] = b"10X98765432";

crate::str_enum! {
    /// 性别, as the ID number's 17th digit encodes it.
    Sex {
        M => "M", "男";
        F => "F", "女";
    }
}

/// A valid 18-character ID number, upper-case `X`. Its `Debug` hides the
/// digits so it cannot leak through a stray `{:?}` into a log.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdNumber(String);

impl std::fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdNumber(***)")
    }
}

impl IdNumber {
    /// Parses and checks format, province, birth date and check character.
    /// `today` bounds the birth date.
    pub fn parse(s: &str, today: NaiveDate) -> Result<IdNumber, Code> {
        let s = s.trim().to_ascii_uppercase();
        let b = s.as_bytes();
        let shape_ok = b.len() == 18
            && b[..17].iter().all(u8::is_ascii_digit)
            && (b[17].is_ascii_digit() || b[17] == b'X');
        if !shape_ok {
            return Err(Code::IdNumberFormat);
        }
        let province: u8 = s[..2].parse().map_err(|_| Code::IdNumberFormat)?;
        let birth =
            NaiveDate::parse_from_str(&s[6..14], "%Y%m%d").map_err(|_| Code::IdNumberFormat)?;
        // The standard's own published example 440524188001010014 is born in
        // 1880, so the floor sits below it.
        let earliest = NaiveDate::from_ymd_opt(1870, 1, 1).expect("a real date");
        if !PROVINCES.contains(&province) || birth < earliest || birth > today {
            return Err(Code::IdNumberFormat);
        }
        if check_char(&b[..17]) != b[17] {
            return Err(Code::IdNumberChecksum);
        }
        Ok(IdNumber(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn birth_date(&self) -> NaiveDate {
        NaiveDate::parse_from_str(&self.0[6..14], "%Y%m%d").expect("checked in parse")
    }

    /// Digit 17 is odd for men, even for women.
    pub fn sex(&self) -> Sex {
        if (self.0.as_bytes()[16] - b'0') % 2 == 1 {
            Sex::M
        } else {
            Sex::F
        }
    }
}

/// Completes 17 digits with their check character (for generated test and
/// demo data).
pub fn with_check_char(first17: &str) -> String {
    format!("{first17}{}", check_char(first17.as_bytes()) as char)
}

fn check_char(first17: &[u8]) -> u8 {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK_CHARS[(sum % 11) as usize]
}

/// An ID number (or certificate number) as the console shows it before a
/// click reveals it: the first and last four characters, the rest `*`
/// (`2109**********0119`); a value of eight characters or fewer entirely `*`.
pub fn mask(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    let n = chars.len();
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if n > 8 && (i < 4 || i >= n - 4) {
                *c
            } else {
                '*'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2020, 12, 31).unwrap()
    }

    /// The vectors of shared/reference/domain-research.md §E.
    #[test]
    fn published_vectors() {
        for ok in [
            "11010519491231002X",
            "440524188001010014",
            "34052419800101001X",
            "370101190102039973",
        ] {
            assert!(IdNumber::parse(ok, today()).is_ok(), "{ok} is valid");
        }
        assert_eq!(
            IdNumber::parse("110105198001010123", today()),
            Err(Code::IdNumberChecksum)
        );
    }

    #[test]
    fn lower_case_x_is_accepted_and_normalised() {
        let id = IdNumber::parse("11010519491231002x", today()).unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
    }

    #[test]
    fn household_example_ids_are_valid_and_carry_sex_and_birth() {
        let head = IdNumber::parse("210922196805120119", today()).unwrap();
        assert_eq!(head.sex(), Sex::M);
        assert_eq!(
            head.birth_date(),
            NaiveDate::from_ymd_opt(1968, 5, 12).unwrap()
        );
        assert_eq!(
            IdNumber::parse("210922197003080228", today())
                .unwrap()
                .sex(),
            Sex::F
        );
    }

    #[test]
    fn format_errors() {
        for bad in [
            "21092219680512011",   // 17 chars
            "2109221968051201190", // 19 chars
            "21092219680512011A",  // bad last char
            "99092219680512011X",  // unknown province
            "210922196802300119",  // 30 February
            "210922186901010119",  // before 1870
            "210922202101010119",  // after today
        ] {
            assert_eq!(
                IdNumber::parse(bad, today()),
                Err(Code::IdNumberFormat),
                "{bad}"
            );
        }
    }

    #[test]
    fn debug_does_not_print_the_digits() {
        let id = IdNumber::parse("210922196805120119", today()).unwrap();
        assert!(!format!("{id:?}").contains("2109"));
    }

    proptest::proptest! {
        /// Any real birth date and sequence: the completed number parses with
        /// that birth date and sex, and every other check character is refused.
        #[test]
        fn completed_numbers_parse_and_wrong_check_characters_do_not(
            province in proptest::sample::select(PROVINCES),
            days in 0i64..(130 * 365),
            seq in 0u32..1000,
            wrong in 0usize..11,
        ) {
            let birth = NaiveDate::from_ymd_opt(1890, 1, 1).unwrap() + chrono::Duration::days(days);
            let first17 = format!("{province:02}0101{}{seq:03}", birth.format("%Y%m%d"));
            let id = IdNumber::parse(&with_check_char(&first17), today()).unwrap();
            proptest::prop_assert_eq!(id.birth_date(), birth);
            proptest::prop_assert_eq!(id.sex() == Sex::M, seq % 2 == 1);
            let right = id.as_str().as_bytes()[17];
            let other = CHECK_CHARS[wrong];
            if other != right {
                let bad = format!("{first17}{}", other as char);
                proptest::prop_assert_eq!(IdNumber::parse(&bad, today()), Err(Code::IdNumberChecksum));
            }
        }
    }

    #[test]
    fn masking_keeps_four_characters_at_each_end() {
        assert_eq!(mask("210922196805120119"), "2109**********0119");
        assert_eq!(mask("21092219680512011X21"), "2109************1X21");
        assert_eq!(mask("12345678"), "********");
        assert_eq!(mask(""), "");
    }
}
