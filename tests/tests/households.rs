//! The household roster over HTTP, on this run's backend (and both, where compared).

use sancha_server::db::audit;
use sancha_server::domain::Role;
use sancha_tests::*;

fn app_with_office() -> (TestApp, String) {
    TestApp::with_office_on(default_backend())
}

#[test]
fn the_reference_household_is_created_and_reads_back() {
    let (app, token) = app_with_office();
    let created = app.post("/api/v1/households", Some(&token), &example_household());
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_str().unwrap();
    assert_eq!(created.body["version"], 1);
    assert_eq!(created.header("etag"), Some("\"1\""));
    assert_eq!(
        created.header("location"),
        Some(format!("/api/v1/households/{id}").as_str())
    );
    let token_str = created.body["public_token"].as_str().unwrap();
    assert_eq!(token_str.len(), 22);
    assert!(token_str
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    assert!(!token_str.contains(&id[..8]));
    // Sex and birth date are derived from the ID numbers.
    assert_eq!(created.body["members"][1]["sex"], "F");
    assert_eq!(created.body["members"][0]["birth_date"], "1968-05-12");

    let read = app.get(&format!("/api/v1/households/{id}"), Some(&token));
    assert_eq!(read.status, 200);
    assert_eq!(read.body, created.body);
}

/// The same household through the API on SQLite and on PostgreSQL reads
/// back identically, apart from what each server generates (ids, tokens, times).
#[test]
fn a_household_reads_back_identically_on_both_backends() {
    let Some(_) = postgres_admin_url() else {
        eprintln!("SANCHA_TEST_DATABASE_URL not set: comparing SQLite with itself only");
        return;
    };
    let redact = |mut v: serde_json::Value| {
        for k in ["id", "public_token", "created_at", "updated_at"] {
            v[k] = "…".into();
        }
        v
    };
    let mut bodies = Vec::new();
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let (app, token) = TestApp::with_office_on(backend);
        let created = app.post("/api/v1/households", Some(&token), &example_household());
        assert_eq!(created.status, 201, "{}", created.text);
        let read = app.get(
            &format!(
                "/api/v1/households/{}",
                created.body["id"].as_str().unwrap()
            ),
            Some(&token),
        );
        bodies.push(redact(read.body));
    }
    assert_eq!(bodies[0], bodies[1]);
}

#[test]
fn every_problem_of_a_bad_household_comes_back_at_once() {
    let (app, token) = app_with_office();
    let mut h = example_household();
    h["members"][0]["id_number"] = "110105198001010123".into(); // invalid vector of domain-research §E
    h["members"][1]["id_number"] = "2109221970030802".into(); // too short
    h["members"][2]["birth_date"] = "1995-09-21".into(); // ID says 1995-09-20
    h["members"][2]["id_number"] = h["members"][2]["id_number"].clone();
    h["other_causes"] = json!(["lack_labor", "lack_funds", "disaster"]);
    let r = app.post("/api/v1/households", Some(&token), &h);
    r.assert_problem(422, "request.validation_failed");
    assert_eq!(
        r.field_errors(),
        vec![
            ("/other_causes".into(), "causes.too_many".into()),
            ("/members/0/id_number".into(), "id_number.checksum".into()),
            ("/members/1/id_number".into(), "id_number.format".into()),
            ("/members/2/birth_date".into(), "id_number.mismatch".into()),
        ]
    );
    // Messages are Chinese by default and never echo the rejected value.
    assert_eq!(
        r.body["errors"][0]["message"],
        "其他致贫原因最多2项且不得与主要致贫原因重复"
    );
    assert!(!r.text.contains("110105198001010123"));
    // Nothing was stored.
    let list = app.get("/api/v1/households", Some(&token));
    assert_eq!(list.body["items"].as_array().unwrap().len(), 0);
}

#[test]
fn valid_published_id_vectors_are_accepted() {
    let (app, token) = app_with_office();
    let mut h = example_household();
    h["members"][0]["id_number"] = "11010519491231002x".into(); // lower-case x
    h["members"][1]["id_number"] = "440524188001010014".into();
    h["members"][2]["id_number"] = "370101190102039973".into();
    h["members"][1]["relation"] = "parent".into();
    let r = app.post("/api/v1/households", Some(&token), &h);
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["members"][0]["id_number"], "11010519491231002X");
}

