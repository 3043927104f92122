//! Sign-in, refresh tokens, rate limiting, users.

use sancha_server::domain::Role;
use sancha_tests::*;

fn app() -> TestApp {
    let app = TestApp::spawn();
    app.seed_example_regions();
    app.seed_user("admin", Role::Admin, CITY);
    app.seed_user("sup", Role::Supervisor, COUNTY);
    app
}

fn sign_in(app: &TestApp, username: &str, password: &str) -> Resp {
    app.post(
        "/api/v1/auth/token",
        None,
        &json!({"username": username, "password": password}),
    )
}

#[test]
fn sign_in_returns_tokens_and_the_user() {
    let app = TestApp::spawn();
    app.seed_user("sup", Role::Supervisor, COUNTY);
    let r = sign_in(&app, "sup", PASSWORD);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["token_type"], "Bearer");
    assert_eq!(r.body["expires_in"], 12 * 3600);
    assert_eq!(
        r.body["user"],
        json!({"username": "sup", "role": "supervisor", "scope": "210922000000"})
    );
    assert!(r.body["refresh_token"].as_str().unwrap().len() >= 40);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let token = r.body["access_token"].as_str().unwrap();
    assert_eq!(app.get("/api/v1/regions", Some(token)).status, 200);
}

#[test]
fn a_wrong_password_and_an_unknown_user_get_the_same_answer() {
    let app = app();
    let wrong = sign_in(&app, "sup", "not-the-password");
    let unknown = sign_in(&app, "nobody", "not-the-password");
    wrong.assert_problem(401, "auth.invalid_credentials");
    assert_eq!(wrong.text, unknown.text);
    assert_eq!(wrong.status, unknown.status);
}

#[test]
fn bad_or_missing_bearer_tokens_are_401() {
    let app = app();
    app.get("/api/v1/regions", None)
        .assert_problem(401, "auth.unauthenticated");
    app.get("/api/v1/regions", Some("not.a.jwt"))
        .assert_problem(401, "auth.unauthenticated");
    let r = app.send(
        "GET",
        "/api/v1/regions",
        None,
        &[("Authorization", "Basic YTpi")],
        None,
    );
    r.assert_problem(401, "auth.unauthenticated");
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
}

#[test]
fn ten_failures_in_fifteen_minutes_slow_sign_in_down() {
    let app = app();
    for _ in 0..10 {
        sign_in(&app, "sup", "guess").assert_problem(401, "auth.invalid_credentials");
    }
    // Even the right password is refused now; other users are not affected.
    let r = sign_in(&app, "sup", PASSWORD);
    r.assert_problem(429, "auth.too_many_attempts");
    assert!(r.header("retry-after").is_some());
    assert_eq!(sign_in(&app, "admin", PASSWORD).status, 200);
}

#[test]
fn concurrent_wrong_passwords_through_two_servers_are_throttled_as_one() {
    let app = app();
    // On PostgreSQL a replica on the same database; SQLite's file has one server.
    let replica =
        (app.backend == Backend::Postgres).then(|| app.replica(std::time::Duration::from_secs(60)));
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let sent: Vec<_> = (0..20)
            .map(|i| {
                let server = if i % 2 == 1 {
                    replica.as_ref().unwrap_or(&app)
                } else {
                    &app
                };
                s.spawn(move || sign_in(server, "sup", "guess").status)
            })
            .collect();
        sent.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let wrong = statuses.iter().filter(|&&s| s == 401).count();
    let throttled = statuses.iter().filter(|&&s| s == 429).count();
    assert_eq!((wrong, throttled), (10, 10), "{statuses:?}");
    let other = replica.as_ref().unwrap_or(&app);
    sign_in(other, "sup", PASSWORD).assert_problem(429, "auth.too_many_attempts");
}

#[test]
fn a_right_password_does_not_count_as_a_failure() {
    let app = app();
    for _ in 0..9 {
        sign_in(&app, "sup", "guess").assert_problem(401, "auth.invalid_credentials");
    }
    for _ in 0..3 {
        assert_eq!(sign_in(&app, "sup", PASSWORD).status, 200);
    }
    sign_in(&app, "sup", "guess").assert_problem(401, "auth.invalid_credentials");
    sign_in(&app, "sup", "guess").assert_problem(429, "auth.too_many_attempts");
}

