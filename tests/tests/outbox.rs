//! `sancha import visits FILE`: a field app's backup (导出备份, `sancha.outbox.v1`)
//! goes through the same ingest as `PUT /blobs/{sha256}` and `PUT /visits/{id}`,
//! so a broken phone's visits arrive exactly once.

use std::process::Command;

use base64::Engine;
use sancha_server::domain::Role;
use sancha_server::outbox::{self, Report, Tally};
use sancha_tests::*;
use serde_json::Value;

struct Field {
    app: TestApp,
    token: String,
    household_id: String,
}

fn field() -> Field {
    let app = TestApp::spawn();
    app.seed_example_regions();
    app.seed_user("enumerator", Role::Enumerator, VILLAGE);
    let household_id = app.seed_household(input(&example_household()));
    let token = app.token("enumerator");
    Field {
        app,
        token,
        household_id,
    }
}

/// The clean example visit of the household, its house photo the PNG of `seed`.
fn visit(household_id: &str, seed: u8) -> (Value, Vec<u8>, String) {
    let mut v: Value =
        serde_json::from_str(include_str!("../../api-spec/examples/visit-clean.json")).unwrap();
    v["household_id"] = household_id.into();
    let (png, sha) = png(seed);
    v["photos"][0]["sha256"] = sha.clone().into();
    (v, png, sha)
}

fn blob(sha: &str, bytes: &[u8]) -> Value {
    json!({
        "sha256": sha,
        "content_type": "image/png",
        "data_base64": base64::engine::general_purpose::STANDARD.encode(bytes),
    })
}

fn backup(username: &str, visits: &[(&str, &Value)], blobs: Vec<Value>) -> Value {
    json!({
        "format": "sancha.outbox.v1",
        "exported_at": "2026-12-01T10:00:00+08:00",
        "username": username,
        "app_version": "1.0.0",
        "visits": visits.iter().map(|(id, body)| json!({"visit_id": id, "body": body})).collect::<Vec<_>>(),
        "blobs": blobs,
    })
}

fn write(dir: &std::path::Path, name: &str, file: &Value) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(file).unwrap()).unwrap();
    path
}