#[test]
fn an_unknown_village_is_reported_with_the_other_errors() {
    let (app, token) = app_with_office();
    let mut h = household_in("210922201204", "2109222012040001");
    h["members"][0]["relation"] = "son".into();
    // The office's scope is one village: use the admin to reach another.
    app.seed_user("root", Role::Admin, CITY);
    let admin = app.token("root");
    let r = app.post("/api/v1/households", Some(&admin), &h);
    r.assert_problem(422, "request.validation_failed");
    assert_eq!(
        r.field_errors(),
        vec![
            ("/division_code".into(), "region.unknown".into()),
            ("/members".into(), "members.head".into())
        ]
    );
    let _ = token;
}

#[test]
fn schema_errors_point_at_the_field() {
    let (app, token) = app_with_office();
    let mut h = example_household();
    h["members"][0]["nickname"] = "x".into();
    let r = app.post("/api/v1/households", Some(&token), &h);
    r.assert_problem(422, "request.validation_failed");
    assert_eq!(r.body["errors"][0]["code"], "schema.invalid");
    assert!(
        r.body["errors"][0]["field"]
            .as_str()
            .unwrap()
            .starts_with("/members/0"),
        "{}",
        r.text
    );

    let mut h = example_household();
    h["poverty_status"] = "rich".into();
    h["registered_year"] = 2014.into();
    let r = app.post("/api/v1/households", Some(&token), &h);
    assert_eq!(
        r.field_errors(),
        vec![("/poverty_status".into(), "schema.invalid".into())]
    );
}

#[test]
fn a_household_code_is_used_once() {
    let (app, token) = app_with_office();
    assert_eq!(
        app.post("/api/v1/households", Some(&token), &example_household())
            .status,
        201
    );
    app.post("/api/v1/households", Some(&token), &example_household())
        .assert_problem(409, "household.code_taken");
}

#[test]
fn if_match_star_replaces_whatever_the_version() {
    let (app, token) = app_with_office();
    let created = app.post("/api/v1/households", Some(&token), &example_household());
    let path = format!(
        "/api/v1/households/{}",
        created.body["id"].as_str().unwrap()
    );
    let r = app.put(
        &path,
        Some(&token),
        &[("If-Match", "*")],
        &example_household(),
    );
    assert_eq!((r.status, r.body["version"].clone()), (200, json!(2)));
}

#[test]
fn replace_needs_the_current_version() {
    let (app, token) = app_with_office();
    let created = app.post("/api/v1/households", Some(&token), &example_household());
    let path = format!(
        "/api/v1/households/{}",
        created.body["id"].as_str().unwrap()
    );
    let mut h = example_household();
    h["group_name"] = "四组".into();
    h["members"].as_array_mut().unwrap().pop();

    app.put(&path, Some(&token), &[], &h)
        .assert_problem(428, "precondition.if_match_required");
    app.put(&path, Some(&token), &[("If-Match", "\"7\"")], &h)
        .assert_problem(412, "precondition.version_mismatch");
    let r = app.put(&path, Some(&token), &[("If-Match", "\"1\"")], &h);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["version"], 2);
    assert_eq!(r.body["group_name"], "四组");
    assert_eq!(r.body["members"].as_array().unwrap().len(), 2);
    assert_eq!(r.body["public_token"], created.body["public_token"]);
    // The same version again is now stale.
    app.put(&path, Some(&token), &[("If-Match", "\"1\"")], &h)
        .assert_problem(412, "precondition.version_mismatch");
    // An invalid replacement changes nothing.
    h["members"][0]["id_number"] = "210922196805120118".into();
    app.put(&path, Some(&token), &[("If-Match", "2")], &h)
        .assert_problem(422, "request.validation_failed");
    assert_eq!(app.get(&path, Some(&token)).body["version"], 2);
}

