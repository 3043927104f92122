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
