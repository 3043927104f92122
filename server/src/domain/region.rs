//! 统计用区划代码: the 12-digit statistical division code (省2 地2 县2 乡3 村3)
//! and the region scope built from its significant prefix.

use serde::{Deserialize, Serialize};

/// Province codes of GB/T 2260 (also the valid first two digits of an ID number).
pub const PROVINCES: &[u8] = &[
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    Province,
    City,
    County,
    Town,
    Village,
}

impl RegionLevel {
    /// How many leading digits are significant at this level.
    pub fn digits(self) -> usize {
        match self {
            RegionLevel::Province => 2,
            RegionLevel::City => 4,
            RegionLevel::County => 6,
            RegionLevel::Town => 9,
            RegionLevel::Village => 12,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RegionLevel::Province => "province",
            RegionLevel::City => "city",
            RegionLevel::County => "county",
            RegionLevel::Town => "town",
            RegionLevel::Village => "village",
        }
    }

    fn from_digits(n: usize) -> Option<RegionLevel> {
        [
            RegionLevel::Province,
            RegionLevel::City,
            RegionLevel::County,
            RegionLevel::Town,
            RegionLevel::Village,
        ]
        .into_iter()
        .find(|l| l.digits() == n)
    }
}

/// A region, and equally the scope of everything under it. Accepts the
/// 12-digit code (`210922201000`) or its significant prefix (`210922201`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegionCode(String);

impl RegionCode {
    pub fn parse(s: &str) -> Option<RegionCode> {
        let s = s.trim();
        if !s.bytes().all(|b| b.is_ascii_digit()) || RegionLevel::from_digits(s.len()).is_none() {
            return None;
        }
        let province: u8 = s[..2].parse().ok()?;
        if !PROVINCES.contains(&province) {
            return None;
        }
        let code = format!("{s:0<12}");
        let r = RegionCode(code);
        // A prefix with trailing zeros inside its own level ("210900") is not a county.
        (r.prefix().len() >= s.len() || s.len() == 12).then_some(r)
    }

    /// The 12-digit form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> RegionLevel {
        let b = self.0.as_bytes();
        let zero_from = |i: usize| b[i..].iter().all(|&c| c == b'0');
        if zero_from(2) {
            RegionLevel::Province
        } else if zero_from(4) {
            RegionLevel::City
        } else if zero_from(6) {
            RegionLevel::County
        } else if zero_from(9) {
            RegionLevel::Town
        } else {
            RegionLevel::Village
        }
    }

    /// The significant prefix: what a scope filter matches codes against.
    pub fn prefix(&self) -> &str {
        &self.0[..self.level().digits()]
    }

    /// The 12-digit village codes this region covers, as an index-friendly
    /// inclusive range.
    pub fn code_range(&self) -> (String, String) {
        let p = self.prefix();
        (format!("{p:0<12}"), format!("{p:9<12}"))
    }

    /// The region directly above, by code (`None` for a province).
    pub fn parent(&self) -> Option<RegionCode> {
        let keep = match self.level() {
            RegionLevel::Province => return None,
            RegionLevel::City => 2,
            RegionLevel::County => 4,
            RegionLevel::Town => 6,
            RegionLevel::Village => 9,
        };
        Some(RegionCode(format!("{:0<12}", &self.0[..keep])))
    }

    /// Whether `other` lies in this scope (a region contains itself).
    pub fn contains(&self, other: &RegionCode) -> bool {
        other.0.starts_with(self.prefix())
    }
}

impl std::fmt::Display for RegionCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for RegionCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap_or_else(|| panic!("{s} should parse"))
    }

    #[test]
    fn both_forms_parse_to_the_same_region() {
        assert_eq!(code("2109"), code("210900000000"));
        assert_eq!(code("210922"), code("210922000000"));
        assert_eq!(code("210922201"), code("210922201000"));
        assert_eq!(code("210922201203").level(), RegionLevel::Village);
    }

    #[test]
    fn levels_and_prefixes_follow_the_digits() {
        assert_eq!(code("21").level(), RegionLevel::Province);
        assert_eq!(code("2109").prefix(), "2109");
        assert_eq!(code("210922").level(), RegionLevel::County);
        assert_eq!(code("210922201").prefix(), "210922201");
        assert_eq!(code("210922201203").prefix(), "210922201203");
    }

    #[test]
    fn rejects_malformed_codes() {
        for bad in [
            "",
            "2",
            "210",
            "21092",
            "2109222012",
            "21092220120x",
            "000000000000",
            "990922201203",
            "210900",
            "2109222012031",
        ] {
            assert!(RegionCode::parse(bad).is_none(), "{bad} should not parse");
        }
    }

    #[test]
    fn parents_walk_up_one_level() {
        let village = code("210922201203");
        let town = village.parent().unwrap();
        assert_eq!(town.as_str(), "210922201000");
        assert_eq!(town.parent().unwrap().as_str(), "210922000000");
        assert_eq!(code("2109").parent().unwrap().as_str(), "210000000000");
        assert!(code("21").parent().is_none());
    }

    #[test]
    fn scope_contains_only_its_own_subtree() {
        let county = code("210922");
        assert!(county.contains(&code("210922201203")));
        assert!(county.contains(&county));
        assert!(!county.contains(&code("210921201203")));
        assert!(!code("210922201203").contains(&county));
    }
}
