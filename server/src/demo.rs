//! `serve --demo`: a demo county seeded into an empty database, so the
//! server can be tried at once, as a campaign in progress: the roster, then
//! village self-checks on most households, a drawn sample and part of its
//! supervisory visits, findings open, rectified and closed, and reviewed
//! visits, one of them rejected. The data is made up; the ID numbers are
//! well-formed but belong to nobody.
//!
//! Every visit is a real `sancha.visit.v1` document, built on
//! `api-spec/examples/visit-clean.json`, and goes through what
//! `PUT /api/v1/visits/{id}` runs: the wire shape, `visits::check` (parse and
//! checklist), `visits::prepare` and `visits::insert_group`. Findings move and
//! visits are reviewed through the same db functions as the API, so their
//! audit rows exist. All of it is deterministic (one seeded generator), except
//! that dates are counted back from today.

use chrono::{Datelike, Duration, FixedOffset, NaiveDate, TimeZone};
use serde_json::{json, Value};

use crate::auth::AuthUser;
use crate::checklist::RuleConfig;
use crate::cli::say;
use crate::db::findings::{self as finding_moves, Move};
use crate::db::households::{self, Actor, HouseholdRecord};
use crate::db::visits::{self, Submission};
use crate::db::{regions, samples, users, AnyConnection, Db};
use crate::domain::household::{HelperInput, HouseholdInput, LocationInput, MemberInput};
use crate::domain::id_number::with_check_char;
use crate::domain::visit::{VisitInput, VisitLevel};
use crate::domain::{RegionCode, Role};
use crate::error::ApiError;

/// The password of every demo user (demo only: printed at start-up).
pub const DEMO_PASSWORD: &str = "sancha-demo";

/// (username, role, scope) of the demo users.
pub const DEMO_USERS: &[(&str, Role, &str)] = &[
    ("admin", Role::Admin, "2109"),
    ("supervisor", Role::Supervisor, "210922"),
    ("village", Role::VillageOffice, "210922201203"),
    ("enumerator", Role::Enumerator, "210922201203"),
];

/// The village of the demo's `village` and `enumerator` users. Each other
/// village has its own enumerator and village office, `enum-<code>` and
/// `office-<code>`, with the same password.
pub const DEMO_VILLAGE: &str = "210922201203";
/// The town whose `town_mutual` sample is drawn and half visited.
pub const DEMO_SAMPLE_TOWN: &str = "210922201";

const REGIONS: &[(&str, &str)] = &[("210900000000", "阜新市"), ("210922000000", "彰武县")];
const TOWNS: &[(&str, &str, [&str; 4])] = &[
    (
        "210922201000",
        "丰田乡",
        ["双龙村", "丰田村", "八家子村", "三家子村"],
    ),
    (
        "210922101000",
        "章古台镇",
        ["章古台村", "小北岗村", "前进村", "新发村"],
    ),
    (
        "210922102000",
        "哈尔套镇",
        ["哈尔套村", "东升村", "五家子村", "平安村"],
    ),
];
const HOUSEHOLDS_PER_VILLAGE: usize = 42;

const SURNAMES: &[&str] = &[
    "张", "王", "李", "刘", "陈", "杨", "赵", "黄", "周", "吴", "孙", "马", "高", "郭", "于",
];
const GIVEN: &[&str] = &[
    "建国", "桂兰", "伟", "秀英", "志强", "玉兰", "海", "淑珍", "国庆", "丽", "明", "凤芝", "军",
    "春梅",
];
const CAUSES: &[&str] = &[
    "illness",
    "disability",
    "lack_labor",
    "lack_funds",
    "lack_skills",
    "disaster",
    "education",
];

