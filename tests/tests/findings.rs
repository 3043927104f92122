//! The rectification list (整改清单): findings by scope, status, code.

use std::collections::HashSet;

use sancha_server::domain::Role;
use sancha_tests::*;
use serde_json::Value;

#[test]
fn the_office_lists_its_open_findings_with_filters_and_pages() {
    let app = TestApp::spawn();
    app.seed_example_regions();
    app.seed_user("office", Role::VillageOffice, VILLAGE);
    app.seed_user("enum", Role::Enumerator, VILLAGE);
    app.seed_user("far", Role::Supervisor, OTHER_COUNTY);
    let household_id = app.seed_household(input(&example_household()));
    let mut v: Value = serde_json::from_str(include_str!(
        "../../api-spec/examples/visit-finding-water.json"
    ))
    .unwrap();
    v["household_id"] = household_id.as_str().into();
    let r = app.put(
        &format!("/api/v1/visits/{}", uuid::Uuid::new_v4()),
        Some(&app.token("enum")),
        &[],
        &v,
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let raised: HashSet<String> = r.body["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    assert!(!raised.is_empty());

    let office = app.token("office");
    let mut seen = HashSet::new();
    let mut cursor = String::new();
    loop {
        let r = app.get(
            &format!("/api/v1/findings?status=open&limit=1&cursor={cursor}"),
            Some(&office),
        );
        assert_eq!(r.status, 200, "{}", r.text);
        for f in r.body["items"].as_array().unwrap() {
            assert_eq!(f["status"], "open");
            assert!(f["code"].as_str().unwrap().starts_with("water."));
            assert!(!f["message"].as_str().unwrap().is_empty());
            seen.insert(f["id"].as_str().unwrap().to_string());
        }
        cursor = r.body["next_cursor"].as_str().unwrap().to_string();
        if !r.body["has_more"].as_bool().unwrap() {
            break;
        }
    }
    assert_eq!(seen, raised);

    let one = app.get("/api/v1/findings?code=water.quantity", Some(&office));
    assert_eq!(
        one.body["items"].as_array().unwrap().len(),
        1,
        "{}",
        one.text
    );
    let none = app.get("/api/v1/findings?status=closed", Some(&office));
    assert!(none.body["items"].as_array().unwrap().is_empty());
    app.get("/api/v1/findings?status=done", Some(&office))
        .assert_problem(400, "query.invalid");
    app.get("/api/v1/findings?code=water.flood", Some(&office))
        .assert_problem(400, "query.invalid");
    app.get(
        &format!("/api/v1/findings?scope={VILLAGE}"),
        Some(&app.token("far")),
    )
    .assert_problem(403, "auth.out_of_scope");
}

struct Flow {
    app: TestApp,
    office: String,
    sup: String,
    finding: String,
}

fn one_open_finding() -> Flow {
    let app = TestApp::spawn();
    app.seed_example_regions();
    app.seed_user("office", Role::VillageOffice, VILLAGE);
    app.seed_user("enum", Role::Enumerator, VILLAGE);
    app.seed_user("sup", Role::Supervisor, COUNTY);
    let household_id = app.seed_household(input(&example_household()));
    let mut v: Value =
        serde_json::from_str(include_str!("../../api-spec/examples/visit-clean.json")).unwrap();
    v["household_id"] = household_id.as_str().into();
    v["quality"]["water"]["quantity_lpd"] = 30.into();
    let r = app.put(
        &format!("/api/v1/visits/{}", uuid::Uuid::new_v4()),
        Some(&app.token("enum")),
        &[],
        &v,
    );
    assert_eq!(
        r.body["findings"].as_array().unwrap().len(),
        1,
        "{}",
        r.text
    );
    let finding = r.body["findings"][0]["id"].as_str().unwrap().to_string();
    Flow {
        office: app.token("office"),
        sup: app.token("sup"),
        app,
        finding,
    }
}

#[test]
fn a_finding_moves_open_rectified_closed_and_back_with_notes() {
    let f = one_open_finding();
    let path = |mv: &str| format!("/api/v1/findings/{}/{mv}", f.finding);
    let note = |n: &str| serde_json::json!({ "note": n });

    // Only the allowed moves, by the allowed roles, with a note.
    f.app
        .post(&path("close"), Some(&f.sup), &note("看过了"))
        .assert_problem(409, "finding.state");
    f.app
        .post(&path("rectify"), Some(&f.sup), &note("改好了"))
        .assert_problem(403, "auth.role_forbidden");
    let r = f.app.post(&path("rectify"), Some(&f.office), &note("  "));
    r.assert_problem(422, "request.validation_failed");
    assert_eq!(
        r.field_errors(),
        vec![("/note".to_string(), "finding.note_required".to_string())]
    );

    let r = f.app.post(
        &path("rectify"),
        Some(&f.office),
        &note("已接通自来水，每日供水正常"),
    );
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (200, Some("rectified")),
        "{}",
        r.text
    );
    let again = f.app.post(&path("rectify"), Some(&f.office), &note("再次"));
    again.assert_problem(409, "finding.state");
    assert!(
        again.body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("rectified"),
        "{}",
        again.text
    );

    f.app
        .post(&path("close"), Some(&f.office), &note("x"))
        .assert_problem(403, "auth.role_forbidden");
    let r = f
        .app
        .post(&path("close"), Some(&f.sup), &note("现场复核属实"));
    assert_eq!(r.body["status"], "closed");
    let r = f
        .app
        .post(&path("reopen"), Some(&f.sup), &note("群众反映仍停水"));
    assert_eq!(r.body["status"], "open");

    // Every move is in the audit log with who, from, to and the note.
    let r = f
        .app
        .get(&format!("/api/v1/audit?scope={VILLAGE}"), Some(&f.sup));
    assert_eq!(r.status, 200, "{}", r.text);
    let moves: Vec<(String, String, Value)> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["entity"] == "finding")
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_string(),
                e["actor"].as_str().unwrap().to_string(),
                serde_json::from_str(e["detail"].as_str().unwrap()).unwrap(),
            )
        })
        .collect();
    assert_eq!(moves.len(), 3, "{moves:?}");
    assert_eq!(
        (moves[0].0.as_str(), moves[0].1.as_str()),
        ("rectify", "office")
    );
    assert_eq!(
        moves[0].2,
        serde_json::json!({"from": "open", "to": "rectified", "note": "已接通自来水，每日供水正常"})
    );
    assert_eq!(
        (moves[2].0.as_str(), moves[2].2["to"].as_str()),
        ("reopen", Some("open"))
    );
    f.app
        .get("/api/v1/audit", Some(&f.office))
        .assert_problem(403, "auth.role_forbidden");
}

