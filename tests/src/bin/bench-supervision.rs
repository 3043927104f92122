//! Benchmark of the supervision reads on a city-sized SQLite database:
//! `GET /progress` for a city (44,196 households in 619 villages, four
//! levels), against a per-household baseline in the same run, and exports
//! of 100,000 visits as CSV and XLSX.
//!
//! cargo build --release -p sancha-server --bin sancha
//! cargo run --release -p sancha-tests --bin bench-supervision [-- --data-dir DIR [--seed-only]]
//!
//! The last measurement is the phone sync over HTTP: it starts the release
//! `sancha` binary (`--server PATH` to use another) on the seeded database.
//!
//! Prints one line per measurement; BENCHMARKS.md records them.

use std::io::Write;
use std::time::Instant;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use sancha_server::db::{households, progress, AnyConnection};
use sancha_server::domain::RegionCode;
use sancha_server::error::Lang;
use sancha_server::export::{self, Format, Kind, Options};
use sancha_server::{AppState, Config};

const HOUSEHOLDS: usize = 44_196;
const VILLAGES: usize = 619;
const VISITS: usize = 100_000;
const AT: &str = "2026-11-20 01:40:00.000";
const PASSWORD: &str = "bench-password";

fn sqlite(state: &AppState, sql: &str) {
    state
        .db
        .write_blocking(|c| match c {
            // write_blocking is already one transaction.
            AnyConnection::Sqlite(s) => s.batch_execute(sql).map_err(|e| {
                eprintln!("seed SQL failed: {e}");
                e.into()
            }),
            AnyConnection::Postgresql(_) => unreachable!("the bench runs on SQLite"),
        })
        .expect("seed SQL");
}

fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// 7 counties × 9 towns × 10 villages, the first 619 villages used.
fn villages() -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for county in 1..=7 {
        for town in 1..=9 {
            for village in 1..=10 {
                if out.len() < VILLAGES {
                    let county_code = format!("2109{county:02}");
                    let town_code = format!("{county_code}{town:03}");
                    out.push((
                        county_code,
                        town_code.clone(),
                        format!("{town_code}{village:03}"),
                    ));
                }
            }
        }
    }
    out
}

