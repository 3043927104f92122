//! What the office console needs beyond the phones' API: an admin's password
//! reset, a sample's household list, the roster import over HTTP.

use sancha_server::db::audit;
use sancha_server::domain::Role;
use sancha_tests::*;

#[test]
fn an_admin_resets_a_password_which_ends_the_users_refresh_tokens() {
    let app = TestApp::spawn();
    app.seed_example_regions();
    app.seed_user("admin", Role::Admin, COUNTY);
    app.seed_user("office", Role::VillageOffice, VILLAGE);
    app.seed_user("li", Role::Enumerator, VILLAGE);
    app.seed_user("far", Role::Enumerator, OTHER_VILLAGE);
    let signed_in = app.post(
        "/api/v1/auth/token",
        None,
        &json!({"username": "li", "password": PASSWORD}),
    );
    let refresh = signed_in.body["refresh_token"].as_str().unwrap().to_string();
    let admin = app.token("admin");
    let reset = |token: &str, user: &str, body: serde_json::Value| {
        app.post(&format!("/api/v1/users/{user}/password"), Some(token), &body)
    };

    let short = reset(&admin, "li", json!({"password": "short"}));
    short.assert_problem(422, "request.validation_failed");
    assert_eq!(
        short.field_errors(),
        vec![("/password".into(), "user.password_too_short".into())]
    );
    reset(&admin, "li", json!({"password": "long-enough-pw", "role": "admin"}))
        .assert_problem(422, "request.validation_failed");
    reset(&app.token("office"), "li", json!({"password": "long-enough-pw"}))
        .assert_problem(403, "auth.role_forbidden");
    reset(&admin, "far", json!({"password": "long-enough-pw"}))
        .assert_problem(403, "auth.out_of_scope");
    reset(&admin, "nobody", json!({"password": "long-enough-pw"}))
        .assert_problem(404, "not_found");

    let r = reset(&admin, "li", json!({"password": "新的密码-long-enough"}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!((r.body["username"].clone(), r.body["version"].clone()), (json!("li"), json!(2)));
    assert!(r.body.get("password_hash").is_none());

    app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": refresh}))
        .assert_problem(401, "auth.invalid_refresh_token");
    app.post(
        "/api/v1/auth/token",
        None,
        &json!({"username": "li", "password": PASSWORD}),
    )
    .assert_problem(401, "auth.invalid_credentials");
    let again = app.post(
        "/api/v1/auth/token",
        None,
        &json!({"username": "li", "password": "新的密码-long-enough"}),
    );
    assert_eq!(again.status, 200, "{}", again.text);

    let user_id: String = app
        .state
        .db
        .read_blocking(|c| {
            use diesel::prelude::*;
            use sancha_server::db::schema::users;
            Ok(users::table
                .filter(users::username.eq("li"))
                .select(users::id)
                .first(c)?)
        })
        .unwrap();
    let rows = app
        .state
        .db
        .read_blocking(|c| audit::for_entity(c, "user", &user_id))
        .unwrap();
    let reset_row = rows.iter().find(|r| r.action == "password_reset").expect("an audit row");
    assert_eq!(
        (reset_row.actor.as_str(), reset_row.old_version, reset_row.new_version),
        ("admin", Some(1), Some(2))
    );
    let all = serde_json::to_string(&rows).unwrap();
    assert!(!all.contains("新的密码") && !all.contains("long-enough"));
}