#[test]
fn every_change_writes_an_audit_row_in_the_same_transaction() {
    let (app, token) = app_with_office();
    let created = app.post("/api/v1/households", Some(&token), &example_household());
    let id = created.body["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/households/{id}");
    app.put(
        &path,
        Some(&token),
        &[("If-Match", "1")],
        &example_household(),
    );
    // A failed change leaves no audit row.
    app.put(
        &path,
        Some(&token),
        &[("If-Match", "1")],
        &example_household(),
    );
    let rows = app
        .state
        .db
        .read_blocking(|c| audit::for_entity(c, "household", &id))
        .unwrap();
    let summary: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.actor.as_str(),
                r.action.as_str(),
                r.old_version,
                r.new_version,
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("office", "create", None, Some(1)),
            ("office", "replace", Some(1), Some(2))
        ]
    );
    // The audit log holds no personal data.
    let all = serde_json::to_string(&rows).unwrap();
    assert!(!all.contains("张建国") && !all.contains("210922196805120119"));
}

#[test]
fn unknown_household_is_404() {
    let (app, token) = app_with_office();
    app.get(
        "/api/v1/households/6f1c1c1e-0000-4000-8000-000000000000",
        Some(&token),
    )
    .assert_problem(404, "not_found");
}

/// Seeds `n` households in the example village: codes `H-01`…, the example
/// members; those with `li(i)` get head 李四, group 一组 and `not_exited`.
fn seed_roster(app: &TestApp, n: u32, li: impl Fn(u32) -> bool) -> Vec<String> {
    (1..=n)
        .map(|i| {
            let mut h = household_in(VILLAGE, &format!("H-{i:02}"));
            if li(i) {
                h["members"][0]["name"] = "李四".into();
                h["group_name"] = "一组".into();
                h["poverty_status"] = "not_exited".into();
                h["exit_year"] = serde_json::Value::Null;
            }
            app.seed_household(input(&h))
        })
        .collect()
}

