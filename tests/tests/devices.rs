//! Phones enrolled by QR code (手机登记): a code enrols one phone once and
//! expires, stays inside the office's scope, guesses are throttled, a
//! revoked (or disabled user's) phone is refused at once, and no code ever
//! reaches the audit log or the server's log.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use sancha_server::domain::Role;
use sancha_tests::*;
use serde_json::{json, Value};

/// Everything the server logs in this test binary, at every level.
fn captured_log() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let sink = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || Sink(sink.clone()))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("one subscriber");
        buf
    })
}

struct Sink(Arc<Mutex<Vec<u8>>>);
impl Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The example regions, a village office `office` and enumerators `hcy1`,
/// `hcy2` of the example village.
fn village() -> (TestApp, String) {
    captured_log();
    let (app, office) = TestApp::with_office_on(default_backend());
    app.seed_user("hcy1", Role::Enumerator, VILLAGE);
    app.seed_user("hcy2", Role::Enumerator, VILLAGE);
    (app, office)
}

fn code_for(app: &TestApp, token: &str, username: &str) -> String {
    let r = app.post(
        "/api/v1/enrolments",
        Some(token),
        &json!({"usernames": [username]}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let item = &r.body["items"][0];
    let code = item["code"].as_str().expect("a code").to_string();
    assert_eq!(code.len(), 22, "128 bits in base64url");
    assert_eq!(item["url"], format!("{PUBLIC_BASE_URL}/app/#enroll={code}"));
    code
}

fn enrol(app: &TestApp, code: &str) -> Resp {
    app.post(
        "/api/v1/devices",
        None,
        &json!({"code": code, "name": "张三的手机", "model": "Redmi Note 12"}),
    )
}

#[test]
fn a_code_enrols_one_phone_once_and_the_phone_then_syncs_reports_and_refreshes() {
    let (app, office) = village();
    let code = code_for(&app, &office, "hcy1");
    let r = enrol(&app, &code);
    assert_eq!(r.status, 201, "{}", r.text);
    let device = r.body["device_id"].as_str().unwrap().to_string();
    assert_eq!(r.body["user"]["username"], "hcy1");
    let access = r.body["access_token"].as_str().unwrap().to_string();
    let refresh = r.body["refresh_token"].as_str().unwrap().to_string();
    assert_eq!(app.get("/api/v1/households", Some(&access)).status, 200);

    enrol(&app, &code).assert_problem(401, "enrolment.used");
    enrol(&app, "AAAAAAAAAAAAAAAAAAAAAA").assert_problem(401, "enrolment.unknown");

    let report =
        json!({"app_version": "field-7", "unsent": 3, "last_sync_at": "2026-12-02T08:00:00+08:00"});
    assert_eq!(
        app.post("/api/v1/devices/report", Some(&access), &report)
            .status,
        204
    );
    let listed = app.get("/api/v1/users/hcy1/devices", Some(&office));
    assert_eq!(listed.status, 200, "{}", listed.text);
    let d = &listed.body["items"][0];
    assert_eq!(
        (d["id"].as_str(), d["model"].as_str()),
        (Some(device.as_str()), Some("Redmi Note 12"))
    );
    assert_eq!(
        (d["app_version"].as_str(), d["unsent"].as_i64()),
        (Some("field-7"), Some(3))
    );
    assert_eq!(d["last_sync_at"], "2026-12-02T00:00:00.000Z");
    assert!(d["revoked_at"].is_null());

    // A refresh keeps the session bound to the phone.
    let r = app.post(
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": refresh}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["device_id"], device.as_str());
    let again = r.body["access_token"].as_str().unwrap();
    assert_eq!(
        app.post("/api/v1/devices/report", Some(again), &report)
            .status,
        204
    );
}

#[test]
fn an_expired_code_is_refused() {
    let (app, office) = village();
    let code = code_for(&app, &office, "hcy1");
    app.state
        .db
        .write_blocking(|conn| {
            use diesel::prelude::*;
            diesel::sql_query("UPDATE enrolments SET expires_at = created_at")
                .execute(conn)
                .map_err(Into::into)
        })
        .unwrap();
    enrol(&app, &code).assert_problem(401, "enrolment.expired");
}

#[test]
fn an_office_enrols_only_its_own_users_and_says_every_unknown_one() {
    let (app, office) = village();
    app.seed_user("far", Role::Enumerator, OTHER_VILLAGE);
    app.seed_user("boss", Role::Supervisor, VILLAGE);
    let r = app.post(
        "/api/v1/enrolments",
        Some(&office),
        &json!({"usernames": ["far"]}),
    );
    r.assert_problem(403, "auth.out_of_scope");
    let r = app.post(
        "/api/v1/enrolments",
        Some(&office),
        &json!({"usernames": ["boss"]}),
    );
    r.assert_problem(403, "auth.role_forbidden");
    let r = app.post(
        "/api/v1/enrolments",
        Some(&office),
        &json!({"usernames": ["hcy1", "nobody", "ghost"]}),
    );
    r.assert_problem(422, "request.validation_failed");
    assert_eq!(
        r.field_errors(),
        [
            ("/usernames/1".into(), "user.unknown".into()),
            ("/usernames/2".into(), "user.unknown".into())
        ]
    );
    let none = app.post(
        "/api/v1/enrolments",
        Some(&office),
        &json!({"usernames": []}),
    );
    assert_eq!(
        none.field_errors(),
        [("/usernames".into(), "enrolment.usernames_invalid".into())]
    );
    let enumerator = app.token("hcy1");
    let r = app.post(
        "/api/v1/enrolments",
        Some(&enumerator),
        &json!({"usernames": ["hcy2"]}),
    );
    r.assert_problem(403, "auth.role_forbidden");
}

#[test]
fn guesses_are_throttled_per_client() {
    let (app, office) = village();
    let code = code_for(&app, &office, "hcy1");
    for i in 0..10 {
        enrol(&app, &format!("guess-{i}")).assert_problem(401, "enrolment.unknown");
    }
    let r = enrol(&app, "guess-10");
    r.assert_problem(429, "enrolment.too_many_attempts");
    assert!(r.header("retry-after").is_some());
    // While throttled, even the right code waits: a guesser cannot tell.
    enrol(&app, &code).assert_problem(429, "enrolment.too_many_attempts");
}

#[test]
fn a_revoked_phone_is_refused_at_once_and_the_users_other_phone_is_not() {
    let (app, office) = village();
    let lost = enrol(&app, &code_for(&app, &office, "hcy1"));
    let kept = enrol(&app, &code_for(&app, &office, "hcy1"));
    let (lost_id, lost_access, lost_refresh) = session(&lost);
    let (_, kept_access, _) = session(&kept);
    assert_eq!(
        app.get("/api/v1/households", Some(&lost_access)).status,
        200
    );

    let r = app.post(
        &format!("/api/v1/devices/{lost_id}/revoke"),
        Some(&office),
        &json!({}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["revoked_by"], "office");
    app.get("/api/v1/households", Some(&lost_access))
        .assert_problem(401, "auth.device_revoked");
    app.post(
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": lost_refresh}),
    )
    .assert_problem(401, "auth.device_revoked");
    assert_eq!(
        app.get("/api/v1/households", Some(&kept_access)).status,
        200
    );
    // Revoking again changes nothing.
    let again = app.post(
        &format!("/api/v1/devices/{lost_id}/revoke"),
        Some(&office),
        &json!({}),
    );
    assert_eq!(
        (again.status, &again.body["revoked_at"]),
        (200, &r.body["revoked_at"])
    );
    // Another office's user cannot revoke it.
    app.seed_user("far-office", Role::VillageOffice, OTHER_VILLAGE);
    let far = app.token("far-office");
    let r = app.post(
        &format!("/api/v1/devices/{lost_id}/revoke"),
        Some(&far),
        &json!({}),
    );
    r.assert_problem(403, "auth.out_of_scope");
}

#[test]
fn another_replica_refuses_a_revoked_phone_within_its_revocation_window() {
    let (app, office) = village();
    let window = std::time::Duration::from_secs(1);
    let other = app.replica(window);
    let (id, access, refresh) = session(&enrol(&app, &code_for(&app, &office, "hcy1")));
    // The other replica has seen the phone, live.
    assert_eq!(other.get("/api/v1/households", Some(&access)).status, 200);
    let r = app.post(
        &format!("/api/v1/devices/{id}/revoke"),
        Some(&office),
        &json!({}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    // Its refresh is refused everywhere at once: the database says so.
    other
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": refresh}),
        )
        .assert_problem(401, "auth.device_revoked");
    // Its access token, by the other replica within the window (here 1 s; 60 s in service).
    let refused_at = std::time::Instant::now();
    while other.get("/api/v1/households", Some(&access)).status != 401 {
        assert!(
            refused_at.elapsed() < window * 3,
            "still accepted after the window"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    other
        .get("/api/v1/households", Some(&access))
        .assert_problem(401, "auth.device_revoked");
}

#[test]
fn disabling_a_user_revokes_every_phone_of_theirs() {
    let (app, office) = village();
    app.seed_user("admin", Role::Admin, COUNTY);
    let admin = app.token("admin");
    let (_, access, refresh) = session(&enrol(&app, &code_for(&app, &office, "hcy1")));
    assert_eq!(
        app.post("/api/v1/users/hcy1/disable", Some(&admin), &json!({}))
            .status,
        200
    );
    app.get("/api/v1/households", Some(&access))
        .assert_problem(401, "auth.device_revoked");
    app.post(
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": refresh}),
    )
    .assert_problem(401, "auth.device_revoked");
    let listed = app.get("/api/v1/users/hcy1/devices", Some(&office));
    assert!(
        listed.body["items"][0]["revoked_at"].is_string(),
        "{}",
        listed.text
    );
    assert_eq!(listed.body["items"][0]["revoked_by"], "admin");
    // A disabled user gets no new code.
    let r = app.post(
        "/api/v1/enrolments",
        Some(&office),
        &json!({"usernames": ["hcy1"]}),
    );
    assert_eq!(
        r.field_errors(),
        [("/usernames/0".into(), "user.disabled".into())]
    );
}

#[test]
fn the_sheet_scans_to_a_link_that_enrols() {
    let (app, office) = village();
    let (status, content_type, pdf) =
        post_bytes(&app, &office, &json!({"usernames": ["hcy1", "hcy2"]}));
    assert_eq!((status, content_type.as_str()), (200, "application/pdf"));
    if !have_poppler() {
        assert!(
            std::env::var("CI").is_err(),
            "poppler-utils are missing under CI"
        );
        eprintln!("skipped: poppler-utils not installed");
        return;
    }
    let text = pdf_text(&pdf);
    assert!(
        text.contains("用户名：hcy1") && text.contains("用户名：hcy2"),
        "{text}"
    );
    assert!(
        text.contains("核查员") && text.contains("有效期至"),
        "{text}"
    );
    let pages = rasterise(&pdf, 150);
    assert_eq!(pages.len(), 1);
    let urls = decode_a6x4_page(&pages[0]);
    assert_eq!(urls.len(), 2, "{urls:?}");
    let prefix = format!("{PUBLIC_BASE_URL}/app/#enroll=");
    for url in &urls {
        let code = url.strip_prefix(&prefix).unwrap_or_else(|| panic!("{url}"));
        assert_eq!(enrol(&app, code).status, 201);
    }
}

#[test]
fn no_code_reaches_the_audit_log_or_the_server_log() {
    let (app, office) = village();
    let code = code_for(&app, &office, "hcy1");
    let (device, _, _) = session(&enrol(&app, &code));
    enrol(&app, &code).assert_problem(401, "enrolment.used");
    enrol(&app, "a-wrong-guess-1234567").assert_problem(401, "enrolment.unknown");
    let _ = post_bytes(&app, &office, &json!({"usernames": ["hcy2"]}));
    app.post(
        &format!("/api/v1/devices/{device}/revoke"),
        Some(&office),
        &json!({}),
    );

    app.seed_user("admin", Role::Admin, COUNTY);
    let audit = app.get("/api/v1/audit?limit=200", Some(&app.token("admin")));
    assert_eq!(audit.status, 200, "{}", audit.text);
    let actions: Vec<&str> = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for want in ["enrolment_create", "enrol", "enrolment_failed", "revoke"] {
        assert!(actions.contains(&want), "{want} missing from {actions:?}");
    }
    assert!(!audit.text.contains(&code), "the code is in the audit log");
    let log = String::from_utf8_lossy(&captured_log().lock().unwrap()).into_owned();
    assert!(!log.contains(&code), "the code is in the server's log");
}

fn session(r: &Resp) -> (String, String, String) {
    assert_eq!(r.status, 201, "{}", r.text);
    let s = |k: &str| r.body[k].as_str().unwrap().to_string();
    (s("device_id"), s("access_token"), s("refresh_token"))
}

fn post_bytes(app: &TestApp, token: &str, body: &Value) -> (u16, String, Vec<u8>) {
    let r = ureq::post(&app.url("/api/v1/enrolments/sheet.pdf"))
        .set("Authorization", &format!("Bearer {token}"))
        .send_json(body.clone());
    let r = match r {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{e}"),
    };
    let status = r.status();
    let content_type = r.content_type().to_string();
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut r.into_reader(), &mut bytes).unwrap();
    (status, content_type, bytes)
}