/// Seeds the demo county and its campaign unless the database already has
/// users; `true` when it seeded. `rules` are the server's checklist
/// thresholds, which the demo's visits are checked against.
pub fn seed_if_empty(db: &Db, rules: &RuleConfig) -> Result<bool, String> {
    db.write_blocking(|c| {
        if users::any(c)? {
            return Ok(false);
        }
        for (code, name) in REGIONS {
            regions::upsert(c, &region(code)?, name, "demo")?;
        }
        let mut rng = Lcg(20201231);
        let mut serial = 0;
        let mut roster = Vec::new();
        for (town_code, town_name, villages) in TOWNS {
            regions::upsert(c, &region(town_code)?, town_name, "demo")?;
            for (v, village_name) in villages.iter().enumerate() {
                let village = format!("{}{}", &town_code[..9], 203 + v);
                regions::upsert(c, &region(&village)?, village_name, "demo")?;
                for _ in 0..HOUSEHOLDS_PER_VILLAGE {
                    serial += 1;
                    let input = demo_household(&village, serial, &mut rng);
                    let h = households::check(c, input, crate::clock::today_cn())?;
                    roster.push(households::insert(c, &h, Actor("demo"))?);
                }
            }
        }
        // One hash for every demo user: they share the printed password, and
        // argon2 is slow in a debug build.
        let password_hash = crate::auth::hash_password(DEMO_PASSWORD)?;
        let mut accounts: Vec<(String, Role, String)> = DEMO_USERS
            .iter()
            .map(|(u, r, s)| (u.to_string(), *r, s.to_string()))
            .collect();
        for village in villages().filter(|v| v != DEMO_VILLAGE) {
            accounts.push((format!("enum-{village}"), Role::Enumerator, village.clone()));
            accounts.push((format!("office-{village}"), Role::VillageOffice, village));
        }
        for (username, role, scope) in &accounts {
            let new = users::NewUser {
                username: username.clone(),
                password_hash: password_hash.clone(),
                role: *role,
                scope: region(scope)?,
            };
            users::create(c, new, "demo")?;
        }
        Campaign::new(rules)?.run(c, &roster)?;
        Ok(true)
    })
    .map_err(|e| format!("demo seed failed: {e}"))
}

/// The 12 demo villages' codes.
fn villages() -> impl Iterator<Item = String> {
    TOWNS.iter().flat_map(|(town, _, names)| {
        (0..names.len()).map(move |v| format!("{}{}", &town[..9], 203 + v))
    })
}

fn region(code: &str) -> Result<RegionCode, ApiError> {
    RegionCode::parse(code).ok_or_else(|| ApiError::internal(format!("bad demo region {code}")))
}

