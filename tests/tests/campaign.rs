//! One county through a whole campaign: self-checks raise findings, the
//! office rectifies, a supervisor samples half a town, visits, rejects one
//! visit and closes the findings; progress matches a hand count, the exports
//! open, and the audit log names who did every step.

use std::collections::HashSet;

use calamine::Reader;
use sancha_server::domain::Role;
use sancha_tests::*;
use serde_json::{json, Value};

const SECOND_VILLAGE: &str = "210922201204";

/// A clean visit of the `n`th seeded household.
fn visit(household_id: &str, n: u32, level: &str) -> Value {
    let mut v: Value =
        serde_json::from_str(include_str!("../../api-spec/examples/visit-clean.json")).unwrap();
    v["household_id"] = household_id.into();
    v["level"] = level.into();
    distinct_ids(n, &mut example_household(), Some(&mut v));
    made_apart(&mut v, n);
    v
}

fn put_visit(app: &TestApp, token: &str, body: &Value) -> Value {
    let r = app.put(
        &format!("/api/v1/visits/{}", uuid::Uuid::new_v4()),
        Some(token),
        &[],
        body,
    );
    assert_eq!(r.status, 201, "{}", r.text);
    r.body
}

#[test]
fn a_county_runs_a_whole_campaign() {
    let app = TestApp::spawn();
    app.seed_example_regions();
    app.seed_regions(&[(SECOND_VILLAGE, "新华村")]);
    app.seed_user("enum", Role::Enumerator, TOWN);
    app.seed_user("office", Role::VillageOffice, TOWN);
    app.seed_user("sup", Role::Supervisor, COUNTY);
    app.seed_user("admin", Role::Admin, COUNTY);
    let mut village_of = std::collections::HashMap::new();
    let households: Vec<String> = (0..10u32)
        .map(|i| {
            let village = if i < 6 { VILLAGE } else { SECOND_VILLAGE };
            let mut h = household_in(village, &format!("{village}{i:04}"));
            distinct_ids(i, &mut h, None);
            let id = app.seed_household(input(&h));
            village_of.insert(id.clone(), village);
            id
        })
        .collect();
    let (enumerator, office, sup, admin) = (
        app.token("enum"),
        app.token("office"),
        app.token("sup"),
        app.token("admin"),
    );

    // 村自查: every household; three have too little water.
    for (i, h) in households.iter().enumerate() {
        let mut v = visit(h, i as u32, "village_self");
        if i < 3 {
            v["quality"]["water"]["quantity_lpd"] = 30.into();
        }
        let receipt = put_visit(&app, &enumerator, &v);
        let codes: Vec<&str> = receipt["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap())
            .collect();
        assert_eq!(
            codes,
            if i < 3 {
                vec!["water.quantity"]
            } else {
                vec![]
            }
        );
    }

    // 边检查、边整改: the office rectifies every open finding.
    let open = app.get(
        &format!("/api/v1/findings?scope={TOWN}&status=open"),
        Some(&office),
    );
    let finding_ids: Vec<String> = open.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(finding_ids.len(), 3);
    for id in &finding_ids {
        let r = app.post(
            &format!("/api/v1/findings/{id}/rectify"),
            Some(&office),
            &json!({"note": "已接通自来水"}),
        );
        assert_eq!(r.status, 200, "{}", r.text);
    }

    // 乡镇互检: half the town, stratified by village, deterministic.
    let sample = app.post(
        "/api/v1/samples",
        Some(&sup),
        &json!({"scope": TOWN, "level": "town_mutual", "seed": 2026}),
    );
    assert_eq!(sample.status, 201, "{}", sample.text);
    assert_eq!(sample.body["rate"], 0.5);
    let picked: Vec<String> = sample.body["households"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap().to_string())
        .collect();
    let in_first = picked.iter().filter(|h| village_of[*h] == VILLAGE).count();
    assert_eq!((picked.len(), in_first), (5, 3), "ceil(6/2) + ceil(4/2)");
    let again = app.post(
        "/api/v1/samples",
        Some(&sup),
        &json!({"scope": TOWN, "level": "town_mutual", "seed": 2026}),
    );
    assert_eq!(
        again.body["households"], sample.body["households"],
        "same seed, same data, same sample"
    );
    let synced = app.get(
        &format!(
            "/api/v1/households?sample={}",
            sample.body["id"].as_str().unwrap()
        ),
        Some(&sup),
    );
    let synced: HashSet<String> = synced.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        synced,
        picked.iter().cloned().collect::<HashSet<_>>(),
        "the supervisor's phone syncs the sample"
    );

    let n_of = |h: &String| households.iter().position(|x| x == h).unwrap() as u32;
    let supervisory: Vec<String> = picked
        .iter()
        .map(|h| {
            put_visit(&app, &sup, &visit(h, n_of(h), "town_mutual"))["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let rejected_household = &picked[0];
    let r = app.post(
        &format!("/api/v1/visits/{}/review", supervisory[0]),
        Some(&sup),
        &json!({"decision": "reject", "note": "照片与户不符"}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    for id in &finding_ids {
        let r = app.post(
            &format!("/api/v1/findings/{id}/close"),
            Some(&sup),
            &json!({"note": "复核属实，销号"}),
        );
        assert_eq!(r.status, 200, "{}", r.text);
    }

    // 清零: the numbers, counted by hand.
    let p = app.get(&format!("/api/v1/progress?scope={TOWN}"), Some(&sup));
    assert_eq!(p.status, 200, "{}", p.text);
    let level = |region: &Value, l: &str| {
        region["levels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["level"] == l)
            .unwrap()
            .clone()
    };
    let town = &p.body["region"];
    assert_eq!(town["households"], 10);
    assert_eq!(level(town, "village_self")["visited"], 10);
    assert_eq!(level(town, "village_self")["coverage"], 1.0);
    assert_eq!(
        level(town, "town_mutual")["visited"],
        4,
        "the rejected visit does not count"
    );
    assert_eq!(level(town, "town_mutual")["coverage"], 0.4);
    assert_eq!(level(town, "town_mutual")["target_share"], 0.5);
    assert_eq!(
        town["findings_by_status"],
        json!({"open": 0, "rectified": 0, "closed": 3})
    );
    assert_eq!(town["findings_by_severity"]["high"], 3);
    assert_eq!(town["households_with_open_high"], 0);
    let children = p.body["children"].as_array().unwrap();
    let first = children.iter().find(|c| c["code"] == VILLAGE).unwrap();
    let second = children
        .iter()
        .find(|c| c["code"] == SECOND_VILLAGE)
        .unwrap();
    let rejected_in_first = usize::from(village_of[rejected_household] == VILLAGE);
    assert_eq!(
        (first["households"].as_i64(), second["households"].as_i64()),
        (Some(6), Some(4))
    );
    assert_eq!(
        level(first, "town_mutual")["visited"].as_u64(),
        Some((3 - rejected_in_first) as u64)
    );
    assert_eq!(
        level(second, "town_mutual")["visited"].as_u64(),
        Some((2 - (1 - rejected_in_first)) as u64)
    );
    assert_eq!(first["name"], "双龙村");

    // Exports open: the XLSX read back, the CSV with its BOM.
    let (status, content_type, xlsx) = app.get_bytes(
        &format!("/api/v1/exports/visits.xlsx?scope={TOWN}"),
        Some(&office),
    );
    assert_eq!(status, 200);
    assert!(content_type.contains("spreadsheetml"), "{content_type}");
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(xlsx)).expect("an XLSX");
    let sheet = book.worksheet_range("核查记录").expect("the visits sheet");
    assert_eq!(
        sheet.height(),
        1 + 10 + 4,
        "header, ten self-checks, four standing supervisory visits"
    );
    assert_eq!(
        sheet.get((0, 0)).map(|c| c.to_string()),
        Some("核查编号".to_string())
    );
    let ids: HashSet<String> = (1..sheet.height())
        .filter_map(|r| sheet.get((r, 0)).map(|c| c.to_string()))
        .collect();
    assert!(
        !ids.contains(&supervisory[0]),
        "a rejected visit is not the household's current state"
    );
    let (_, content_type, csv) = app.get_bytes(
        &format!("/api/v1/exports/findings.csv?scope={TOWN}&headers=en"),
        Some(&sup),
    );
    assert!(content_type.starts_with("text/csv"));
    assert!(
        csv.starts_with("\u{feff}finding_id,household_code,".as_bytes()),
        "{}",
        String::from_utf8_lossy(&csv[..60])
    );
    assert_eq!(String::from_utf8(csv).unwrap().lines().count(), 1 + 3);
    app.get(
        &format!("/api/v1/exports/visits.csv?scope={TOWN}&private=true"),
        Some(&office),
    )
    .assert_problem(403, "auth.role_forbidden");
    let (_, _, private) = app.get_bytes(
        &format!("/api/v1/exports/visits.csv?scope={TOWN}&private=true"),
        Some(&admin),
    );
    let head_of_first = app
        .state
        .db
        .read_blocking(|c| sancha_server::db::households::get(c, &households[0]))
        .unwrap()
        .unwrap()
        .members[0]
        .id_number
        .clone()
        .unwrap();
    assert!(
        String::from_utf8(private).unwrap().contains(&head_of_first),
        "an admin's private export has ID numbers"
    );

    assert_eq!(
        app.get(
            &format!("/api/v1/households/{}", households[0]),
            Some(&office)
        )
        .status,
        200
    );

    // 谁检查、谁签字、谁负责: every step, with who did it.
    let mut steps = HashSet::new();
    let mut cursor = String::new();
    loop {
        let r = app.get(
            &format!("/api/v1/audit?scope={TOWN}&cursor={cursor}"),
            Some(&sup),
        );
        assert_eq!(r.status, 200, "{}", r.text);
        for e in r.body["items"].as_array().unwrap() {
            steps.insert((
                e["action"].as_str().unwrap().to_string(),
                e["actor"].as_str().unwrap().to_string(),
            ));
        }
        cursor = r.body["next_cursor"].as_str().unwrap().to_string();
        if !r.body["has_more"].as_bool().unwrap() {
            break;
        }
    }
    for (action, actor) in [
        ("login", "enum"),
        ("login", "office"),
        ("rectify", "office"),
        ("create", "sup"),
        ("reject", "sup"),
        ("close", "sup"),
        ("export", "office"),
        ("export", "sup"),
        ("export_private", "admin"),
        ("read", "office"),
    ] {
        assert!(
            steps.contains(&(action.to_string(), actor.to_string())),
            "no audit row for {actor} {action}: {steps:?}"
        );
    }
}
