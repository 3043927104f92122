//! 建档立卡户: a registered household of the roster, its members and its
//! helpers (帮扶责任人). `HouseholdInput` is the request shape
//! (`api-spec/examples/household.json`); `Household::parse` turns it into the
//! checked domain value, gathering every problem with its JSON Pointer.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::id_number::{IdNumber, Sex};
use super::region::{RegionCode, RegionLevel};
use crate::error::{Code, FieldError};

crate::str_enum! {
    /// 脱贫状态.
    PovertyStatus {
        NotExited => "not_exited", "未脱贫";
        Exited => "exited", "已脱贫";
        PreExit => "pre_exit", "预脱贫";
        Returned => "returned", "返贫";
        Cancelled => "cancelled", "已注销";
    }
}

crate::str_enum! {
    /// 贫困户属性.
    Attribute {
        General => "general", "一般贫困户";
        Dibao => "dibao", "低保贫困户";
        Tekun => "tekun", "特困供养户";
    }
}

crate::str_enum! {
    /// 致贫原因, the twelve categories of the national registration form.
    Cause {
        Illness => "illness", "因病";
        Disability => "disability", "因残";
        Education => "education", "因学";
        Disaster => "disaster", "因灾";
        LackLand => "lack_land", "缺土地";
        LackWater => "lack_water", "缺水";
        LackSkills => "lack_skills", "缺技术";
        LackLabor => "lack_labor", "缺劳力";
        LackFunds => "lack_funds", "缺资金";
        PoorTransport => "poor_transport", "交通条件落后";
        LackMotivation => "lack_motivation", "自身发展动力不足";
        Other => "other", "其他";
    }
}

crate::str_enum! {
    /// 与户主关系.
    Relation {
        Head => "head", "户主";
        Spouse => "spouse", "配偶";
        Son => "son", "之子";
        Daughter => "daughter", "之女";
        DaughterInLaw => "daughter_in_law", "之儿媳";
        SonInLaw => "son_in_law", "之女婿";
        Grandchild => "grandchild", "之孙子女";
        Parent => "parent", "之父母";
        Sibling => "sibling", "兄弟姐妹";
        Other => "other", "其他";
    }
}

crate::str_enum! {
    /// 证件类型.
    IdType {
        ResidentId => "resident_id", "居民身份证";
        DisabilityCert => "disability_cert", "残疾人证";
        PendingPoliceCert => "pending_police_cert", "待公安部门证明";
    }
}

pub const MAX_MEMBERS: usize = 30;
pub const MAX_HELPERS: usize = 10;