fn seed(state: &AppState) -> Vec<(String, String)> {
    let started = Instant::now();
    let mut sql = String::new();
    sql += &format!(
        "INSERT INTO regions VALUES ('210900000000', '阜新市', NULL, 'city', '{AT}', '{AT}');"
    );
    let hash = sancha_server::auth::hash_password(PASSWORD).expect("hash");
    sql += &format!("INSERT INTO users VALUES ('bench', 'bench', {}, 'admin', '210900000000', 0, 1, '{AT}', '{AT}');", q(&hash));
    let vs = villages();
    let mut seen = std::collections::HashSet::new();
    for (county, town, village) in &vs {
        let county12 = format!("{county:0<12}");
        let town12 = format!("{town:0<12}");
        if seen.insert(county12.clone()) {
            sql += &format!("INSERT INTO regions VALUES ('{county12}', '县{county}', '210900000000', 'county', '{AT}', '{AT}');");
        }
        if seen.insert(town12.clone()) {
            sql += &format!("INSERT INTO regions VALUES ('{town12}', '乡{town}', '{county12}', 'town', '{AT}', '{AT}');");
        }
        sql += &format!("INSERT INTO regions VALUES ('{village}', '村{village}', '{town12}', 'village', '{AT}', '{AT}');");
    }
    sqlite(state, &sql);

    let mut households = Vec::with_capacity(HOUSEHOLDS);
    for chunk in (0..HOUSEHOLDS).collect::<Vec<_>>().chunks(5000) {
        let mut sql = String::new();
        for &i in chunk {
            let village = &vs[i % VILLAGES].2;
            let id = uuid::Uuid::new_v4().to_string();
            sql += &format!(
                "INSERT INTO households VALUES ('{id}', '{village}{i:06}', '{village}', '一组', 2014, 'exited', 2019, 'general', 'illness', '[]', 42.38, 122.54, 'WGS84', 'tok{i}', 1, 1, {i}, '{AT}', '{AT}');\
                 INSERT INTO household_members VALUES ('{id}', 1, '张建国', 'resident_id', '210922196805120119', 'head', 'M', '1968-05-12', NULL);\
                 INSERT INTO household_members VALUES ('{id}', 2, '李桂兰', 'resident_id', '210922197003080228', 'spouse', 'F', '1970-03-08', NULL);"
            );
            households.push((id, village.clone()));
        }
        sqlite(state, &sql);
    }

    let document: serde_json::Value =
        serde_json::from_str(include_str!("../../../api-spec/examples/visit-clean.json"))
            .expect("example");
    // Every household a self-check, then the supervisory shares, then
    // superseded self-checks up to 100,000 visits.
    let mut plan: Vec<(usize, &str, bool)> = (0..HOUSEHOLDS)
        .map(|i| (i, "village_self", false))
        .collect();
    plan.extend((0..HOUSEHOLDS / 2).map(|i| (i * 2, "town_mutual", false)));
    plan.extend((0..HOUSEHOLDS * 3 / 10).map(|i| (i * 10 / 3, "county_cross", false)));
    plan.extend((0..HOUSEHOLDS / 5).map(|i| (i * 5, "city_supervision", false)));
    let mut i = 0;
    while plan.len() < VISITS {
        plan.push((i % HOUSEHOLDS, "village_self", true));
        i += 7;
    }
    let mut seq = 0i64;
    for chunk in plan.chunks(5000) {
        let mut sql = String::new();
        for &(h, level, superseded) in chunk {
            seq += 1;
            let (hid, village) = &households[h];
            let mut doc = document.clone();
            doc["household_id"] = hid.as_str().into();
            doc["level"] = level.into();
            let id = uuid::Uuid::new_v4().to_string();
            let superseded_by = if superseded { "'later'" } else { "NULL" };
            sql += &format!(
                "INSERT INTO visits VALUES ('{id}', '{hid}', '{village}', '{level}', 'bench', 'bench', 'sha', {}, 0, '2026.1', '{AT}', '{AT}', '{AT}', 'unreviewed', NULL, {superseded_by}, {seq}, NULL, NULL, NULL, 4460000, 3);",
                q(&doc.to_string())
            );
            if seq % 5 == 0 {
                let status = if seq % 10 == 0 { "rectified" } else { "open" };
                sql += &format!(
                    "INSERT INTO findings VALUES ('{}', '{id}', '{hid}', '{village}', 0, 'water.quantity', 'high', '/quality/water/quantity_lpd', NULL, '{status}', '2026.1', '{AT}', '{AT}', {});",
                    uuid::Uuid::new_v4(),
                    seq / 5
                );
            }
        }
        sqlite(state, &sql);
    }
    sqlite(state, "ANALYZE;");
    println!(
        "seeded {HOUSEHOLDS} households in {VILLAGES} villages, {} visits in {:.1} s",
        plan.len(),
        started.elapsed().as_secs_f64()
    );
    households
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    // `--data-dir DIR` seeds into DIR (empty or absent) and keeps it, so the
    // console's browser benchmark (web/bench/console.mjs) can serve it;
    // `--seed-only` stops after seeding.
    let args: Vec<String> = std::env::args().collect();
    let kept = args
        .iter()
        .position(|a| a == "--data-dir")
        .and_then(|i| args.get(i + 1))
        .map(std::path::PathBuf::from);
    let temp = tempfile::tempdir().expect("temp dir");
    let data_dir = kept.unwrap_or_else(|| temp.path().to_path_buf());
    let config = Config {
        data_dir: data_dir.clone(),
        database_url: None,
        blob_url: None,
        jwt_secret: Some("bench-secret-bench-secret-bench-secret-0".into()),
        jwt_previous_secret: None,
        workers: None,
        rules_file: None,
        public_base_url: "https://sancha.example.cn".into(),
        card_font: None,
        enrolment_ttl_hours: 24,
    };
    let state = AppState::open(&config).expect("open");
    let households = seed(&state);
    if args.iter().any(|a| a == "--seed-only") {
        println!("seeded into {}", data_dir.display());
        return;
    }
    let city = RegionCode::parse("2109").expect("city");

    let runs: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            let (total, children) = state
                .db
                .read_blocking(|c| progress::progress(c, &city, 2))
                .expect("progress");
            assert_eq!(total.households as usize, HOUSEHOLDS);
            assert_eq!(children.len(), 7);
            t.elapsed().as_secs_f64()
        })
        .collect();
    let grouped = median(runs);
    println!("progress, city of {HOUSEHOLDS} households x 4 levels, grouped queries: median of 5 = {:.3} s", grouped);

    // The baseline the issue warns against: one query per household (one level).
    let t = Instant::now();
    let visited = state
        .db
        .read_blocking(|c| {
            use sancha_server::db::schema::visits;
            let mut n = 0;
            for (hid, _) in &households {
                let k: i64 = visits::table
                    .filter(visits::household_id.eq(hid))
                    .filter(visits::level.eq("village_self"))
                    .filter(visits::superseded_by.is_null())
                    .count()
                    .get_result(c)?;
                n += i64::from(k > 0);
            }
            Ok(n)
        })
        .expect("baseline");
    let per_household_one_level = t.elapsed().as_secs_f64();
    assert_eq!(visited as usize, HOUSEHOLDS);
    println!(
        "baseline, one query per household for ONE level: {:.3} s (x4 levels ≈ {:.1} s); grouped is {:.0}x faster than 4 levels per household",
        per_household_one_level,
        per_household_one_level * 4.0,
        per_household_one_level * 4.0 / grouped
    );

    // Phone sync: a town-sized phone pages through 10,000 households, 500 at a time,
    // members and helpers included (what GET /households serialises).
    let t = Instant::now();
    let (mut synced, mut after, mut bytes) = (0usize, 0i64, 0usize);
    while synced < 10_000 {
        let page = state
            .db
            .read_blocking(|c| households::sync_page(c, &city, None, None, after, 500))
            .expect("sync page");
        bytes += serde_json::to_vec(&page.items).expect("json").len();
        synced += page.items.len();
        after = page.last_seq.expect("a full page");
    }
    println!(
        "sync, 10,000 households in pages of 500: {:.3} s, {bytes} bytes of JSON",
        t.elapsed().as_secs_f64()
    );

    for (kind, format, name) in [
        (Kind::Visits, Format::Csv, "visits.csv"),
        (Kind::Visits, Format::Xlsx, "visits.xlsx"),
        (Kind::Findings, Format::Csv, "findings.csv"),
    ] {
        let opts = Options {
            scope: city.clone(),
            level: None,
            from: None,
            to: None,
            headers: Lang::Zh,
            private: false,
            all: true,
        };
        let mut out = Counting(0);
        let t = Instant::now();
        export::write(&state.db, kind, format, &opts, &mut out).expect("export");
        let secs = t.elapsed().as_secs_f64();
        let what = if kind == Kind::Visits {
            format!("all {VISITS} visits")
        } else {
            format!("{} findings", VISITS / 5)
        };
        println!(
            "export {name}, whole city ({what}): {secs:.2} s, {} bytes",
            out.0
        );
    }

    drop(state);
    sync_over_http(&data_dir);
}

