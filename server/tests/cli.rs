//! The `sancha` binary's subcommands, run as a county's IT person would.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use sancha_server::db::{households, regions, users};
use sancha_server::domain::RegionCode;
use sancha_server::{AppState, Config};

fn sancha(data_dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sancha"))
        .args(args)
        .env("SANCHA_DATA_DIR", data_dir)
        .env_remove("DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run sancha");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("sancha finished")
}

fn state(dir: &Path) -> AppState {
    AppState::open(&Config {
        data_dir: dir.to_path_buf(),
        database_url: None,
        blob_url: None,
        jwt_secret: None,
        jwt_previous_secret: None,
        workers: None,
        rules_file: None,
        public_base_url: "https://sancha.example.cn".into(),
        card_font: None,
        enrolment_ttl_hours: 24,
    })
    .expect("open state")
}

fn seed_village(dir: &Path) {
    let s = state(dir);
    s.db.write_blocking(|c| {
        for (code, name) in [
            ("2109", "阜新市"),
            ("210922", "彰武县"),
            ("210922201", "丰田乡"),
            ("210922201203", "双龙村"),
        ] {
            regions::upsert(c, &RegionCode::parse(code).unwrap(), name, "test")?;
        }
        Ok(())
    })
    .unwrap();
}

fn household_count(dir: &Path) -> usize {
    let s = state(dir);
    s.db.read_blocking(|c| {
        households::sync_page(c, &RegionCode::parse("21").unwrap(), None, None, 0, 500)
    })
    .unwrap()
    .items
    .len()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn user_add_reads_the_password_from_stdin_only() {
    let dir = tempfile::tempdir().unwrap();
    let out = sancha(
        dir.path(),
        &[
            "user",
            "add",
            "--username",
            "wang",
            "--role",
            "supervisor",
            "--scope",
            "210922",
            "--password-stdin",
        ],
        "s3cret-password\n",
    );
    assert!(out.status.success(), "{}", text(&out));
    let s = state(dir.path());
    let user =
        s.db.read_blocking(|c| users::authenticate(c, "wang", "s3cret-password"))
            .unwrap()
            .expect("can sign in");
    assert_eq!(user.scope.as_str(), "210922000000");
    // There is no way to put a password on the command line.
    let out = sancha(
        dir.path(),
        &[
            "user",
            "add",
            "--username",
            "li",
            "--role",
            "admin",
            "--scope",
            "2109",
            "--password",
            "x",
        ],
        "",
    );
    assert!(!out.status.success());
    // A bad role and a short password are both reported.
    let out = sancha(
        dir.path(),
        &[
            "user",
            "add",
            "--username",
            "li",
            "--role",
            "boss",
            "--scope",
            "2109",
            "--password-stdin",
        ],
        "short",
    );
    assert!(!out.status.success());
    let t = text(&out);
    assert!(
        t.contains("user.role_invalid") && t.contains("user.password_too_short"),
        "{t}"
    );
}

#[test]
fn user_disable_stops_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let add = [
        "user",
        "add",
        "--username",
        "zhao",
        "--role",
        "enumerator",
        "--scope",
        "210922201203",
        "--password-stdin",
    ];
    assert!(sancha(dir.path(), &add, "s3cret-password").status.success());
    assert!(
        sancha(dir.path(), &["user", "disable", "--username", "zhao"], "")
            .status
            .success()
    );
    let s = state(dir.path());
    assert!(s
        .db
        .read_blocking(|c| users::authenticate(c, "zhao", "s3cret-password"))
        .unwrap()
        .is_none());
}

#[test]
fn import_csv_with_chinese_headers_labels_and_bom() {
    let dir = tempfile::tempdir().unwrap();
    seed_village(dir.path());
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(std::fs::read(fixture("roster.csv")).unwrap());
    let file = dir.path().join("roster.csv");
    std::fs::write(&file, bytes).unwrap();

    let out = sancha(
        dir.path(),
        &["import", "households", file.to_str().unwrap(), "--dry-run"],
        "",
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("2 户，4 人"), "{}", text(&out));
    assert_eq!(household_count(dir.path()), 0, "a dry run stores nothing");

    let out = sancha(
        dir.path(),
        &["import", "households", file.to_str().unwrap()],
        "",
    );
    assert!(out.status.success(), "{}", text(&out));
    let s = state(dir.path());
    let items =
        s.db.read_blocking(|c| {
            households::sync_page(c, &RegionCode::parse("21").unwrap(), None, None, 0, 10)
        })
        .unwrap()
        .items;
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].poverty_status, "exited");
    assert_eq!(items[0].members[2].relation, "son");
    assert_eq!(items[0].helpers.len(), 1);
    assert_eq!(items[1].other_causes, vec!["lack_labor", "lack_funds"]);
}