/// A made-up image digest (lower-case hex SHA-256) named by `what`.
fn demo_digest(what: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(what.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A small deterministic generator: the demo is the same on every machine.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

fn demo_household(village: &str, serial: usize, rng: &mut Lcg) -> HouseholdInput {
    let surname = SURNAMES[rng.below(SURNAMES.len())];
    let size = 1 + rng.below(5);
    let head_year = 1945 + rng.below(40);
    let mut members = Vec::new();
    let mut add =
        |no: usize, surname: &str, relation: &str, year: usize, male: bool, rng: &mut Lcg| {
            let seq = 100 + 2 * rng.below(400) + usize::from(male);
            let first17 = format!(
                "{}{:04}{:02}{:02}{:03}",
                &village[..6],
                year,
                1 + rng.below(12),
                1 + rng.below(28),
                seq
            );
            members.push(MemberInput {
                member_no: no as i32,
                name: format!("{surname}{}", GIVEN[rng.below(GIVEN.len())]),
                id_type: "resident_id".into(),
                id_number: Some(with_check_char(&first17)),
                relation: relation.into(),
                sex: None,
                birth_date: None,
                pending_reason: None,
            });
        };
    add(1, surname, "head", head_year, true, rng);
    if size > 1 {
        add(
            2,
            SURNAMES[rng.below(SURNAMES.len())],
            "spouse",
            head_year + rng.below(4),
            false,
            rng,
        );
    }
    for no in 3..=size {
        let male = rng.below(2) == 0;
        add(
            no,
            surname,
            if male { "son" } else { "daughter" },
            head_year + 22 + rng.below(12),
            male,
            rng,
        );
    }
    let exited = rng.below(10) < 8;
    HouseholdInput {
        division_code: village.to_string(),
        group_name: format!("{}组", ["一", "二", "三", "四"][rng.below(4)]),
        household_code: format!("{village}{serial:04}"),
        registered_year: 2014 + rng.below(3) as i32,
        poverty_status: if exited { "exited" } else { "not_exited" }.into(),
        exit_year: exited.then(|| 2017 + rng.below(3) as i32),
        attribute: ["general", "general", "dibao", "tekun"][rng.below(4)].into(),
        main_cause: CAUSES[rng.below(CAUSES.len())].into(),
        other_causes: Vec::new(),
        members,
        helpers: vec![HelperInput {
            name: format!(
                "{}{}",
                SURNAMES[rng.below(SURNAMES.len())],
                GIVEN[rng.below(GIVEN.len())]
            ),
            unit: [
                "彰武县农业农村局",
                "彰武县教育局",
                "彰武县卫健局",
                "阜新市扶贫办",
            ][rng.below(4)]
            .into(),
            title: "科员".into(),
            phone: format!("139041{:05}", rng.below(100_000)),
        }],
        location: Some(LocationInput {
            lat: 42.3 + rng.below(2000) as f64 / 10_000.0,
            lon: 122.4 + rng.below(2000) as f64 / 10_000.0,
            datum: crate::domain::household::Datum::WGS84,
        }),
    }
}

/// The reference visit the demo's visits are built on.
const VISIT_TEMPLATE: &str = include_str!("../../api-spec/examples/visit-clean.json");

/// Who signs a visit as inspector and co-inspector: (name, unit).
const INSPECTORS: &[(&str, &str)] = &[
    ("赵丽", "丰田乡人民政府"),
    ("孙强", "章古台镇人民政府"),
    ("周海燕", "哈尔套镇人民政府"),
    ("吴国华", "彰武县农业农村局"),
];

/// A visit to store, planned before any is stored so that they can be
/// stored in the order they were made.
struct Planned {
    id: uuid::Uuid,
    household: usize,
    level: VisitLevel,
    inspector: AuthUser,
    started_at: chrono::DateTime<FixedOffset>,
    document: Value,
}

/// A stored demo visit, and its findings as (id, code).
struct Done {
    id: String,
    village: String,
    level: VisitLevel,
    inspector: String,
    findings: Vec<(String, String)>,
}

/// What the campaign's visits are made with: the thresholds they are
/// checked against, the clock, the example they are built on.
struct Campaign<'a> {
    rules: &'a RuleConfig,
    now: chrono::DateTime<FixedOffset>,
    template: Value,
    rng: Lcg,
    income_year: i32,
}

fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

fn demo_user(c: &mut AnyConnection, username: &str) -> Result<AuthUser, ApiError> {
    users::auth_user(c, username)?
        .ok_or_else(|| ApiError::internal(format!("demo user {username} missing")))
}

/// Whoever keeps a village's roster and fixes its findings.
fn office_of(village: &str) -> String {
    if village == DEMO_VILLAGE {
        "village".into()
    } else {
        format!("office-{village}")
    }
}

fn enumerator_of(village: &str) -> String {
    if village == DEMO_VILLAGE {
        "enumerator".into()
    } else {
        format!("enum-{village}")
    }
}

/// What a village office writes when it marks a finding fixed.
fn rectify_note(code: &str) -> &'static str {
    match code.split('.').next().unwrap_or("") {
        "med" => "已为该户成员办理城乡居民医保及大病保险参保，家庭医生已签约",
        "housing" => "已纳入危房改造，改造期间该户借住亲属安全住房",
        "income" | "monitor" => "已重新核实收入，落实产业和就业帮扶，纳入防返贫动态监测",
        "water" => "已接通自来水入户，供水正常",
        "sat" => "帮扶责任人已入户沟通、讲解政策，群众表示认可",
        "basic" => "已落实临时救助，保障吃穿",
        "edu" => "已劝返入学，落实教育资助",
        "process" => "已补充核查材料和第二名核查人员签字",
        _ => "已整改到位，整改材料已归档",
    }
}