/// The phone's sync as a phone does it: the real server, signed in, pages
/// of 500 households over HTTP until 10,000 have arrived.
fn sync_over_http(data_dir: &std::path::Path) {
    let binary = std::env::args()
        .skip_while(|a| a != "--server")
        .nth(1)
        .unwrap_or_else(|| "target/release/sancha".into());
    if !std::path::Path::new(&binary).exists() {
        println!("sync over HTTP: skipped, {binary} is not built");
        return;
    }
    let server = sancha_tests::ServerProcess::start(binary.as_ref(), data_dir, None, &[]);
    let token: serde_json::Value = ureq::post(&format!("{}/api/v1/auth/token", server.base))
        .send_json(serde_json::json!({"username": "bench", "password": PASSWORD}))
        .expect("sign in")
        .into_json()
        .expect("token");
    let auth = format!(
        "Bearer {}",
        token["access_token"].as_str().expect("access_token")
    );
    let agent = ureq::AgentBuilder::new().build();
    let t = Instant::now();
    let (mut synced, mut cursor, mut bytes, mut pages) = (0usize, String::new(), 0usize, 0);
    while synced < 10_000 {
        let body = agent
            .get(&format!(
                "{}/api/v1/households?scope=2109&limit=500&cursor={cursor}",
                server.base
            ))
            .set("Authorization", &auth)
            .call()
            .expect("a sync page")
            .into_string()
            .expect("body");
        bytes += body.len();
        pages += 1;
        let page: serde_json::Value = serde_json::from_str(&body).expect("JSON page");
        synced += page["items"].as_array().map_or(0, Vec::len);
        cursor = page["next_cursor"]
            .as_str()
            .expect("a next page")
            .to_string();
    }
    println!(
        "sync over HTTP, {synced} households in {pages} pages of 500: {:.3} s, {bytes} bytes",
        t.elapsed().as_secs_f64()
    );
}

/// Counts bytes, keeps none.
struct Counting(u64);

impl Write for Counting {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