#[test]
fn the_office_searches_its_households_by_code_name_status_and_group_a_page_at_a_time() {
    let (app, office) = app_with_office();
    app.seed_user("enum", Role::Enumerator, VILLAGE);
    app.seed_user("far", Role::Supervisor, OTHER_COUNTY);
    let ids = seed_roster(&app, 25, |i| i % 5 == 0);
    let search = |token: &str, body: serde_json::Value| {
        app.post("/api/v1/households/search", Some(token), &body)
    };

    let r = search(&office, json!({"per_page": 10, "page": 3}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (
            r.body["total"].clone(),
            r.body["page"].clone(),
            r.body["per_page"].clone()
        ),
        (json!(25), json!(3), json!(10))
    );
    assert_eq!(r.body["items"].as_array().unwrap().len(), 5);
    // Print order: group first (一组 before 三组), then household code.
    let first = search(&office, json!({"per_page": 6})).body["items"].clone();
    let codes: Vec<&str> = first
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["household_code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["H-05", "H-10", "H-15", "H-20", "H-25", "H-01"]);
    let row = &first[0];
    assert_eq!(row["head_name"], "李四");
    assert_eq!(row["group_name"], "一组");
    assert_eq!(row["member_count"], 3);
    assert_eq!(row["card_version"], 1);
    assert_eq!(row["division_code"], VILLAGE);
    assert_eq!(row["standing_visits"]["village_self"], false);

    let by_name = search(&office, json!({"q": "李"}));
    assert_eq!(by_name.body["total"], 5, "{}", by_name.text);
    let by_code = search(&office, json!({"q": "H-0"}));
    assert_eq!(by_code.body["total"], 9);
    let filtered = search(&office, json!({"status": "not_exited", "group": "一组"}));
    assert_eq!(filtered.body["total"], 5);
    let none = search(&office, json!({"status": "exited", "group": "一组"}));
    assert_eq!(none.body["total"], 0);
    // LIKE's pattern characters match only themselves.
    assert_eq!(search(&office, json!({"q": "%"})).body["total"], 0);
    assert_eq!(search(&office, json!({"q": "H_0"})).body["total"], 0);
    // Rows never carry ID numbers.
    assert!(!r.text.contains("210922196805120119"));

    // A standing self-check shows as coverage.
    let mut v: serde_json::Value =
        serde_json::from_str(include_str!("../../api-spec/examples/visit-clean.json")).unwrap();
    v["household_id"] = ids[0].as_str().into();
    let enumerator = app.token("enum");
    let put = app.put(
        &format!("/api/v1/visits/{}", uuid::Uuid::new_v4()),
        Some(&enumerator),
        &[],
        &v,
    );
    assert_eq!(put.status, 201, "{}", put.text);
    let r = search(&enumerator, json!({"q": "H-01"}));
    assert_eq!(r.status, 200);
    assert_eq!(r.body["items"][0]["standing_visits"]["village_self"], true);
    assert_eq!(r.body["items"][0]["standing_visits"]["town_mutual"], false);

    // Every problem at once; then the scope.
    let bad = search(
        &office,
        json!({"scope": "1234567", "status": "rich", "page": 0, "per_page": 101}),
    );
    bad.assert_problem(422, "request.validation_failed");
    assert_eq!(
        bad.field_errors(),
        vec![
            ("/scope".into(), "region.code_invalid".into()),
            ("/status".into(), "schema.invalid".into()),
            ("/page".into(), "range".into()),
            ("/per_page".into(), "range".into()),
        ]
    );
    search(&office, json!({"name": "张"})).assert_problem(422, "request.validation_failed");
    search(&app.token("far"), json!({"scope": VILLAGE})).assert_problem(403, "auth.out_of_scope");
    search(&office, json!({"scope": COUNTY})).assert_problem(403, "auth.out_of_scope");
}

#[test]
fn the_console_reads_a_household_masked_and_reveals_one_id_number_with_an_audit_row() {
    let (app, office) = app_with_office();
    app.seed_user("enum", Role::Enumerator, VILLAGE);
    app.seed_user("far", Role::Supervisor, OTHER_COUNTY);
    let id = app.seed_household(input(&example_household()));
    let path = format!("/api/v1/households/{id}");

    // Phones keep the whole record; the console asks for it masked.
    let whole = app.get(&path, Some(&office));
    assert_eq!(whole.body["members"][0]["id_number"], "210922196805120119");
    let masked = app.get(&format!("{path}?mask=true"), Some(&office));
    assert_eq!(masked.status, 200, "{}", masked.text);
    assert_eq!(masked.header("etag"), whole.header("etag"));
    assert_eq!(masked.body["members"][0]["id_number"], "2109**********0119");
    assert_eq!(masked.body["members"][0]["name"], "张建国");
    assert!(!masked.text.contains("196805120119") && !masked.text.contains("197003080228"));
    assert_eq!(
        app.get(&format!("{path}?mask=false"), Some(&office)).body,
        whole.body
    );
    app.get(&format!("{path}?mask=yes"), Some(&office))
        .assert_problem(400, "query.invalid");

    let reveal = |token: &str, member: &str| {
        app.post(
            &format!("{path}/members/{member}/reveal"),
            Some(token),
            &json!({}),
        )
    };
    let r = reveal(&office, "2");
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body, json!({"id_number": "210922197003080228"}));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    reveal(&office, "9").assert_problem(404, "not_found");
    reveal(&office, "x").assert_problem(404, "not_found");
    reveal(&app.token("enum"), "2").assert_problem(403, "auth.role_forbidden");
    reveal(&app.token("far"), "2").assert_problem(403, "auth.out_of_scope");
    app.post(
        "/api/v1/households/6f1c1c1e-0000-4000-8000-000000000000/members/1/reveal",
        Some(&office),
        &json!({}),
    )
    .assert_problem(404, "not_found");

    // Who revealed which member, and every read, is in the log; the numbers never are.
    let rows = app
        .state
        .db
        .read_blocking(|c| audit::for_entity(c, "household", &id))
        .unwrap();
    let trail: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| (r.actor.as_str(), r.action.as_str(), r.detail.as_str()))
        .collect();
    assert_eq!(
        trail,
        vec![
            ("test", "create", ""),
            ("office", "read", ""),
            ("office", "read", "id_numbers_masked"),
            ("office", "read", ""),
            ("office", "reveal_id_number", "{\"member_no\":2}"),
        ]
    );
    let all = serde_json::to_string(&rows).unwrap();
    assert!(!all.contains("210922197003080228"));
}
