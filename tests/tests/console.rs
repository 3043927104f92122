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
    let refresh = signed_in.body["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    let admin = app.token("admin");
    let reset = |token: &str, user: &str, body: serde_json::Value| {
        app.post(
            &format!("/api/v1/users/{user}/password"),
            Some(token),
            &body,
        )
    };

    let short = reset(&admin, "li", json!({"password": "short"}));
    short.assert_problem(422, "request.validation_failed");
    assert_eq!(
        short.field_errors(),
        vec![("/password".into(), "user.password_too_short".into())]
    );
    reset(
        &admin,
        "li",
        json!({"password": "long-enough-pw", "role": "admin"}),
    )
    .assert_problem(422, "request.validation_failed");
    reset(
        &app.token("office"),
        "li",
        json!({"password": "long-enough-pw"}),
    )
    .assert_problem(403, "auth.role_forbidden");
    reset(&admin, "far", json!({"password": "long-enough-pw"}))
        .assert_problem(403, "auth.out_of_scope");
    reset(&admin, "nobody", json!({"password": "long-enough-pw"})).assert_problem(404, "not_found");

    let r = reset(&admin, "li", json!({"password": "新的密码-long-enough"}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.body["username"].clone(), r.body["version"].clone()),
        (json!("li"), json!(2))
    );
    assert!(r.body.get("password_hash").is_none());

    app.post(
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": refresh}),
    )
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
    let reset_row = rows
        .iter()
        .find(|r| r.action == "password_reset")
        .expect("an audit row");
    assert_eq!(
        (
            reset_row.actor.as_str(),
            reset_row.old_version,
            reset_row.new_version
        ),
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
    for (village, code) in [(VILLAGE, "A-2"), (VILLAGE, "A-1"), ("210922201204", "B-1")] {
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
    assert_eq!(
        (villages[0]["code"].as_str(), villages[1]["name"].as_str()),
        (Some(VILLAGE), Some("新华村"))
    );
    let first: Vec<&str> = villages[0]["households"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["household_code"].as_str().unwrap())
        .collect();
    assert_eq!(first, ["A-1", "A-2"]);
    let h = &villages[0]["households"][0];
    assert_eq!(
        (h["head_name"].as_str(), h["member_count"].as_i64()),
        (Some("张建国"), Some(3))
    );
    assert!(!r.text.contains("210922196805120119"));

    let (status, ct, csv) =
        app.get_bytes(&format!("/api/v1/samples/{id}/households.csv"), Some(&sup));
    assert_eq!((status, ct.as_str()), (200, "text/csv"));
    let csv = String::from_utf8(csv).unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert!(csv.starts_with('\u{feff}'));
    assert_eq!(
        lines[0],
        "乡（镇）,村,区划代码,户编号,户主,村民小组,脱贫状态,家庭人数"
    );
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(
        lines[1].contains("A-1") && lines[1].contains("张建国") && lines[1].contains("已脱贫"),
        "{}",
        lines[1]
    );
    assert!(lines[3].contains("新华村") && lines[3].contains("B-1"));
    let en = app.get(
        &format!("/api/v1/samples/{id}/households.csv?headers=en"),
        Some(&sup),
    );
    assert!(en
        .text
        .contains("town,village,division_code,household_code,head,group,poverty_status,members"));

    let (status, ct, xlsx) =
        app.get_bytes(&format!("/api/v1/samples/{id}/households.xlsx"), Some(&sup));
    assert_eq!(status, 200);
    assert_eq!(
        ct,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(xlsx)).unwrap();
    let sheet = book.worksheet_range("抽查名单").unwrap();
    assert_eq!(sheet.height(), 4);
    assert_eq!(sheet.get((0, 3)).unwrap().to_string(), "户编号");
    assert_eq!(sheet.get((3, 3)).unwrap().to_string(), "B-1");

    // Every export is an audit row naming the sample.
    let audit_rows = app.get(
        &format!("/api/v1/audit?scope={TOWN}&action=export"),
        Some(&sup),
    );
    let details: Vec<&str> = audit_rows.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["detail"].as_str().unwrap())
        .collect();
    assert_eq!(details.len(), 3, "{}", audit_rows.text);
    assert!(details.iter().all(|d| d.contains(&id)));

    let enumerator = app.token("enum");
    assert_eq!(
        app.get(&format!("/api/v1/samples/{id}"), Some(&enumerator))
            .status,
        200
    );
    app.get(
        &format!("/api/v1/samples/{id}/households.csv"),
        Some(&enumerator),
    )
    .assert_problem(403, "auth.role_forbidden");
    app.get(&format!("/api/v1/samples/{id}"), Some(&app.token("office")))
        .assert_problem(403, "auth.out_of_scope");
    app.get(&format!("/api/v1/samples/{id}"), Some(&app.token("far")))
        .assert_problem(403, "auth.out_of_scope");
    app.get(
        "/api/v1/samples/6f1c1c1e-0000-4000-8000-000000000000",
        Some(&sup),
    )
    .assert_problem(404, "not_found");
    app.get(
        &format!("/api/v1/samples/{id}/households.csv?headers=fr"),
        Some(&sup),
    )
    .assert_problem(400, "query.invalid");
}

const ROSTER_HEADER: &str = "户编号,区划代码,村民小组,识别年度,脱贫状态,脱贫年度,贫困户属性,主要致贫原因,姓名,证件号码,与户主关系,帮扶责任人,帮扶单位,帮扶人职务,帮扶人电话";

/// A roster row of the example household's shape: code, village, name, ID number, relation.
fn roster_row(code: &str, village: &str, name: &str, id: &str, relation: &str) -> String {
    format!("{code},{village},一组,2014,已脱贫,2019,一般贫困户,因病,{name},{id},{relation},王建军,彰武县农业农村局,科员,13904180001")
}

fn roster(rows: &[String]) -> Vec<u8> {
    let mut csv = format!("\u{feff}{ROSTER_HEADER}\r\n");
    for r in rows {
        csv.push_str(r);
        csv.push_str("\r\n");
    }
    csv.into_bytes()
}

fn good_roster(village: &str) -> Vec<u8> {
    roster(&[
        roster_row("IMP-1", village, "张建国", "210922196805120119", "户主"),
        roster_row("IMP-1", village, "李桂兰", "210922197003080228", "配偶"),
        roster_row(
            "IMP-2",
            village,
            "王五",
            &id_with_check("21092219800101123"),
            "户主",
        ),
    ])
}

#[test]
fn the_office_imports_a_roster_over_http_checking_every_row_and_storing_all_or_nothing() {
    let (app, office) = TestApp::with_office_on(default_backend());
    app.seed_user("enum", Role::Enumerator, VILLAGE);
    let upload = |token: &str, dry_run: &str, content_type: &str, body: &[u8]| {
        app.send(
            "POST",
            &format!("/api/v1/imports/households?dry_run={dry_run}"),
            Some(token),
            &[],
            Some(Body::Raw(content_type, body)),
        )
    };
    let stored = || {
        app.post("/api/v1/households/search", Some(&office), &json!({}))
            .body["total"]
            .as_i64()
            .unwrap()
    };

    let r = upload(&office, "true", "text/csv", &good_roster(VILLAGE));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"dry_run": true, "stored": false, "households": 2, "members": 3})
    );
    assert_eq!(stored(), 0);

    // Every bad row at once, with its row number, column, code and message; nothing stored.
    let bad = roster(&[
        roster_row("IMP-1", VILLAGE, "张建国", "210922196805120118", "户主"),
        roster_row("IMP-1", VILLAGE, "李桂兰", "210922197003080228", "配偶"),
        roster_row(
            "IMP-2",
            VILLAGE,
            "王五",
            &id_with_check("21092219800101123"),
            "邻居",
        ),
    ]);
    for dry_run in ["true", "false"] {
        let r = upload(&office, dry_run, "text/csv; charset=utf-8", &bad);
        r.assert_problem(422, "request.validation_failed");
        let rows: Vec<(u64, &str, &str)> = r.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["row"].as_u64().unwrap(),
                    e["column"].as_str().unwrap(),
                    e["code"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            vec![
                (2, "证件号码", "id_number.checksum"),
                (4, "与户主关系", "members.head"),
                (4, "与户主关系", "schema.invalid"),
            ],
            "{}",
            r.text
        );
        assert_eq!(r.body["errors"][0]["field"], "/rows/2/证件号码");
        assert_eq!(r.body["errors"][0]["message"], "身份证号校验码错误");
        assert!(!r.text.contains("210922196805120118") && !r.text.contains("张建国"));
        assert_eq!(stored(), 0);
    }
    let en = app.send(
        "POST",
        "/api/v1/imports/households?dry_run=true",
        Some(&office),
        &[("Accept-Language", "en")],
        Some(Body::Raw("text/csv", &bad)),
    );
    assert_eq!(
        en.body["errors"][0]["message"],
        "ID number check character is wrong"
    );

    // A village outside the caller's scope: 403, naming the rows.
    let outside = upload(&office, "true", "text/csv", &good_roster(OTHER_VILLAGE));
    outside.assert_problem(403, "auth.out_of_scope");
    assert_eq!(outside.body["errors"][0]["row"], 2);
    assert_eq!(outside.body["errors"][0]["column"], "区划代码");

    let r = upload(&office, "false", "text/csv", &good_roster(VILLAGE));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["stored"], true);
    assert_eq!(stored(), 2);
    let again = upload(&office, "false", "text/csv", &good_roster(VILLAGE));
    again.assert_problem(422, "request.validation_failed");
    assert_eq!(again.body["errors"][0]["code"], "household.code_taken");
    assert_eq!(stored(), 2);
    app.seed_user("sup", Role::Supervisor, VILLAGE);
    let audit_rows = app.get(
        &format!("/api/v1/audit?scope={VILLAGE}&action=create"),
        Some(&app.token("sup")),
    );
    assert!(audit_rows.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["entity"] == "household" && e["actor"] == "office"));

    upload(
        &app.token("enum"),
        "true",
        "text/csv",
        &good_roster(VILLAGE),
    )
    .assert_problem(403, "auth.role_forbidden");
    upload(&office, "true", "application/json", b"{}")
        .assert_problem(415, "request.unsupported_media_type");
    upload(&office, "maybe", "text/csv", &good_roster(VILLAGE))
        .assert_problem(400, "query.invalid");
    let unreadable = upload(&office, "true", XLSX, b"not a workbook");
    unreadable.assert_problem(422, "request.validation_failed");
    assert_eq!(unreadable.body["errors"][0]["code"], "import.unreadable");
    upload(
        &office,
        "true",
        "text/csv",
        b"\xff\xfe\x00garbage\n\xc3\x28",
    )
    .assert_problem(422, "request.validation_failed");

    // The templates: the Chinese headers, which the import itself reads back.
    let (status, ct, csv) = app.get_bytes("/api/v1/imports/template.csv", Some(&office));
    assert_eq!((status, ct.as_str()), (200, "text/csv"));
    let csv = String::from_utf8(csv).unwrap();
    assert!(
        csv.starts_with("\u{feff}户编号,区划代码,村民小组,识别年度,脱贫状态"),
        "{csv}"
    );
    assert!(csv.contains("证件号码") && csv.contains("帮扶人电话"));
    let (status, ct, xlsx) =
        app.get_bytes("/api/v1/imports/template.xlsx", Some(&app.token("enum")));
    assert_eq!((status, ct.as_str()), (200, XLSX));
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(xlsx.clone())).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    assert_eq!(sheet.get((0, 0)).unwrap().to_string(), "户编号");
    let empty = upload(&office, "true", XLSX, &xlsx);
    assert_eq!(
        (empty.status, empty.body["households"].clone()),
        (200, json!(0)),
        "{}",
        empty.text
    );
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