#[test]
fn import_xlsx() {
    let dir = tempfile::tempdir().unwrap();
    seed_village(dir.path());
    let out = sancha(
        dir.path(),
        &["import", "households", &fixture("roster.xlsx")],
        "",
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(household_count(dir.path()), 2);
}

#[test]
fn import_reports_every_bad_row_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    seed_village(dir.path());
    let csv = std::fs::read_to_string(fixture("roster.csv"))
        .unwrap()
        .replace("210922197003080228", "210922197003080229") // row 3: check digit
        .replace(
            "2109222012030018,210922201203",
            "2109222012030018,210922201299",
        ) // row 5: unknown village
        .replace("之子,男", "之子,女"); // row 4: sex disagrees with the ID
    let file = dir.path().join("bad.csv");
    std::fs::write(&file, csv).unwrap();
    let out = sancha(
        dir.path(),
        &["import", "households", file.to_str().unwrap()],
        "",
    );
    assert!(!out.status.success());
    let t = text(&out);
    assert!(
        t.contains("第 3 行，列「证件号码」") && t.contains("id_number.checksum"),
        "{t}"
    );
    assert!(
        t.contains("第 4 行，列「性别」") && t.contains("id_number.mismatch"),
        "{t}"
    );
    assert!(
        t.contains("第 5 行，列「区划代码」") && t.contains("region.unknown"),
        "{t}"
    );
    assert_eq!(household_count(dir.path()), 0);
}

#[test]
fn import_reports_missing_and_unknown_columns() {
    let dir = tempfile::tempdir().unwrap();
    seed_village(dir.path());
    let file = dir.path().join("cols.csv");
    std::fs::write(
        &file,
        "household_code,division_code,nickname\n1,210922201203,x\n",
    )
    .unwrap();
    let out = sancha(
        dir.path(),
        &["import", "households", file.to_str().unwrap()],
        "",
    );
    assert!(!out.status.success());
    let t = text(&out);
    assert!(
        t.contains("列「nickname」") && t.contains("列「姓名/name」"),
        "{t}"
    );
}

#[test]
fn migrate_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        let out = sancha(dir.path(), &["migrate"], "");
        assert!(out.status.success(), "{}", text(&out));
    }
    assert!(dir.path().join("sancha.db").exists());
}

