//! `serve --demo`: a demo county seeded into an empty database, so the
//! server can be tried at once. The data is made up; the ID numbers are
//! well-formed but belong to nobody.

use crate::cli::say;
use crate::db::households::{self, Actor};
use crate::db::{regions, users, Db};
use crate::domain::household::{HelperInput, HouseholdInput, LocationInput, MemberInput};
use crate::domain::id_number::with_check_char;
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

/// Seeds the demo county unless the database already has users; `true`
/// when it seeded.
pub fn seed_if_empty(db: &Db) -> Result<bool, String> {
    db.write_blocking(|c| {
        if users::any(c)? {
            return Ok(false);
        }
        for (code, name) in REGIONS {
            regions::upsert(c, &region(code)?, name, "demo")?;
        }
        let mut rng = Lcg(20201231);
        let mut serial = 0;
        for (town_code, town_name, villages) in TOWNS {
            regions::upsert(c, &region(town_code)?, town_name, "demo")?;
            for (v, village_name) in villages.iter().enumerate() {
                let village = format!("{}{}", &town_code[..9], 203 + v);
                regions::upsert(c, &region(&village)?, village_name, "demo")?;
                for _ in 0..HOUSEHOLDS_PER_VILLAGE {
                    serial += 1;
                    let input = demo_household(&village, serial, &mut rng);
                    let h = households::check(c, input, crate::api::today_cn())?;
                    households::insert(c, &h, Actor("demo"))?;
                }
            }
        }
        for (username, role, scope) in DEMO_USERS {
            let new = users::NewUser {
                username: username.to_string(),
                password_hash: crate::auth::hash_password(DEMO_PASSWORD)?,
                role: *role,
                scope: region(scope)?,
            };
            users::create(c, new, "demo")?;
        }
        Ok(true)
    })
    .map_err(|e| format!("demo seed failed: {e}"))
}

fn region(code: &str) -> Result<RegionCode, ApiError> {
    RegionCode::parse(code).ok_or_else(|| ApiError::internal(format!("bad demo region {code}")))
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

/// Prints the demo users and example requests to stdout.
pub fn print_welcome(addr: &str) {
    say(format!(
        "\nsancha 演示数据已就绪 / demo data ready: 彰武县, 12 villages, {} households",
        12 * HOUSEHOLDS_PER_VILLAGE
    ));
    say(format!(
        "演示账号 / demo users (password \"{DEMO_PASSWORD}\"):"
    ));
    for (username, role, scope) in DEMO_USERS {
        say(format!(
            "  {username:<11} {:<15} scope {scope}",
            role.as_str()
        ));
    }
    say("\nTry:".into());
    say(format!("  curl http://{addr}/healthz"));
    say(format!(
        "  TOKEN=$(curl -s -H 'Content-Type: application/json' -d '{{\"username\":\"supervisor\",\"password\":\"{DEMO_PASSWORD}\"}}' http://{addr}/api/v1/auth/token | sed 's/.*\"access_token\":\"\\([^\"]*\\)\".*/\\1/')"
    ));
    say(format!("  curl -H \"Authorization: Bearer $TOKEN\" 'http://{addr}/api/v1/households?scope=210922201203&limit=2'"));
    say(format!(
        "  curl -H \"Authorization: Bearer $TOKEN\" 'http://{addr}/api/v1/regions?parent=210922'\n"
    ));
}
