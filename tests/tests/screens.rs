//! The console and the field app as the server delivers them: the built
//! bundle embedded in the binary, client-side routes answered with the page
//! that routes them, hashed assets cached for good, compressed once at build
//! time, and the headers of FRONTEND.md on every file.

use sancha_tests::{Body, TestApp};

fn first_asset(html: &str) -> String {
    let start = html.find("/assets/").expect("index.html names its assets");
    let end = start + html[start..].find('"').expect("a quoted asset path");
    html[start..end].to_string()
}

#[test]
fn the_console_is_served_at_the_root_and_at_every_client_route() {
    let app = TestApp::spawn();
    for path in [
        "/",
        "/findings",
        "/households/6f1c1c1e-8a4b-4c3d-9e2f-0a1b2c3d4e5f",
    ] {
        let r = app.get(path, None);
        assert_eq!(r.status, 200, "{path}");
        assert!(
            r.content_type.starts_with("text/html"),
            "{path}: {}",
            r.content_type
        );
        assert!(
            r.text.contains("三查一访 办公台"),
            "{path} is not the console"
        );
        assert_eq!(r.header("cache-control"), Some("no-cache"));
        let csp = r.header("content-security-policy").expect("a CSP");
        assert!(csp.starts_with("default-src 'self'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
    }
}

#[test]
fn hashed_assets_are_immutable_and_sent_compressed_when_the_browser_asks() {
    let app = TestApp::spawn();
    let asset = first_asset(&app.get("/", None).text);
    let plain = app.send(
        "GET",
        &asset,
        None,
        &[("Accept-Encoding", "identity")],
        None,
    );
    assert_eq!(plain.status, 200);
    assert!(
        plain.content_type.starts_with("text/javascript"),
        "{}",
        plain.content_type
    );
    assert_eq!(
        plain.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(plain.header("content-encoding"), None);
    for (accept, coding) in [
        ("gzip", "gzip"),
        ("gzip, deflate, br", "br"),
        ("br;q=0, gzip", "gzip"),
    ] {
        let r = app.send("HEAD", &asset, None, &[("Accept-Encoding", accept)], None);
        assert_eq!(r.status, 200, "{accept}");
        assert_eq!(
            r.header("content-encoding"),
            Some(coding),
            "Accept-Encoding: {accept}"
        );
        assert_eq!(r.header("vary"), Some("Accept-Encoding"));
    }
}

#[test]
fn what_is_not_a_page_stays_a_problem() {
    let (app, token) = TestApp::with_office_on(sancha_tests::default_backend());
    app.get("/api/v1/nope", Some(&token))
        .assert_problem(404, "not_found");
    app.get("/api", None).assert_problem(404, "not_found");
    app.get("/assets/missing-0000.js", None)
        .assert_problem(404, "not_found");
    app.get("/favicon.ico", None)
        .assert_problem(404, "not_found");
    app.send(
        "POST",
        "/findings",
        None,
        &[],
        Some(Body::Raw("text/plain", b"x")),
    )
    .assert_problem(405, "method_not_allowed");
}

#[test]
fn the_field_app_is_served_under_app_with_its_worker_manifest_and_decoder() {
    let app = TestApp::spawn();
    for path in [
        "/app/",
        "/app/visit/6f1c1c1e-8a4b-4c3d-9e2f-0a1b2c3d4e5f",
        "/app/outbox",
    ] {
        let r = app.get(path, None);
        assert_eq!(r.status, 200, "{path}");
        assert!(
            r.text.contains("三查一访 核查员"),
            "{path} is not the field app"
        );
        assert!(
            r.text.contains("/app/manifest.webmanifest"),
            "{path} names no manifest"
        );
        let csp = r.header("content-security-policy").expect("a CSP");
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
            "{csp}"
        );
    }
    // `/app` is redirected to `/app/` (the test client follows it).
    assert!(app.get("/app", None).text.contains("三查一访 核查员"));

    // The worker is looked at again on every visit, so an update arrives at once.
    let sw = app.get("/app/sw.js", None);
    assert_eq!(sw.status, 200);
    assert!(
        sw.content_type.starts_with("text/javascript"),
        "{}",
        sw.content_type
    );
    assert_eq!(sw.header("cache-control"), Some("no-cache"));
    assert!(
        sw.text.contains("/app/assets/"),
        "the worker lists the app shell"
    );

    let manifest = app.get("/app/manifest.webmanifest", None);
    assert_eq!(manifest.content_type, "application/manifest+json");
    let m: serde_json::Value = serde_json::from_str(&manifest.text).expect("the manifest is JSON");
    assert_eq!(
        (m["start_url"].as_str(), m["display"].as_str()),
        (Some("/app/"), Some("standalone"))
    );
    for icon in m["icons"].as_array().expect("icons") {
        let r = app.get(icon["src"].as_str().expect("an icon path"), None);
        assert_eq!((r.status, r.content_type.as_str()), (200, "image/png"));
    }

    // The QR decoder's WASM comes from this server, compressed and cached for good.
    let wasm = sw_or_asset(&app, ".wasm");
    let r = app.send("HEAD", &wasm, None, &[("Accept-Encoding", "br")], None);
    assert_eq!(r.status, 200, "{wasm}");
    assert_eq!(r.content_type, "application/wasm");
    assert_eq!(r.header("content-encoding"), Some("br"));
    assert_eq!(
        r.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
}

/// The path of the field app's file whose name ends with `suffix`, found
/// through the chunk that imports it.
fn sw_or_asset(app: &TestApp, suffix: &str) -> String {
    let sw = app.get("/app/sw.js", None).text;
    let chunks: Vec<&str> = sw
        .split('"')
        .filter(|s| s.starts_with("/app/assets/") && s.ends_with(".js"))
        .collect();
    for chunk in chunks {
        let js = app
            .send("GET", chunk, None, &[("Accept-Encoding", "identity")], None)
            .text;
        if let Some(end) = js.find(suffix) {
            let start = js[..end]
                .rfind(|c: char| c == '"' || c == '\'' || c == '`' || c == '/')
                .map_or(0, |i| i + 1);
            return format!("/app/assets/{}{suffix}", &js[start..end]);
        }
    }
    panic!("no chunk of the field app refers to a {suffix} file");
}