/// The roster entry as sent (`POST /api/v1/households`). Enum values are
/// strings here so that a bad one is reported alongside every other problem.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HouseholdInput {
    pub division_code: String,
    pub group_name: String,
    pub household_code: String,
    pub registered_year: i32,
    pub poverty_status: String,
    #[serde(default)]
    pub exit_year: Option<i32>,
    pub attribute: String,
    pub main_cause: String,
    #[serde(default)]
    pub other_causes: Vec<String>,
    pub members: Vec<MemberInput>,
    #[serde(default)]
    pub helpers: Vec<HelperInput>,
    #[serde(default)]
    pub location: Option<LocationInput>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MemberInput {
    pub member_no: i32,
    pub name: String,
    pub id_type: String,
    #[serde(default)]
    pub id_number: Option<String>,
    pub relation: String,
    #[serde(default)]
    pub sex: Option<String>,
    #[serde(default)]
    pub birth_date: Option<String>,
    /// Why an ID is pending (`id_type = pending_police_cert` only).
    #[serde(default)]
    pub pending_reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HelperInput {
    pub name: String,
    pub unit: String,
    #[serde(default)]
    pub title: String,
    pub phone: String,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LocationInput {
    pub lat: f64,
    pub lon: f64,
    #[serde(default = "default_datum")]
    pub datum: Datum,
}

fn default_datum() -> Datum {
    Datum::WGS84
}

/// GNSS datum: phones' map SDKs in China often give GCJ-02.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
pub enum Datum {
    WGS84,
    GCJ02,
}

/// A checked household, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Household {
    pub division_code: RegionCode,
    pub group_name: String,
    pub household_code: String,
    pub registered_year: i32,
    pub poverty_status: PovertyStatus,
    pub exit_year: Option<i32>,
    pub attribute: Attribute,
    pub main_cause: Cause,
    pub other_causes: Vec<Cause>,
    pub members: Vec<Member>,
    pub helpers: Vec<HelperInput>,
    pub location: Option<LocationInput>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub member_no: i32,
    pub name: String,
    pub id_type: IdType,
    /// Normalised (upper-case X). `None` only while a police certificate is pending.
    pub id_number: Option<String>,
    pub relation: Relation,
    pub sex: Option<Sex>,
    pub birth_date: Option<NaiveDate>,
    pub pending_reason: Option<String>,
}

/// Collects field errors under a JSON Pointer base.
struct Errors(Vec<FieldError>);

impl Errors {
    fn add(&mut self, field: impl Into<String>, code: Code) {
        self.0.push(FieldError::new(field, code));
    }

    fn enum_or<T>(&mut self, field: &str, parsed: Option<T>) -> Option<T> {
        if parsed.is_none() {
            self.add(field, Code::SchemaInvalid);
        }
        parsed
    }

    fn text(&mut self, field: &str, s: &str, max_chars: usize) {
        let n = s.trim().chars().count();
        if n == 0 || n > max_chars || s.chars().any(char::is_control) {
            self.add(field, Code::SchemaInvalid);
        }
    }
}

impl Household {
    /// Checks everything that can be checked without the database.
    /// `today` bounds birth dates and years.
    pub fn parse(input: HouseholdInput, today: NaiveDate) -> Result<Household, Vec<FieldError>> {
        let mut e = Errors(Vec::new());
        let division_code = match RegionCode::parse(&input.division_code) {
            None => {
                e.add("/division_code", Code::RegionCodeInvalid);
                None
            }
            Some(c) if c.level() != RegionLevel::Village => {
                e.add("/division_code", Code::RegionNotVillage);
                None
            }
            Some(c) => Some(c),
        };
        e.text("/group_name", &input.group_name, 64);
        let code_ok = (1..=32).contains(&input.household_code.len())
            && input
                .household_code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !code_ok {
            e.add("/household_code", Code::SchemaInvalid);
        }
        let this_year = chrono::Datelike::year(&today);
        if !(1986..=this_year).contains(&input.registered_year) {
            e.add("/registered_year", Code::Range);
        }
        if let Some(y) = input.exit_year {
            if y < input.registered_year || y > this_year {
                e.add("/exit_year", Code::Range);
            }
        }
        let poverty_status = e.enum_or(
            "/poverty_status",
            PovertyStatus::parse(&input.poverty_status),
        );
        let attribute = e.enum_or("/attribute", Attribute::parse(&input.attribute));
        let main_cause = e.enum_or("/main_cause", Cause::parse(&input.main_cause));
        let mut other_causes = Vec::new();
        for (i, c) in input.other_causes.iter().enumerate() {
            if let Some(c) = e.enum_or(&format!("/other_causes/{i}"), Cause::parse(c)) {
                other_causes.push(c);
            }
        }
        let repeats = other_causes
            .iter()
            .enumerate()
            .any(|(i, c)| Some(*c) == main_cause || other_causes[..i].contains(c));
        if input.other_causes.len() > 2 || repeats {
            e.add("/other_causes", Code::CausesTooMany);
        }

        let members = parse_members(&input.members, today, &mut e);

        if input.helpers.len() > MAX_HELPERS {
            e.add("/helpers", Code::Range);
        }
        for (i, h) in input.helpers.iter().enumerate() {
            e.text(&format!("/helpers/{i}/name"), &h.name, 50);
            e.text(&format!("/helpers/{i}/unit"), &h.unit, 100);
            if h.title.chars().count() > 50 {
                e.add(format!("/helpers/{i}/title"), Code::SchemaInvalid);
            }
            if !is_phone(&h.phone) {
                e.add(format!("/helpers/{i}/phone"), Code::SchemaInvalid);
            }
        }
        if let Some(loc) = &input.location {
            if !(18.0..=54.0).contains(&loc.lat) {
                e.add("/location/lat", Code::Range);
            }
            if !(73.0..=136.0).contains(&loc.lon) {
                e.add("/location/lon", Code::Range);
            }
        }

        match (
            e.0.is_empty(),
            division_code,
            poverty_status,
            attribute,
            main_cause,
        ) {
            (
                true,
                Some(division_code),
                Some(poverty_status),
                Some(attribute),
                Some(main_cause),
            ) => Ok(Household {
                division_code,
                group_name: input.group_name.trim().to_string(),
                household_code: input.household_code,
                registered_year: input.registered_year,
                poverty_status,
                exit_year: input.exit_year,
                attribute,
                main_cause,
                other_causes,
                members,
                helpers: input.helpers,
                location: input.location,
            }),
            _ => Err(e.0),
        }
    }
}

fn parse_members(input: &[MemberInput], today: NaiveDate, e: &mut Errors) -> Vec<Member> {
    let heads = input
        .iter()
        .filter(|m| m.relation == Relation::Head.as_str())
        .count();
    if input.is_empty() || input.len() > MAX_MEMBERS || heads != 1 {
        e.add("/members", Code::MembersHead);
    }
    let mut members = Vec::with_capacity(input.len());
    let mut seen_ids: Vec<String> = Vec::new();
    for (i, m) in input.iter().enumerate() {
        let at = |f: &str| format!("/members/{i}/{f}");
        if m.member_no < 1 || input[..i].iter().any(|o| o.member_no == m.member_no) {
            e.add(at("member_no"), Code::MembersRef);
        }
        e.text(&at("name"), &m.name, 50);
        let relation = e.enum_or(&at("relation"), Relation::parse(&m.relation));
        let id_type = e.enum_or(&at("id_type"), IdType::parse(&m.id_type));
        let claimed_sex = m.sex.as_deref().map(Sex::parse);
        if claimed_sex == Some(None) {
            e.add(at("sex"), Code::SchemaInvalid);
        }
        let claimed_birth = m
            .birth_date
            .as_deref()
            .map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        if claimed_birth == Some(None) {
            e.add(at("birth_date"), Code::SchemaInvalid);
        }
        let number = m
            .id_number
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let mut parsed: Option<IdNumber> = None;
        if id_type == Some(IdType::PendingPoliceCert) {
            e.text(
                &at("pending_reason"),
                m.pending_reason.as_deref().unwrap_or(""),
                200,
            );
        }
        let id_number = match (id_type, number) {
            (Some(IdType::PendingPoliceCert), None) | (None, _) => None,
            (Some(_), None) => {
                e.add(at("id_number"), Code::SchemaInvalid);
                None
            }
            (Some(t), Some(n)) => match parse_id(t, n, today) {
                // A provisional number under a pending certificate is checked like any ID.
                Ok((normalised, id)) => {
                    if claimed_sex.flatten().is_some_and(|s| s != id.sex()) {
                        e.add(at("sex"), Code::IdNumberMismatch);
                    }
                    if claimed_birth
                        .flatten()
                        .is_some_and(|d| d != id.birth_date())
                    {
                        e.add(at("birth_date"), Code::IdNumberMismatch);
                    }
                    if seen_ids.contains(&normalised) {
                        e.add(at("id_number"), Code::IdNumberDuplicate);
                    }
                    seen_ids.push(normalised.clone());
                    parsed = Some(id);
                    Some(normalised)
                }
                Err(code) => {
                    e.add(at("id_number"), code);
                    None
                }
            },
        };
        if let (Some(relation), Some(id_type)) = (relation, id_type) {
            members.push(Member {
                member_no: m.member_no,
                name: m.name.trim().to_string(),
                id_type,
                id_number,
                relation,
                sex: parsed.as_ref().map(IdNumber::sex).or(claimed_sex.flatten()),
                birth_date: parsed
                    .as_ref()
                    .map(IdNumber::birth_date)
                    .or(claimed_birth.flatten()),
                pending_reason: m
                    .pending_reason
                    .clone()
                    .filter(|_| id_type == IdType::PendingPoliceCert),
            });
        }
    }
    members
}

/// A resident ID is the 18-character 公民身份号码; a 残疾人证 number is that
/// ID followed by two digits (category 1-7, grade 1-4).
fn parse_id(t: IdType, n: &str, today: NaiveDate) -> Result<(String, IdNumber), Code> {
    match t {
        IdType::DisabilityCert => {
            let (base, suffix) = n.split_at_checked(18).unwrap_or((n, ""));
            let id = IdNumber::parse(base, today)?;
            let s = suffix.as_bytes();
            let suffix_ok =
                s.len() == 2 && (b'1'..=b'7').contains(&s[0]) && (b'1'..=b'4').contains(&s[1]);
            if !suffix_ok {
                return Err(Code::IdNumberFormat);
            }
            Ok((format!("{}{}", id.as_str(), suffix), id))
        }
        _ => IdNumber::parse(n, today).map(|id| (id.as_str().to_string(), id)),
    }
}

/// An official phone: an 11-digit mobile or a landline with area code
/// (digits, optionally one hyphen after the area code).
fn is_phone(s: &str) -> bool {
    let digits: String = s.chars().filter(|c| *c != '-').collect();
    let hyphens = s.chars().filter(|c| *c == '-').count();
    hyphens <= 1 && digits.chars().all(|c| c.is_ascii_digit()) && (7..=12).contains(&digits.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2020, 12, 31).unwrap()
    }

    fn example() -> HouseholdInput {
        serde_json::from_str(include_str!("../../../api-spec/examples/household.json")).unwrap()
    }

    fn codes(r: Result<Household, Vec<FieldError>>) -> Vec<(String, &'static str)> {
        r.err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.field, e.code.as_str()))
            .collect()
    }

    #[test]
    fn the_reference_household_parses_with_derived_sex_and_birth() {
        let h = Household::parse(example(), today()).expect("the example is valid");
        assert_eq!(h.members.len(), 3);
        assert_eq!(h.members[1].sex, Some(Sex::F));
        assert_eq!(
            h.members[0].birth_date,
            NaiveDate::from_ymd_opt(1968, 5, 12)
        );
        assert_eq!(h.main_cause, Cause::Illness);
    }

    #[test]
    fn every_member_problem_is_reported_at_once() {
        let mut h = example();
        h.members[0].id_number = Some("210922196805120118".into()); // check char wrong
        h.members[1].id_number = Some("21092219700308022".into()); // 17 chars
        h.members[2].sex = Some("F".into()); // ID says male
        h.members[2].relation = "head".into(); // two heads
        h.other_causes = vec!["illness".into()]; // repeats main
        h.poverty_status = "gone".into();
        let got = codes(Household::parse(h, today()));
        assert_eq!(
            got,
            vec![
                ("/poverty_status".into(), "schema.invalid"),
                ("/other_causes".into(), "causes.too_many"),
                ("/members".into(), "members.head"),
                ("/members/0/id_number".into(), "id_number.checksum"),
                ("/members/1/id_number".into(), "id_number.format"),
                ("/members/2/sex".into(), "id_number.mismatch"),
            ]
        );
    }

    #[test]
    fn duplicate_id_in_one_household() {
        let mut h = example();
        h.members[2].id_number = h.members[0].id_number.clone();
        assert_eq!(
            codes(Household::parse(h, today())),
            vec![("/members/2/id_number".into(), "id_number.duplicate")]
        );
    }

    #[test]
    fn birth_date_must_agree_with_the_id() {
        let mut h = example();
        h.members[0].birth_date = Some("1968-05-13".into());
        assert_eq!(
            codes(Household::parse(h, today())),
            vec![("/members/0/birth_date".into(), "id_number.mismatch")]
        );
        let mut h = example();
        h.members[0].birth_date = Some("1968-05-12".into());
        h.members[0].sex = Some("M".into());
        assert!(Household::parse(h, today()).is_ok());
    }

    #[test]
    fn member_count_bounds() {
        let mut h = example();
        h.members.clear();
        assert_eq!(
            codes(Household::parse(h, today())),
            vec![("/members".into(), "members.head")]
        );
        let mut h = example();
        h.members[0].relation = "son".into();
        assert_eq!(
            codes(Household::parse(h, today())),
            vec![("/members".into(), "members.head")]
        );
    }

    #[test]
    fn pending_police_cert_needs_a_reason_instead_of_a_number() {
        let mut h = example();
        h.members[2].id_type = "pending_police_cert".into();
        h.members[2].id_number = None;
        assert_eq!(
            codes(Household::parse(h.clone(), today())),
            vec![("/members/2/pending_reason".into(), "schema.invalid")]
        );
        h.members[2].pending_reason = Some("户口迁入待办".into());
        assert!(Household::parse(h.clone(), today()).is_ok());
        // A provisional number is checked like any ID number.
        h.members[2].id_number = Some("21092219950920013".into());
        assert_eq!(
            codes(Household::parse(h, today())),
            vec![("/members/2/id_number".into(), "id_number.format")]
        );
    }

    #[test]
    fn disability_cert_is_an_id_plus_category_and_grade() {
        let mut h = example();
        h.members[2].id_type = "disability_cert".into();
        h.members[2].id_number = Some("21092219950920013462".into());
        assert!(Household::parse(h.clone(), today()).is_ok());
        h.members[2].id_number = Some("21092219950920013482".into());
        assert_eq!(
            codes(Household::parse(h, today())),
            vec![("/members/2/id_number".into(), "id_number.format")]
        );
    }

    #[test]
    fn a_multibyte_disability_number_is_a_format_error_not_a_panic() {
        let mut h = example();
        h.members[2].id_type = "disability_cert".into();
        h.members[2].id_number = Some("二一〇九二二一九九五〇九二〇〇一三四六二".into());
        assert_eq!(
            codes(Household::parse(h, today())),
            vec![("/members/2/id_number".into(), "id_number.format")]
        );
    }

    #[test]
    fn division_code_must_be_a_village() {
        let mut h = example();
        h.division_code = "210922201".into();
        assert_eq!(
            codes(Household::parse(h.clone(), today())),
            vec![("/division_code".into(), "region.not_village")]
        );
        h.division_code = "21092220120".into();
        assert_eq!(
            codes(Household::parse(h, today())),
            vec![("/division_code".into(), "region.code_invalid")]
        );
    }

    #[test]
    fn location_outside_china_and_bad_phone() {
        let mut h = example();
        h.location = Some(LocationInput {
            lat: 1.0,
            lon: 122.0,
            datum: Datum::WGS84,
        });
        h.helpers[0].phone = "call me".into();
        assert_eq!(
            codes(Household::parse(h, today())),
            vec![
                ("/helpers/0/phone".into(), "schema.invalid"),
                ("/location/lat".into(), "range")
            ]
        );
    }

    #[test]
    fn exit_year_before_registration_is_out_of_range() {
        let mut h = example();
        h.exit_year = Some(2013);
        assert_eq!(
            codes(Household::parse(h, today())),
            vec![("/exit_year".into(), "range")]
        );
    }
}