fn import(f: &Field, file: &Value, as_user: Option<&str>) -> Result<Report, String> {
    let path = write(f.app.dir.path(), "backup.json", file);
    outbox::import_file(&f.app.state, &path, as_user)
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Every visit the enumerator sees, read back through the API.
fn visits_listed(f: &Field) -> usize {
    list_all(
        &f.app.base,
        &format!("Bearer {}", f.token),
        "/api/v1/visits",
    )
    .len()
}

fn tally(stored: usize, already: usize, refused: usize) -> Tally {
    Tally {
        stored,
        already,
        refused,
    }
}

#[test]
fn a_backup_imports_its_blobs_and_visits_and_a_second_run_stores_nothing_twice() {
    let f = field();
    let (a, a_png, a_sha) = visit(&f.household_id, 1);
    let (b, b_png, b_sha) = visit(&f.household_id, 2);
    let (a_id, b_id) = (new_id(), new_id());
    let file = backup(
        "enumerator",
        &[(&a_id, &a), (&b_id, &b)],
        vec![blob(&a_sha, &a_png), blob(&b_sha, &b_png)],
    );

    let first = import(&f, &file, None).unwrap();
    assert!(first.is_clean(), "{first}");
    assert_eq!(
        (first.visits, first.blobs),
        (tally(2, 0, 0), tally(2, 0, 0))
    );
    assert_eq!(first.submitted_as, "enumerator");
    assert_eq!(visits_listed(&f), 2);
    for (id, sha) in [(&a_id, &a_sha), (&b_id, &b_sha)] {
        let read = f.app.get(&format!("/api/v1/visits/{id}"), Some(&f.token));
        assert_eq!(read.status, 200, "{}", read.text);
        assert_eq!(read.body["inspector"], "enumerator");
        let got = f.app.get(&format!("/api/v1/blobs/{sha}"), Some(&f.token));
        assert_eq!((got.status, got.content_type.as_str()), (200, "image/png"));
    }
    // The photo arrived before its visit: a resend's receipt does not miss it.
    let resend = f
        .app
        .put(&format!("/api/v1/visits/{a_id}"), Some(&f.token), &[], &a);
    assert_eq!(resend.status, 200, "{}", resend.text);
    assert!(!resend.body["missing_blobs"]
        .as_array()
        .unwrap()
        .contains(&a_sha.clone().into()));

    let again = import(&f, &file, None).unwrap();
    assert!(again.is_clean(), "{again}");
    assert_eq!(
        (again.visits, again.blobs),
        (tally(0, 2, 0), tally(0, 2, 0))
    );
    assert_eq!(visits_listed(&f), 2);
    let text = again.to_string();
    assert!(
        text.contains("走访 / visits: 入库 / stored 0, 已有 / already there 2, 拒收 / refused 0"),
        "{text}"
    );
}

#[test]
fn a_changed_body_under_a_stored_id_is_a_conflict_and_the_other_visit_still_arrives() {
    let f = field();
    let (a, _, _) = visit(&f.household_id, 1);
    let a_id = new_id();
    let stored = f
        .app
        .put(&format!("/api/v1/visits/{a_id}"), Some(&f.token), &[], &a);
    assert_eq!(stored.status, 201, "{}", stored.text);

    let mut changed = a.clone();
    changed["quality"]["water"]["quantity_lpd"] = 61.into();
    let (b, _, _) = visit(&f.household_id, 2);
    let b_id = new_id();
    let report = import(
        &f,
        &backup("enumerator", &[(&a_id, &changed), (&b_id, &b)], vec![]),
        None,
    )
    .unwrap();
    assert_eq!(report.visits, tally(1, 0, 1));
    assert!(!report.is_clean());
    let refused = &report.refused[0];
    assert_eq!(refused.item, "/visits/0");
    assert_eq!(refused.id.as_deref(), Some(a_id.as_str()));
    assert_eq!(
        (refused.status, refused.code.as_str()),
        (409, "visit.id_conflict")
    );
    let text = report.to_string();
    assert!(
        text.contains(&format!(
            "未入库 / not stored: 走访 / visit {a_id} (/visits/0): 409 visit.id_conflict"
        )),
        "{text}"
    );

    // The stored visit is untouched; the other one is there.
    let read = f.app.get(&format!("/api/v1/visits/{a_id}"), Some(&f.token));
    assert_eq!(
        read.body["document"]["quality"]["water"]["quantity_lpd"],
        60
    );
    assert_eq!(
        f.app
            .get(&format!("/api/v1/visits/{b_id}"), Some(&f.token))
            .status,
        200
    );
    assert_eq!(visits_listed(&f), 2);
}

#[test]
fn a_blob_whose_bytes_do_not_match_its_hash_is_refused_and_the_rest_is_stored() {
    let f = field();
    let (a, _, a_sha) = visit(&f.household_id, 1);
    let (other_png, _) = png(9);
    let (_, b_png, b_sha) = visit(&f.household_id, 2);
    let a_id = new_id();
    let report = import(
        &f,
        &backup(
            "enumerator",
            &[(&a_id, &a)],
            vec![
                blob(&a_sha, &other_png),
                blob(&b_sha, &b_png),
                json!({"sha256": b_sha, "content_type": "text/plain", "data_base64": "aGk="}),
                json!({"sha256": a_sha, "content_type": "image/png", "data_base64": "not base64!"}),
            ],
        ),
        None,
    )
    .unwrap();
    assert_eq!(report.blobs, tally(1, 0, 3), "{report}");
    assert_eq!(report.visits, tally(1, 0, 0), "{report}");
    let seen: Vec<String> = report
        .refused
        .iter()
        .map(|r| {
            let errors: Vec<String> = r
                .errors
                .iter()
                .map(|(p, c)| format!("{p} {}", c.as_str()))
                .collect();
            format!(
                "{} {} {} [{}]",
                r.item,
                r.status,
                r.code.as_str(),
                errors.join(", ")
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            "/blobs/0 422 request.validation_failed [/blobs/0 blob.hash_mismatch]",
            "/blobs/2 415 request.unsupported_media_type []",
            "/blobs/3 422 request.validation_failed [/blobs/3/data_base64 schema.invalid]",
        ]
    );
    assert!(report.to_string().contains(&format!(
        "未入库 / not stored: 图片 / blob {a_sha} (/blobs/0): 422 request.validation_failed; /blobs/0 blob.hash_mismatch"
    )));
    f.app
        .get(&format!("/api/v1/blobs/{a_sha}"), Some(&f.token))
        .assert_problem(404, "not_found");
    assert_eq!(
        f.app
            .get(&format!("/api/v1/blobs/{b_sha}"), Some(&f.token))
            .status,
        // Stored, but no visit of the enumerator's scope refers to it.
        403
    );
    // The refused photo is still missing from its visit, which is stored.
    let resend = f
        .app
        .put(&format!("/api/v1/visits/{a_id}"), Some(&f.token), &[], &a);
    assert_eq!(resend.status, 200);
    assert!(resend.body["missing_blobs"]
        .as_array()
        .unwrap()
        .contains(&a_sha.into()));
}

#[test]
fn hard_errors_and_forbidden_visits_are_reported_by_pointer_without_personal_data() {
    let f = field();
    let (mut bad, _, _) = visit(&f.household_id, 1);
    let name = bad["members"][0]["name"].as_str().unwrap().to_string();
    let id_number = bad["members"][0]["id_number"].as_str().unwrap().to_string();
    let wrong_check = if id_number.ends_with('0') { "1" } else { "0" };
    let wrong = format!("{}{wrong_check}", &id_number[..17]);
    bad["members"][0]["id_number"] = wrong.clone().into();
    let (supervision, _, _) = visit(&f.household_id, 2);
    let mut supervision = supervision;
    supervision["level"] = "town_mutual".into();
    let (bad_id, sup_id) = (new_id(), new_id());
    let report = import(
        &f,
        &backup(
            "enumerator",
            &[
                (&bad_id, &bad),
                ("not-a-uuid", &bad),
                (&sup_id, &supervision),
            ],
            vec![],
        ),
        None,
    )
    .unwrap();
    assert_eq!(report.visits, tally(0, 0, 3), "{report}");
    let first = &report.refused[0];
    assert_eq!(
        (first.status, first.code.as_str()),
        (422, "request.validation_failed")
    );
    assert!(
        first
            .errors
            .iter()
            .any(|(p, c)| p == "/visits/0/body/members/0/id_number"
                && c.as_str() == "id_number.checksum"),
        "{report}"
    );
    assert_eq!(report.refused[1].id, None);
    assert_eq!(report.refused[1].status, 404);
    assert_eq!(
        (report.refused[2].status, report.refused[2].code.as_str()),
        (403, "visit.level_forbidden")
    );
    let text = report.to_string();
    for secret in [
        name.as_str(),
        id_number.as_str(),
        wrong.as_str(),
        "not-a-uuid",
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    assert_eq!(visits_listed(&f), 0);
}

#[test]
fn an_unknown_or_disabled_user_imports_nothing() {
    let f = field();
    let (a, a_png, a_sha) = visit(&f.household_id, 1);
    let file = backup("nobody", &[(&new_id(), &a)], vec![blob(&a_sha, &a_png)]);
    let e = import(&f, &file, None).unwrap_err();
    assert!(e.contains("no user named nobody: nothing imported"), "{e}");

    f.app.seed_user("gone", Role::Enumerator, VILLAGE);
    f.app
        .state
        .db
        .write_blocking(|c| sancha_server::db::users::set_disabled(c, "gone", true, "test"))
        .unwrap();
    let e = import(&f, &file, Some("gone")).unwrap_err();
    assert!(e.contains("user gone is disabled: nothing imported"), "{e}");

    assert_eq!(visits_listed(&f), 0);
    f.app
        .get(&format!("/api/v1/blobs/{a_sha}"), Some(&f.token))
        .assert_problem(404, "not_found");

    // `--as` names an existing user instead of the file's.
    let report = import(&f, &file, Some("enumerator")).unwrap();
    assert_eq!(report.visits, tally(1, 0, 0), "{report}");
}

#[test]
fn a_malformed_file_is_refused_whole() {
    let f = field();
    let (a, _, _) = visit(&f.household_id, 1);
    let mut wrong_format = backup("enumerator", &[(&new_id(), &a)], vec![]);
    wrong_format["format"] = "sancha.outbox.v0".into();
    let e = import(&f, &wrong_format, None).unwrap_err();
    assert!(e.contains("unsupported backup format"), "{e}");
    let path = f.app.dir.path().join("truncated.json");
    std::fs::write(&path, b"{\"format\": \"sancha.outbox.v1\", \"visits\": [").unwrap();
    let e = outbox::import_file(&f.app.state, &path, None).unwrap_err();
    assert!(e.contains("not JSON"), "{e}");
    assert_eq!(visits_listed(&f), 0);
}

/// The real binary on the test app's database: output, exit codes.
#[test]
fn the_cli_imports_a_backup_and_exits_non_zero_when_anything_is_refused() {
    let binary = server_binary();
    let current = binary.exists()
        && Command::new(&binary)
            .args(["import", "visits", "--help"])
            .output()
            .is_ok_and(|o| o.status.success());
    if !current {
        eprintln!(
            "skipped: {} not built or older than `import visits` (cargo test --workspace builds it)",
            binary.display()
        );
        return;
    }
    let f = field();
    let (a, a_png, a_sha) = visit(&f.household_id, 1);
    let a_id = new_id();
    let dir = f.app.dir.path();
    let run = |file: &std::path::Path| {
        let mut cmd = Command::new(&binary);
        cmd.arg("--data-dir").arg(dir);
        if let Some(url) = f.app.database_url() {
            cmd.args(["--database-url", url]);
        }
        let out = cmd
            .args(["import", "visits"])
            .arg(file)
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", "warn")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run sancha");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };

    let good = write(
        dir,
        "good.json",
        &backup("enumerator", &[(&a_id, &a)], vec![blob(&a_sha, &a_png)]),
    );
    let (code, stdout, stderr) = run(&good);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("走访 / visits: 入库 / stored 1, 已有 / already there 0, 拒收 / refused 0"),
        "{stdout}"
    );
    assert!(
        stdout.contains("图片 / blobs: 入库 / stored 1, 已有 / already there 0, 拒收 / refused 0"),
        "{stdout}"
    );
    assert_eq!(visits_listed(&f), 1);

    let mut changed = a.clone();
    changed["quality"]["water"]["quantity_lpd"] = 61.into();
    let conflict = write(
        dir,
        "conflict.json",
        &backup(
            "enumerator",
            &[(&a_id, &changed)],
            vec![blob(&a_sha, &a_png)],
        ),
    );
    let (code, stdout, stderr) = run(&conflict);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("409 visit.id_conflict"), "{stdout}");
    assert!(
        stdout.contains("图片 / blobs: 入库 / stored 0, 已有 / already there 1, 拒收 / refused 0"),
        "{stdout}"
    );
    assert!(stderr.contains("错误 / error: 1 项未入库"), "{stderr}");

    let garbage = dir.join("garbage.json");
    std::fs::write(&garbage, "不是备份").unwrap();
    let (code, stdout, stderr) = run(&garbage);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("not JSON (line 1, column 1)"), "{stderr}");
    assert_eq!(visits_listed(&f), 1);
}