impl<'a> Campaign<'a> {
    fn new(rules: &'a RuleConfig) -> Result<Campaign<'a>, ApiError> {
        let now = crate::clock::now_cn();
        Ok(Campaign {
            rules,
            now,
            template: serde_json::from_str(VISIT_TEMPLATE).map_err(ApiError::internal)?,
            rng: Lcg(19491001),
            // The year being verified: last year's income until the autumn.
            income_year: if now.month() >= 10 {
                now.year()
            } else {
                now.year() - 1
            },
        })
    }

    fn run(mut self, c: &mut AnyConnection, roster: &[HouseholdRecord]) -> Result<(), ApiError> {
        let today = self.now.date_naive();
        // Village self-checks (村自查) on about 85% of the households, over
        // the last four weeks, each by its village's enumerator.
        let mut plans = Vec::new();
        for (i, h) in roster.iter().enumerate() {
            if self.rng.below(100) >= 86 {
                continue;
            }
            let inspector = demo_user(c, &enumerator_of(&h.division_code))?;
            let day = today - Duration::days(3 + self.rng.below(26) as i64);
            let variant = self.rng.below(100);
            plans.push(self.plan(h, i, VisitLevel::VillageSelf, inspector, day, variant)?);
        }
        let mut done = self.store(c, roster, plans)?;

        // A town's 乡镇互检 sample, drawn as POST /samples draws it, and the
        // supervisor's visits to about half of it in the last two days.
        let supervisor = demo_user(c, "supervisor")?;
        let level = VisitLevel::TownMutual;
        let plan = samples::Plan {
            level,
            rate_permille: level.target_share_permille(),
            seed: 2020,
            strategy: samples::Strategy::Random,
        };
        let sample = samples::create(
            c,
            &region(DEMO_SAMPLE_TOWN)?,
            &plan,
            self.rules,
            &supervisor.username,
        )?;
        let mut plans = Vec::new();
        for household_id in sample.households.iter().step_by(2) {
            let Some(i) = roster.iter().position(|h| &h.id == household_id) else {
                continue;
            };
            let day = today - Duration::days(1 + self.rng.below(2) as i64);
            let variant = self.rng.below(100);
            plans.push(self.plan(&roster[i], i, level, supervisor.clone(), day, variant)?);
        }
        done.extend(self.store(c, roster, plans)?);

        let rejected = self.review(c, &done, &supervisor)?;
        self.move_findings(c, &done, &rejected, &supervisor)
    }

    /// The supervisor approves some self-checks and sends one of the demo
    /// enumerator's back (rejected, with what to correct); returns its id.
    fn review(
        &mut self,
        c: &mut AnyConnection,
        done: &[Done],
        supervisor: &AuthUser,
    ) -> Result<String, ApiError> {
        let mut rejected = String::new();
        for d in done.iter().filter(|d| d.level == VisitLevel::VillageSelf) {
            if rejected.is_empty() && d.inspector == "enumerator" && !d.findings.is_empty() {
                visits::review(
                    c,
                    &d.id,
                    false,
                    "务工收入未附工资流水或用工证明，家庭成员就业情况与花名册不符，请补充核实后重新提交",
                    supervisor,
                )?;
                rejected = d.id.clone();
            } else if self.rng.below(100) < 20 {
                visits::review(c, &d.id, true, "核查规范，信息属实", supervisor)?;
            }
        }
        Ok(rejected)
    }

    /// 边检查、边整改: village offices rectify about a third of the findings,
    /// the supervisor closes about half of those (销号) and reopens one; the
    /// rest stay open, and so do those of the rejected visit. The demo
    /// village's first four findings are two closed and two rectified.
    fn move_findings(
        &mut self,
        c: &mut AnyConnection,
        done: &[Done],
        rejected: &str,
        supervisor: &AuthUser,
    ) -> Result<(), ApiError> {
        let mut offices: std::collections::HashMap<String, AuthUser> = Default::default();
        let mut reopened = false;
        let mut in_demo_village = 0;
        for d in done.iter().filter(|d| d.id != rejected) {
            for (id, code) in &d.findings {
                let forced = if d.village == DEMO_VILLAGE {
                    in_demo_village += 1;
                    (in_demo_village <= 4).then_some(in_demo_village <= 2)
                } else {
                    None
                };
                let (rectify, close) = match forced {
                    Some(close) => (true, close),
                    None => (self.rng.below(100) < 35, self.rng.below(100) < 55),
                };
                if !rectify {
                    continue;
                }
                if !offices.contains_key(&d.village) {
                    let office = demo_user(c, &office_of(&d.village))?;
                    offices.insert(d.village.clone(), office);
                }
                let office = &offices[&d.village];
                finding_moves::transition(c, id, Move::Rectify, rectify_note(code), office)?;
                if close {
                    finding_moves::transition(
                        c,
                        id,
                        Move::Close,
                        "已核实整改到位，同意销号",
                        supervisor,
                    )?;
                } else if !reopened && d.village != DEMO_VILLAGE {
                    finding_moves::transition(
                        c,
                        id,
                        Move::Reopen,
                        "复查发现整改材料不全，问题仍未解决，退回重新整改",
                        supervisor,
                    )?;
                    reopened = true;
                }
            }
        }
        Ok(())
    }

    /// Checks and stores visits as `PUT /api/v1/visits/{id}` does, in the
    /// order they were made, as one group (the way the group commit stores
    /// visits that arrive together). None of them bears on another's check:
    /// each household gets at most one visit of a level here.
    fn store(
        &mut self,
        c: &mut AnyConnection,
        roster: &[HouseholdRecord],
        mut plans: Vec<Planned>,
    ) -> Result<Vec<Done>, ApiError> {
        plans.sort_by_key(|p| p.started_at);
        let now = crate::db::now();
        let mut group = Vec::with_capacity(plans.len());
        let mut done = Vec::with_capacity(plans.len());
        for p in plans {
            let sub = Submission::of(p.id, &p.document);
            let answers = crate::checklist::answers_fingerprint(&p.document);
            let input: VisitInput = crate::api::json::from_value(p.document)?;
            let checked = visits::check(c, input, answers, &p.inspector, self.rules, self.now)?;
            let mut new = visits::prepare(sub, checked, &p.inspector, self.rules);
            // The phone sent it some minutes to hours after the visit (by now
            // at the latest); its findings were raised when it arrived.
            let sent = new.visit.ended_at + Duration::minutes(5 + self.rng.below(240) as i64);
            new.visit.received_at = sent.min(now);
            for f in &mut new.findings {
                f.created_at = new.visit.received_at;
                f.updated_at = new.visit.received_at;
            }
            done.push(Done {
                id: new.visit.id.clone(),
                village: roster[p.household].division_code.clone(),
                level: p.level,
                inspector: p.inspector.username.clone(),
                findings: new
                    .findings
                    .iter()
                    .map(|f| (f.id.clone(), f.code.clone()))
                    .collect(),
            });
            group.push(new);
        }
        if visits::insert_group(c, &mut group)?.contains(&false) {
            return Err(ApiError::internal("a demo visit id was taken"));
        }
        Ok(done)
    }

    fn plan(
        &mut self,
        h: &HouseholdRecord,
        household: usize,
        level: VisitLevel,
        inspector: AuthUser,
        day: NaiveDate,
        variant: usize,
    ) -> Result<Planned, ApiError> {
        let mut id = [0u8; 16];
        for b in &mut id {
            *b = self.rng.below(256) as u8;
        }
        let minute = 8 * 60 + self.rng.below(8 * 60) as i64;
        let started_at = china()
            .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
            .single()
            .ok_or_else(|| ApiError::internal("demo date"))?
            + Duration::minutes(minute);
        let minutes = 20 + self.rng.below(35) as i64;
        let document = self.document(h, level, started_at, minutes, variant)?;
        Ok(Planned {
            id: uuid::Builder::from_random_bytes(id).into_uuid(),
            household,
            level,
            inspector,
            started_at,
            document,
        })
    }

    /// A `sancha.visit.v1` document of `h`: the household as the roster has
    /// it, living as the clean example lives, except for what `variant`
    /// (0-99) changes so that about 45% of the visits raise findings.
    fn document(
        &mut self,
        h: &HouseholdRecord,
        level: VisitLevel,
        started_at: chrono::DateTime<FixedOffset>,
        minutes: i64,
        variant: usize,
    ) -> Result<Value, ApiError> {
        let at = |m: i64| (started_at + Duration::minutes(m)).to_rfc3339();
        let year = self.income_year;
        let reference = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default();
        let mut v = self.template.clone();
        v["household_id"] = h.id.clone().into();
        v["level"] = level.as_str().into();
        v["income_year"] = year.into();
        let hh = &mut v["household"];
        hh["division_code"] = h.division_code.clone().into();
        hh["group_name"] = h.group_name.clone().into();
        hh["registered_year"] = h.registered_year.into();
        hh["poverty_status"] = h.poverty_status.clone().into();
        hh["exit_year"] = h.exit_year.into();
        hh["attribute"] = h.attribute.clone().into();
        hh["main_cause"] = h.main_cause.clone().into();
        hh["other_causes"] = json!(h.other_causes);
        hh["registered_member_count"] = h.members.len().into();

        // Members, and who earns what.
        let shape = self.template["members"][0].clone();
        let mut members = Vec::new();
        let mut workers = Vec::new();
        let mut pensioners = 0i64;
        for m in &h.members {
            let id = m.id_number.clone().unwrap_or_default();
            let born = m
                .birth_date
                .as_deref()
                .and_then(|b| NaiveDate::parse_from_str(b, "%Y-%m-%d").ok())
                .or_else(|| NaiveDate::parse_from_str(id.get(6..14)?, "%Y%m%d").ok())
                .unwrap_or(reference);
            let sex = m.sex.clone().unwrap_or_else(|| {
                let odd = id.as_bytes().get(16).is_some_and(|d| (d - b'0') % 2 == 1);
                if odd { "M" } else { "F" }.into()
            });
            let age = reference.years_since(born).unwrap_or(0);
            let mut x = shape.clone();
            x["member_no"] = m.member_no.into();
            x["name"] = m.name.clone().into();
            x["id_type"] = m.id_type.clone().into();
            x["id_number"] = m.id_number.clone().into();
            x["relation"] = m.relation.clone().into();
            x["sex"] = sex.into();
            x["birth_date"] = born.format("%Y-%m-%d").to_string().into();
            let (education, school, labor, employment, pension) = match age {
                0..=5 => (
                    "preschool",
                    "preschool",
                    "none",
                    json!({"status": "not_working", "months": 0, "place": null}),
                    "none",
                ),
                6..=11 => (
                    "primary",
                    "primary",
                    "none",
                    json!({"status": "student", "months": 0, "place": null}),
                    "none",
                ),
                12..=15 => (
                    "junior",
                    "junior_secondary",
                    "none",
                    json!({"status": "student", "months": 0, "place": null}),
                    "none",
                ),
                16..=18 => (
                    "senior",
                    "senior_secondary",
                    "none",
                    json!({"status": "student", "months": 0, "place": null}),
                    "none",
                ),
                19..=59 if m.relation != "head" && m.relation != "spouse" => {
                    workers.push(m.member_no);
                    let place = ["in_county", "in_province", "out_province"][self.rng.below(3)];
                    (
                        "senior",
                        "not_student",
                        "skilled",
                        json!({"status": "migrant", "months": 8 + self.rng.below(4), "place": place}),
                        "resident",
                    )
                }
                19..=64 => (
                    "junior",
                    "not_student",
                    "normal",
                    json!({"status": "farming", "months": 0, "place": null}),
                    "resident",
                ),
                _ => {
                    pensioners += 1;
                    (
                        "primary",
                        "not_student",
                        "lost",
                        json!({"status": "not_working", "months": 0, "place": null}),
                        "resident",
                    )
                }
            };
            x["education"] = education.into();
            x["school_status"] = school.into();
            x["labor"] = labor.into();
            x["employment"] = employment;
            x["pension_insurance"] = pension.into();
            x["in_dibao"] = (h.attribute == "dibao" && m.relation == "head").into();
            x["in_tekun"] = (h.attribute == "tekun" && m.relation == "head").into();
            members.push(x);
        }
        let n = members.len() as i64;

        // Income: comfortably above the line (net ≈ 9,000-12,000 yuan a head),
        // from several sources, unless the variant puts it near or below.
        let per_head_yuan = match variant {
            10..=14 => 3200 + self.rng.below(800) as i64,
            15..=18 => 5100 + self.rng.below(200) as i64,
            _ => 9000 + self.rng.below(3000) as i64,
        };
        let net = per_head_yuan * n * 100;
        let share = |permille: i64| net * permille / 1000 / 100 * 100;
        let mut wage = Vec::new();
        if !workers.is_empty() {
            let each = share(450) / workers.len() as i64;
            for no in &workers {
                let gross = each * 4 / 3 / 100 * 100;
                wage.push(json!({"member_no": no, "kind": "migrant", "gross_fen": gross, "cost_fen": gross - each}));
            }
        }
        let operating_net = share(if wage.is_empty() { 550 } else { 300 });
        let planting = operating_net * 10 / 7 / 100 * 100;
        let mut transfer = vec![json!({"kind": "farm_subsidy", "amount_fen": share(60)})];
        if pensioners > 0 {
            transfer.push(json!({"kind": "pension", "amount_fen": 150_000 * pensioners}));
        }
        for (attr, kind) in [("dibao", "dibao"), ("tekun", "tekun")] {
            if h.attribute == attr {
                transfer.push(json!({"kind": kind, "amount_fen": 360_000}));
            }
        }
        let transfer_total: i64 = transfer
            .iter()
            .filter_map(|t| t["amount_fen"].as_i64())
            .sum();
        let rest = (share(if wage.is_empty() { 450 } else { 250 }) - transfer_total).max(share(80));
        v["income"] = json!({
            "wage": wage,
            "operating": [{"kind": "planting", "item": "玉米", "gross_fen": planting}],
            "operating_cost": [{"item": "种子化肥农药", "amount_fen": planting - operating_net}],
            "property": [{"kind": "dividend", "amount_fen": rest}],
            "transfer": transfer,
            "excluded": [],
            "land_mu": {"farmland": 4 + self.rng.below(12), "irrigated": 0.0},
        });
        v["policy"]["benefits"][0]["amount_fen"] = rest.into();
        v["policy"]["benefits"][0]["period"] = year.to_string().into();
        v["policy"]["helpers"] = h
            .helpers
            .iter()
            .map(|x| {
                json!({"name": x.name, "unit": x.unit, "title": x.title, "phone": x.phone,
                "known_by_household": true, "visits_last_12m": 4 + self.rng.below(9)})
            })
            .collect();

        // Where and when; the card on the wall scanned on most visits.
        if let Some(loc) = &h.location {
            let (lat, lon) = (loc.lat + 0.0002, loc.lon - 0.0002);
            v["geo"]["lat"] = lat.into();
            v["geo"]["lon"] = lon.into();
            v["photos"][0]["lat"] = lat.into();
            v["photos"][0]["lon"] = lon.into();
        }
        v["geo"]["fix_at"] = at(1).into();
        v["photos"][0]["taken_at"] = at(5).into();
        // Each visit's own photo and signatures, as a phone makes them (the
        // images themselves are not in the demo).
        let image = |what: &str| demo_digest(&format!("{what} {} {}", h.id, level.as_str()));
        v["photos"][0]["sha256"] = image("photo").into();
        for sig in v["signatures"].as_array_mut().into_iter().flatten() {
            let role = sig["role"].as_str().unwrap_or_default().to_string();
            sig["image_sha256"] = image(&format!("signature {role}")).into();
        }
        v["timing"] = json!({"started_at": at(0), "ended_at": at(minutes)});
        if self.rng.below(10) < 7 {
            v["card_scan"] = h.public_token.clone().into();
        }
        let (name, unit) = INSPECTORS[self.rng.below(INSPECTORS.len())];
        let sigs = &mut v["signatures"];
        sigs[0]["name"] = name.into();
        sigs[0]["unit"] = unit.into();
        sigs[0]["staff_id"] = format!("ZW-{:04}", self.rng.below(10_000)).into();
        sigs[0]["signed_at"] = at(minutes - 2).into();
        sigs[1]["signed_at"] = at(minutes - 2).into();
        sigs[2]["signed_at"] = at(minutes - 1).into();
        if level == VisitLevel::VillageSelf {
            sigs[1]["unit"] = "村民委员会".into();
        }

        // What this visit finds.
        let pick = self.rng.below(h.members.len().max(1));
        v["members"] = json!(members);
        match variant {
            0..=5 => {
                v["members"][pick]["medical_insurance"] = "none".into();
                v["members"][pick]["critical_illness_insurance"] = false.into();
            }
            6..=9 => {
                v["quality"]["housing"] = json!({
                    "owns_or_lives_safe": false, "structure": "earth_adobe", "built_year": 1986,
                    "grade": if variant == 9 { "D" } else { "C" },
                    "renovation": {"kind": "none", "completed": null, "completed_date": null},
                    "visible_defects": ["wall_cracks", "leaks"]
                });
                v["photos"][0]["kind"] = "house_defect".into();
            }
            // 10..=18: the income above.
            19..=24 => {
                // SAT_HELPER or SAT_POLICY_DONE.
                v["revisit"]["answers"][self.rng.below(2)]["value"] = if variant == 24 {
                    "very_dissatisfied"
                } else {
                    "dissatisfied"
                }
                .into();
            }
            25..=27 => v["quality"]["water"]["quantity_lpd"] = (22 + self.rng.below(10)).into(),
            28..=30 => {
                v["members"][0]["health"] = "chronic".into();
                v["members"][0]["chronic_kinds"] = json!(["hypertension"]);
                v["members"][0]["family_doctor_signed"] = false.into();
            }
            31..=32 => {
                v["revisit"]["answers"][2]["value"] = "no".into();
                for helper in v["policy"]["helpers"].as_array_mut().into_iter().flatten() {
                    helper["known_by_household"] = false.into();
                }
            }
            33..=35 => {
                // One inspector only; a second photo keeps the four images.
                let sigs = v["signatures"].as_array_mut().expect("signatures");
                sigs.remove(1);
                let mut photo = v["photos"][0].clone();
                photo["kind"] = "inspector_with_household".into();
                photo["sha256"] = image("photo with the inspector").into();
                v["photos"].as_array_mut().expect("photos").push(photo);
            }
            36..=37 => v["members"][pick]["critical_illness_insurance"] = false.into(),
            38..=39 => v["quality"]["protein_anytime"] = false.into(),
            40 if h.poverty_status == "exited" => v["revisit"]["acknowledges_exit"] = false.into(),
            41..=43 => {
                let water = &mut v["quality"]["water"];
                water["source"] = "shared_well".into();
                water["piped_to_home"] = false.into();
                water["fetch_round_trip_min"] = (25 + self.rng.below(20)).into();
                water["fetch_horizontal_m"] = 900.into();
            }
            _ => {}
        }
        Ok(v)
    }
}

/// Prints what the demo holds, where to open it, the demo users and example
/// requests to stdout. `base` is where the server listens (`http://127.0.0.1:8080`).
pub fn print_welcome(base: &str) {
    say(format!(
        "\nsancha 演示数据已就绪 / demo data ready: 彰武县, 3 towns, 12 villages, {} households",
        12 * HOUSEHOLDS_PER_VILLAGE
    ));
    say("  一场进行中的三查一访 / a campaign in progress:".into());
    say(
        "  - 约85%的农户已完成村自查 / village self-checks (村自查) on about 85% of the households"
            .into(),
    );
    say(format!(
        "  - 丰田乡已抽取乡镇互检样本，约一半已走访 / a town_mutual sample of 丰田乡 ({DEMO_SAMPLE_TOWN}), about half of it visited"
    ));
    say("  - 整改清单中有待整改、已整改和已销号的问题 / findings open, rectified and closed, with notes in the audit log".into());
    say("  - enumerator 有一条被督导退回的走访待修改 / one of enumerator's visits rejected by the supervisor, to correct".into());
    say(format!(
        "\n在浏览器中打开办公台 / open the office console in a browser: {base}/"
    ));
    say(format!(
        "核查员手机端（后续提供）/ the field app (later): {base}/app/"
    ));
    say(format!(
        "\n演示账号 / demo users (password \"{DEMO_PASSWORD}\"):"
    ));
    for (username, role, scope) in DEMO_USERS {
        say(format!(
            "  {username:<11} {:<15} scope {scope}",
            role.as_str()
        ));
    }
    say(
        "  其他各村另有核查员 enum-<村代码> 和村委会 office-<村代码>，密码相同 / \
         each other village has its enumerator enum-<village code> and office office-<village code>, same password"
            .into(),
    );
    say("\nTry:".into());
    say(format!("  curl {base}/healthz"));
    say(format!(
        "  TOKEN=$(curl -s -H 'Content-Type: application/json' -d '{{\"username\":\"supervisor\",\"password\":\"{DEMO_PASSWORD}\"}}' {base}/api/v1/auth/token | sed 's/.*\"access_token\":\"\\([^\"]*\\)\".*/\\1/')"
    ));
    say(format!("  curl -H \"Authorization: Bearer $TOKEN\" '{base}/api/v1/households?scope=210922201203&limit=2'"));
    say(format!(
        "  curl -H \"Authorization: Bearer $TOKEN\" '{base}/api/v1/findings?scope=210922201203&status=open&limit=5'\n"
    ));
}