#[test]
fn refresh_tokens_are_single_use() {
    let app = TestApp::spawn();
    app.seed_user("sup", Role::Supervisor, COUNTY);
    let first = sign_in(&app, "sup", PASSWORD);
    let refresh = first.body["refresh_token"].as_str().unwrap().to_string();
    let second = app.post(
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": refresh}),
    );
    assert_eq!(second.status, 200, "{}", second.text);
    let next = second.body["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(next, refresh);
    // Spending the old one again fails, and revokes the newer one too: it was copied.
    app.post(
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": refresh}),
    )
    .assert_problem(401, "auth.invalid_refresh_token");
    app.post(
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": next}),
    )
    .assert_problem(401, "auth.invalid_refresh_token");
    app.post(
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": "made-up"}),
    )
    .assert_problem(401, "auth.invalid_refresh_token");
}

#[test]
fn disabling_a_user_revokes_refresh_tokens_and_sign_in() {
    let app = app();
    let refresh = sign_in(&app, "sup", PASSWORD).body["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    let admin = app.token("admin");
    let r = app.post("/api/v1/users/sup/disable", Some(&admin), &json!({}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["disabled"], true);
    app.post(
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": refresh}),
    )
    .assert_problem(401, "auth.invalid_refresh_token");
    sign_in(&app, "sup", PASSWORD).assert_problem(401, "auth.invalid_credentials");
    assert_eq!(
        app.post("/api/v1/users/sup/enable", Some(&admin), &json!({}))
            .status,
        200
    );
    // Nobody locks themselves out.
    app.post("/api/v1/users/admin/disable", Some(&admin), &json!({}))
        .assert_problem(409, "user.cannot_disable_self");
    assert_eq!(sign_in(&app, "sup", PASSWORD).status, 200);
}

#[test]
fn admins_create_users_no_wider_or_higher_than_themselves() {
    let app = app();
    app.seed_user("county-admin", Role::Admin, COUNTY);
    let admin = app.token("county-admin");
    let body = |username: &str, role: &str, scope: &str| json!({"username": username, "password": "long-enough-pw", "role": role, "scope": scope});
    let r = app.post(
        "/api/v1/users",
        Some(&admin),
        &body("li.enum", "enumerator", VILLAGE),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["scope"], VILLAGE);
    assert!(r.body.get("password_hash").is_none() && !r.text.contains("argon2"));
    app.post(
        "/api/v1/users",
        Some(&admin),
        &body("wider", "supervisor", CITY),
    )
    .assert_problem(403, "auth.out_of_scope");
    app.post(
        "/api/v1/users",
        Some(&admin),
        &body("li.enum", "enumerator", VILLAGE),
    )
    .assert_problem(409, "user.username_taken");
    let r = app.post(
        "/api/v1/users",
        Some(&admin),
        &json!({"username": "x", "password": "short", "role": "king", "scope": "99"}),
    );
    r.assert_problem(422, "request.validation_failed");
    assert_eq!(
        r.field_errors(),
        vec![
            ("/username".into(), "user.username_invalid".into()),
            ("/password".into(), "user.password_too_short".into()),
            ("/role".into(), "user.role_invalid".into()),
            ("/scope".into(), "region.code_invalid".into()),
        ]
    );
    let listed = app.get("/api/v1/users", Some(&admin));
    let names: Vec<_> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].clone())
        .collect();
    assert_eq!(
        names,
        vec![json!("county-admin"), json!("li.enum"), json!("sup")]
    );
    // The new user can sign in with the password they were given.
    let r = sign_in(&app, "li.enum", "long-enough-pw");
    assert_eq!(r.status, 200);
}

/// A `Set-Cookie` value split into the cookie's name, its value and its
/// attributes (as written, e.g. `Path=/api/v1/auth`).
fn set_cookie(r: &Resp) -> (String, String, std::collections::BTreeSet<String>) {
    let raw = r
        .header("set-cookie")
        .unwrap_or_else(|| panic!("no Set-Cookie: {}", r.text));
    let mut parts = raw.split(';').map(|p| p.trim().to_string());
    let first = parts.next().unwrap_or_default();
    let (name, value) = first.split_once('=').expect("name=value");
    (name.to_string(), value.to_string(), parts.collect())
}

/// Exactly the attributes the console's cookie must carry: script cannot
/// read it, it never goes over plain HTTP to another host or cross-site,
/// and only the auth endpoints receive it.
fn cookie_attributes(max_age: u64) -> std::collections::BTreeSet<String> {
    [
        "HttpOnly".to_string(),
        "Secure".into(),
        "SameSite=Strict".into(),
        "Path=/api/v1/auth".into(),
        format!("Max-Age={max_age}"),
    ]
    .into_iter()
    .collect()
}

const THIRTY_DAYS: u64 = 30 * 24 * 3600;

fn post_with_cookie(app: &TestApp, path: &str, cookie: &str, body: Option<Body<'_>>) -> Resp {
    app.send("POST", path, None, &[("Cookie", cookie)], body)
}

#[test]
fn cookie_mode_puts_the_refresh_token_in_a_strict_http_only_cookie_only() {
    let app = TestApp::spawn();
    app.seed_user("sup", Role::Supervisor, COUNTY);
    let r = app.post(
        "/api/v1/auth/token",
        None,
        &json!({"username": "sup", "password": PASSWORD, "refresh_cookie": true}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let (name, value, attributes) = set_cookie(&r);
    assert_eq!(name, "sancha_refresh");
    assert_eq!(attributes, cookie_attributes(THIRTY_DAYS));
    assert_eq!(value.len(), 43, "256 bits in base64url: {value}");
    // The body carries the access token and the user, and no refresh token.
    assert!(r.body.get("refresh_token").is_none(), "{}", r.text);
    assert!(
        !r.text.contains(&value),
        "the body leaks the cookie's token"
    );
    assert_eq!(r.body["user"]["username"], "sup");
    let access = r.body["access_token"].as_str().unwrap();
    assert_eq!(app.get("/api/v1/regions", Some(access)).status, 200);

    // Without the flag (or with it false) nothing changes for phones.
    for body in [
        json!({"username": "sup", "password": PASSWORD}),
        json!({"username": "sup", "password": PASSWORD, "refresh_cookie": false}),
    ] {
        let r = app.post("/api/v1/auth/token", None, &body);
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(r.header("set-cookie").is_none());
        assert!(r.body["refresh_token"].as_str().unwrap().len() == 43);
    }
    let r = app.post(
        "/api/v1/auth/token",
        None,
        &json!({"username": "sup", "password": PASSWORD, "refresh_cookie": "yes"}),
    );
    r.assert_problem(422, "request.validation_failed");
    assert_eq!(
        r.field_errors(),
        vec![("/refresh_cookie".into(), "schema.invalid".into())]
    );
}

#[test]
fn a_refresh_cookie_rotates_and_works_only_once() {
    let app = TestApp::spawn();
    app.seed_user("sup", Role::Supervisor, COUNTY);
    let signed_in = app.post(
        "/api/v1/auth/token",
        None,
        &json!({"username": "sup", "password": PASSWORD, "refresh_cookie": true}),
    );
    let (_, first, _) = set_cookie(&signed_in);

    // A reload: no body at all, only the cookie (among others the browser keeps).
    let r = post_with_cookie(
        &app,
        "/api/v1/auth/refresh",
        &format!("theme=dark; sancha_refresh={first}; lang=zh"),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let (name, second, attributes) = set_cookie(&r);
    assert_eq!(name, "sancha_refresh");
    assert_eq!(attributes, cookie_attributes(THIRTY_DAYS));
    assert_ne!(second, first, "the cookie is rotated");
    assert!(r.body.get("refresh_token").is_none(), "{}", r.text);
    assert!(!r.text.contains(&second));
    let access = r.body["access_token"].as_str().unwrap();
    assert_eq!(app.get("/api/v1/regions", Some(access)).status, 200);

    // An empty body and `{}` count as no body.
    let r = post_with_cookie(
        &app,
        "/api/v1/auth/refresh",
        &format!("sancha_refresh={second}"),
        Some(Body::Raw("application/json", b"")),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let (_, third, _) = set_cookie(&r);
    let r = post_with_cookie(
        &app,
        "/api/v1/auth/refresh",
        &format!("sancha_refresh={third}"),
        Some(Body::Json(&json!({}))),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let (_, fourth, _) = set_cookie(&r);

    // A used cookie does not work twice, and spending it again revokes the
    // newest one too: it was copied.
    post_with_cookie(
        &app,
        "/api/v1/auth/refresh",
        &format!("sancha_refresh={first}"),
        None,
    )
    .assert_problem(401, "auth.invalid_refresh_token");
    post_with_cookie(
        &app,
        "/api/v1/auth/refresh",
        &format!("sancha_refresh={fourth}"),
        None,
    )
    .assert_problem(401, "auth.invalid_refresh_token");

    // Neither body nor cookie; another cookie only; a body that is not JSON.
    app.send("POST", "/api/v1/auth/refresh", None, &[], None)
        .assert_problem(401, "auth.invalid_refresh_token");
    post_with_cookie(&app, "/api/v1/auth/refresh", "theme=dark", None)
        .assert_problem(401, "auth.invalid_refresh_token");
    app.send(
        "POST",
        "/api/v1/auth/refresh",
        None,
        &[],
        Some(Body::Raw("text/plain", b"refresh_token=x")),
    )
    .assert_problem(415, "request.unsupported_media_type");
}

#[test]
fn a_token_in_the_body_is_answered_in_the_body_even_beside_a_cookie() {
    let app = TestApp::spawn();
    app.seed_user("sup", Role::Supervisor, COUNTY);
    let phone = sign_in(&app, "sup", PASSWORD).body["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    let browser = app.post(
        "/api/v1/auth/token",
        None,
        &json!({"username": "sup", "password": PASSWORD, "refresh_cookie": true}),
    );
    let (_, cookie, _) = set_cookie(&browser);
    let r = post_with_cookie(
        &app,
        "/api/v1/auth/refresh",
        &format!("sancha_refresh={cookie}"),
        Some(Body::Json(&json!({ "refresh_token": phone }))),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.header("set-cookie").is_none());
    assert_eq!(r.body["refresh_token"].as_str().unwrap().len(), 43);
    // The cookie was not spent.
    let r = post_with_cookie(
        &app,
        "/api/v1/auth/refresh",
        &format!("sancha_refresh={cookie}"),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text);
}

#[test]
fn logout_revokes_the_refresh_token_clears_the_cookie_and_may_be_repeated() {
    let app = app();
    let browser = app.post(
        "/api/v1/auth/token",
        None,
        &json!({"username": "sup", "password": PASSWORD, "refresh_cookie": true}),
    );
    let (_, cookie, _) = set_cookie(&browser);
    let cookie_header = format!("sancha_refresh={cookie}");
    let r = post_with_cookie(&app, "/api/v1/auth/logout", &cookie_header, None);
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(r.text, "");
    let (name, value, attributes) = set_cookie(&r);
    assert_eq!((name.as_str(), value.as_str()), ("sancha_refresh", ""));
    assert_eq!(attributes, cookie_attributes(0));
    post_with_cookie(&app, "/api/v1/auth/refresh", &cookie_header, None)
        .assert_problem(401, "auth.invalid_refresh_token");
    // Again, with the revoked cookie, with nothing, with a made-up token.
    for body in [
        None,
        Some(json!({})),
        Some(json!({"refresh_token": "made-up"})),
    ] {
        let r = post_with_cookie(
            &app,
            "/api/v1/auth/logout",
            &cookie_header,
            body.as_ref().map(Body::Json),
        );
        assert_eq!(r.status, 204, "{}", r.text);
        assert_eq!(set_cookie(&r).2, cookie_attributes(0));
    }
    let r = app.send("POST", "/api/v1/auth/logout", None, &[], None);
    assert_eq!(r.status, 204, "{}", r.text);

    // A phone signs out with the token in the body.
    let phone = sign_in(&app, "sup", PASSWORD).body["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app.post(
        "/api/v1/auth/logout",
        None,
        &json!({ "refresh_token": phone }),
    );
    assert_eq!(r.status, 204, "{}", r.text);
    app.post(
        "/api/v1/auth/refresh",
        None,
        &json!({ "refresh_token": phone }),
    )
    .assert_problem(401, "auth.invalid_refresh_token");

    // Each sign-out of a live token is in the audit log, once.
    let admin = app.token("admin");
    let audit = app.get("/api/v1/audit?action=logout", Some(&admin));
    assert_eq!(audit.status, 200, "{}", audit.text);
    let rows = audit.body["items"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{}", audit.text);
    assert!(rows.iter().all(|r| r["actor"] == "sup"));
}