/// `serve --demo` seeds an empty database once, prints the demo users and
/// serves them: the README's first command.
#[test]
fn serve_demo_seeds_a_county_and_serves_it() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sancha"))
        .args(["serve", "--demo", "--bind", "127.0.0.1:0", "--workers", "1"])
        .env("SANCHA_DATA_DIR", dir.path())
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start sancha serve");
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut printed = String::new();
    let mut base = None;
    for line in stdout.lines() {
        let line = line.unwrap();
        printed.push_str(&line);
        printed.push('\n');
        if line.contains("curl http://") {
            break;
        }
        if let Some(i) = line.find("http://") {
            base = base.or_else(|| Some(line[i..].split_whitespace().next().unwrap().to_string()));
        }
    }
    let base = base.unwrap_or_else(|| panic!("no address printed: {printed}"));
    assert!(
        printed.contains("supervisor") && printed.contains(sancha_server::demo::DEMO_PASSWORD),
        "{printed}"
    );

    let token: serde_json::Value = ureq::post(&format!("{base}/api/v1/auth/token"))
        .send_json(serde_json::json!({"username": "supervisor", "password": sancha_server::demo::DEMO_PASSWORD}))
        .expect("sign in")
        .into_json()
        .unwrap();
    let bearer = format!("Bearer {}", token["access_token"].as_str().unwrap());
    let page: serde_json::Value = ureq::get(&format!("{base}/api/v1/households?limit=500"))
        .set("Authorization", &bearer)
        .call()
        .expect("list")
        .into_json()
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 500);
    assert!(page["next_cursor"].is_string());
    let villages: serde_json::Value = ureq::get(&format!("{base}/api/v1/regions?parent=210922201"))
        .set("Authorization", &bearer)
        .call()
        .expect("regions")
        .into_json()
        .unwrap();
    assert_eq!(villages["items"].as_array().unwrap().len(), 4);
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Logs carry ids, never names or ID numbers, even at debug level and when
/// a request is refused.
#[test]
fn personal_data_never_reaches_the_log() {
    use std::io::{BufRead, Read};
    let dir = tempfile::tempdir().unwrap();
    seed_village(dir.path());
    let add = [
        "user",
        "add",
        "--username",
        "office",
        "--role",
        "village_office",
        "--scope",
        "210922201203",
        "--password-stdin",
    ];
    assert!(sancha(dir.path(), &add, "s3cret-password").status.success());
    let mut child = Command::new(env!("CARGO_BIN_EXE_sancha"))
        .args(["serve", "--bind", "127.0.0.1:0", "--workers", "1"])
        .env("SANCHA_DATA_DIR", dir.path())
        .env("RUST_LOG", "debug")
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let base = line[line.find("http://").expect("the address is printed first")..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let token: serde_json::Value = ureq::post(&format!("{base}/api/v1/auth/token"))
        .send_json(serde_json::json!({"username": "office", "password": "s3cret-password"}))
        .unwrap()
        .into_json()
        .unwrap();
    let bearer = format!("Bearer {}", token["access_token"].as_str().unwrap());
    let household: serde_json::Value =
        serde_json::from_str(include_str!("../../api-spec/examples/household.json")).unwrap();
    let ok = ureq::post(&format!("{base}/api/v1/households"))
        .set("Authorization", &bearer)
        .send_json(&household);
    assert_eq!(ok.unwrap().status(), 201);
    let mut bad = household.clone();
    bad["members"][0]["id_number"] = "210922196805120118".into();
    bad["household_code"] = "X2".into();
    let refused = ureq::post(&format!("{base}/api/v1/households"))
        .set("Authorization", &bearer)
        .send_json(&bad);
    assert!(matches!(refused, Err(ureq::Error::Status(422, _))));
    let wrong = ureq::post(&format!("{base}/api/v1/auth/token"))
        .send_json(serde_json::json!({"username": "office", "password": "张建国"}));
    assert!(matches!(wrong, Err(ureq::Error::Status(401, _))));
    child.kill().unwrap();
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(
        log.contains("sancha listening"),
        "the log was captured: {log}"
    );
    for private in [
        "张建国",
        "李桂兰",
        "210922196805120",
        "13904180001",
        "s3cret-password",
    ] {
        assert!(
            !log.contains(private),
            "{private} appeared in the log:\n{log}"
        );
    }
    child.wait().unwrap();
}

/// `serve --rules FILE` changes thresholds; `GET /api/v1/rules` shows them.
#[test]
fn a_rule_file_overrides_thresholds() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.toml");
    std::fs::write(&rules, "version = \"fuxin-2020\"\nwater_min_lpd = 40\n").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sancha"))
        .args([
            "serve",
            "--demo",
            "--bind",
            "127.0.0.1:0",
            "--workers",
            "1",
            "--rules",
            rules.to_str().unwrap(),
        ])
        .env("SANCHA_DATA_DIR", dir.path())
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line[line.find("http://").expect("address printed")..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let token: serde_json::Value = ureq::post(&format!("{base}/api/v1/auth/token"))
        .send_json(serde_json::json!({"username": "enumerator", "password": sancha_server::demo::DEMO_PASSWORD}))
        .unwrap()
        .into_json()
        .unwrap();
    let got: serde_json::Value = ureq::get(&format!("{base}/api/v1/rules"))
        .set(
            "Authorization",
            &format!("Bearer {}", token["access_token"].as_str().unwrap()),
        )
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(got["version"], "fuxin-2020");
    assert_eq!(got["water_min_lpd"], 40);
    assert_eq!(
        got["water_min_lpd_scarce"], 20,
        "keys left out keep their defaults"
    );

    std::fs::write(&rules, "water_min_lpd = \"lots\"\n").unwrap();
    let out = sancha(
        dir.path(),
        &["serve", "--rules", rules.to_str().unwrap()],
        "",
    );
    assert!(!out.status.success(), "a bad rule file stops the start");
}

#[test]
fn cards_prints_a_village_as_a_pdf_and_a_county_as_a_zip() {
    let dir = tempfile::tempdir().unwrap();
    seed_village(dir.path());
    let out = sancha(
        dir.path(),
        &["import", "households", &fixture("roster.xlsx")],
        "",
    );
    assert!(out.status.success(), "{}", text(&out));

    let pdf = dir.path().join("双龙村.pdf");
    let out = sancha(
        dir.path(),
        &[
            "cards",
            "--scope",
            "210922201203",
            "--out",
            pdf.to_str().unwrap(),
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("2 张卡, 1 页"), "{}", text(&out));
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-"));

    let zip = dir.path().join("county.zip");
    let out = sancha(
        dir.path(),
        &[
            "cards",
            "--scope",
            "210922",
            "--out",
            zip.to_str().unwrap(),
            "--layout",
            "a4",
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("2 张卡, 2 页"), "{}", text(&out));
    assert!(std::fs::read(&zip).unwrap().starts_with(b"PK\x03\x04"));

    let s = state(dir.path());
    let prints = s
        .db
        .read_blocking(|c| sancha_server::db::audit::for_entity(c, "card_print", "210922000000"))
        .unwrap();
    assert_eq!(prints.len(), 1, "the county print is an audit row");

    let out = sancha(
        dir.path(),
        &["cards", "--scope", "210921", "--out", zip.to_str().unwrap()],
        "",
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("没有农户"), "{}", text(&out));
    let out = sancha(
        dir.path(),
        &[
            "cards",
            "--scope",
            "210922",
            "--out",
            zip.to_str().unwrap(),
            "--layout",
            "a5",
        ],
        "",
    );
    assert!(!out.status.success());
}
