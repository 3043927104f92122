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
    for path in ["/", "/findings", "/households/6f1c1c1e-8a4b-4c3d-9e2f-0a1b2c3d4e5f"] {
        let r = app.get(path, None);
        assert_eq!(r.status, 200, "{path}");
        assert!(r.content_type.starts_with("text/html"), "{path}: {}", r.content_type);
        assert!(r.text.contains("三查一访 办公台"), "{path} is not the console");
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
    let plain = app.send("GET", &asset, None, &[("Accept-Encoding", "identity")], None);
    assert_eq!(plain.status, 200);
    assert!(plain.content_type.starts_with("text/javascript"), "{}", plain.content_type);
    assert_eq!(plain.header("cache-control"), Some("public, max-age=31536000, immutable"));
    assert_eq!(plain.header("content-encoding"), None);
    for (accept, coding) in [("gzip", "gzip"), ("gzip, deflate, br", "br"), ("br;q=0, gzip", "gzip")] {
        let r = app.send("HEAD", &asset, None, &[("Accept-Encoding", accept)], None);
        assert_eq!(r.status, 200, "{accept}");
        assert_eq!(r.header("content-encoding"), Some(coding), "Accept-Encoding: {accept}");
        assert_eq!(r.header("vary"), Some("Accept-Encoding"));
    }
}

#[test]
fn what_is_not_a_page_stays_a_problem() {
    let (app, token) = TestApp::with_office_on(sancha_tests::default_backend());
    app.get("/api/v1/nope", Some(&token)).assert_problem(404, "not_found");
    app.get("/api", None).assert_problem(404, "not_found");
    app.get("/assets/missing-0000.js", None).assert_problem(404, "not_found");
    app.get("/favicon.ico", None).assert_problem(404, "not_found");
    app.send("POST", "/findings", None, &[], Some(Body::Raw("text/plain", b"x")))
        .assert_problem(405, "method_not_allowed");
}
