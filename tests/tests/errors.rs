//! Every error is RFC 9457 problem+json with a stable code, zh-CN by default.

use sancha_tests::*;

fn app() -> (TestApp, String) {
    TestApp::with_office_on(default_backend())
}

#[test]
fn malformed_json_is_400_with_line_and_column() {
    let (app, t) = app();
    let r = app.send(
        "POST",
        "/api/v1/households",
        Some(&t),
        &[],
        Some(Body::Raw(
            "application/json",
            b"{\n \"division_code\": ,\n}",
        )),
    );
    r.assert_problem(400, "request.malformed_json");
    assert_eq!(r.body["detail"], "第 2 行第 19 列");
}

#[test]
fn english_on_request() {
    let (app, t) = app();
    let r = app.send(
        "POST",
        "/api/v1/households",
        Some(&t),
        &[("Accept-Language", "en-US,en;q=0.8")],
        Some(Body::Raw(
            "application/json",
            b"{\n \"division_code\": ,\n}",
        )),
    );
    r.assert_problem(400, "request.malformed_json");
    assert_eq!(r.body["title"], "request body is not valid JSON");
    assert_eq!(r.body["detail"], "line 2 column 19");
    assert_eq!(r.header("content-language"), Some("en"));
    let mut h = example_household();
    h["members"][0]["id_number"] = "110105198001010123".into();
    let r = app.send(
        "POST",
        "/api/v1/households",
        Some(&t),
        &[("Accept-Language", "en")],
        Some(Body::Json(&h)),
    );
    assert_eq!(
        r.body["errors"][0]["message"],
        "ID number check character is wrong"
    );
}

#[test]
fn not_json_is_415() {
    let (app, t) = app();
    app.send(
        "POST",
        "/api/v1/households",
        Some(&t),
        &[],
        Some(Body::Raw("text/plain", b"hello")),
    )
    .assert_problem(415, "request.unsupported_media_type");
    app.send(
        "POST",
        "/api/v1/households",
        Some(&t),
        &[],
        Some(Body::Raw("", b"{}")),
    )
    .assert_problem(415, "request.unsupported_media_type");
}

#[test]
fn bodies_over_one_mebibyte_are_413() {
    let (app, t) = app();
    let mut big = b"{\"x\":\"".to_vec();
    big.extend(std::iter::repeat_n(b'a', (1 << 20) + 10));
    big.extend(b"\"}");
    app.send(
        "POST",
        "/api/v1/households",
        Some(&t),
        &[],
        Some(Body::Raw("application/json", &big)),
    )
    .assert_problem(413, "request.too_large");
}

#[test]
fn unknown_routes_and_methods_are_problems() {
    let (app, t) = app();
    // Paths outside the API are the console's client-side routes
    // (tests/tests/screens.rs); a file that does not exist is still a 404.
    app.get("/nope.js", None).assert_problem(404, "not_found");
    app.get("/api/v1/nope", Some(&t))
        .assert_problem(404, "not_found");
    app.send("DELETE", "/api/v1/households", Some(&t), &[], None)
        .assert_problem(405, "method_not_allowed");
    app.send("PATCH", "/healthz", None, &[], None)
        .assert_problem(405, "method_not_allowed");
}

#[test]
fn bad_query_parameters_name_the_parameter() {
    let (app, t) = app();
    let r = app.get("/api/v1/households?cursor=zzz", Some(&t));
    r.assert_problem(400, "query.cursor_invalid");
    assert_eq!(
        r.field_errors(),
        vec![("cursor".into(), "query.cursor_invalid".into())]
    );
    app.get("/api/v1/households?limit=0", Some(&t))
        .assert_problem(400, "query.invalid");
    let r = app.get("/api/v1/households?limit=abc", Some(&t));
    r.assert_problem(400, "query.invalid");
    assert_eq!(
        r.field_errors(),
        vec![("limit".into(), "query.invalid".into())]
    );
    app.get("/api/v1/households?updated_since=yesterday", Some(&t))
        .assert_problem(400, "query.invalid");
    app.get("/api/v1/households?scope=991", Some(&t))
        .assert_problem(400, "region.code_invalid");
}

#[test]
fn health_and_metrics() {
    let app = TestApp::spawn();
    let r = app.get("/healthz", None);
    assert_eq!(r.status, 200);
    let db = if app.backend == Backend::Sqlite {
        "sqlite"
    } else {
        "postgres"
    };
    assert_eq!(r.body, json!({"status": "ok", "db": db}));
    app.get("/api/v1/households/x", None);
    let m = app.get("/metrics", None);
    assert!(m.content_type.starts_with("text/plain"));
    assert!(
        m.text.contains(
            "sancha_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"
        ),
        "{}",
        m.text
    );
    assert!(
        m.text
            .contains("route=\"/api/v1/households/{id}\",status=\"401\""),
        "{}",
        m.text
    );
    assert!(m
        .text
        .contains("sancha_http_request_duration_seconds_count"));
}

#[test]
fn readyz_says_ready_when_the_database_and_the_blob_store_take_writes() {
    // Images in the data dir, whatever this run's store (tests/blob_store.rs has S3 down).
    let app = TestApp::spawn_with(default_backend(), None);
    let r = app.get("/readyz", None);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "ready");
    // The blob store's directory made unwritable: not ready, and why.
    let blobs = app.dir.path().join("blobs");
    std::fs::create_dir_all(&blobs).unwrap();
    std::fs::remove_dir_all(&blobs).unwrap();
    std::fs::write(&blobs, b"a file where the directory should be").unwrap();
    let r = app.get("/readyz", None);
    r.assert_problem(503, "unavailable");
    assert_eq!(r.header("retry-after"), Some("5"));
    assert_eq!(r.body["detail"], "图片存储不可用");
    assert_eq!(app.get("/healthz", None).status, 200, "alive all the same");
}