#[test]
fn a_findings_history_lists_its_raising_and_every_move_with_who_when_and_note() {
    let f = one_open_finding();
    let path = |mv: &str| format!("/api/v1/findings/{}/{mv}", f.finding);
    let note = |n: &str| serde_json::json!({ "note": n });
    for (mv, token, n) in [
        ("rectify", &f.office, "已接通自来水"),
        ("close", &f.sup, "现场复核属实"),
        ("reopen", &f.sup, "群众反映仍停水"),
    ] {
        assert_eq!(f.app.post(&path(mv), Some(token), &note(n)).status, 200);
    }
    let r = f.app.get(&path("history"), Some(&f.office));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["finding_id"], f.finding.as_str());
    assert_eq!(r.body["status"], "open");
    let steps: Vec<(&str, &str, &str, &str, &str)> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["action"].as_str().unwrap(),
                s["actor"].as_str().unwrap(),
                s["from"].as_str().unwrap_or("-"),
                s["to"].as_str().unwrap(),
                s["note"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        steps,
        vec![
            ("raised", "enum", "-", "open", "-"),
            ("rectified", "office", "open", "rectified", "已接通自来水"),
            ("closed", "sup", "rectified", "closed", "现场复核属实"),
            ("reopened", "sup", "closed", "open", "群众反映仍停水"),
        ]
    );
    let times: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["at"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");

    f.app.seed_user("far", Role::Supervisor, OTHER_COUNTY);
    f.app
        .get(&path("history"), Some(&f.app.token("far")))
        .assert_problem(403, "auth.out_of_scope");
    f.app
        .get(
            "/api/v1/findings/6f1c1c1e-0000-4000-8000-000000000000/history",
            Some(&f.office),
        )
        .assert_problem(404, "not_found");
    f.app
        .get("/api/v1/findings/not-a-uuid/history", Some(&f.office))
        .assert_problem(404, "not_found");
}

#[test]
fn a_findings_list_row_carries_what_the_console_shows_and_filters_by_raised_date() {
    let f = one_open_finding();
    let rectified = f.app.post(
        &format!("/api/v1/findings/{}/rectify", f.finding),
        Some(&f.office),
        &serde_json::json!({"note": "已接通自来水"}),
    );
    assert_eq!(
        rectified.body["last_note"], "已接通自来水",
        "{}",
        rectified.text
    );
    let r = f.app.get("/api/v1/findings", Some(&f.office));
    assert_eq!(r.status, 200, "{}", r.text);
    let row = &r.body["items"][0];
    assert_eq!(row["id"], f.finding.as_str());
    assert_eq!(row["household_code"], "2109222012030017");
    assert_eq!(row["division_code"], VILLAGE);
    assert_eq!(row["level"], "village_self");
    assert_eq!(row["severity"], "high");
    assert_eq!(row["status"], "rectified");
    assert_eq!(row["last_note"], "已接通自来水");
    assert_eq!(row["raised_at"], row["created_at"]);
    assert!(row["visit_id"].as_str().is_some());

    let raised = row["raised_at"].as_str().unwrap().to_string();
    let count = |query: String| {
        let r = f
            .app
            .get(&format!("/api/v1/findings?{query}"), Some(&f.office));
        assert_eq!(r.status, 200, "{}", r.text);
        r.body["items"].as_array().unwrap().len()
    };
    let enc = |t: &str| t.replace('+', "%2B");
    assert_eq!(count(format!("from={}", enc(&raised))), 1);
    assert_eq!(count(format!("to={}", enc(&raised))), 0);
    assert_eq!(
        count("from=2020-01-01T00:00:00%2B08:00&to=2020-12-31T00:00:00Z".into()),
        0
    );
    assert_eq!(count("from=2020-01-01T00:00:00%2B08:00".into()), 1);
    f.app
        .get("/api/v1/findings?from=yesterday", Some(&f.office))
        .assert_problem(400, "query.invalid");
}
