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

#[test]
fn a_samples_households_list_reads_by_village_and_exports_with_chinese_headers() {
    let app = TestApp::spawn();
    app.seed_example_regions();
    app.seed_regions(&[("210922201204", "新华村")]);
    app.seed_user("sup", Role::Supervisor, COUNTY);
    app.seed_user("office", Role::VillageOffice, VILLAGE);
    app.seed_user("enum", Role::Enumerator, COUNTY);
    app.seed_user("far", Role::Supervisor, OTHER_COUNTY);
    for (village, code) in [
        (VILLAGE, "A-2"),
        (VILLAGE, "A-1"),
        ("210922201204", "B-1"),
    ] {
        app.seed_household(input(&household_in(village, code)));
    }
    let sup = app.token("sup");
    let drawn = app.post(
        "/api/v1/samples",
        Some(&sup),
        &json!({"scope": TOWN, "level": "town_mutual", "rate": 1.0, "seed": 7}),
    );
    assert_eq!(drawn.status, 201, "{}", drawn.text);
    let id = drawn.body["id"].as_str().unwrap().to_string();

    let r = app.get(&format!("/api/v1/samples/{id}"), Some(&sup));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["level"], "town_mutual");
    assert_eq!(r.body["households"].as_array().unwrap().len(), 3);
    let villages = r.body["villages"].as_array().unwrap();
    assert_eq!(villages.len(), 2);
    assert_eq!((villages[0]["code"].as_str(), villages[1]["name"].as_str()), (Some(VILLAGE), Some("新华村")));
    let first: Vec<&str> = villages[0]["households"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["household_code"].as_str().unwrap())
        .collect();
    assert_eq!(first, ["A-1", "A-2"]);
    let h = &villages[0]["households"][0];
    assert_eq!((h["head_name"].as_str(), h["member_count"].as_i64()), (Some("张建国"), Some(3)));
    assert!(!r.text.contains("210922196805120119"));

    let (status, ct, csv) = app.get_bytes(&format!("/api/v1/samples/{id}/households.csv"), Some(&sup));
    assert_eq!((status, ct.as_str()), (200, "text/csv"));
    let csv = String::from_utf8(csv).unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert!(csv.starts_with('\u{feff}'));
    assert_eq!(lines[0], "乡（镇）,村,区划代码,户编号,户主,村民小组,脱贫状态,家庭人数");
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(lines[1].contains("A-1") && lines[1].contains("张建国") && lines[1].contains("已脱贫"), "{}", lines[1]);
    assert!(lines[3].contains("新华村") && lines[3].contains("B-1"));
    let en = app.get(&format!("/api/v1/samples/{id}/households.csv?headers=en"), Some(&sup));
    assert!(en.text.contains("town,village,division_code,household_code,head,group,poverty_status,members"));

    let (status, ct, xlsx) = app.get_bytes(&format!("/api/v1/samples/{id}/households.xlsx"), Some(&sup));
    assert_eq!(status, 200);
    assert_eq!(ct, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(xlsx)).unwrap();
    let sheet = book.worksheet_range("抽查名单").unwrap();
    assert_eq!(sheet.height(), 4);
    assert_eq!(sheet.get((0, 3)).unwrap().to_string(), "户编号");
    assert_eq!(sheet.get((3, 3)).unwrap().to_string(), "B-1");

    // Every export is an audit row naming the sample.
    let audit_rows = app.get(&format!("/api/v1/audit?scope={TOWN}&action=export"), Some(&sup));
    let details: Vec<&str> = audit_rows.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["detail"].as_str().unwrap())
        .collect();
    assert_eq!(details.len(), 3, "{}", audit_rows.text);
    assert!(details.iter().all(|d| d.contains(&id)));

    let enumerator = app.token("enum");
    assert_eq!(app.get(&format!("/api/v1/samples/{id}"), Some(&enumerator)).status, 200);
    app.get(&format!("/api/v1/samples/{id}/households.csv"), Some(&enumerator))
        .assert_problem(403, "auth.role_forbidden");
    app.get(&format!("/api/v1/samples/{id}"), Some(&app.token("office")))
        .assert_problem(403, "auth.out_of_scope");
    app.get(&format!("/api/v1/samples/{id}"), Some(&app.token("far")))
        .assert_problem(403, "auth.out_of_scope");
    app.get("/api/v1/samples/6f1c1c1e-0000-4000-8000-000000000000", Some(&sup))
        .assert_problem(404, "not_found");
    app.get(&format!("/api/v1/samples/{id}/households.csv?headers=fr"), Some(&sup))
        .assert_problem(400, "query.invalid");
}
